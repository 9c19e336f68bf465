"""Starting a run from the UI and reading why a start failed.

`start_run` saves an uploaded corpus (a library corpus needs no file), calls `pipeline.launch.launch_run` (a detached background
process, so closing the tab does not stop it), remembers the handle and the budget in session
state and selects the run. The API key is passed straight to `launch_run`; it is not stored in
the handle, the budget or anywhere on disk. When the workbench is exposed, the server's own key
reaches the run only if the operator shares it (`ui.auth.server_key_shared`). Every launch is
recorded in the audit log.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import streamlit as st

from pipeline import audit
from pipeline.eval.schemas import EvalSettings
from pipeline.schemas import ApprovedPlan, Budget, LLMSettings
from pipeline.views import RunView
from ui import auth, run_store, state
from ui.components.analysis_form import CorpusChoice

logger = logging.getLogger(__name__)


class LaunchFailed(RuntimeError):
    """The pipeline process could not be started; the message says why."""


def start_run(
    choice: CorpusChoice,
    query: str,
    budget: Budget,
    settings: LLMSettings,
    api_key: str | None,
    approved_plan: ApprovedPlan | None = None,
) -> str:
    """Launch the pipeline in the background (with the analyst's reviewed plan, if any);
    returns the run name (also selected)."""
    from pipeline.launch import launch_run

    if not query:
        raise LaunchFailed("Write a question (or pick an example) before launching.")
    source = "" if choice.corpus_id else str(choice.source_path())
    library = {"corpus_id": choice.corpus_id} if choice.corpus_id else {}
    run_store.ensure_store()
    try:
        handle = launch_run(
            source,
            query,
            budget,
            settings,
            api_key=api_key,
            share_server_key=auth.server_key_shared(),
            **library,
            **({"approved_plan": approved_plan} if approved_plan else {}),
        )
    except Exception as exc:
        logger.exception("launch_run failed")
        raise LaunchFailed(str(exc)) from exc
    logger.info("Launched run %s (pid %s)", handle.run_name, handle.pid)
    auth.record(
        audit.LAUNCH,
        corpus=choice.preview.source if choice.corpus_id else corpus_label(choice, Path(source)),
        run=handle.run_name,
        detail=f"{settings.mode} mode; question: {query}"
        + (f"; {'edited' if approved_plan.edited else 'reviewed'} plan" if approved_plan else ""),
    )
    return _launched(handle, budget)


def _launched(handle: Any, budget: Budget | None) -> str:
    """Remember the launch in session state and select its run; returns the run name."""
    st.session_state[state.ACTIVE_LAUNCH] = handle
    if budget is not None:
        st.session_state[state.LAUNCH_BUDGETS] = {
            **st.session_state.get(state.LAUNCH_BUDGETS, {}),
            handle.run_name: budget,
        }
    st.session_state[state.LAUNCH_ERROR] = None
    state.select_run(handle.run_name)
    return handle.run_name


def start_follow_up(run: RunView, question: str, api_key: str | None) -> str:
    """Launch a follow-up of the finished `run` on its corpus, with the session's model
    settings and the run's budget; returns the new run's name (also selected)."""
    from pipeline.launch import launch_run
    from ui.components.analysis_form import settings_from_form

    question = question.strip()
    if not question:
        raise LaunchFailed("Write the follow-up question first.")
    default = Budget()
    budget = Budget(
        max_chunks=run.max_chunks or default.max_chunks,
        max_iterations=run.max_iterations or default.max_iterations,
    )
    settings = settings_from_form(api_key)
    run_store.ensure_store()
    try:
        handle = launch_run(
            "", question, budget, settings, api_key=api_key,
            share_server_key=auth.server_key_shared(), follow_up_of=run.run_id,
        )  # fmt: skip
    except Exception as exc:
        logger.exception("launch_run (follow-up) failed")
        raise LaunchFailed(str(exc)) from exc
    auth.record(
        audit.LAUNCH,
        corpus=run.source,
        run=handle.run_name,
        detail=f"follow-up of {run.name}, {settings.mode} mode; question: {question}",
    )
    return _launched(handle, budget)


def start_rerun(
    run: RunView, chunk_id: str, sub_question: str, max_iterations: int, api_key: str | None
) -> str:
    """Launch the rerun of one chunk of the finished `run` in the background; returns the new
    run's name (also selected). Unchanged values are not sent."""
    from pipeline.launch import launch_rerun

    chunk = next((c for c in run.chunks if c.id == chunk_id), None)
    if chunk is None:
        raise LaunchFailed(f"Run {run.name} has no chunk {chunk_id}: pick one of its chunks.")
    question = " ".join(sub_question.split())
    question = question if question and question != chunk.sub_question else None
    if question is None and max_iterations == run.max_iterations:
        raise LaunchFailed("Change the sub-question or max iterations before rerunning.")
    settings = LLMSettings(mode="llm" if run.mode == "llm" else "deterministic")
    run_store.ensure_store()
    try:
        handle = launch_rerun(
            run.run_id, chunk_id, question, max_iterations, settings,
            api_key=api_key, share_server_key=auth.server_key_shared(),
        )  # fmt: skip
    except Exception as exc:
        logger.exception("launch_rerun failed")
        raise LaunchFailed(str(exc)) from exc
    auth.record(
        audit.LAUNCH,
        corpus=run.source,
        run=handle.run_name,
        detail=f"rerun of {chunk_id} of {run.name}; max iterations {max_iterations}"
        + (f"; sub-question: {question}" if question else ""),
    )
    return _launched(handle, None)


def start_evaluation(
    choice: CorpusChoice,
    questions_path: str,
    strategies: list[str],
    budget: Budget,
    settings: LLMSettings,
    eval_settings: EvalSettings,
    api_key: str | None,
) -> str:
    """Launch `pipeline.evaluate` in the background; returns the evaluation's run name."""
    from pipeline.launch import launch_evaluation

    if not strategies:
        raise LaunchFailed("Pick at least one strategy before launching.")
    if choice.path is None and choice.data is None:
        raise LaunchFailed("This library corpus's source file is gone: open the file itself.")
    source_path = choice.source_path()
    run_store.ensure_store()
    try:
        handle = launch_evaluation(
            str(source_path), questions_path, strategies, budget, settings, eval_settings,
            api_key=api_key, share_server_key=auth.server_key_shared(),
        )  # fmt: skip
    except Exception as exc:
        logger.exception("launch_evaluation failed")
        raise LaunchFailed(str(exc)) from exc
    logger.info("Launched evaluation %s (pid %s)", handle.run_name, handle.pid)
    auth.record(
        audit.LAUNCH,
        corpus=corpus_label(choice, source_path),
        run=handle.run_name,
        detail=f"evaluation, {settings.mode} mode; strategies: {', '.join(strategies)}",
    )
    st.session_state[state.EVAL_LAUNCH] = handle
    st.session_state[state.EVAL_SELECTED] = handle.run_name
    return handle.run_name


def corpus_label(choice: CorpusChoice, source_path: Path) -> str:
    """The corpus as the audit log names it: the analyst's file name and, for an upload, the
    content-addressed copy the run read."""
    name = choice.preview.source
    return name if source_path.name == name else f"{name} ({source_path.name})"


def launch_failure(handle: Any) -> str | None:
    """Why the launched process ended before its run showed up, or None while all is well.

    Returns one readable line (the CLI's `error: ...` line, or the last log line that is not
    part of a traceback) plus where the full log is; never the traceback itself.
    """
    from pipeline.launch import launch_status

    try:
        status = launch_status(handle, st.session_state.get(state.API_KEY) or None)
    except Exception as exc:  # a status read must never break the page
        logger.warning("launch_status failed: %s", exc)
        return None
    if status.state == "running" or status.exit_code == 0:
        return None
    return f"{error_line(status.error or '')} (full log: {handle.log_path})"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TRACEBACK_LINE = re.compile(r'^(Traceback|\s+File "|\s{2,}\S|\s*\^+\s*$|During handling)')


def error_line(log_tail: str) -> str:
    """The most telling line of a failed run's log: the CLI's `error:` line when there is one."""
    plain = _ANSI.sub("", log_tail)
    lines = [line.rstrip() for line in plain.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.lstrip().lower().startswith("error:"):
            return line.strip()[len("error:") :].strip()
    for line in reversed(lines):
        if not _TRACEBACK_LINE.match(line):
            return line.strip()
    return "the run process exited with an error"
