"""Per-chunk progress of a run: status, elapsed time, LLM calls and running cost.

`render_progress(run)` draws the table for any run; `live_progress(run_key)` is a fragment that
re-reads the run every second (only the fragment reruns, not the page) until the run finishes,
then reruns the page once so it can offer the Report and Trajectories.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from pipeline.cost_text import (
    chunk_cost_text,
    run_cost_known,
    run_cost_text,
    run_cost_usd,
    short_cost_text,
)
from pipeline.views import ChunkView, RunView
from ui import run_store, state
from ui.components import dashboard_links
from ui.components.run_tree import split_text, tree_label
from ui.components.safe_text import md_escape
from ui.errors import show_error
from ui.launcher import launch_failure


def _elapsed_s(chunk: ChunkView, now: datetime) -> float:
    if chunk.status == "running" and chunk.started_at is not None:
        started = chunk.started_at
        if started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        return max(0.0, (now - started).total_seconds())
    return chunk.duration_s


def progress_frame(run: RunView, now: datetime | None = None) -> pd.DataFrame:
    """One row per chunk, plain text and numbers (st.dataframe renders cells as text)."""
    now = now or datetime.now(UTC)
    rows = [
        {
            "chunk": tree_label(chunk),
            "depth": chunk.depth,
            "status": chunk.status,
            "emails": chunk.size,
            "period": chunk.label,
            "elapsed (s)": round(_elapsed_s(chunk, now), 1),
            "LLM calls": chunk.llm_calls,
            "cost": chunk_cost_text(chunk, run.model, digits=5),
            "matches": chunk.matches,
            "split": split_text(chunk),
            "error": chunk.error or "",
            "ZenML": dashboard_links.chunk_link(run, chunk),
        }
        for chunk in run.chunks
    ]
    columns = [
        "chunk",
        "depth",
        "status",
        "emails",
        "period",
        "elapsed (s)",
        "LLM calls",
        "cost",
        "matches",
        "split",
        "error",
        "ZenML",
    ]
    return dashboard_links.without_empty_links(pd.DataFrame(rows, columns=columns))


def render_progress(run: RunView) -> None:
    total = len(run.chunks)
    finished = sum(1 for c in run.chunks if c.status in ("done", "cached", "failed"))
    label = f"{finished} of {total} chunks finished · run {run.status}"
    if run.child_runs:
        depth = max(c.depth for c in run.chunks)
        label += f" · {len(run.child_runs)} child runs, depth {depth} of {run.max_depth}"
    st.progress(finished / total if total else 0.0, text=label)
    cols = st.columns(3)
    cols[0].metric("LLM calls", run.llm_calls)
    cols[1].metric("Cost so far", short_cost_text(run_cost_usd(run), run_cost_known(run)))
    cols[2].metric("Mode", run.mode or "…")
    if not run_cost_known(run):
        st.caption(f"Cost so far: {md_escape(run_cost_text(run))}")
    if total:
        st.dataframe(
            progress_frame(run),
            hide_index=True,
            key="progress_table",
            column_config={"ZenML": dashboard_links.link_column("step")},
        )
    else:
        st.caption("Planning the decomposition ...")
    if run.status in ("failed", "stale") and run.error:
        show_error(f"The run {run.status}.", run.error)


@st.fragment(run_every=1)
def live_progress(run_key: str) -> None:
    """Refreshing progress of the run `run_key` (a name right after launch, or an id)."""
    run = run_store.find_run(run_key)
    if run is None:
        handle = st.session_state.get(state.ACTIVE_LAUNCH)
        failure = launch_failure(handle) if handle is not None else None
        if failure:
            show_error("The run could not start.", failure)
            return
        st.info("Starting the pipeline (first start of the ZenML store takes a few seconds) ...")
        return
    render_progress(run)
    if run.finished:
        st.rerun()
