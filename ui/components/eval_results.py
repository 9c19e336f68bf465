"""The Evaluate page's results: live progress of a launched evaluation, the figures table and
charts, a per-question table with CSV export, one cell in detail, and two evaluations compared.
"""

from __future__ import annotations

import streamlit as st

from pipeline.eval.schemas import PIPELINE_STRATEGIES, CellResult
from pipeline.eval.views import EvaluationView
from ui import eval_store, routes, state
from ui.components import eval_charts
from ui.components.safe_text import md_escape
from ui.errors import show_error
from ui.launcher import launch_failure

JUDGES = {
    "model": "Answers judged by the configured model.",
    "lexical": "Answers judged lexically (no model configured): the share of the reference's "
    "numbers and names the answer repeats.",
    "none": "Answers not judged (no reference answers).",
}


@st.fragment(run_every=1)
def live_progress(run_key: str) -> None:
    """Cells done out of all, refreshed every second; the page reruns once it has finished."""
    view = eval_store.find_evaluation(run_key)
    if view is None:
        handle = st.session_state.get(state.EVAL_LAUNCH)
        failure = launch_failure(handle) if handle is not None else None
        if failure:
            show_error("The evaluation could not start.", failure)
        else:
            st.info("Starting the evaluation pipeline ...")
        return
    total = max(1, len(view.cells))
    finished = len(view.done_cells) + len(view.failed_cells)
    st.progress(finished / total, text=f"{finished} of {len(view.cells)} cells finished "
                f"({len(view.failed_cells)} failed) · {view.status}")  # fmt: skip
    if view.finished:
        st.rerun()


def pick_evaluation(evaluations: list[EvaluationView]) -> EvaluationView:
    by_id = {e.run_id: e for e in evaluations}
    wanted = st.session_state.get(state.EVAL_SELECTED)
    match = next((e.run_id for e in evaluations if wanted in (e.run_id, e.name)), None)
    if match is not None:
        st.session_state[state.EVAL_SELECTED] = match
    if st.session_state.get(state.EVAL_SELECTED) not in by_id:
        st.session_state[state.EVAL_SELECTED] = evaluations[0].run_id
    run_id = st.selectbox("Evaluation", list(by_id), format_func=lambda r: by_id[r].label,
                          key=state.EVAL_SELECTED)  # fmt: skip
    return eval_store.find_evaluation(run_id) or by_id[run_id]


def render_results(view: EvaluationView) -> list[CellResult]:
    """Figures, charts and the question table of a finished evaluation; returns its cells."""
    if view.status in ("failed", "stale"):
        show_error(f"The evaluation {view.status}.", view.error or "no error recorded")
    summary = eval_store.summary(view)
    cells = eval_store.cells(view)
    if summary is None:
        st.info("No summary yet: the evaluation has not finished.")
        return cells
    st.caption(f"{md_escape(view.question_set)} · {view.questions} questions · model "
               f"{md_escape(summary.model)} · {JUDGES[summary.judge]}")  # fmt: skip
    st.dataframe(eval_charts.strategy_frame(summary), hide_index=True, key="eval_strategies_table")
    left, middle, right = st.columns(3)
    left.plotly_chart(eval_charts.recall_cost_figure(summary), key="eval_recall_cost")
    middle.plotly_chart(eval_charts.kind_figure(summary), key="eval_kinds")
    right.plotly_chart(eval_charts.latency_figure(cells), key="eval_latency")
    if any(not f.cost_known for f in summary.strategies.values()):
        st.caption("Strategies with an unknown price are left out of *Recall vs cost*.")
    frame = eval_charts.question_frame(cells)
    st.dataframe(frame, hide_index=True, key="eval_questions_table")
    st.download_button("Download CSV", frame.to_csv(index=False), f"{view.name}.csv",
                       "text/csv", key="eval_csv")  # fmt: skip
    return cells


def render_cell(cells: list[CellResult]) -> None:
    """One cell in detail: answer, citations against the labels, what it cost and saw."""
    labels = {f"{c.strategy} · {c.question_id}": c for c in cells}
    if not labels:
        return
    key = st.selectbox("Cell", list(labels), key=state.EVAL_CELL)
    cell = labels[key]
    st.markdown(f"**{md_escape(cell.question_id)}** ({md_escape(cell.kind)}): "
                f"{md_escape(cell.question)}")  # fmt: skip
    if cell.error:
        show_error("This cell failed.", cell.error)
    st.markdown(f"**Answer:** {md_escape(cell.answer, max_chars=3000) or '(none)'}")
    relevant = set(cell.relevant_ids)
    marks = [f"{md_escape(i)} {'✓' if i in relevant else '✗'}" for i in cell.cited_ids]
    st.markdown(f"**Cited:** {', '.join(marks) or '(nothing)'}")
    missed = [md_escape(i) for i in cell.relevant_ids if i not in set(cell.cited_ids)]
    st.markdown(f"**Relevant, not cited:** {', '.join(missed) or '(none)'}")
    if cell.correct is not None:
        st.markdown(f"**Judged ({cell.judge}):** {'correct' if cell.correct else 'wrong'}: "
                    f"{md_escape(cell.judge_reason)}")  # fmt: skip
    if cell.strategy in PIPELINE_STRATEGIES and cell.run_id:
        links = st.container(horizontal=True)
        if links.button("Open its report", key="eval_open_report", type="primary"):
            state.select_run(cell.run_id)
            st.switch_page(routes.REPORT)
        if links.button("Open its trajectories", key="eval_open_trajectories"):
            state.select_run(cell.run_id)
            st.switch_page(routes.TRAJECTORIES)
    elif cell.calls:
        st.markdown("**Trajectory** (every model call of this cell):")
        st.dataframe([c.model_dump(exclude={"request_id"}) for c in cell.calls],
                     hide_index=True, key="eval_cell_calls")  # fmt: skip
    shown = {k: v for k, v in cell.detail.items() if k != "left_out_ids"}
    if shown:
        st.json(shown, expanded=False)


def render_comparison(evaluations: list[EvaluationView]) -> None:
    finished = [e for e in evaluations if e.status == "completed"]
    if len(finished) < 2:
        st.caption("Run a second evaluation (for example with another model) to compare.")
        return
    by_id = {e.run_id: e for e in finished}
    left, right = st.columns(2)
    a = left.selectbox("Evaluation A", list(by_id), format_func=lambda r: by_id[r].label,
                       key=state.EVAL_COMPARE_A)  # fmt: skip
    b = right.selectbox("Evaluation B", list(by_id), index=1, key=state.EVAL_COMPARE_B,
                        format_func=lambda r: by_id[r].label)  # fmt: skip
    summaries = eval_store.summary(by_id[a]), eval_store.summary(by_id[b])
    if None in summaries:
        st.info("One of them has no summary.")
        return
    st.dataframe(eval_charts.comparison_frame(*summaries), hide_index=True,
                 key="eval_comparison_table")  # fmt: skip
