"""Readers for raw email files: a single `.eml` message and an mbox mailbox (stdlib `mailbox`).

mbox files often contain body lines starting with "From " that the writer forgot to escape as
">From "; `mailbox` then splits one message in two. A piece that does not begin with header
lines cannot be a message of its own, so it is glued back onto the message before it and the
repair is reported.
"""

from __future__ import annotations

import logging
import mailbox
import os
import tempfile
from typing import Any

from tools.ingest.problems import IngestError
from tools.ingest.readers import ReadContext
from tools.ingest.rfc822 import HEADER_LINE, parse_message

logger = logging.getLogger(__name__)


def add_raw_message(
    raw: str | bytes,
    source: str,
    location: str,
    context: ReadContext,
    *,
    overrides: dict[str, Any] | None = None,
    defaults: dict[str, Any] | None = None,
    notes: list[tuple[str, str]] | None = None,
) -> None:
    """Parse one RFC 822 message and hand it to the assembler (rejecting header-less text)."""
    try:
        fields, parse_notes = parse_message(raw)
    except Exception as error:  # the stdlib parser on hostile input: report, keep reading
        logger.exception("cannot parse %s %s", source, location)
        context.log.reject(
            source, location, f"unparsable message ({type(error).__name__}: {error})"
        )
        return
    if not fields:
        context.log.reject(source, location, "no email headers found", kind="no headers")
        return
    for name, value in (defaults or {}).items():
        fields.setdefault(name, value)
    fields.update(overrides or {})
    context.assembler.add(fields, source, location, [*(notes or ()), *parse_notes])


def read_eml(data: bytes, source: str, context: ReadContext) -> str:
    raw = data.lstrip(b"\r\n\t ")
    if not raw:
        raise IngestError(f"{source} is empty")
    add_raw_message(raw, source, "message 1", context)
    return "eml"


def _starts_with_headers(raw: bytes) -> bool:
    return HEADER_LINE.match(raw[:1000].decode("latin-1")) is not None


def read_mbox(data: bytes, source: str, context: ReadContext) -> str:
    if not data.startswith(b"From "):
        first = data.find(b"\nFrom ")
        if first < 0:
            raise IngestError(f"{source} is not an mbox: no line starts with 'From '")
        context.log.reject(
            source,
            "byte 0",
            f"{first + 1:,} bytes before the first 'From ' line belong to no message",
        )
    with tempfile.TemporaryDirectory(prefix="rlm-ingest-") as directory:
        path = os.path.join(directory, "mailbox.mbox")
        with open(path, "wb") as handle:
            handle.write(data)
        box = mailbox.mbox(path, factory=None, create=False)
        try:
            _read_pieces(box, source, context)
        finally:
            box.close()
    return "mbox"


def _read_pieces(box: mailbox.mbox, source: str, context: ReadContext) -> None:
    pending: bytes | None = None
    pending_notes: list[tuple[str, str]] = []
    number = 0
    for key in box.iterkeys():
        piece = box.get_bytes(key, from_=True)
        separator, _, rest = piece.partition(b"\n")
        if not _starts_with_headers(rest):
            if pending is not None:
                pending += piece
                line = separator.decode("latin-1")[:60]
                pending_notes.append(
                    (
                        "unescaped From",
                        f"body line {line!r} looked like a message separator; kept in the body",
                    )
                )
                continue
            number += 1
            context.log.reject(
                source, f"message {number}", "no email headers found", kind="no headers"
            )
            continue
        if pending is not None:
            add_raw_message(
                pending,
                source,
                f"message {number}",
                context,
                notes=pending_notes,
            )
        pending, pending_notes = rest, []
        number += 1
    if pending is not None:
        add_raw_message(pending, source, f"message {number}", context, notes=pending_notes)
