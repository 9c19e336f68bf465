"""Corpus ingestion: JSON, JSON Lines, CSV (named columns, Outlook and Thunderbird exports, or
raw-RFC 822 `file,message` exports), mbox, .eml, Outlook .msg, Parquet and Arrow files, zip and
tar archives of them, and folders of any of these, into a validated `Corpus`, with a report of
every record that was rejected or repaired and every file that was skipped.

    result = ingest_path("emails.csv")
    result.corpus, result.problems, result.summary()

Pure Python: no streamlit, zenml or openai imports. Command line: `python -m tools.ingest PATH`.
"""

from tools.ingest.core import (
    DEFAULT_MAX_BYTES,
    IngestResult,
    check_size,
    ingest_bytes,
    ingest_path,
)
from tools.ingest.problems import IngestError, IngestProblem

__all__ = [
    "DEFAULT_MAX_BYTES",
    "IngestError",
    "IngestProblem",
    "IngestResult",
    "check_size",
    "ingest_bytes",
    "ingest_path",
]
