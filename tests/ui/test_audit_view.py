"""Audit entries from the UI: marking stale runs failed is recorded with who and which corpus,
and the Runs page shows the log, newest first."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline import audit, state_folder
from ui import routes, run_store

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_folder, "STATE_ROOT", tmp_path / "state")


def _mark_two_stale_runs() -> None:
    from pipeline.views import RunView
    from ui.components.runs_table import _mark_failed

    _mark_failed(
        [
            RunView(run_id="r1", name="rlm-dead-1", status="stale", source="/x/mail.json",
                    error="process 4242 is gone"),
            RunView(run_id="r2", name="rlm-dead-2", status="stale", source="/x/other.csv"),
        ]
    )  # fmt: skip


def test_mark_failed_is_audited_per_accepted_run(monkeypatch):
    monkeypatch.setattr(run_store, "mark_stale", lambda run_id: run_id == "r1")
    at = AppTest.from_function(_mark_two_stale_runs, default_timeout=60).run()
    assert not at.exception
    assert "rlm\\-dead\\-2" in at.warning[0].value  # the store refused r2: not audited
    (entry,) = audit.read_entries()
    assert (entry.action, entry.run, entry.corpus) == ("mark_failed", "rlm-dead-1", "/x/mail.json")
    assert entry.detail == "process 4242 is gone" and entry.who.startswith("local session ")


def test_runs_page_shows_the_audit_log_newest_first():
    audit.record(audit.LAUNCH, who="ana", corpus="mail.json", run="rlm-1", detail="question: q")
    audit.record(audit.EXPORT, who="bob", corpus="mail.json", run="rlm-1", detail="bundle")
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(routes.RUNS)
    at.run()
    assert not at.exception
    (section,) = [e for e in at.expander if e.label == "Audit log (2 most recent actions)"]
    table = section.dataframe[0].value
    assert list(table["action"]) == ["export", "launch"]
    assert list(table["who"]) == ["bob", "ana"] and set(table["run"]) == {"rlm-1"}


def test_runs_page_without_entries_says_so():
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(routes.RUNS)
    at.run()
    assert "No launches, exports or runs marked failed yet." in [c.value for c in at.caption]
