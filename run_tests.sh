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

set +e
"$VENV/bin/python" -m pytest "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests: treating that as a failure." >&2
  exit 1
fi
exit "$code"
