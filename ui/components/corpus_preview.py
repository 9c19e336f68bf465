"""The corpus the next run will read: ingestion of an upload or the bundled sample, a preview
(emails, date range, top senders, ingestion problems), and saving an upload for the pipeline.

Ingestion results are cached by the sha256 of the file's bytes; only a small summary is cached,
never the corpus itself. Uploaded bytes are kept in memory by Streamlit and written only to
`.rlm/uploads/<sha256>.<ext>` (owner-only, see `pipeline.state_folder`), which the background
pipeline reads; nothing else (no key, no settings) is written there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from pipeline import state_folder
from ui.components.safe_text import md_escape

if TYPE_CHECKING:
    from tools.ingest import IngestResult

UPLOAD_DIR = state_folder.STATE_ROOT / "uploads"
SUPPORTED_FORMATS = (
    "JSON, JSONL, CSV (named columns, Outlook, Thunderbird or raw RFC 822 `file,message`), "
    "mbox, .eml, Outlook .msg, Parquet, Arrow, or a .zip/.tar(.gz) of them"
)
_FORMAT_EXTENSIONS = {
    "json",
    "jsonl",
    "csv",
    "mbox",
    "eml",
    "msg",
    "zip",
    "tar",
    "parquet",
    "arrow",
}


@dataclass(frozen=True)
class CorpusPreview:
    """What an analyst sees of a corpus before launching (cheap to cache and pickle)."""

    source: str
    format: str
    emails: int
    first_date: str | None
    last_date: str | None
    top_senders: list[tuple[str, int]]
    problems: list[dict[str, str]] = field(default_factory=list)
    rejected: int = 0
    repaired: int = 0


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@st.cache_data(max_entries=16, show_spinner="Reading the corpus ...")
def preview_bytes(digest: str, filename: str, _data: bytes) -> CorpusPreview:
    """Ingest `_data` (cached by `digest`); raises `tools.ingest.IngestError` when unusable."""
    from tools.ingest import ingest_bytes

    return preview_of_result(ingest_bytes(_data, filename))


def preview_of_result(result: IngestResult) -> CorpusPreview:
    """The preview of an ingestion (a file, an upload or a folder)."""
    corpus = result.corpus
    dates = corpus.date_range()
    return CorpusPreview(
        source=str(result.source),
        format=str(result.format),
        emails=len(corpus),
        first_date=dates[0].date().isoformat() if dates else None,
        last_date=dates[1].date().isoformat() if dates else None,
        top_senders=corpus.top_senders(5),
        problems=[
            {
                "source": str(problem.source),
                "location": str(problem.location),
                "severity": str(problem.severity),
                "reason": str(problem.reason),
            }
            for problem in result.problems
        ],
        rejected=result.rejected_count,
        repaired=result.repaired_count,
    )


def preview_file(path: Path) -> CorpusPreview:
    data = path.read_bytes()
    return preview_bytes(sha256_of(data), path.name, data)


def save_upload(data: bytes, filename: str, detected_format: str) -> Path:
    """Store uploaded bytes content-addressed under .rlm/uploads; return the path."""
    suffix = Path(filename).suffix.lower().lstrip(".")
    ext = detected_format if detected_format in _FORMAT_EXTENSIONS else (suffix or "dat")
    path = state_folder.make_private_dir(UPLOAD_DIR) / f"{sha256_of(data)}.{ext}"
    if not path.exists():
        state_folder.write_private(path, data)
    return path


def render_corpus_preview(preview: CorpusPreview) -> None:
    """Counts, date range and top senders; the problems table when ingestion skipped anything."""
    st.metric("Emails", f"{preview.emails:,}")
    if preview.first_date:
        st.markdown(f"**{preview.first_date}** to **{preview.last_date}**")
    else:
        st.markdown("No dated emails")
    st.caption(f"{md_escape(preview.source)} · format {md_escape(preview.format)}")
    if preview.top_senders:
        # The count first: in a narrow column a long sender would push it out of view.
        senders = pd.DataFrame(
            [(count, sender) for sender, count in preview.top_senders],
            columns=["emails", "top senders"],
        )
        st.dataframe(senders, hide_index=True, key="corpus_top_senders", width="stretch")
    if preview.problems:
        st.warning(
            f"{preview.rejected} record(s) rejected and {preview.repaired} repaired while "
            "reading; the table says which and why. Everything else was read."
        )
        st.dataframe(pd.DataFrame(preview.problems), hide_index=True, key="corpus_problems")
