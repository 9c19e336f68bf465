"""A corpus kept in a Parquet file (written by `Corpus.write_parquet`) until a slice is asked for.

`StoredCorpus` reads nothing but its summary (count, fingerprint, date range) until asked:
`slice(start, end)` reads only the row groups of that range, `column(name)` reads one column,
`get(id)` finds the position from the id column and reads one row group. A worker therefore
loads only its own slice, whatever the corpus size and wherever the file lives (`opener` may
open it from any filesystem). Pure Python: no streamlit, zenml or openai imports.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import pyarrow.parquet as pq

from tools.models import (
    DIGEST_FIELD,
    Corpus,
    Email,
    column_values,
    fingerprint_of,
    row_group_spans,
)

logger = logging.getLogger(__name__)

Opener = Callable[[], IO[bytes]]


class StoredCorpus(Corpus):
    """A corpus whose emails stay in a Parquet file until a slice, column or id is asked for.

    Methods that need every email (iteration, `emails`, the inherited helpers) load the whole
    corpus once, with a log line; the chunk steps never do.
    """

    def __init__(
        self,
        opener: Opener,
        summary: dict[str, Any],
        *,
        offset: int = 0,
        keep: object = None,
        path: str | None = None,
    ):
        self._opener = opener
        self.path = path  # where the file is, when that is a path (another process may read it)
        self._keep = keep  # e.g. the temporary directory holding the file, removed with us
        self._summary = summary
        self._lock = threading.Lock()
        self._loaded: tuple[Email, ...] | None = None
        self._positions: dict[str, int] | None = None
        self.offset = offset

    # Everything inherited from Corpus reads `_emails`: make that the (lazy) full load.
    @property
    def _emails(self) -> tuple[Email, ...]:  # type: ignore[override]
        with self._lock:
            if self._loaded is None:
                logger.info("loading all %d emails of a stored corpus", len(self))
                with self._opener() as handle:
                    self._loaded = Corpus.read_parquet(handle).emails
            return self._loaded

    @classmethod
    def from_file(
        cls, path: str | Path, summary: dict[str, Any], *, keep: object = None
    ) -> StoredCorpus:
        """A stored corpus over a local Parquet file; `keep` is held as long as the corpus is."""
        file_path = Path(path)
        return cls(lambda: file_path.open("rb"), summary, keep=keep, path=str(file_path))

    def open_parquet(self) -> IO[bytes]:
        """The Parquet file itself, for copying it elsewhere without loading it."""
        return self._opener()

    def __len__(self) -> int:
        return int(self._summary["emails"])

    def __iter__(self) -> Iterator[Email]:
        return iter(self._emails)

    def __repr__(self) -> str:
        return f"StoredCorpus({len(self)} emails)"

    def slice(self, start: int, end: int) -> Corpus:
        """Positions [start, end), reading only the row groups that hold them."""
        with self._opener() as handle:
            return Corpus.read_parquet(handle, start, end)

    def column(self, name: str) -> list[Any]:
        """One field of every email, in corpus order (reads one Parquet column)."""
        if name not in Email.model_fields:
            raise KeyError(f"unknown email field {name!r}")
        with self._opener() as handle:
            return column_values(pq.read_table(handle, columns=[name]).column(name))

    def column_range(self, name: str, start: int, end: int) -> list[Any]:
        """One field of the emails at positions [start, end), reading only their row groups."""
        if name not in Email.model_fields:
            raise KeyError(f"unknown email field {name!r}")
        values: list[Any] = []
        with self._opener() as handle:
            pfile = pq.ParquetFile(handle)
            for span in row_group_spans(pfile.metadata, max(0, start), min(end, len(self))):
                column = pfile.read_row_group(span.index, columns=[name]).column(0)
                values += column.slice(span.first, span.count).to_pylist()
        return values

    def get(self, email_id: str) -> Email | None:
        return self.get_many([email_id]).get(email_id)

    def get_many(self, email_ids: Iterable[str]) -> dict[str, Email]:
        """The emails with these ids (missing ids are left out), reading only their row groups."""
        positions = self._id_positions()
        found: dict[str, Email] = {}
        wanted = sorted({positions[i] for i in email_ids if i in positions})
        if not wanted:
            return found
        with self._opener() as handle:
            for position in wanted:
                email = Corpus.read_parquet(handle, position, position + 1).emails[0]
                found[email.id] = email
        return found

    def fields_many(
        self, email_ids: Iterable[str], names: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Some fields of the emails with these ids (missing ids are left out), reading only
        those columns of their row groups: headers without bodies, at any corpus size."""
        unknown = [name for name in names if name not in Email.model_fields]
        if unknown:
            raise KeyError(f"unknown email field(s) {unknown}")
        positions = self._id_positions()
        wanted = sorted({positions[i] for i in email_ids if i in positions})
        found: dict[str, dict[str, Any]] = {}
        if not wanted:
            return found
        by_group: dict[int, list[int]] = {}  # row group -> rows within it
        with self._opener() as handle:
            pfile = pq.ParquetFile(handle)
            for position in wanted:
                span = next(row_group_spans(pfile.metadata, position, position + 1))
                by_group.setdefault(span.index, []).append(span.first)
            columns = ["id", *dict.fromkeys(names)]
            for index, rows in by_group.items():
                table = pfile.read_row_group(index, columns=columns).take(rows)
                values = {name: column_values(table.column(name)) for name in columns}
                for n, email_id in enumerate(values["id"]):
                    found[email_id] = {name: values[name][n] for name in names}
        return found

    def _id_positions(self) -> dict[str, int]:
        with self._lock:
            if self._positions is None:
                with self._opener() as handle:
                    ids = pq.read_table(handle, columns=["id"]).column("id").to_pylist()
                self._positions = {email_id: n for n, email_id in enumerate(ids)}
            return self._positions

    def range_fingerprint(self, start: int, end: int) -> str:
        """From the stored digests of that range (32 bytes per email, only its row groups); a
        file written before digests were stored falls back to reading the slice."""
        start = max(0, min(start, len(self)))
        end = max(start, min(end, len(self)))
        with self._opener() as handle:
            pfile = pq.ParquetFile(handle)
            if DIGEST_FIELD.name not in pfile.schema_arrow.names:
                return super().range_fingerprint(start, end)
            digests: list[bytes] = []
            for span in row_group_spans(pfile.metadata, start, end):
                column = pfile.read_row_group(span.index, columns=[DIGEST_FIELD.name]).column(0)
                digests += column.slice(span.first, span.count).to_pylist()
        return fingerprint_of(digests)

    def top_senders(self, n: int = 5) -> list[tuple[str, int]]:
        counts = Counter(sender for sender in self.column("sender") if sender)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def fingerprint(self) -> str:
        return str(self._summary["fingerprint"])

    def date_range(self) -> tuple[datetime, datetime] | None:
        first, last = self._summary.get("first_date"), self._summary.get("last_date")
        if not first or not last:
            return None
        return datetime.fromisoformat(first), datetime.fromisoformat(last)


def emails_by_id(corpus: Corpus, email_ids: Iterable[str]) -> dict[str, Email]:
    """The emails with these ids; a stored corpus reads only the row groups holding them."""
    if isinstance(corpus, StoredCorpus):
        return corpus.get_many(email_ids)
    return {i: email for i in email_ids if (email := corpus.get(i)) is not None}


def fields_by_id(
    corpus: Corpus, email_ids: Iterable[str], names: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Some fields (say date, sender, subject) of the emails with these ids; a stored corpus
    reads only those columns of the row groups holding them."""
    if isinstance(corpus, StoredCorpus):
        return corpus.fields_many(email_ids, names)
    found = {}
    for email_id in email_ids:
        email = corpus.get(email_id)
        if email is not None:
            found[email_id] = {name: getattr(email, name) for name in names}
    return found


def corpus_summary(corpus: Corpus, fingerprint: str | None = None) -> dict[str, Any]:
    """Count, fingerprint (computed unless given) and date range, as stored in `corpus.json`."""
    dates = corpus.date_range()
    return {
        "emails": len(corpus),
        "fingerprint": fingerprint or corpus.fingerprint(),
        "first_date": dates[0].isoformat() if dates else None,
        "last_date": dates[1].isoformat() if dates else None,
    }
