"""Entry points: `ingest_path` / `ingest_bytes` read a file (or, for `ingest_path`, a folder)
of any supported format into a `Corpus` plus the list of problems met on the way, as an
`IngestResult`. Archives, Parquet and Arrow files are read from the open file, piece by piece;
other formats are read into memory.

Bad records never stop an ingestion; `IngestError` is raised only when nothing usable comes
out: an unreadable, empty, oversized or unrecognised file, or zero valid emails.

Reading pauses the cyclic garbage collector: hundreds of thousands of new long-lived objects
otherwise trigger repeated full collections that double the ingestion time. Nothing built here
forms reference cycles that need it, and the previous state is restored afterwards.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tools.env import MEGABYTE, megabytes_from_env
from tools.ingest.assemble import EmailAssembler
from tools.ingest.detect import FORMATS, SNIFF_BYTES, detect_format
from tools.ingest.problems import IngestError, IngestProblem, ProblemLog
from tools.ingest.progress import IngestProgress
from tools.ingest.readers import STREAM_FORMATS, ReadContext, reader_for, stream_reader_for
from tools.ingest.readers.folder_reader import read_folder
from tools.models import Corpus

logger = logging.getLogger(__name__)

MAX_UPLOAD_ENV = "RLM_MAX_UPLOAD_MB"
DEFAULT_MAX_MB = 200

DEFAULT_MAX_BYTES = megabytes_from_env(MAX_UPLOAD_ENV, DEFAULT_MAX_MB)


class IngestResult(BaseModel):
    """The corpus read from one file and every problem met while reading it.

    `rejected_count` / `repaired_count` are the true totals; `problems` keeps the first
    occurrences of each kind of problem in full and folds the rest into one line per kind.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    corpus: Corpus
    problems: list[IngestProblem]
    source: str
    format: str
    rejected_count: int = 0
    repaired_count: int = 0

    def summary(self) -> dict[str, Any]:
        date_range = self.corpus.date_range()
        return {
            "source": self.source,
            "format": self.format,
            "emails": len(self.corpus),
            "date_range": [d.isoformat() for d in date_range] if date_range else None,
            "top_senders": [[sender, count] for sender, count in self.corpus.top_senders(5)],
            "problems": self.rejected_count + self.repaired_count,
            "rejected": self.rejected_count,
            "repaired": self.repaired_count,
        }


def format_megabytes(n_bytes: float) -> str:
    return f"{n_bytes / MEGABYTE:.1f} MB" if n_bytes % MEGABYTE else f"{n_bytes // MEGABYTE:.0f} MB"


def check_size(size: int, source: str, max_bytes: int) -> None:
    """Raise IngestError naming the limit when `size` bytes of `source` are over `max_bytes`."""
    if size > max_bytes:
        raise IngestError(
            f"{source} is {size / MEGABYTE:.1f} MB; the limit is {format_megabytes(max_bytes)} "
            f"(set {MAX_UPLOAD_ENV})"
        )


def ingest_path(
    path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> IngestResult:
    """Read an email file (format detected from content and extension) or a folder of them
    (walked recursively, see `tools.ingest.readers.folder_reader`) into a corpus."""
    file_path = Path(path)
    source = file_path.name or str(file_path)
    try:
        if file_path.is_dir():
            return _ingest(
                source, lambda context: read_folder(file_path, source, context), max_bytes,
                size=_folder_size(file_path),
            )  # fmt: skip
        size = file_path.stat().st_size
        check_size(size, source, max_bytes)
        with file_path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
            format_name = detect_format(head, source) if head.strip() else None
            if format_name in STREAM_FORMATS:
                handle.seek(0)
                read_stream = stream_reader_for(format_name)
                return _ingest(
                    source, lambda context: read_stream(handle, source, context), max_bytes,
                    size=size,
                )  # fmt: skip
            data = head + handle.read()
    except OSError as error:
        raise IngestError(f"cannot read {file_path}: {error.strerror or error}") from None
    return ingest_bytes(data, source, max_bytes=max_bytes)


def ingest_bytes(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> IngestResult:
    """Read the bytes of an email file called `filename` (used for messages and detection)."""
    source = filename or "upload"
    check_size(len(data), source, max_bytes)
    if not data.strip():
        raise IngestError(f"{source} is empty")
    format_name = detect_format(data, source)
    if format_name is None:
        raise IngestError(
            f"{source}: unknown format; expected one of {', '.join(FORMATS)} "
            f"(JSON, JSON Lines, CSV, mbox, .eml, Outlook .msg, zip or tar archives, Parquet, "
            f"Arrow)"
        )
    read = reader_for(format_name)
    return _ingest(source, lambda context: read(data, source, context), max_bytes, size=len(data))


def _folder_size(folder: Path) -> int:
    return sum(item.stat().st_size for item in folder.rglob("*") if item.is_file())


def _ingest(
    source: str, read: Callable[[ReadContext], str], max_bytes: int, *, size: int = 0
) -> IngestResult:
    """Run one reader with a fresh problem log and assembler; the corpus and its problems.
    A large input logs its progress (`tools.ingest.progress`)."""
    log = ProblemLog()
    assembler = EmailAssembler(log)
    assembler.progress = progress = IngestProgress.for_size(source, size)
    if progress is not None:
        progress.phase("parsing")
    context = ReadContext(assembler=assembler, log=log, max_bytes=max_bytes)
    try:
        with _gc_paused():
            read_format = read(context)
    except IngestError as error:
        error.problems = [*log.problems(), *error.problems]
        raise
    except RecursionError:
        raise IngestError(
            f"{source}: structure nested too deeply to read", log.problems()
        ) from None
    if not assembler.emails:
        raise IngestError(_nothing_usable(source, log), log.problems())
    logger.info("ingested %d emails from %s (%s)", len(assembler.emails), source, read_format)
    if progress is not None:
        progress.phase("sorting by date")
    with _gc_paused():
        corpus = Corpus(assembler.emails)
    if progress is not None:
        progress.phase("read")
    return IngestResult(
        corpus=corpus,
        problems=log.problems(),
        source=source,
        format=read_format,
        rejected_count=log.rejected,
        repaired_count=log.repaired,
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _nothing_usable(source: str, log: ProblemLog) -> str:
    first = log.first_rejection()
    if first is None:
        return f"no usable emails in {source}: it holds no email records"
    where = first.location if first.source == source else f"{first.source} {first.location}"
    return (
        f"no usable emails in {source}: {log.rejected:,} record{'s' if log.rejected != 1 else ''} "
        f"rejected, first: {where}: {first.reason}"
    )
