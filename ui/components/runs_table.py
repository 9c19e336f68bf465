"""Run history and side-by-side comparison of two runs."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.express as px
import streamlit as st

from pipeline import audit
from pipeline.cost_text import run_cost_text
from pipeline.views import RunView
from ui import auth, run_store
from ui.components import dashboard_links
from ui.components.safe_text import md_escape, short

STATUS_LABELS = {"stale": "stale (process gone)"}


def chunk_count(run: RunView) -> int:
    """Chunks of a run; history views carry only totals, full views carry the chunks."""
    return len(run.chunks) or (run.totals.chunks if run.totals else 0)


def history_frame(runs: Sequence[RunView]) -> pd.DataFrame:
    rows = [
        {
            "run": run.name,
            "status": STATUS_LABELS.get(run.status, run.status),
            "started": run.created_at,
            "query": short(run.query, 90),
            "chunks": chunk_count(run),
            "total cost": run_cost_text(run),
            "mode": run.mode,
            "model": run.model if run.mode == "llm" else "",
            "ZenML": dashboard_links.run_link(run),
        }
        for run in runs
    ]
    # Short columns before the query, so a laptop-wide table still shows each run's status.
    columns = ["run", "status", "started", "query", "chunks", "total cost", "mode", "model"]
    columns.append("ZenML")
    return dashboard_links.without_empty_links(pd.DataFrame(rows, columns=columns))


def run_label(run: RunView) -> str:
    return f"{run.name} · {run.status} · {short(run.query, 60)}"


def render_history(runs: Sequence[RunView]) -> None:
    st.dataframe(
        history_frame(runs),
        hide_index=True,
        key="runs_history",
        column_config={
            "started": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
            "query": st.column_config.TextColumn(width="large"),
            "ZenML": dashboard_links.link_column("run"),
        },
    )
    stale = [run for run in runs if run.status == "stale"]
    if stale:
        st.warning(
            f"{len(stale)} stale run(s): their process died before finishing (for example the "
            "machine restarted). Their finished chunks can still be inspected; launch again for "
            "a complete report."
        )
        if st.button(
            "Mark stale runs as failed",
            key="mark_stale",
            help="Records them as failed in the ZenML store, so its dashboard agrees; the "
            "reason is kept as the run's error.",
        ):
            _mark_failed(stale)


def _mark_failed(stale: Sequence[RunView]) -> None:
    refused = []
    for run in stale:
        if run_store.mark_stale(run.run_id):
            auth.record(audit.MARK_FAILED, corpus=run.source, run=run.name, detail=run.error)
        else:
            refused.append(run.name)
    if refused:
        st.warning(f"The store did not accept the change for: {md_escape(', '.join(refused))}")
    else:
        st.success(f"Marked {len(stale)} run(s) as failed.")


def _settings_and_totals(run: RunView) -> dict[str, object]:
    totals = run.totals
    return {
        "status": run.status,
        "mode": run.mode,
        "model": run.model if run.mode == "llm" else "(none)",
        "max chunks": run.max_chunks,
        "max iterations": run.max_iterations,
        "plan": run.plan_source,
        "chunks": len(run.chunks),
        "LLM calls": run.llm_calls,  # like cost: planning and synthesis included
        "tokens in": run.input_tokens,
        "tokens out": run.output_tokens,
        "cost": run_cost_text(run, digits=6),
        "duration (s)": round(run.wall_s, 1) if run.wall_s is not None else None,
        "chunks ran (s)": round(totals.duration_s, 2) if totals else None,
    }


def render_comparison(left: RunView, right: RunView) -> None:
    table = pd.DataFrame(
        {
            f"A: {left.name}": _settings_and_totals(left),
            f"B: {right.name}": _settings_and_totals(right),
        }
    ).astype(str)
    st.dataframe(table, key="compare_table", height=36 * (len(table) + 1) + 4)

    costs = pd.DataFrame(
        [
            {"run": f"{label}: {run.name}", "chunk": c.id, "cost_usd": c.cost_usd}
            for label, run in (("A", left), ("B", right))
            for c in run.chunks
            if c.cost_usd is not None  # unknown costs are not drawn as zero
        ],
        columns=["run", "chunk", "cost_usd"],
    )
    if not costs.empty:
        figure = px.bar(
            costs, x="chunk", y="cost_usd", color="run", barmode="group", title="Per-chunk cost"
        )
        figure.update_layout(height=280, margin={"l": 10, "r": 10, "t": 40, "b": 10})
        st.plotly_chart(figure, key="compare_cost_chart")

    columns = st.columns(2)
    for column, label, run in ((columns[0], "A", left), (columns[1], "B", right)):
        with column:
            st.markdown(f"**{label}: {md_escape(run.name)}**  \n{md_escape(run.query)}")
            report = run_store.report(run) if run.finished else None
            if report is None:
                st.caption("No report (yet).")
                continue
            for finding in report.findings:
                st.markdown(f"- *{finding.confidence}*: {md_escape(finding.text)}")
            if not report.findings:
                st.caption("No findings.")
