"""Cached reads of evaluations from the ZenML store, for the Evaluate page.

A finished evaluation never changes, so its view, cells and summary are cached by run id; a
running one is always read fresh (as `ui.run_store` does for analysis runs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from ui.run_store import ensure_store

if TYPE_CHECKING:
    from pipeline.eval.schemas import CellResult, EvaluationSummary
    from pipeline.eval.views import EvaluationView

_CACHE_ENTRIES = 32


def _store():
    ensure_store()
    from pipeline.eval import store

    return store


@st.cache_data(ttl=2, show_spinner=False)
def list_evaluations(limit: int = 50) -> list[EvaluationView]:
    return _store().list_evaluations(limit=limit)


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def _finished(run_id: str) -> EvaluationView:
    return _store().get_evaluation(run_id)


def find_evaluation(run_key: str | None) -> EvaluationView | None:
    """The evaluation named or with id `run_key`, or None while it is not in the store."""
    if not run_key:
        return None
    try:
        view = _finished(run_key)
    except (KeyError, LookupError, ValueError):
        return None
    if not view.finished:
        _finished.clear(run_key)
    return view


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def _cells(run_id: str) -> list[CellResult]:
    return _store().load_cells(run_id)


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def _summary(run_id: str) -> EvaluationSummary | None:
    return _store().load_summary(run_id)


def cells(view: EvaluationView) -> list[CellResult]:
    return _cells(view.run_id) if view.finished else _store().load_cells(view.run_id)


def summary(view: EvaluationView) -> EvaluationSummary | None:
    return _summary(view.run_id) if view.finished else None
