"""Runs: history from the ZenML store, open a past run in the other pages, compare two runs,
and the audit log of launches, exports and runs marked failed."""

import streamlit as st

from ui import run_store, state
from ui.components.audit_view import render_audit_log
from ui.components.runs_table import render_comparison, render_history, run_label
from ui.components.safe_text import md_escape
from ui.errors import page_guard


def _open_picked() -> None:
    state.select_run(st.session_state.get(state.RUN_PICKER))
    st.session_state[state.RUN_OPENED] = True


st.title("Runs")

with page_guard("the audit log"):
    render_audit_log()

with page_guard("the run history"):
    runs = run_store.list_runs()
    if not runs:
        st.info("No runs yet: launch one on New analysis.")
        st.stop()
    render_history(runs)
    by_id = {run.run_id: run for run in runs}

    picked, open_button = st.columns([4, 1], vertical_alignment="bottom")
    picked.selectbox(
        "Run", list(by_id), format_func=lambda rid: run_label(by_id[rid]), key=state.RUN_PICKER
    )
    # a callback, so the sidebar (drawn before this page) already shows the run it opened
    open_button.button(
        "Open this run", key="open_run", type="primary", width="stretch", on_click=_open_picked
    )
    opened = state.selected_run_id()
    if st.session_state.pop(state.RUN_OPENED, False) and opened in by_id:
        st.success(f"Opened {md_escape(by_id[opened].name)}: see Report, Trajectories and Cost.")

    st.subheader("Compare two runs")
    left, right = st.columns(2)
    options = list(by_id)
    a = left.selectbox(
        "Run A", options, format_func=lambda rid: run_label(by_id[rid]), key=state.COMPARE_A
    )
    b = right.selectbox(
        "Run B",
        options,
        index=min(1, len(options) - 1),
        format_func=lambda rid: run_label(by_id[rid]),
        key=state.COMPARE_B,
    )
    render_comparison(run_store.get_run(a), run_store.get_run(b))
