"""A run as a tree (recursion): indented chunk labels, cost and calls per depth, the child run
behind a chunk that split, and which sub-chunks a report finding came from.

Plain functions of views where possible (testable without Streamlit); `render_*` place things
on the page. Every chunk at every depth is a `ChunkView` of the root run's view.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from pipeline.agent.schemas import Trajectory, TrajectoryEvent
from pipeline.schemas import ChunkResult, ReportFinding
from pipeline.views import ChunkView, RunView
from ui import state
from ui.components.safe_text import md_escape

INDENT = "\u2003"  # an em space: st.dataframe keeps leading spaces of this kind


def tree_label(chunk: ChunkView) -> str:
    """`chunk_03_01` shown under its parent: indented once per level below the top."""
    if chunk.depth <= 1:
        return chunk.id
    return f"{INDENT * (chunk.depth - 1)}└ {chunk.id}"


def split_text(chunk: ChunkView) -> str:
    """What became of a chunk's split: its child run and that run's status."""
    if chunk.child_run_id:
        return f"child run {chunk.child_status or '…'}"
    return "asked to split" if chunk.split_reason else ""


def depth_frame(run: RunView) -> pd.DataFrame:
    """Chunks, cost, calls and the p95 of per-chunk cost and calls, per depth and overall."""
    columns = ["depth", "chunks", "cost (USD)", "LLM calls", "p95 cost (USD)", "p95 LLM calls"]
    if not run.chunks:
        return pd.DataFrame([], columns=columns)
    frame = pd.DataFrame(
        [{"depth": c.depth, "cost": c.cost_usd or 0.0, "calls": c.llm_calls} for c in run.chunks]
    )
    rows = []
    groups = [(str(depth), group) for depth, group in frame.groupby("depth")]
    for name, group in [*groups, ("all", frame)]:
        rows.append(
            {
                "depth": name,
                "chunks": len(group),
                "cost (USD)": float(group["cost"].sum()),
                "LLM calls": int(group["calls"].sum()),
                "p95 cost (USD)": float(group["cost"].quantile(0.95)),
                "p95 LLM calls": float(group["calls"].quantile(0.95)),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def render_depth_summary(run: RunView) -> None:
    """The per-depth table of the Cost dashboard (only for runs that went below depth 1)."""
    if not any(c.depth > 1 for c in run.chunks):
        return
    st.subheader("Per depth")
    st.dataframe(
        depth_frame(run),
        hide_index=True,
        key="cost_per_depth",
        column_config={
            "cost (USD)": st.column_config.NumberColumn(format="$%.4f"),
            "p95 cost (USD)": st.column_config.NumberColumn(format="$%.4f"),
        },
    )
    st.caption(
        f"{len(run.child_runs)} child runs; the p95 in the 'all' row is over every chunk at "
        "every depth."
    )


def finding_sources(
    finding: ReportFinding, results: Mapping[str, ChunkResult]
) -> dict[str, list[str]]:
    """Top-level chunk -> the deepest chunks whose own findings cite the finding's emails."""
    cited = set(finding.evidence_ids)
    sources: dict[str, list[str]] = {}
    for chunk_id, result in sorted(results.items()):
        if result.sub_chunks or result.finding is None:
            continue  # a chunk that recursed speaks through its sub-chunks
        if cited & set(result.finding.relevant_ids):
            top = chunk_id.split("_")[:2]
            sources.setdefault("_".join(top), []).append(chunk_id)
    return sources


def render_finding_sources(finding: ReportFinding, results: Mapping[str, ChunkResult]) -> None:
    sources = finding_sources(finding, results)
    leaves = [leaf for chunks in sources.values() for leaf in chunks]
    if any("_" in leaf.removeprefix("chunk_") for leaf in leaves):
        st.caption("From sub-chunks: " + ", ".join(md_escape(leaf) for leaf in leaves))


def recurse_event(trajectory: Trajectory) -> TrajectoryEvent | None:
    return next((e for e in trajectory.events if e.kind == "recurse"), None)


def _open_child(chunk: ChunkView, first_child_chunk: str | None) -> None:
    if first_child_chunk is not None:
        st.session_state[state.TRAJECTORY_CHUNK] = first_child_chunk
        st.session_state[state.REPLAY_STEP] = 1


def render_child_link(run: RunView, event: TrajectoryEvent, chunk_id: str) -> None:
    """Under a `recurse` event: the child run it started, and a way into its chunks."""
    chunk = next((c for c in run.chunks if c.id == chunk_id), None)
    if chunk is None or event.kind != "recurse":
        return
    if not chunk.child_run_id:
        st.caption("No child run was started for this split (see the report's evidence gaps).")
        return
    children = [c.id for c in run.chunks if c.parent == chunk_id]
    st.markdown(
        f"**Child run:** {md_escape(chunk.child_run_name or '')} "
        f"(id {md_escape(chunk.child_run_id)}, {md_escape(chunk.child_status or '')}) · "
        f"{len(children)} sub-chunks"
    )
    st.button(
        "Replay the child run's chunks",
        key=f"open_child_{chunk_id}",
        on_click=_open_child,
        args=(chunk, children[0] if children else None),
        disabled=not children,
    )
