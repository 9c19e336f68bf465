#!/usr/bin/env bash
# Creates .venv and installs requirements.txt into it when missing or changed.
# Sourced by run_ui.sh and run_tests.sh; safe to run repeatedly (a stamp file skips reinstalls).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "RLM Workbench needs Python 3.11 or newer (found: $("$PY" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating virtualenv in $VENV ..."
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$ROOT/requirements.txt" | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "Installing Python packages into $VENV (first run only) ..."
  source "$ROOT/scripts/install_requirements.sh"
  install_requirements "$VENV/bin/python" "$ROOT/requirements.txt"
  echo "$WANT" > "$STAMP"
fi

# Project-local ZenML state: no `zenml init`/`zenml login`, no analytics.
export ZENML_CONFIG_PATH="${ZENML_CONFIG_PATH:-${RLM_STATE_DIR:-$ROOT/.rlm}/zenml}"
export ZENML_ANALYTICS_OPT_IN=false
export ZENML_CUSTOM_SOURCE_ROOT="$ROOT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
