#!/usr/bin/env bash
# Starts the RLM Workbench on http://localhost:8501 (installs what it needs on first run), and
# ZenML's dashboard for the same store on 127.0.0.1:$RLM_DASHBOARD_PORT (default 8237, 0 = off),
# which stops when the workbench does (see pipeline/dashboard.py).
# Local by default (127.0.0.1); RLM_HOST=<address> exposes it only when sign-in is configured.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
PORT="${PORT:-8501}"
umask 077  # the state folder .rlm/ and everything we start stay owner-only
HOST="$("$VENV/bin/python" -m ui.serve_check "$@")"  # refuses to expose without sign-in
export TMPDIR="${RLM_STATE_DIR:-$ROOT/.rlm}/tmp"  # temporary files stay in the owner-only state folder
DASHBOARD_PORT="${RLM_DASHBOARD_PORT:-8237}"
if [ "$DASHBOARD_PORT" != "0" ]; then
  "$VENV/bin/python" -m pipeline.dashboard --port "$DASHBOARD_PORT" --watch-pid $$ &
  export RLM_DASHBOARD_URL="http://127.0.0.1:$DASHBOARD_PORT"
  echo "ZenML dashboard: $RLM_DASHBOARD_URL"
fi
echo "RLM Workbench: http://$HOST:$PORT"
exec "$VENV/bin/python" -m streamlit run ui/app.py --server.port "$PORT" "$@" --server.address "$HOST"
