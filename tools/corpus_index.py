"""The analyst's index of a corpus: per email its date, people, subject and thread, built once per
corpus and stored (by `pipeline.desk`) as a small Parquet file keyed by the corpus fingerprint.

Threads, the who-emails-whom graph and the timeline all read this index, never the email bodies,
so a view of a half-million-email corpus does not load the corpus.

Pure Python: no streamlit, zenml or openai imports.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tools import people
from tools.models import Corpus, column_values
from tools.threads import ThreadFields, assign_threads, person_key

INDEX_VERSION = "1"
_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("date", pa.timestamp("us", tz="UTC")),
        ("sender", pa.string()),
        ("recipients", pa.list_(pa.string())),
        ("subject", pa.string()),
        ("thread", pa.string()),
    ],
    metadata={b"rlm_index_version": INDEX_VERSION.encode()},
)


@dataclass
class CorpusIndex:
    """Columns in corpus order (position n is the corpus's email n)."""

    ids: list[str]
    dates: list[datetime | None]
    senders: list[str]
    recipients: list[list[str]]
    subjects: list[str]
    threads: list[str]
    _position: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._position = {email_id: n for n, email_id in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_corpus(cls, corpus: Corpus) -> CorpusIndex:
        """Read the needed columns (one at a time for a stored corpus) and thread them."""
        ids, dates = corpus.column("id"), corpus.column("date")
        senders, subjects = corpus.column("sender"), corpus.column("subject")
        recipients = [
            [*(to or ()), *(cc or ()), *(bcc or ())]
            for to, cc, bcc in zip(
                corpus.column("to"), corpus.column("cc"), corpus.column("bcc"), strict=True
            )
        ]
        fields = [
            ThreadFields(
                id=email_id,
                date=date,
                message_id=message_id,
                in_reply_to=in_reply_to,
                reference=reference,
                subject=subject or "",
                participants=(sender or "", *to),
            )
            for email_id, date, message_id, in_reply_to, reference, subject, sender, to in zip(
                ids,
                dates,
                corpus.column("message_id"),
                corpus.column("in_reply_to"),
                corpus.column("thread_id"),
                subjects,
                senders,
                recipients,
                strict=True,
            )
        ]
        thread_of = assign_threads(fields)
        return cls(
            ids=list(ids),
            dates=list(dates),
            senders=[s or "" for s in senders],
            recipients=recipients,
            subjects=[s or "" for s in subjects],
            threads=[thread_of[i] for i in ids],
        )

    # --- Storage -------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The index as a Parquet file."""
        table = pa.Table.from_pydict(
            {
                "id": self.ids,
                "date": self.dates,
                "sender": self.senders,
                "recipients": self.recipients,
                "subject": self.subjects,
                "thread": self.threads,
            },
            schema=_SCHEMA,
        )
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="zstd")
        return sink.getvalue()

    @classmethod
    def load(cls, path: Path) -> CorpusIndex | None:
        """The stored index, or None when it is missing, unreadable or of another version."""
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowInvalid):
            return None
        version = (table.schema.metadata or {}).get(b"rlm_index_version", b"").decode()
        if version != INDEX_VERSION or table.schema.names != _SCHEMA.names:
            return None
        columns = {name: column_values(table.column(name)) for name in _SCHEMA.names}
        return cls(
            ids=columns["id"],
            dates=columns["date"],
            senders=columns["sender"],
            recipients=[list(r or ()) for r in columns["recipients"]],
            subjects=columns["subject"],
            threads=columns["thread"],
        )

    # --- Questions -----------------------------------------------------------------------------

    def position(self, email_id: str) -> int | None:
        return self._position.get(email_id)

    def thread_of(self, email_id: str) -> str | None:
        position = self._position.get(email_id)
        return None if position is None else self.threads[position]

    def thread_ids(self, email_id: str) -> list[str]:
        """The ids of the email's thread in date order (corpus order is date order)."""
        thread = self.thread_of(email_id)
        if thread is None:
            return []
        return [i for i, t in zip(self.ids, self.threads, strict=True) if t == thread]

    def message_counts(self, email_ids: set[str] | None = None) -> Counter[people.Edge]:
        """Who-emails-whom counts over the whole corpus, or over `email_ids` only."""
        rows = range(len(self.ids))
        if email_ids is not None:
            rows = [n for n in (self._position.get(i) for i in email_ids) if n is not None]
        return people.message_counts(
            [self.senders[n] for n in rows], [self.recipients[n] for n in rows]
        )

    def emails_of(self, person: str, email_ids: set[str] | None = None) -> list[str]:
        """Ids of the emails `person` sent or received (within `email_ids` when given)."""
        key = person_key(person)
        found = []
        for n, email_id in enumerate(self.ids):
            if email_ids is not None and email_id not in email_ids:
                continue
            if person_key(self.senders[n]) == key or any(
                person_key(r) == key for r in self.recipients[n]
            ):
                found.append(email_id)
        return found
