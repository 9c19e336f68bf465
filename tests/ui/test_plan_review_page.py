"""Reviewing the plan on New analysis through AppTest: the plan is made in the page, shown chunk
by chunk, a bad edit is refused with what is wrong, and an edited plan reaches the launcher."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipeline import launch, state_folder
from pipeline.launch import LaunchHandle, LaunchStatus

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")
QUERY = "Who decided to defer the Lakeside valve replacement?"


def test_an_edited_plan_is_checked_and_launched(zenml_store, monkeypatch, tmp_path):
    launched = []

    def fake_launch_run(source_path, query, budget, llm, **options):
        launched.append(options)
        return LaunchHandle(run_name="rlm-reviewed", pid=2**22 + 9, log_path=str(tmp_path / "log"),
                            started_at=datetime.now(UTC))  # fmt: skip

    monkeypatch.setattr(launch, "launch_run", fake_launch_run)
    monkeypatch.setattr(
        launch, "launch_status", lambda handle, api_key=None: LaunchStatus("running")
    )
    monkeypatch.setattr(state_folder, "STATE_ROOT", tmp_path / "state")  # the audit log

    at = AppTest.from_file(APP, default_timeout=120).run()
    at.text_area(key="query").input(QUERY).run()
    at.toggle(key="review_plan").set_value(True).run()
    assert not at.button(key="make_plan").disabled
    assert "launch" not in [b.key for b in at.button]  # the plan comes first
    at.button(key="make_plan").click().run()
    assert not at.exception and not at.error
    ends = [at.number_input(key=f"plan_end_{i}").value for i in range(3)]
    assert ends == sorted(ends) and 0 < ends[0] < 359  # 4 chunks: 3 movable boundaries
    assert at.text_area(key="plan_q_0").value == QUERY

    at.number_input(key="plan_end_0").set_value(ends[1] + 5).run()  # past the next boundary
    assert any("overlaps the previous chunk" in e.value for e in at.error)
    assert at.button(key="approve_plan").disabled

    at.number_input(key="plan_end_0").set_value(50).run()
    at.text_area(key="plan_q_0").input("Who first reported the MV-7 wall loss?").run()
    assert not at.error
    approve = at.button(key="approve_plan")
    assert approve.label == "Approve the edited plan and launch"
    approve.click().run()

    (options,) = launched
    plan = options["approved_plan"]
    assert plan.edited and plan.source == "deterministic"
    assert [(c.start, c.end) for c in plan.chunks][:2] == [(0, 50), (50, ends[1])]
    assert plan.chunks[0].sub_question == "Who first reported the MV-7 wall loss?"
    assert plan.chunks[-1].end == 359 and at.session_state["plan_draft"] is None


def test_without_review_the_page_launches_at_once(zenml_store):
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert at.toggle(key="review_plan").value is False
    assert at.button(key="launch").label == "Launch analysis"
    assert not [b for b in at.button if b.key in ("make_plan", "approve_plan")]
