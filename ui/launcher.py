"""Starting a run from the UI and reading why a start failed.

`start_run` saves an uploaded corpus, calls `pipeline.launch.launch_run` (a detached background
process, so closing the tab does not stop it), remembers the handle and the budget in session
state and selects the run. The API key is passed straight to `launch_run`; it is not stored in
the handle, the budget or anywhere on disk.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from pipeline.schemas import Budget, LLMSettings
from ui import state
from ui.components.analysis_form import CorpusChoice

logger = logging.getLogger(__name__)


class LaunchFailed(RuntimeError):
    """The pipeline process could not be started; the message says why."""


def start_run(
    choice: CorpusChoice, query: str, budget: Budget, settings: LLMSettings, api_key: str | None
) -> str:
    """Launch the pipeline in the background; returns the run name (also selected)."""
    from pipeline.launch import launch_run

    if not query:
        raise LaunchFailed("Write a question (or pick an example) before launching.")
    source_path = choice.source_path()
    try:
        handle = launch_run(str(source_path), query, budget, settings, api_key=api_key)
    except Exception as exc:
        logger.exception("launch_run failed")
        raise LaunchFailed(str(exc)) from exc
    logger.info("Launched run %s (pid %s)", handle.run_name, handle.pid)
    st.session_state[state.ACTIVE_LAUNCH] = handle
    st.session_state[state.LAUNCH_BUDGETS] = {
        **st.session_state.get(state.LAUNCH_BUDGETS, {}),
        handle.run_name: budget,
    }
    st.session_state[state.LAUNCH_ERROR] = None
    state.select_run(handle.run_name)
    return handle.run_name


def launch_failure(handle: Any) -> str | None:
    """Why the launched process ended before registering a run, or None while all is well."""
    from pipeline.launch import launch_status

    try:
        status = launch_status(handle)
    except Exception as exc:  # a status read must never break the page
        logger.warning("launch_status failed: %s", exc)
        return None
    error = getattr(status, "error", None)
    if error:
        return str(error)
    return None
