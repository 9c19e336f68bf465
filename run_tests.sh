#!/usr/bin/env bash
# Runs the whole test suite (installs Python packages and Debian chromium when missing).
# Extra arguments go to pytest, e.g. ./run_tests.sh tests/unit -k grep
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian chromium for the browser tests ..."
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

source "$ROOT/scripts/phoenix_venv.sh"  # the OpenTelemetry test's trace backend

# Tests get a fresh throwaway ZenML store per session (tests/conftest.py), never the developer's.
mkdir -p "$ROOT/test-output"

# Test files run in parallel worker processes, each with its own throwaway ZenML store and state
# folder (tests/conftest.py), one file per worker at a time so module fixtures are built once.
# Files go out in collection order, browser tests first and unit tests last: xdist's default
# (files with the most tests first) would leave the long browser files for the end.
# RLM_TEST_WORKERS=N sets the number of workers, 0 runs serially; `-n N` among the arguments wins.
PARALLEL=(-n "${RLM_TEST_WORKERS:-auto}" --maxprocesses 4 --dist loadfile --no-loadscope-reorder)

set +e
"$VENV/bin/python" -m pytest "${PARALLEL[@]}" "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests: treating that as a failure." >&2
  exit 1
fi
exit "$code"
