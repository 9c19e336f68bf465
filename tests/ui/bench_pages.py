"""Page load times of the workbench for a finished 10-chunk run (prints figures; not a test).

    python -m tests.ui.bench_pages            # makes a deterministic 10-chunk run in a temp store

Each page is rendered with AppTest: once cold (store reads, ZenML already imported) and then
five times warm (cached store reads, as when an analyst moves between pages). Target: < 2 s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PAGES = ["report", "trajectories", "cost", "runs", "new_analysis"]


def main() -> None:
    store = Path(tempfile.mkdtemp(prefix="rlm-bench-ui-"))
    os.environ["ZENML_CONFIG_PATH"] = str(store)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.run", "--source", "data/sample/northwind_mail.json",
         "--query", "Who sent the key accounts pricing spreadsheet outside?",
         "--max-chunks", "10", "--json"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    run = json.loads(result.stdout)
    print(f"run {run['run_name']}: {len(run['chunks'])} chunks, status {run['status']}")

    from pipeline import zenml_env

    zenml_env.configure()
    from streamlit.testing.v1 import AppTest

    import pipeline.runs  # noqa: F401 - import cost is paid once per server, not per page

    at = AppTest.from_file(str(REPO_ROOT / "ui" / "app.py"), default_timeout=120)
    at.session_state["selected_run"] = run["run_id"]
    print(f"{'page':<14}{'cold s':>8}{'warm median s':>15}{'warm max s':>12}")
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py")
        start = time.perf_counter()
        at.run()
        cold = time.perf_counter() - start
        assert not at.exception, [e.value for e in at.exception]
        warm = []
        for _ in range(5):
            start = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - start)
        print(f"{page:<14}{cold:>8.2f}{statistics.median(warm):>15.2f}{max(warm):>12.2f}")


if __name__ == "__main__":
    main()
