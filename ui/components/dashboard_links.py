"""Links from the workbench into ZenML's own dashboard (served by run_ui.sh, or the ZenML
server's when the store is one): a run's DAG, and each chunk's step. Nothing is shown when no
dashboard is available (RLM_DASHBOARD_PORT=0 and a local store)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pipeline import dashboard
from pipeline.views import ChunkView, RunView

LINK_TEXT = "Open in ZenML dashboard"


def run_link(run: RunView) -> str | None:
    return dashboard.run_url(run.run_id)


def chunk_link(run: RunView, chunk: ChunkView) -> str | None:
    return dashboard.step_url(chunk.run_id or run.run_id, chunk.step_id)  # child runs: their own


def render_run_link(run: RunView, *, key: str, sidebar: bool = False) -> None:
    """A link to the run's DAG (every chunk step; click one for its metadata and artifacts)."""
    url = run_link(run)
    if url is None:
        return
    place = st.sidebar if sidebar else st
    place.link_button(
        LINK_TEXT,
        url,
        key=key,
        icon=":material/account_tree:",
        help="ZenML's own dashboard: the run's DAG with every chunk step; click a step for its "
        "metadata, artifacts and logs.",
    )


def render_chunk_link(run: RunView, chunk_id: str, *, key: str) -> None:
    """A link to one chunk's step run in the dashboard."""
    chunk = next((c for c in run.chunks if c.id == chunk_id), None)
    url = chunk_link(run, chunk) if chunk else None
    if url is not None:
        st.link_button(
            f"{chunk_id} in ZenML dashboard", url, key=key, icon=":material/open_in_new:"
        )


def link_column(text: str) -> st.column_config.LinkColumn:
    """Column config for a table column of dashboard URLs (`run_link`, `chunk_link`)."""
    return st.column_config.LinkColumn("ZenML", display_text=text, width="small")


def without_empty_links(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` without its "ZenML" column when no row has a link (no dashboard running), so the
    table does not show a column of "None"."""
    if "ZenML" in frame and frame["ZenML"].isna().all():
        return frame.drop(columns="ZenML")
    return frame
