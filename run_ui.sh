#!/usr/bin/env bash
# Starts the RLM Workbench on http://localhost:8501 (installs what it needs on first run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
PORT="${PORT:-8501}"
echo "RLM Workbench: http://localhost:$PORT"
exec "$VENV/bin/python" -m streamlit run ui/app.py --server.port "$PORT" "$@"
