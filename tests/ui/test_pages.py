"""Every page through AppTest: renders without exception, widgets drive state, and a real
finished run (made once with the CLI, deterministic mode) shows up in Report, Trajectories,
Cost and Runs."""

from __future__ import annotations

import pytest

from ui import routes, state
from ui.components.safe_text import md_escape

pytestmark = pytest.mark.pipeline


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [t.value for t in at.text]
    parts += [e.value for e in (*at.info, *at.warning, *at.error, *at.success, *at.caption)]
    return "\n".join(str(p) for p in parts)


def _assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert "Traceback" not in _texts(at)


@pytest.mark.parametrize("page", [routes.REPORT, routes.TRAJECTORIES, routes.COST])
def test_run_pages_without_a_selected_run_say_what_to_do(open_page, page):
    at = open_page(page)
    _assert_clean(at)
    assert "No run selected yet" in _texts(at)
    assert at.button(key="goto_new_analysis")


def test_report_page_shows_the_finished_run_and_opens_a_cited_email(open_page, finished_run):
    at = open_page(routes.REPORT, run_id=finished_run["run_id"])
    _assert_clean(at)
    report = finished_run["report"]
    rendered = _texts(at)
    assert "Findings" in [s.value for s in at.subheader]
    first_id = report["findings"][0]["evidence_ids"][0]
    assert first_id.replace("-", "\\-") in [b.label for b in at.button]
    assert len(at.get("download_button")) == 3
    assert finished_run["run_name"].replace("-", "\\-") in rendered  # sidebar card

    at.button(key="finding_0_0").click().run()
    _assert_clean(at)
    assert any(
        f"Email id:** {first_id.replace('-', chr(92) + '-')}" in m.value for m in at.markdown
    )
    assert at.text, "the email body is shown as text"


def test_trajectories_page_replays_a_chunk_and_switches_chunks(open_page, finished_run):
    at = open_page(routes.TRAJECTORIES, run_id=finished_run["run_id"])
    _assert_clean(at)
    chunk_ids = [c["id"] for c in finished_run["chunks"]]
    assert at.selectbox(key="trajectory_chunk").options == chunk_ids
    assert at.get("plotly_chart"), "Gantt and timeline charts"

    def step() -> str:
        return next(m.value for m in at.markdown if m.value.startswith("**Step"))

    assert step().startswith("**Step 1 of")
    at.button(key="replay_forward").click().run()
    at.button(key="replay_forward").click().run()
    assert step().startswith("**Step 3 of")
    at.button(key="replay_back").click().run()
    assert step().startswith("**Step 2 of")
    assert at.session_state["replay_step"] == 2

    at.selectbox(key="trajectory_chunk").select(chunk_ids[-1]).run()
    _assert_clean(at)
    assert step().startswith("**Step 1 of")


def test_cost_page_explains_zero_cost_of_a_deterministic_run(open_page, finished_run):
    at = open_page(routes.COST, run_id=finished_run["run_id"])
    _assert_clean(at)
    assert any("deterministic mode" in i.value for i in at.info)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Total cost"] == "$0.0000" and metrics["LLM calls"] == "0"
    assert len(at.get("plotly_chart")) >= 4


def test_runs_page_lists_opens_and_compares_runs(open_page, finished_run):
    at = open_page(routes.RUNS)
    _assert_clean(at)
    # the audit log's table comes first when the log has entries: find the tables by content
    history = next(d.value for d in at.dataframe if "chunks" in d.value.columns)
    row = history[history["run"] == finished_run["run_name"]].iloc[0]
    assert row["chunks"] == len(finished_run["chunks"]) and row["mode"] == "deterministic"

    at.selectbox(key="run_picker").select(finished_run["run_id"]).run()
    at.button(key="open_run").click().run()
    assert at.session_state["selected_run"] == finished_run["run_id"]
    assert at.success
    # the sidebar, drawn before the page, names the run on the same rerun as the click
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert md_escape(finished_run["run_name"]) in sidebar, sidebar
    assert "None yet" not in " ".join(c.value for c in at.sidebar.caption)
    at.run()  # the confirmation is said once
    assert not at.success and at.session_state["selected_run"] == finished_run["run_id"]
    # the store may hold other tests' runs: compare the finished run with itself explicitly
    at.selectbox(key=state.COMPARE_A).select(finished_run["run_id"]).run()
    at.selectbox(key=state.COMPARE_B).select(finished_run["run_id"]).run()
    compare = next(d.value for d in at.dataframe if "chunks" in d.value.index)
    assert compare.loc["chunks"].tolist() == [str(len(finished_run["chunks"]))] * 2
    # the run's own duration, from launch to end, holds the span its chunks ran in
    wall, chunks_ran = (
        float(compare.loc[row].iloc[0]) for row in ("duration (s)", "chunks ran (s)")
    )
    assert wall >= chunks_ran > 0, (wall, chunks_ran)

    at.switch_page(routes.REPORT).run()  # the opened run shows on the other pages
    _assert_clean(at)
    assert len(at.get("download_button")) == 3
