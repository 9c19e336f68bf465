"""Evaluate: run strategies (rlm, direct, rag, deterministic) on labelled questions and compare
their recall, precision, cost and latency; drill into any cell; compare two evaluations."""

import streamlit as st

from ui import eval_store, launcher, state
from ui.components import analysis_form, eval_form, eval_results
from ui.errors import page_guard, show_error

st.title("Evaluate")

with page_guard("the evaluation form"), st.expander("New evaluation", expanded=True):
    choice = analysis_form.render_corpus_picker()
    qset = eval_form.render_question_set(choice) if choice is not None else None
    settings, api_key = analysis_form.render_model_settings()
    st.markdown(analysis_form.mode_line(settings))
    if qset is not None:
        ids, strategies = eval_form.render_selection(qset, settings)
        budget = analysis_form.render_budget_controls()
        eval_settings = eval_form.render_baseline_settings()
        ready = bool(ids and strategies)
        if st.button("Launch evaluation", type="primary", key="launch_evaluation",
                     disabled=not ready):  # fmt: skip
            questions = eval_form.subset_file(qset, ids)
            try:
                launcher.start_evaluation(choice, str(questions), strategies, budget, settings,
                                          eval_settings, api_key)  # fmt: skip
            except launcher.LaunchFailed as exc:
                show_error("The evaluation could not start.", str(exc))

with page_guard("the evaluation results"):
    handle = st.session_state.get(state.EVAL_LAUNCH)
    launched = eval_store.find_evaluation(handle.run_name) if handle else None
    if handle is not None and (launched is None or not launched.finished):
        st.subheader(f"Progress of {handle.run_name}")
        eval_results.live_progress(handle.run_name)
    evaluations = eval_store.list_evaluations()
    if not evaluations:
        st.info("No evaluation yet: pick a question set and launch one above.")
        st.stop()
    st.subheader("Results")
    view = eval_results.pick_evaluation(evaluations)
    cells = eval_results.render_results(view)
    st.subheader("One cell")
    eval_results.render_cell(cells)
    st.subheader("Compare two evaluations")
    eval_results.render_comparison(evaluations)
