"""Reviewing the plan before fan-out (opt-in on New analysis): the plan is made here, in the UI's
process (`pipeline.decompose.make_plan`, the same code the plan step runs), shown as chunks with
their email ranges, date ranges, sizes and sub-questions, and can be edited (boundaries and
sub-questions) before the run is launched with it. The run's plan step checks the approved plan
again and records whether it was edited.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from pipeline.approved_plan import approved_from_plan
from pipeline.decompose import make_plan, plan_problems, range_label
from pipeline.schemas import ApprovedPlan, Budget, LLMSettings
from tools.models import Corpus
from ui import auth, launcher, state
from ui.components.analysis_form import CorpusChoice
from ui.components.safe_text import md_escape
from ui.errors import show_error


def make_draft(
    choice: CorpusChoice, query: str, budget: Budget, llm: LLMSettings, api_key: str | None
) -> None:
    """Ingest the corpus here, make its plan and keep it as the draft the editor shows."""
    from pipeline.agent.llm import LLMClient

    corpus, source = _corpus_of(choice)
    client = None
    if llm.mode == "llm":
        shared = os.environ.get("OPENAI_API_KEY") if auth.server_key_shared() else None
        client = LLMClient(llm, api_key=api_key or shared)
    max_chunks = budget.clamped().max_chunks
    plan, _ = make_plan(corpus, query, max_chunks, llm, client=client)
    for key in [k for k in st.session_state if str(k).startswith(("plan_end_", "plan_q_"))]:
        del st.session_state[key]
    for index, spec in enumerate(plan.chunks):
        st.session_state[f"plan_end_{index}"] = spec.end
        st.session_state[f"plan_q_{index}"] = spec.sub_question
    st.session_state[state.PLAN_DRAFT] = {
        "plan": plan,
        "query": query,
        "source": source,
        "size": len(corpus),
        "max_chunks": max_chunks,
        "dates": corpus.column("date"),
    }


def _source_key(choice: CorpusChoice) -> str:
    return f"library:{choice.corpus_id}" if choice.corpus_id else str(choice.source_path())


def _corpus_of(choice: CorpusChoice) -> tuple[Corpus, str]:
    """The corpus the run will read: the library's stored one, or the file ingested here."""
    if choice.corpus_id:
        from pipeline import library
        from ui import run_store

        run_store.ensure_store()
        return library.corpus_artifact(choice.corpus_id).load(), _source_key(choice)
    from tools.ingest import ingest_path

    return ingest_path(choice.source_path()).corpus, _source_key(choice)


def render_editor(draft: dict[str, Any]) -> ApprovedPlan | None:
    """One row per chunk (last email position and sub-question editable); the approved plan,
    or None while the edits do not make a valid plan (the problems are shown)."""
    plan, size, dates = draft["plan"], draft["size"], draft["dates"]
    st.markdown(f"**Plan** ({plan.source}): {len(plan.chunks)} chunks over {size:,} emails")
    chunks: list[tuple[int, int, str]] = []
    start = 0
    for index, spec in enumerate(plan.chunks):
        last = index == len(plan.chunks) - 1
        with st.container(border=True, key=f"plan_chunk_{index}"):
            left, right = st.columns([1, 3])
            if last:
                end = size
                left.markdown(f"**{spec.id}**  \nemails {start:,} to the end")
            else:
                end = int(
                    left.number_input(
                        f"{spec.id} ends before email", 1, size, key=f"plan_end_{index}"
                    )
                )
            dated = [d for d in dates[start:end] if d is not None]
            left.caption(
                f"{max(end - start, 0):,} emails · {range_label((min(dated), max(dated)) if dated else None)}"
            )
            question = right.text_area("Sub-question", key=f"plan_q_{index}", height=68)
        chunks.append((start, end, question))
        start = end
    problems = plan_problems([(a, b) for a, b, _ in chunks], size, draft["max_chunks"])
    problems += [
        f"{plan.chunks[i].id} has no sub-question" for i, c in enumerate(chunks) if not c[2].strip()
    ]
    for problem in problems:
        st.error(
            f"The plan cannot be used: {md_escape(problem)}. Move the boundaries so every email is in one chunk."
        )
    return None if problems else approved_from_plan(plan, chunks)


def render_review(
    choice: CorpusChoice | None, query: str, budget: Budget, llm: LLMSettings, api_key: str | None
) -> None:
    """Make the plan, edit it, approve and launch."""
    ready = choice is not None and bool(query)
    if st.button("Make the plan", key="make_plan", disabled=not ready):
        try:
            with st.spinner("Reading the corpus and planning the chunks ..."):
                make_draft(choice, query, budget, llm, api_key)
        except Exception as exc:  # ingest or model errors: say what to do next
            show_error("The plan could not be made.", str(exc))
    draft = st.session_state.get(state.PLAN_DRAFT)
    if not ready or not draft:
        return
    if draft["query"] != query or draft["source"] != _source_key(choice):
        st.caption("The corpus or the question changed: make the plan again.")
        return
    approved = render_editor(draft)
    label = (
        "Approve the edited plan and launch"
        if approved and approved.edited
        else "Approve and launch"
    )
    if st.button(label, type="primary", key="approve_plan", disabled=approved is None):
        try:
            launcher.start_run(choice, query, budget, llm, api_key, approved_plan=approved)
        except launcher.LaunchFailed as exc:
            show_error("The run could not start.", str(exc))
        else:
            st.session_state[state.PLAN_DRAFT] = None
            st.rerun()  # the sidebar, drawn before the click, names the new run
