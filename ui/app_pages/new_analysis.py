"""New analysis: pick or upload a corpus, ask a question, set the budget, launch, watch progress."""

import streamlit as st

from ui import launcher, routes, run_store, state
from ui.components import analysis_form, plan_review
from ui.components.corpus_preview import render_corpus_preview
from ui.components.progress_table import live_progress, render_progress
from ui.errors import page_guard, show_error

st.title("New analysis")

with page_guard("the new analysis form"):
    form, preview = st.columns([3, 2], gap="large")
    with form:
        choice = analysis_form.render_corpus_picker()
        query = analysis_form.render_query_box()
        budget = analysis_form.render_budget_controls()
        settings, api_key = analysis_form.render_model_settings()
        st.markdown(analysis_form.mode_line(settings))
        ready = choice is not None and bool(query)
        if st.toggle("Review the plan before fan-out", key=state.REVIEW_PLAN):
            plan_review.render_review(choice, query, budget, settings, api_key)
        elif st.button("Launch analysis", type="primary", key="launch", disabled=not ready):
            try:
                launcher.start_run(choice, query, budget, settings, api_key)
            except launcher.LaunchFailed as exc:
                show_error("The run could not start.", str(exc))
            else:
                st.rerun()  # the sidebar, drawn before the click, names the new run
        if not ready:
            st.caption("Choose a corpus and write a question to launch.")
    with preview:
        if choice is not None:
            st.subheader("Corpus")
            render_corpus_preview(choice.preview)

with page_guard("the run's progress"):
    handle = st.session_state.get(state.ACTIVE_LAUNCH)
    if handle is not None:
        st.divider()
        st.subheader(f"Progress of {handle.run_name}")
        run = run_store.find_run(handle.run_name)
        if run is not None and run.finished:
            render_progress(run)
            links = st.container(horizontal=True)
            if links.button("Open the report", key="open_report", type="primary"):
                state.select_run(handle.run_name)
                st.switch_page(routes.REPORT)
            if links.button("Open the trajectories", key="open_trajectories"):
                state.select_run(handle.run_name)
                st.switch_page(routes.TRAJECTORIES)
        else:
            live_progress(handle.run_name)
