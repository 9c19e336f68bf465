"""Cached reads of runs from the ZenML store, for the pages.

Finished runs never change, so their view, report, trajectories and emails are cached with
`st.cache_data`, keyed by run id (the `_run` argument is left out of the cache key). Running
runs are always read fresh: a cache entry is only ever created for a run that had finished when
it was read. The `pipeline.runs` module is imported lazily so that importing the UI does not
import ZenML before `pipeline.zenml_env.configure()` has run.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

import streamlit as st

from pipeline.views import RunView

if TYPE_CHECKING:
    from pipeline.agent.schemas import Trajectory
    from pipeline.schemas import ChunkResult, Report
    from tools.corpus_index import CorpusIndex
    from tools.models import Corpus, Email

logger = logging.getLogger(__name__)

_CACHE_ENTRIES = 64
HEADER_FIELDS = ("date", "sender", "subject")  # what a tooltip says of an email


def _runs():
    ensure_store()
    from pipeline import runs

    return runs


def _open_store() -> None:
    """Import ZenML and open (on first use: create and migrate) the store."""
    from pipeline import (
        runs,  # noqa: F401 - the slow import, done here once
        zenml_env,
    )

    zenml_env.open_store()


def _open_store_logged() -> None:
    try:
        _open_store()
    except Exception:  # the page that needs the store reports the problem
        logger.warning("Opening the ZenML store in the background failed", exc_info=True)


@st.cache_resource(show_spinner=False)
def _warm_up_thread() -> threading.Thread:
    thread = threading.Thread(target=_open_store_logged, name="zenml-warm-up", daemon=True)
    thread.start()
    return thread


def warm_up() -> None:
    """Start opening the store in the background, once per server process, so the first page
    that reads a run does not pay for the slow ZenML import."""
    _warm_up_thread()


def ensure_store() -> None:
    """Wait for the store to be open. Every store read goes through here, and so does a launch,
    so the background run never races this process over creating a fresh database."""
    _warm_up_thread().join()
    _open_store()  # instant once open; raises the real error if the warm-up failed


class RunNotFound(LookupError):
    """The selected run is not (or not yet) in the store."""


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def _finished_run(run_id: str) -> RunView:
    return _runs().get_run(run_id)


def get_run(run_id: str) -> RunView:
    """The run's current view; finished runs come from the cache."""
    try:
        view = _finished_run(run_id)
    except KeyError as exc:
        raise RunNotFound(f"No run called {run_id!r} in the store.") from exc
    if not view.finished:
        _finished_run.clear(run_id)  # never keep a running run
    return view


def find_run(run_id: str | None) -> RunView | None:
    """Like `get_run`, but None when the run is unknown (e.g. just launched, not registered)."""
    if not run_id:
        return None
    try:
        return get_run(run_id)
    except (RunNotFound, LookupError, ValueError):
        return None


@st.cache_data(ttl=2, show_spinner=False)
def list_runs(limit: int = 50) -> list[RunView]:
    """Run history, newest first (refreshed every couple of seconds)."""
    return _runs().list_runs(limit=limit)


def mark_stale(run_id: str) -> bool:
    """Mark a stale run failed in the store (see pipeline.runs.mark_stale); refreshes the lists."""
    marked = _runs().mark_stale(run_id)
    list_runs.clear()
    _finished_run.clear(run_id)
    return marked


# --- Artifacts: cached for finished runs only ---------------------------------------------------


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def _report(run_id: str, _run: RunView) -> Report | None:
    return _runs().load_report(_run)


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def _report_markdown(run_id: str, _run: RunView) -> str | None:
    return _runs().load_report_markdown(_run)


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def _report_html(run_id: str, _run: RunView) -> str | None:
    return _runs().load_report_html(_run)


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def _trajectories(run_id: str, _run: RunView) -> dict[str, Trajectory]:
    return _runs().load_trajectories(_run)


@st.cache_data(max_entries=_CACHE_ENTRIES, show_spinner=False)
def _chunk_results(run_id: str, _run: RunView) -> dict[str, ChunkResult]:
    return _runs().load_chunk_results(_run)


@st.cache_data(max_entries=1024, show_spinner=False)
def _headers(run_id: str, email_ids: tuple[str, ...], _run: RunView) -> dict[str, dict]:
    return _runs().load_fields(_run, email_ids, HEADER_FIELDS)


@st.cache_data(max_entries=1024, show_spinner=False)
def _emails(run_id: str, email_ids: tuple[str, ...], _run: RunView) -> dict[str, Email]:
    return _runs().load_emails(_run, email_ids)


def report(run: RunView) -> Report | None:
    return _report(run.run_id, run) if run.finished else _runs().load_report(run)


def report_markdown(run: RunView) -> str | None:
    return _report_markdown(run.run_id, run) if run.finished else None


def report_html(run: RunView) -> str | None:
    return _report_html(run.run_id, run) if run.finished else None


def trajectories(run: RunView) -> dict[str, Trajectory]:
    if run.finished:
        return _trajectories(run.run_id, run)
    return _runs().load_trajectories(run)


def chunk_results(run: RunView) -> dict[str, ChunkResult]:
    """Every chunk's own result at every depth (what each sub-chunk found)."""
    if run.finished:
        return _chunk_results(run.run_id, run)
    return _runs().load_chunk_results(run)


def recent_finished_runs(limit: int = 30) -> list[RunView]:
    """Full views (with chunks) of the newest finished runs; each read is cached."""
    return [get_run(run.run_id) for run in list_runs(limit) if run.finished]


# --- The analyst's desk: the run's corpus, its index, several emails at once --------------------


@st.cache_resource(max_entries=8, show_spinner=False)
def _corpus(run_id: str, _run: RunView) -> Corpus | None:
    return _runs().load_corpus(_run)


def corpus(run: RunView) -> Corpus | None:
    """The run's corpus, lazy (a `StoredCorpus`: nothing but its summary is read yet)."""
    return _corpus(run.run_id, run) if run.finished else _runs().load_corpus(run)


@st.cache_resource(max_entries=8, show_spinner="Indexing the corpus (once per corpus) ...")
def _corpus_index(fingerprint: str, _corpus: Corpus) -> CorpusIndex:
    from pipeline.desk import corpus_index as load_or_build

    return load_or_build(_corpus)


def corpus_index(run: RunView) -> CorpusIndex | None:
    """Dates, people and threads of the run's corpus, stored beside it (built on first use)."""
    loaded = corpus(run)
    return None if loaded is None else _corpus_index(loaded.fingerprint(), loaded)


def email_headers(run: RunView, email_ids: list[str]) -> dict[str, dict]:
    """Date, sender and subject of emails of a finished run's corpus, by id (cached; only those
    columns of their row groups are read, so this stays cheap on a big corpus)."""
    return _headers(run.run_id, tuple(email_ids), run) if run.finished else {}


def emails(run: RunView, email_ids: list[str]) -> dict[str, Email]:
    """Several emails of the run's corpus (only their row groups are read)."""
    if run.finished:
        return _emails(run.run_id, tuple(email_ids), run)
    return _runs().load_emails(run, email_ids)
