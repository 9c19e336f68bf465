"""Outlook .msg reader (one message per file, through `extract-msg`), and the refusal of .pst.

A .msg file is an OLE2 compound file holding one Outlook item. Its headers, plain-text body (the
HTML body when there is no plain one) and attachments are read; an attached email contributes
its subject and body as the attachment's text. `extract-msg` raises many kinds of errors on
damaged files; any of them makes the file unreadable as a whole (`IngestError`), which a folder
or archive reports as a skipped file.

Outlook .pst/.ost mailboxes are recognised and refused with a clear message: reading them needs
a real PST file to test against, which this project does not have yet.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from tools.attachments import MAX_ATTACHMENTS, describe_attachment
from tools.ingest.problems import IngestError
from tools.ingest.readers import ReadContext

logger = logging.getLogger(__name__)


def read_msg(data: bytes, source: str, context: ReadContext) -> str:
    import extract_msg

    try:
        message = extract_msg.openMsg(data, strict=False)
    except Exception as error:  # extract-msg / olefile raise many types on damaged input
        raise IngestError(
            f"{source} is not a readable Outlook .msg file ({type(error).__name__}: {error})"
        ) from None
    try:
        fields, notes = _fields(message)
    except Exception as error:
        raise IngestError(
            f"{source}: the Outlook item could not be read ({type(error).__name__}: {error})"
        ) from None
    finally:
        message.close()
    context.assembler.add(fields, source, "message 1", notes)
    return "msg"


def refuse_pst(data: bytes, source: str, context: ReadContext) -> str:
    raise IngestError(
        f"{source} is an Outlook .pst/.ost mailbox, which is not supported yet: in Outlook, "
        f"export the folders as .msg files or to CSV, or convert the file to mbox (readpst)"
    )


def _fields(message: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    notes: list[tuple[str, str]] = []
    fields: dict[str, Any] = {
        "subject": _text(message, "subject"),
        "sender": _text(message, "sender"),
        "to": _text(message, "to"),
        "cc": _text(message, "cc"),
        "bcc": _text(message, "bcc"),
        "message_id": _text(message, "messageId"),
        "in_reply_to": _text(message, "inReplyTo"),
        "body": _text(message, "body"),
    }
    date = getattr(message, "date", None)
    if isinstance(date, datetime):
        fields["date"] = date
    if not (fields["body"] or "").strip():
        html = getattr(message, "htmlBody", None)
        if isinstance(html, bytes) and html.strip():
            fields["html"] = html.decode("utf-8", errors="surrogateescape")
    attachments = []
    for attachment in list(getattr(message, "attachments", None) or ())[:MAX_ATTACHMENTS]:
        described, problem = _describe(attachment)
        if problem:
            notes.append(
                ("attachment", f"attachment {described.name!r} unreadable ({problem}); kept "
                 "without its text")
            )  # fmt: skip
        attachments.append(described)
    if attachments:
        fields["attachments"] = attachments
    return {name: value for name, value in fields.items() if value}, notes


def _describe(attachment: Any) -> tuple[Any, str | None]:
    name = str(
        getattr(attachment, "longFilename", None)
        or getattr(attachment, "shortFilename", None)
        or getattr(attachment, "displayName", None)
        or ""
    )
    content_type = str(getattr(attachment, "mimetype", None) or "")
    try:
        data = attachment.data
    except Exception as error:  # a damaged attachment stream
        described, _ = describe_attachment(name, content_type, b"")
        return described, f"{type(error).__name__}: {error}"
    if isinstance(data, bytes):
        return describe_attachment(name, content_type, data)
    # an attached Outlook item: its subject and body are the attachment's text
    inner = f"{_text(data, 'subject')}\n{_text(data, 'body')}".strip()
    described, problem = describe_attachment(name, "text/plain", inner.encode("utf-8"))
    return described.model_copy(update={"content_type": "message/rfc822"}), problem


def _text(item: Any, name: str) -> str:
    """A string property of an Outlook item, "" when missing or unreadable."""
    try:
        value = getattr(item, name, None)
    except Exception:  # properties decode lazily and may fail on damaged items
        logger.debug("property %s unreadable", name, exc_info=True)
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    return value if isinstance(value, str) else ""
