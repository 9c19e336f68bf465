"""From canonical fields to validated `Email`s: text clean-up, dates, stable ids, duplicates.

Every reader hands its records to one `EmailAssembler`, which is the single place where the
rules live: a record needs a body or a subject; the folder is the record's own, else the
directory of its `file`, else the folder of the file or archive member it came from
(`default_folder`, set by the folder and archive readers); oversized fields are cut at `FIELD_CAPS`;
undecodable bytes become cp1252; the id is the explicit id, else the Message-ID, else a short
sha1 of (sender, date, subject, body); an exact duplicate of an earlier record is rejected,
while a different email reusing an id is kept under a suffixed id ("x~2"). Whatever is fixed
or dropped is reported to the `ProblemLog` with the record's location; nothing raises.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from tools.ingest.dates import EARLIEST_YEAR, LATEST_YEAR, parse_date
from tools.ingest.decode import html_to_text, looks_like_html, repair_text
from tools.ingest.fields import (
    FieldValueError,
    as_text,
    collapse_whitespace,
    first_reference,
    map_fields,
    split_addresses,
)
from tools.ingest.problems import ProblemLog
from tools.ingest.progress import IngestProgress
from tools.models import Attachment, Email, with_shared_fields_set

logger = logging.getLogger(__name__)

FIELD_CAPS = {"body": 1_000_000, "html": 1_000_000}  # html2text takes ~10 s per MB
HEADER_CAP = 10_000  # subject, sender, ids, folder: anything longer is not a header
MAX_RECIPIENTS = 10_000
QUOTE_CAP = 60  # how much of a bad value a problem report quotes

Note = tuple[str, str]  # (kind, reason) of a "repaired" problem


def quote(value: Any) -> str:
    """A short, single-line rendering of a bad value for a problem report."""
    if isinstance(value, datetime):  # a Parquet/Arrow timestamp
        value = value.isoformat(sep=" ")
    text = collapse_whitespace(value if isinstance(value, str) else repr(value))
    return text if len(text) <= QUOTE_CAP else text[: QUOTE_CAP - 1] + "…"


class EmailAssembler:
    """Validates records into emails for one ingestion (ids are unique across all its sources)."""

    def __init__(self, log: ProblemLog):
        self.log = log
        self.emails: list[Email] = []
        self._seen: dict[str, tuple[Email, str, str]] = {}  # id -> (email, source, location)
        # one object per distinct address, folder and file name, however many emails repeat it
        self._shared: dict[str, str] = {}
        self.default_folder: str | None = None
        self.progress: IngestProgress | None = None  # set for large inputs

    @contextmanager
    def folder_default(self, folder: str | None) -> Iterator[None]:
        """Records added inside get `folder` unless they name their own (a folder or archive
        member's directory)."""
        outer, self.default_folder = self.default_folder, folder or self.default_folder
        try:
            yield
        finally:
            self.default_folder = outer

    def add_record(self, record: dict[Any, Any], source: str, location: str) -> None:
        """Add a record whose keys are any of the accepted field names (JSON object, CSV row)."""
        self.add(map_fields(record), source, location)

    def add(
        self,
        fields: dict[str, Any],
        source: str,
        location: str,
        notes: list[Note] | None = None,
    ) -> None:
        """Add a record keyed by canonical field names; never raises on bad content."""
        notes = list(notes or ())
        try:
            email = self._build(fields, source, notes)
        except FieldValueError as error:
            self.log.reject(source, location, str(error), kind="bad field")
            return
        except Exception as error:  # a reader must survive any record; the log says which
            logger.exception("unexpected failure on %s %s", source, location)
            self.log.reject(
                source, location, f"could not read record ({type(error).__name__}: {error})"
            )
            return
        if isinstance(email, str):
            self.log.reject(source, location, email)
            return
        email = self._deduplicate(email, source, location, notes)
        for kind, reason in notes:
            self.log.repair(source, location, reason, kind=kind)
        if email is not None:
            self.emails.append(email)
            if self.progress is not None:
                self.progress.count(len(self.emails))

    def _build(self, fields: dict[str, Any], source: str, notes: list[Note]) -> Email | str:
        """The email, or the reason the record is rejected."""
        garbled: list[str] = []
        subject = self._header(fields, "subject", notes, garbled)
        body = self._body(fields, notes, garbled)
        if not subject and not body.strip():
            return "missing body and subject"
        sender = self._header(fields, "sender", notes, garbled)
        date = self._date(fields.get("date"), notes)
        message_id = self._header(fields, "message_id", notes, garbled) or None
        explicit_id = self._header(fields, "id", notes, garbled)
        email_id = (
            explicit_id
            or (message_id or "").strip("<> ")
            or _content_id(sender, date, fields.get("date"), subject, body)
        )
        thread = fields.get("thread_id")
        thread_id = first_reference(thread, "thread_id")[:HEADER_CAP] if thread else None
        file = self._header(fields, "file", notes, garbled)
        folder = (
            self._header(fields, "folder", notes, garbled)
            or posixpath.dirname(file.replace("\\", "/"))
            or self.default_folder
        )
        if garbled:
            notes.append(
                ("undecodable", f"undecodable bytes in {', '.join(garbled)} (decoded as cp1252)")
            )
        share = self._shared.setdefault
        email = Email(
            id=email_id,
            date=date,
            sender=share(sender, sender),
            to=self._recipients(fields, "to", notes),
            cc=self._recipients(fields, "cc", notes),
            bcc=self._recipients(fields, "bcc", notes),
            subject=subject,
            body=body,
            message_id=message_id,
            in_reply_to=self._header(fields, "in_reply_to", notes, garbled) or None,
            thread_id=thread_id or None,
            folder=share(folder, folder) if folder else None,
            source=share(file, file) if file else source,
            attachments=_attachments(fields.get("attachments")),
        )
        return with_shared_fields_set(email)

    # Field helpers ------------------------------------------------------------------------------
    def _header(
        self, fields: dict[str, Any], name: str, notes: list[Note], garbled: list[str]
    ) -> str:
        value = fields.get(name)
        if value is None:
            return ""
        text = collapse_whitespace(value if type(value) is str else as_text(value, name))
        if not text.isascii():
            text, repaired = repair_text(text)
            if repaired:
                garbled.append(name)
        return text if len(text) <= HEADER_CAP else _cap(text, name, HEADER_CAP, notes)

    def _body(self, fields: dict[str, Any], notes: list[Note], garbled: list[str]) -> str:
        body = fields.get("body")
        text = as_text(body, "body") if body is not None else ""
        is_html = False
        if text.strip():
            is_html = looks_like_html(text)
        elif fields.get("html") is not None:
            text = as_text(fields["html"], "html")
            is_html = True
        text, repaired = repair_text(text)
        if repaired:
            garbled.append("body")
        if is_html:
            text = html_to_text(_cap(text, "html", FIELD_CAPS["html"], notes))
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return _cap(text, "body", FIELD_CAPS["body"], notes)

    def _recipients(self, fields: dict[str, Any], name: str, notes: list[Note]) -> tuple[str, ...]:
        value = fields.get(name)
        if value is None:
            return ()
        addresses = split_addresses(value, name)
        if len(addresses) > MAX_RECIPIENTS:
            notes.append(
                ("truncated", f"{name} cut from {len(addresses):,} to {MAX_RECIPIENTS:,} addresses")
            )
            addresses = addresses[:MAX_RECIPIENTS]
        if all(address.isascii() and len(address) <= HEADER_CAP for address in addresses):
            share = self._shared.setdefault
            return tuple(share(address, address) for address in addresses)
        cleaned = []
        for address in addresses:
            address, repaired = repair_text(address)
            if repaired:
                notes.append(("undecodable", f"undecodable bytes in {name} (decoded as cp1252)"))
            cleaned.append(address[:HEADER_CAP])
        return tuple(cleaned)

    def _date(self, raw: Any, notes: list[Note]) -> datetime | None:
        if raw is None or raw == "":
            return None
        date, status = parse_date(raw)
        if status == "naive":
            notes.append(("naive date", f"date {quote(raw)!r} has no time zone; assumed UTC"))
        elif status == "unparsable":
            notes.append(
                ("unparsable date", f"unparsable date {quote(raw)!r}; kept without a date")
            )
        elif status == "out of range":
            notes.append(
                (
                    "unparsable date",
                    f"date {quote(raw)!r} is outside {EARLIEST_YEAR}-{LATEST_YEAR}; kept without a date",
                )
            )
        return date

    # Duplicates ---------------------------------------------------------------------------------
    def _deduplicate(
        self, email: Email, source: str, location: str, notes: list[Note]
    ) -> Email | None:
        """The email to keep (possibly renamed), or None when it repeats an earlier record."""
        earlier = self._seen.get(email.id)
        if earlier is None:
            self._seen[email.id] = (email, source, location)
            return email
        first, first_source, first_location = earlier
        where = first_location if first_source == source else f"{first_source} {first_location}"
        if _same_content(first, email):
            notes.clear()  # the record is dropped, its repairs do not matter
            self.log.reject(source, location, f"duplicate of {where}", kind="duplicate")
            return None
        suffix = 2
        while f"{email.id}~{suffix}" in self._seen:
            suffix += 1
        new_id = f"{email.id}~{suffix}"
        notes.append(
            (
                "duplicate id",
                f"duplicate id {quote(email.id)!r} (first seen at {where}); kept as {quote(new_id)!r}",
            )
        )
        renamed = email.model_copy(update={"id": new_id})
        self._seen[new_id] = (renamed, source, location)
        return renamed


def _attachments(value: Any) -> tuple[Attachment, ...]:
    """Attachments described by a reader (`tools.attachments`); records never carry them."""
    if not value or not isinstance(value, list | tuple):
        return ()
    return tuple(item for item in value if isinstance(item, Attachment))


def _cap(text: str, name: str, cap: int, notes: list[Note]) -> str:
    if len(text) <= cap:
        return text
    notes.append(("truncated", f"{name} truncated from {len(text):,} to {cap:,} characters"))
    return text[:cap]


def _content_id(sender: str, date: datetime | None, raw_date: Any, subject: str, body: str) -> str:
    stamp = date.isoformat() if date else str(raw_date or "")
    digest = hashlib.sha1(
        f"{sender}\x1f{stamp}\x1f{subject}\x1f{body}".encode(), usedforsecurity=False
    )
    return "e-" + digest.hexdigest()[:16]


def _same_content(a: Email, b: Email) -> bool:
    return (
        a.body == b.body
        and a.subject == b.subject
        and a.sender == b.sender
        and a.date == b.date
        and a.to == b.to
        and a.cc == b.cc
        and a.bcc == b.bcc
        and a.in_reply_to == b.in_reply_to
        and a.attachments == b.attachments
    )
