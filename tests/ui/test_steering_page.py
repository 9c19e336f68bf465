"""Steering from the Report page through AppTest: the *Rerun this chunk* form launches the rerun
with the chunk, sub-question and budget the analyst chose (and refuses a rerun that changes
nothing); *Ask a follow-up* launches a run on the same corpus linked to this one; the new run is
selected."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline import launch, state_folder
from pipeline.launch import LaunchHandle, LaunchStatus

REPORT = "app_pages/report.py"
NEW_QUESTION = "Who forwarded the pricing spreadsheet to a gmail address?"


def _fake_launches(monkeypatch, tmp_path) -> list:
    launched = []

    def fake_launch_rerun(run_id, chunk_id, sub_question, max_iterations, llm, **options):
        launched.append((run_id, chunk_id, sub_question, max_iterations, llm.mode))
        return LaunchHandle(run_name="rlm-rerun", pid=2**22 + 11, log_path=str(tmp_path / "log"),
                            started_at=datetime.now(UTC))  # fmt: skip

    def fake_launch_run(source_path, query, budget, llm, **options):
        launched.append((source_path, query, budget.max_chunks, budget.max_iterations, options))
        return LaunchHandle(run_name="rlm-follow-up", pid=2**22 + 12,
                            log_path=str(tmp_path / "log"), started_at=datetime.now(UTC))  # fmt: skip

    monkeypatch.setattr(launch, "launch_rerun", fake_launch_rerun)
    monkeypatch.setattr(launch, "launch_run", fake_launch_run)
    monkeypatch.setattr(
        launch, "launch_status", lambda handle, api_key=None: LaunchStatus("running")
    )
    monkeypatch.setattr(state_folder, "STATE_ROOT", tmp_path / "state")  # the audit log
    return launched


def test_rerun_this_chunk_launches_the_rerun(finished_run, open_page, monkeypatch, tmp_path):
    launched = _fake_launches(monkeypatch, tmp_path)
    at = open_page(REPORT, run_id=finished_run["run_id"])
    assert not at.exception
    assert at.selectbox(key="rerun_chunk").options == ["chunk_00", "chunk_01", "chunk_02"]
    assert at.number_input(key="rerun_max_iterations").value == 4

    at.button(key="rerun_launch").click().run()  # nothing changed: refused, nothing launched
    assert any("before rerunning" in e.value for e in at.error)
    assert launched == []

    at.selectbox(key="rerun_chunk").set_value("chunk_01").run()
    at.text_area(key="rerun_sub_question").input(NEW_QUESTION).run()
    at.number_input(key="rerun_max_iterations").set_value(9).run()
    at.button(key="rerun_launch").click().run()
    assert not at.exception
    assert launched == [(finished_run["run_id"], "chunk_01", NEW_QUESTION, 9, "deterministic")]
    assert at.session_state["selected_run"] == "rlm-rerun"


def test_ask_a_follow_up_launches_a_linked_run(finished_run, open_page, monkeypatch, tmp_path):
    launched = _fake_launches(monkeypatch, tmp_path)
    at = open_page(REPORT, run_id=finished_run["run_id"])
    at.button(key="follow_up_launch").click().run()  # no question yet: refused
    assert any("Write the follow" in e.value for e in at.error) and launched == []

    at.text_area(key="follow_up_query").input("Who received it at the gmail address?").run()
    at.button(key="follow_up_launch").click().run()
    assert not at.exception
    [(source, query, chunks, iterations, options)] = launched
    assert (source, query) == ("", "Who received it at the gmail address?")
    assert (chunks, iterations) == (3, 4)  # the original run's budget
    assert options["follow_up_of"] == finished_run["run_id"]
    assert at.session_state["selected_run"] == "rlm-follow-up"


def test_both_report_pages_link_a_follow_up_and_its_original(finished_run, open_page):
    from pipeline.run import run_pipeline
    from pipeline.schemas import Budget, LLMSettings
    from pipeline.steering import plan_follow_up

    original = finished_run["run_id"]
    follow_up, corpus_id = plan_follow_up(original)
    new_run = run_pipeline("", "Who received it?", Budget(max_chunks=2, max_iterations=2),
                           LLMSettings(), None, 10**8, fingerprint="unused",
                           corpus_id=corpus_id, follow_up=follow_up)  # fmt: skip

    at = open_page(REPORT, run_id=new_run)
    assert not at.exception
    name_tail = finished_run["run_name"].split("-")[-1]  # the caption escapes markdown ("\\-")
    assert any("Follow" in c.value and name_tail in c.value for c in at.caption)
    assert any(t.value.startswith("Previous question: Who sent") for t in at.text)
    at.button(key="link_follow_up_of").click().run()
    assert at.session_state["selected_run"] == original

    at = open_page(REPORT, run_id=original)
    assert any("Followed up by" in c.value for c in at.caption)
    at.button(key="link_follow_up_0").click().run()
    assert at.session_state["selected_run"] == new_run
