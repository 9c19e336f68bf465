"""The corpus model: a typed `Email` record and a date-sorted `Corpus` with positional slicing.

A corpus is stored once as Parquet (row groups of `ROW_GROUP_SIZE` emails, in date order) so that a
worker can read just the rows of its own slice with `Corpus.read_parquet(source, start, end)`.
Next to the email fields the file keeps each email's sha256 (`digest`), so the fingerprint of any
range is one small column away.
Pure Python: no streamlit, zenml or openai imports.
"""

from __future__ import annotations

import gc
import hashlib
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import IO, Any, NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, field_validator

ROW_GROUP_SIZE = 5_000

_LIST_FIELDS = ("to", "cc", "bcc")


class Attachment(BaseModel):
    """A file attached to an email: name, declared type, size in bytes and, for text, HTML, PDF
    and Word attachments, the text inside (`tools.attachments`), which is searched with the
    email."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    content_type: str = ""
    size: int = 0
    text: str = ""


class Email(BaseModel):
    """One email, normalised from any supported input format."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    date: datetime | None = None
    sender: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = ""
    body: str = ""
    message_id: str | None = None
    in_reply_to: str | None = None
    thread_id: str | None = None
    folder: str | None = None
    source: str | None = None
    attachments: tuple[Attachment, ...] = ()

    @field_validator("id")
    @classmethod
    def _id_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("email id must not be blank")
        return value

    @field_validator("date")
    @classmethod
    def _date_is_aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("email date must be timezone-aware")
        return value

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc + self.bcc

    def search_text(self) -> str:
        """The text that grep/count/ranking look at: subject and body."""
        return f"{self.subject}\n{self.body}"

    def attachment_text(self) -> str:
        """The text of all attachments that have some, one after the other ("" when none)."""
        if not self.attachments:
            return ""
        return "\n".join(a.text for a in self.attachments if a.text)


SHARED_FIELDS = ("sender", "folder", "source")  # values that repeat across a corpus
_ALL_FIELDS = set(Email.model_fields)  # shared, never mutated: the models are frozen


def with_shared_fields_set(email: Email) -> Email:
    """`email`, its fields-set replaced by one set shared by all emails. A validated model keeps
    its own set of the field names it was given (about 700 bytes); for an email given every
    field that set is always the same, and at half a million emails the copies cost 350 MB."""
    if email.model_fields_set == _ALL_FIELDS:
        object.__setattr__(email, "__pydantic_fields_set__", _ALL_FIELDS)
    return email


def _sort_key(email: Email) -> tuple[bool, float, str]:
    return (email.date is None, email.date.timestamp() if email.date else 0.0, email.id)


class Corpus(Sequence[Email]):
    """Emails sorted by date (undated last, ties by id), sliceable by position.

    `offset` is the position of this corpus's first email in the corpus it was sliced from, so a
    chunk can report its range in whole-corpus positions. `index_terms`, when known (read from
    a stored corpus), is every email's BM25 length (`tools.ranking.document_lengths`), in order.
    """

    index_terms: Sequence[int] | None = None

    def __init__(
        self,
        emails: Iterable[Email],
        *,
        offset: int = 0,
        presorted: bool = False,
        index_terms: Sequence[int] | None = None,
    ):
        items = list(emails)
        if not presorted:
            items.sort(key=_sort_key)
        self._emails: tuple[Email, ...] = tuple(items)
        self._by_id: dict[str, Email] | None = None
        self.offset = offset
        if index_terms is not None and presorted and len(index_terms) == len(items):
            self.index_terms = index_terms

    # Sequence protocol ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._emails)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                raise ValueError("Corpus slices must be contiguous")
            return self.slice(start, stop)
        return self._emails[index]

    def __iter__(self) -> Iterator[Email]:
        return iter(self._emails)

    def __repr__(self) -> str:
        return f"Corpus({len(self)} emails, offset={self.offset})"

    # Lookups ----------------------------------------------------------------------------------
    @property
    def emails(self) -> tuple[Email, ...]:
        return self._emails

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self._emails]

    def get(self, email_id: str) -> Email | None:
        if self._by_id is None:
            self._by_id = {e.id: e for e in self._emails}
        return self._by_id.get(email_id)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return self.get(item) is not None
        return item in self._emails

    def slice(self, start: int, end: int) -> Corpus:
        """Emails at positions [start, end) of this corpus (clamped to its bounds)."""
        start = max(0, min(start, len(self)))
        end = max(start, min(end, len(self)))
        terms = self.index_terms[start:end] if self.index_terms is not None else None
        return Corpus(
            self._emails[start:end], offset=self.offset + start, presorted=True, index_terms=terms
        )

    def date_range(self) -> tuple[datetime, datetime] | None:
        dated = [e.date for e in self._emails if e.date is not None]
        if not dated:
            return None
        return min(dated), max(dated)

    def top_senders(self, n: int = 5) -> list[tuple[str, int]]:
        counts = Counter(e.sender for e in self._emails if e.sender)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def column(self, name: str) -> list[Any]:
        """One field of every email, in corpus order."""
        if name not in Email.model_fields:
            raise KeyError(f"unknown email field {name!r}")
        return [getattr(email, name) for email in self._emails]

    def column_range(self, name: str, start: int, end: int) -> list[Any]:
        """One field of the emails at positions [start, end), in corpus order."""
        return self.column(name)[start:end]

    def fingerprint(self) -> str:
        """A sha256 over the sha256 of every field of every email, in order: equal content,
        equal fingerprint."""
        return fingerprint_of(email_digest(email) for email in self._emails)

    def range_fingerprint(self, start: int, end: int) -> str:
        """The fingerprint of `slice(start, end)` (a stored corpus reads only its digests)."""
        return self.slice(start, end).fingerprint()

    # Parquet ----------------------------------------------------------------------------------
    def write_parquet(self, sink: str | IO[bytes], row_group_size: int = ROW_GROUP_SIZE) -> str:
        """Write the emails, their digests and their BM25 lengths one row group at a time, so
        only `row_group_size` emails are ever held as Arrow data on top of the corpus; returns
        the fingerprint. The lengths depend on the content alone: counted here once, every
        later chunk of every analysis of this corpus reads them instead of counting again."""
        from tools.ranking import document_lengths  # ranking builds on this module

        whole = hashlib.sha256()
        with pq.ParquetWriter(sink, STORED_SCHEMA, compression="zstd") as writer:
            for start in range(0, len(self._emails), row_group_size):
                batch = self._emails[start : start + row_group_size]
                digests = [email_digest(email) for email in batch]
                whole.update(b"".join(digests))
                table = _arrow_table(batch).append_column(
                    DIGEST_FIELD, pa.array(digests, DIGEST_TYPE)
                )
                lengths = pa.array(document_lengths(batch), TERMS_TYPE)
                table = table.append_column(TERMS_FIELD, lengths)
                writer.write_table(table, row_group_size=row_group_size)
        return whole.hexdigest()

    @classmethod
    def read_parquet(
        cls, source: str | IO[bytes] | bytes, start: int = 0, end: int | None = None
    ) -> Corpus:
        """Read positions [start, end) of a stored corpus, touching only the row groups needed."""
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        pfile = pq.ParquetFile(source)
        total = pfile.metadata.num_rows
        end = total if end is None else max(0, min(end, total))
        start = max(0, min(start, end))
        emails: list[Email] = []
        names = pfile.schema_arrow.names
        columns = [name for name in EMAIL_COLUMNS if name in names]
        with_terms = TERMS_FIELD.name in names  # not in a file written before they were stored
        terms: list[int] | None = [] if with_terms else None
        for span in row_group_spans(pfile.metadata, start, end):  # one group at a time
            table = pfile.read_row_group(
                span.index, columns=[*columns, TERMS_FIELD.name] if with_terms else columns
            ).slice(span.first, span.count)
            emails.extend(_emails_from_arrow(table))
            if terms is not None:
                terms.extend(table.column(TERMS_FIELD.name).to_pylist())
        return cls(emails, offset=start, presorted=True, index_terms=terms)

    @staticmethod
    def parquet_length(source: str | IO[bytes]) -> int:
        return pq.ParquetFile(source).metadata.num_rows


class RowGroupSpan(NamedTuple):
    """The rows of one Parquet row group that fall in a range: `count` rows from `first`."""

    index: int
    first: int
    count: int
    rows: int  # all rows of the group


def row_group_spans(metadata: pq.FileMetaData, start: int, end: int) -> Iterator[RowGroupSpan]:
    """The row groups holding positions [start, end), in order, with the part of each inside."""
    row = 0
    for index in range(metadata.num_row_groups):
        rows = metadata.row_group(index).num_rows
        first, last = max(start - row, 0), min(end - row, rows)
        if last > first:
            yield RowGroupSpan(index, first, last - first, rows)
        row += rows


ATTACHMENT_TYPE = pa.struct(
    [
        ("name", pa.string()),
        ("content_type", pa.string()),
        ("size", pa.int64()),
        ("text", pa.string()),
    ]
)
_ARROW_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("date", pa.timestamp("us", tz="UTC")),
        ("sender", pa.string()),
        ("to", pa.list_(pa.string())),
        ("cc", pa.list_(pa.string())),
        ("bcc", pa.list_(pa.string())),
        ("subject", pa.string()),
        ("body", pa.string()),
        ("message_id", pa.string()),
        ("in_reply_to", pa.string()),
        ("thread_id", pa.string()),
        ("folder", pa.string()),
        ("source", pa.string()),
        ("attachments", pa.list_(ATTACHMENT_TYPE)),
    ]
)


EMAIL_COLUMNS = list(_ARROW_SCHEMA.names)
DIGEST_TYPE = pa.binary(32)
DIGEST_FIELD = pa.field("digest", DIGEST_TYPE)  # sha256 of the email's canonical bytes
TERMS_TYPE = pa.int32()
TERMS_FIELD = pa.field("index_terms", TERMS_TYPE)  # BM25 length (tools.ranking.document_lengths)
STORED_SCHEMA = _ARROW_SCHEMA.append(DIGEST_FIELD).append(TERMS_FIELD)


def email_digest(email: Email) -> bytes:
    return hashlib.sha256(_canonical_bytes(email)).digest()


def fingerprint_of(digests: Iterable[bytes]) -> str:
    """The fingerprint of a run of emails from their digests, in order."""
    return hashlib.sha256(b"".join(digests)).hexdigest()


def _arrow_table(emails: Sequence[Email]) -> pa.Table:
    columns: dict[str, list[Any]] = {name: [] for name in Email.model_fields}
    for email in emails:
        for name in columns:
            value = getattr(email, name)
            if name == "attachments":
                value = [a.model_dump() for a in value]
            columns[name].append(list(value) if name in _LIST_FIELDS else value)
    return pa.Table.from_pydict(columns, schema=_ARROW_SCHEMA)


def _canonical_bytes(email: Email) -> bytes:
    """Every field, unambiguously separated, with dates in UTC so a Parquet round trip (which
    stores UTC) keeps the fingerprint."""
    date = email.date.astimezone(UTC).isoformat() if email.date else ""
    parts = [
        email.id,
        date,
        email.sender,
        "\x1d".join(email.to),
        "\x1d".join(email.cc),
        "\x1d".join(email.bcc),
        email.subject,
        email.body,
        email.message_id or "",
        email.in_reply_to or "",
        email.thread_id or "",
        email.folder or "",
        email.source or "",
    ]
    for attachment in email.attachments:  # none: the same bytes as before attachments existed
        parts += [attachment.name, attachment.content_type, str(attachment.size), attachment.text]
    return "\x1f".join(f"{len(p)}:{p}" for p in parts).encode("utf-8", "surrogatepass")


def _emails_from_arrow(table: pa.Table) -> list[Email]:
    """Emails from stored rows, without validation (they were validated when ingested). Values
    that repeat across emails (addresses, folder, source file) share one string object, and all
    emails share one fields-set: about a fifth less memory per email. Dates are converted from
    their integer microseconds, the models are built directly (`_stored_email`) and the cyclic
    garbage collector waits meanwhile (`_collector_paused`: these objects are all new and
    alive, and a big process's full collections would traverse its whole heap several times
    per chunk): a chunk of 50K emails loads in about a second instead of several."""
    with _collector_paused():
        return _emails_from_columns(table)


def _emails_from_columns(table: pa.Table) -> list[Email]:
    names = EMAIL_COLUMNS
    columns = {
        name: column_values(table.column(name))
        if name in table.column_names
        else [None] * len(table)
        for name in names
    }  # a corpus stored before attachments existed has no such column
    shared: dict[str, str] = {}
    for name in SHARED_FIELDS:
        columns[name] = [shared.setdefault(v, v) if v else v for v in columns[name]]
    for name in _LIST_FIELDS:
        columns[name] = [
            tuple(shared.setdefault(a, a) for a in v) if v else () for v in columns[name]
        ]
    columns["attachments"] = [
        tuple(Attachment.model_construct(**a) for a in v) if v else ()
        for v in columns["attachments"]
    ]
    return [
        _stored_email(dict(zip(names, values, strict=True)))
        for values in zip(*(columns[name] for name in names), strict=True)
    ]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND_UNITS = {"s": 1_000_000, "ms": 1_000, "us": 1}


def column_values(column: pa.Array | pa.ChunkedArray) -> list[Any]:
    """`column.to_pylist()`, fast for UTC timestamps: pyarrow builds every aware datetime
    through `zoneinfo` (tens of microseconds each, most of a chunk's load time), while the epoch
    plus the stored integer is exact and about thirty times faster. Equal values either way."""
    kind = column.type
    if pa.types.is_timestamp(kind) and kind.tz == "UTC" and kind.unit in _MICROSECOND_UNITS:
        factor = _MICROSECOND_UNITS[kind.unit]
        return [
            None if ticks is None else _EPOCH + timedelta(microseconds=ticks * factor)
            for ticks in column.cast(pa.int64()).to_pylist()
        ]
    return column.to_pylist()


def _stored_email(values: dict[str, Any]) -> Email:
    """`Email.model_construct(values)` for a complete, already validated set of fields, without
    its per-field bookkeeping (a twentieth of the cost); `values` becomes the model's dict."""
    email = _new_email(Email)
    _set(email, "__dict__", values)
    _set(email, "__pydantic_fields_set__", _ALL_FIELDS)
    _set(email, "__pydantic_extra__", None)
    _set(email, "__pydantic_private__", None)
    return email


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection in this block (reference counting still frees everything);
    safe across threads: whoever paused it turns it back on, and nothing turns on a collector
    that was already off."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


_new_email = Email.__new__
_set = object.__setattr__
assert not Email.__pydantic_post_init__ and not Email.__private_attributes__
