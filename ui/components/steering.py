"""Steering a finished run from its Report page: the links to the runs it came from or led to,
the *Ask a follow-up* and *Rerun this chunk* forms (`pipeline.steering` does the work in the
launched run)."""

from __future__ import annotations

import streamlit as st

from pipeline.schemas import MAX_ITERATIONS_RANGE
from pipeline.steering import RunLink, run_links
from pipeline.views import RunView
from ui import launcher, routes, state
from ui.components.safe_text import md_escape, short


def render_run_links(run: RunView) -> None:
    """Captions with an *Open* button for each linked run (rerun of, reruns, follow-ups)."""
    links = run_links(run.run_id)
    if links.rerun_of is not None:
        _link(f"Rerun of {links.rerun_chunk or 'a chunk'} of", links.rerun_of, "link_rerun_of")
    if links.follow_up_of is not None:
        _link("Follow-up of", links.follow_up_of, "link_follow_up_of")
        with st.expander("Context given to this run: the previous question and answer"):
            st.text(links.follow_up_context or "(none recorded)")
    for n, link in enumerate(links.reruns):
        _link("Rerun as", link, f"link_rerun_{n}")
    for n, link in enumerate(links.follow_ups):
        _link("Followed up by", link, f"link_follow_up_{n}")


def _link(text: str, link: RunLink, key: str) -> None:
    row = st.container(horizontal=True, vertical_alignment="center")
    row.caption(f"{md_escape(text)} run **{md_escape(link.run_name or link.run_id)}**")
    if row.button("Open", key=key):
        state.select_run(link.run_id)
        st.rerun()


def render_rerun_form(run: RunView) -> None:
    """Pick a chunk, give it a new sub-question and/or more iterations, launch the rerun: a new
    run that takes every other chunk from cache."""
    if not run.finished or not run.chunks:
        return
    with st.expander("Rerun this chunk", expanded=False):
        st.caption(
            "A new run with one chunk redone: the other chunks are reused from cache, and the "
            "new run links back to this one."
        )
        ids = [c.id for c in run.chunks]
        chunk_id = st.selectbox("Chunk", ids, key="rerun_chunk")
        chunk = next(c for c in run.chunks if c.id == chunk_id)
        st.caption(f"Its sub-question: {md_escape(short(chunk.sub_question, 300))}")
        question = st.text_area(
            "New sub-question (leave empty to keep it)", key="rerun_sub_question", height=80
        )
        iterations = st.number_input(
            "Max iterations for this chunk",
            *MAX_ITERATIONS_RANGE,
            value=run.max_iterations or MAX_ITERATIONS_RANGE[0],
            key="rerun_max_iterations",
        )
        if st.button("Rerun this chunk", key="rerun_launch", type="primary"):
            try:
                launcher.start_rerun(
                    run, chunk_id, question, int(iterations),
                    st.session_state.get(state.API_KEY) or None,
                )  # fmt: skip
            except launcher.LaunchFailed as error:
                st.error(f"The rerun could not start: {md_escape(str(error))}")
                return
            st.switch_page(routes.NEW_ANALYSIS)


def render_follow_up_form(run: RunView) -> None:
    """Ask a follow-up on the same corpus: the new run gets this run's question and answer as
    context (planner and synthesis) and links back to it."""
    if not run.finished:
        return
    with st.expander("Ask a follow-up", expanded=False):
        st.caption(
            "A new run on the same corpus (nothing is ingested again), with the model settings "
            "of New analysis and this run's budget. With a model, its planner and synthesis "
            "read this run's question and answer as context."
        )
        question = st.text_area("Follow-up question", key="follow_up_query", height=80)
        if st.button("Ask the follow-up", key="follow_up_launch", type="primary"):
            try:
                launcher.start_follow_up(run, question, st.session_state.get(state.API_KEY) or None)
            except launcher.LaunchFailed as error:
                st.error(f"The follow-up could not start: {md_escape(str(error))}")
                return
            st.switch_page(routes.NEW_ANALYSIS)
