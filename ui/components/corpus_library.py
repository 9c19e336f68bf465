"""The corpus library on New analysis: every corpus ingested before, to analyse again without
reading its source, and a way to remove one.

Entries come from `pipeline.library` (the ZenML store); the page keeps only the picked id in
session state (`state.LIBRARY_CORPUS`).
"""

from __future__ import annotations

import logging

import streamlit as st

from pipeline import library
from pipeline.library import LibraryEntry
from ui import state
from ui.components.corpus_preview import CorpusPreview
from ui.errors import show_error

logger = logging.getLogger(__name__)


def render_library_picker() -> LibraryEntry | None:
    """The library as a table and a picker; returns the picked entry (None when empty)."""
    try:
        entries = library.entries()
    except Exception as exc:  # the store is unreachable or broken: say so, keep the page
        logger.warning("library listing failed: %s", exc)
        show_error(
            "The corpus library could not be read.",
            str(exc),
            advice="Retry, or pick the sample or an upload.",
        )
        return None
    if not entries:
        st.info(
            "The library is empty: every corpus an analysis ingests (the sample, an upload, a "
            "file given to the CLI) is kept here, so a later question on it skips ingestion."
        )
        return None
    st.dataframe(
        [_row(entry) for entry in entries], hide_index=True, key="library_table", width="stretch"
    )
    by_id = {entry.id: entry for entry in entries}
    if st.session_state.get(state.LIBRARY_CORPUS) not in by_id:
        st.session_state[state.LIBRARY_CORPUS] = entries[0].id
    picked_id = st.selectbox(
        "Library corpus",
        options=list(by_id),
        format_func=lambda corpus_id: _label(by_id[corpus_id]),
        key=state.LIBRARY_CORPUS,
    )
    picked = by_id[picked_id]
    st.button(
        "Remove from the library",
        key="library_remove",
        on_click=_remove,
        args=(picked.id,),
        help="Later analyses of this content ingest it again; past runs keep their corpus.",
    )
    return picked


def preview_of(entry: LibraryEntry) -> CorpusPreview:
    """The preview panel's view of a library corpus (no reading of the corpus itself)."""
    return CorpusPreview(
        source=f"{entry.name} (library, {entry.id[:8]})",
        format="stored corpus",
        emails=entry.emails,
        first_date=entry.first_date,
        last_date=entry.last_date,
        top_senders=[],
    )


def _remove(corpus_id: str) -> None:
    try:
        library.remove(corpus_id)
    except Exception as exc:
        logger.warning("library removal failed: %s", exc)
        show_error("The corpus could not be removed.", str(exc), advice="Retry in a moment.")
        return
    st.session_state[state.LIBRARY_CORPUS] = None


def _label(entry: LibraryEntry) -> str:
    return f"{entry.name} · {entry.emails:,} emails · {entry.id[:8]}"


def _row(entry: LibraryEntry) -> dict[str, object]:
    return {
        "name": entry.name,
        "emails": entry.emails,
        "from": (entry.first_date or "")[:10],
        "to": (entry.last_date or "")[:10],
        "size (MB)": round(entry.size_bytes / 1e6, 1),
        "source": entry.source,
        "ingested": entry.ingested_at.strftime("%Y-%m-%d %H:%M"),
        "analyses": entry.uses,
        "id": entry.id[:8],
    }
