"""How a `Corpus` is stored in the ZenML artifact store, and the lazy corpus steps get back.

`CorpusMaterializer` writes the corpus once as Parquet (`corpus.parquet`, row groups in date order)
plus a small `corpus.json` (email count, fingerprint, date range), and reports the corpus
fingerprint as the artifact's content hash, so an unchanged corpus keeps downstream caches valid.

Loading returns a `StoredCorpus`: a `Corpus` that reads nothing but `corpus.json` until asked.
`slice(start, end)` reads only the row groups of that range, `column(name)` reads one column,
`get(id)` finds the position from the id column and reads one row group. A chunk step therefore
loads only its own slice, whatever the corpus size and wherever the artifact store lives.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import IO, Any, ClassVar

import pyarrow.parquet as pq
from zenml.enums import ArtifactType
from zenml.materializers.base_materializer import BaseMaterializer

from tools.models import Corpus, Email

logger = logging.getLogger(__name__)

PARQUET_NAME = "corpus.parquet"
SUMMARY_NAME = "corpus.json"

Opener = Callable[[], IO[bytes]]


class StoredCorpus(Corpus):
    """A corpus whose emails stay in a Parquet file until a slice, column or id is asked for.

    Methods that need every email (iteration, `emails`, the inherited helpers) load the whole
    corpus once, with a log line; the chunk steps never do.
    """

    def __init__(self, opener: Opener, summary: dict[str, Any], *, offset: int = 0):
        self._opener = opener
        self._summary = summary
        self._lock = threading.Lock()
        self._loaded: tuple[Email, ...] | None = None
        self._positions: dict[str, int] | None = None
        self._by_id = None
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
            return pq.read_table(handle, columns=[name]).column(name).to_pylist()

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

    def _id_positions(self) -> dict[str, int]:
        with self._lock:
            if self._positions is None:
                with self._opener() as handle:
                    ids = pq.read_table(handle, columns=["id"]).column("id").to_pylist()
                self._positions = {email_id: n for n, email_id in enumerate(ids)}
            return self._positions

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


def corpus_summary(corpus: Corpus) -> dict[str, Any]:
    dates = corpus.date_range()
    return {
        "emails": len(corpus),
        "fingerprint": corpus.fingerprint(),
        "first_date": dates[0].isoformat() if dates else None,
        "last_date": dates[1].isoformat() if dates else None,
    }


class CorpusMaterializer(BaseMaterializer):
    """Stores a `Corpus` as Parquet; loads it back as a lazy `StoredCorpus`."""

    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (Corpus,)
    ASSOCIATED_ARTIFACT_TYPE: ClassVar[ArtifactType] = ArtifactType.DATA

    def _summary(self, data: Corpus) -> dict[str, Any]:
        """One fingerprint pass per saved corpus, shared by save, hash and metadata."""
        cached = getattr(self, "_cached_summary", None)
        if cached is None or cached[0] is not data:
            self._cached_summary = (data, corpus_summary(data))
        return self._cached_summary[1]

    def load(self, data_type: type[Any]) -> StoredCorpus:
        with self.artifact_store.open(os.path.join(self.uri, SUMMARY_NAME), "r") as handle:
            summary = json.load(handle)
        parquet_path = os.path.join(self.uri, PARQUET_NAME)
        store = self.artifact_store

        def opener() -> IO[bytes]:
            return store.open(parquet_path, "rb")

        return StoredCorpus(opener, summary)

    def save(self, data: Corpus) -> None:
        summary = self._summary(data)
        with self.artifact_store.open(os.path.join(self.uri, PARQUET_NAME), "wb") as handle:
            data.write_parquet(handle)
        with self.artifact_store.open(os.path.join(self.uri, SUMMARY_NAME), "w") as handle:
            json.dump(summary, handle)

    def compute_content_hash(self, data: Corpus) -> str:
        return str(self._summary(data)["fingerprint"])

    def extract_metadata(self, data: Corpus) -> dict[str, Any]:
        summary = self._summary(data)
        return {
            "emails": summary["emails"],
            "first_date": summary["first_date"] or "",
            "last_date": summary["last_date"] or "",
        }
