"""Fixtures for the AppTest suite: a ZenML store for the session holding one real, finished,
deterministic run of the bundled sample (made once with the CLI), and an AppTest factory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = REPO_ROOT / "ui" / "app.py"
SAMPLE = REPO_ROOT / "data" / "sample" / "northwind_mail.json"
QUERY = "Who sent the key accounts pricing spreadsheet outside the company?"
MODEL_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "RLM_MODEL")


@pytest.fixture(scope="session")
def finished_run(zenml_store: Path) -> dict:
    """The CLI's JSON for one finished deterministic run of the sample (3 chunks)."""
    env = {k: v for k, v in os.environ.items() if k not in MODEL_ENV}
    env["ZENML_CONFIG_PATH"] = str(zenml_store)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.run",
            "--source",
            str(SAMPLE),
            "--query",
            QUERY,
            "--max-chunks",
            "3",
            "--max-iterations",
            "4",
            "--json",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout)
    assert result["status"] == "completed" and result["mode"] == "deterministic"
    return result


@pytest.fixture
def open_page(zenml_store: Path) -> Callable[..., AppTest]:
    """`open_page("app_pages/report.py", run_id=...)`: the app on that page, already run."""

    def run(page: str | None = None, *, run_id: str | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        if run_id is not None:
            at.session_state["selected_run"] = run_id
        if page is not None:
            at.switch_page(page)
        return at.run()

    return run
