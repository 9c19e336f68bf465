"""The run tree in the pages (AppTest), on a real depth-2 deterministic run of a generated corpus
whose storyline makes every top-level chunk split into a child run: the indented progress table,
the Gantt chart by depth, the replay's `recurse` event leading to the child run's chunks, cost
per depth, and the sub-chunks behind a report finding."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from data.generate import generate
from data.storyline import QUESTION
from pipeline.launch import LaunchHandle
from ui import routes, state
from ui.components.run_tree import INDENT

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]


@pytest.fixture(scope="module")
def deep_run(zenml_store, tmp_path_factory) -> dict:
    from pipeline import runs
    from pipeline.run import run_pipeline
    from pipeline.schemas import Budget, LLMSettings

    source = tmp_path_factory.mktemp("tree-ui") / "mail.jsonl"
    generate(source, 2_000, storyline=150)
    budget = Budget(max_chunks=2, max_iterations=4, max_depth=2)
    run_id = run_pipeline(str(source), QUESTION, budget, LLMSettings(), "ui-tree-run", 10**8)
    view = runs.get_run(run_id)
    assert view.child_runs, "the storyline question must make the chunks split"
    return {"run_id": run_id, "view": view, "trajectories": runs.load_trajectories(view)}


def _clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_progress_is_an_indented_tree_with_each_chunks_child_run(open_page, deep_run):
    view = deep_run["view"]
    handle = LaunchHandle(
        run_name=view.name, pid=1, log_path="/nonexistent/stderr.log", started_at=datetime.now(UTC)
    )
    at = open_page()
    at.session_state[state.ACTIVE_LAUNCH] = handle
    at.switch_page(routes.NEW_ANALYSIS).run()
    _clean(at)
    table = next(frame.value for frame in at.dataframe if "depth" in frame.value.columns)
    assert list(table["chunk"]) == [
        c.id if c.depth == 1 else f"{INDENT}└ {c.id}" for c in view.chunks
    ]
    assert set(table["depth"]) == {1, 2}
    top = table[table["depth"] == 1]
    assert (top["split"] == "child run completed").all()
    assert set(table[table["depth"] == 2]["status"]) == {"done"}


def test_trajectories_group_the_gantt_by_depth_and_lead_from_recurse_to_the_child(
    open_page, deep_run
):
    at = open_page(routes.TRAJECTORIES, run_id=deep_run["run_id"])
    _clean(at)
    gantt = at.get("plotly_chart")[0].proto.spec
    assert "depth 1" in gantt and "depth 2" in gantt

    trajectory = deep_run["trajectories"]["chunk_00"]
    recurse = next(e for e in trajectory.events if e.kind == "recurse")
    at.session_state[state.TRAJECTORY_CHUNK] = "chunk_00"
    at.session_state[state.REPLAY_STEP] = recurse.seq + 1
    at.run()
    _clean(at)
    texts = "\n".join(m.value for m in at.markdown)
    assert "#### recurse" in texts and "**Child run:**" in texts
    child = next(c for c in deep_run["view"].child_runs if c.parent_chunk == "chunk_00")
    escaped = child.run_id.replace("-", "\\-")  # md_escape escapes "-" ...
    assert f"(id {escaped}, completed)" in texts  # ... so never inside a code span
    at.button(key="open_child_chunk_00").click().run()
    _clean(at)
    assert at.selectbox(key=state.TRAJECTORY_CHUNK).value == "chunk_00_00"
    assert next(m.value for m in at.markdown if m.value.startswith("**Step 1 of"))


def test_cost_dashboard_shows_cost_and_calls_per_depth(open_page, deep_run):
    at = open_page(routes.COST, run_id=deep_run["run_id"])
    _clean(at)
    table = next(f.value for f in at.dataframe if "p95 LLM calls" in f.value.columns)
    assert list(table["depth"]) == ["1", "2", "all"]
    view = deep_run["view"]
    counts = {str(d): sum(c.depth == d for c in view.chunks) for d in (1, 2)}
    assert table.set_index("depth")["chunks"].to_dict() == {**counts, "all": len(view.chunks)}


def test_report_names_the_sub_chunks_a_finding_came_from(open_page, deep_run):
    at = open_page(routes.REPORT, run_id=deep_run["run_id"])
    _clean(at)
    captions = [c.value for c in at.caption if c.value.startswith("From sub-chunks:")]
    assert captions and all("chunk\\_0" in c and "\\_0" in c.split(":", 1)[1] for c in captions)
