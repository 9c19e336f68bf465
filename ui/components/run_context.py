"""The selected run, shared by every page: the sidebar card and `require_run()` for pages that
need a run to show anything."""

from __future__ import annotations

import streamlit as st

from pipeline.cost_text import run_cost_text
from pipeline.views import RunView
from ui import routes, run_store, state
from ui.components import dashboard_links
from ui.components.safe_text import md_escape, short

STATUS_BADGES = {
    "initializing": ("initializing", "gray"),
    "running": ("running", "blue"),
    "completed": ("completed", "green"),
    "failed": ("failed", "red"),
    "stale": ("stale", "orange"),
}


def render_sidebar_run() -> None:
    """Name, status and question of the selected run (or a hint when there is none)."""
    st.sidebar.markdown("**Selected run**")
    run_key = state.selected_run_id()
    if not run_key:
        st.sidebar.caption("None yet: launch one on New analysis or open one from Runs.")
        return
    run = run_store.find_run(run_key)
    if run is None:
        st.sidebar.caption(f"{md_escape(run_key)} · starting ...")
        return
    label, color = STATUS_BADGES.get(run.status, (run.status, "gray"))
    st.sidebar.markdown(f"**{md_escape(run.name)}**")
    st.sidebar.badge(label, color=color)
    st.sidebar.caption(md_escape(short(run.query, 120)))
    tokens = run.input_tokens + run.output_tokens
    st.sidebar.caption(f"Cost {md_escape(run_cost_text(run))} · {tokens:,} tokens")
    dashboard_links.render_run_link(run, key="dashboard_run_link", sidebar=True)


def require_run() -> RunView:
    """The selected run; otherwise a hint with a way forward, and the page stops."""
    run_key = state.selected_run_id()
    if not run_key:
        st.info("No run selected yet. Launch an analysis, or open a past run from Runs.")
        if st.button("Go to New analysis", key="goto_new_analysis"):
            st.switch_page(routes.NEW_ANALYSIS)
        st.stop()
    run = run_store.find_run(run_key)
    if run is None:
        st.info(
            f"Run {md_escape(run_key)} is not in the store yet (it may still be starting). "
            "Its progress is on New analysis."
        )
        st.stop()
    return run
