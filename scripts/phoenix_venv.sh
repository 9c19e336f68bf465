#!/usr/bin/env bash
# Creates .venv-phoenix with Arize Phoenix (pinned in tests/requirements-phoenix.txt), the local
# trace backend of the OpenTelemetry test. A venv of its own: its pins conflict with ZenML's.
# Sourced by run_tests.sh; a stamp file skips reinstalls, like scripts/bootstrap.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PHOENIX_VENV="$ROOT/.venv-phoenix"
PHOENIX_REQUIREMENTS="$ROOT/tests/requirements-phoenix.txt"
PHOENIX_STAMP="$PHOENIX_VENV/.requirements.sha256"
PHOENIX_WANT="$(sha256sum "$PHOENIX_REQUIREMENTS" | cut -d' ' -f1)"
if [ ! -f "$PHOENIX_STAMP" ] || [ "$(cat "$PHOENIX_STAMP")" != "$PHOENIX_WANT" ]; then
  echo "Installing Arize Phoenix for the trace test into $PHOENIX_VENV (first run only) ..."
  "${PYTHON:-python3}" -m venv "$PHOENIX_VENV"
  source "$ROOT/scripts/install_requirements.sh"
  install_requirements "$PHOENIX_VENV/bin/python" "$PHOENIX_REQUIREMENTS"
  echo "$PHOENIX_WANT" > "$PHOENIX_STAMP"
fi
