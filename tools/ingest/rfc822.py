"""Reading one raw RFC 822 message (an .eml file, an mbox entry, a `message` cell of a CSV export).

Headers are unfolded and split by hand, which is several times faster than `email.parser` and
what makes half a million Enron messages practical. The body of a plain single-part message
(text/plain or text/html, 7bit/8bit) is taken as it is. Anything else (multipart, base64,
quoted-printable) goes through the stdlib parser with `email.policy.default`, falling back to
`compat32` when that chokes on broken headers; the text/plain part is preferred, else the HTML
part is converted to text. Encoded-word headers ("=?utf-8?q?...?=") are decoded. Attachments
(parts with a file name or an "attachment" disposition, attached emails) are kept with their
name, type, size and text (`tools.attachments`); one whose text cannot be read is a note.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

from tools.ingest.decode import decode_bytes

logger = logging.getLogger(__name__)

HEADER_LINE = re.compile(r"[!-9;-~]+:")  # a field name (printable, no colon or space) then ":"
_HEADER_FIELD = re.compile(r"^([!-9;-~]+):(.*(?:\r?\n[ \t].*)*)", re.MULTILINE)
_HEADER_BLOCK_END = re.compile(r"\r?\n\r?\n")
_HEADER_BLOCK_END_BYTES = re.compile(rb"\r?\n\r?\n")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_SIMPLE_ENCODINGS = ("", "7bit", "8bit", "binary")

# Header -> canonical field; the X- variants (Enron exports) only fill what the standard lacks.
_HEADER_FIELDS = {
    "message-id": "message_id",
    "date": "date",
    "from": "sender",
    "to": "to",
    "cc": "cc",
    "bcc": "bcc",
    "subject": "subject",
    "in-reply-to": "in_reply_to",
    "references": "thread_id",
}
_FALLBACK_HEADERS = {
    "sender": "sender",
    "x-from": "sender",
    "x-to": "to",
    "x-cc": "cc",
    "x-bcc": "bcc",
    "thread-topic": "thread_id",
    "x-folder": "folder",
}
# Gmail Takeout's labels ("Inbox,Important,Opened,Category Personal") become the folder, without
# the read states, which are not places.
_GMAIL_STATES = {"opened", "unread"}


def looks_like_headers(text: str) -> bool:
    """True when text starts with an RFC 822 header line ("Name: value")."""
    return HEADER_LINE.match(text) is not None


def parse_message(raw: str | bytes) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Canonical fields of a raw message and notes on what was repaired.

    Returns an empty field dict when the text has no header at all (not an email).
    """
    notes: list[tuple[str, str]] = []
    header_text, body_raw = _split_head(raw)
    headers = parse_headers(header_text)
    if not headers:
        return {}, notes
    fields: dict[str, Any] = {}
    for name, field in _HEADER_FIELDS.items():
        value = headers.get(name)
        if value:
            fields[field] = _decode_words(value)
    for name, field in _FALLBACK_HEADERS.items():
        value = headers.get(name)
        if value and field not in fields:
            fields[field] = _decode_words(value)
    labels = headers.get("x-gmail-labels")
    if labels and "folder" not in fields:
        kept = [x.strip() for x in _decode_words(labels).split(",") if x.strip()]
        fields["folder"] = ", ".join(x for x in kept if x.lower() not in _GMAIL_STATES) or None
    content_type = headers.get("content-type", "text/plain").lower()
    encoding = headers.get("content-transfer-encoding", "").strip().lower()
    if (
        content_type.startswith(("text/plain", "text/html")) or not content_type.strip()
    ) and encoding in _SIMPLE_ENCODINGS:
        body = body_raw
        if isinstance(body, bytes):
            match = _CHARSET.search(content_type)
            body, note = decode_bytes(body, match.group(1) if match else None)
            if note:
                notes.append(("undecodable", note))
        fields["html" if content_type.startswith("text/html") else "body"] = body
    else:
        message, body_part = _full_parse(raw)
        body, note = _payload_text(body_part) if body_part is not None else ("", None)
        if note:
            notes.append(("undecodable", note))
        is_html = body_part is not None and body_part.get_content_subtype() == "html"
        fields["html" if is_html else "body"] = body
        attachments = _attachments(message, body_part, notes)
        if attachments:
            fields["attachments"] = attachments
    return fields, notes


def _split_head(raw: str | bytes) -> tuple[str, str | bytes]:
    """(header text, raw body). Header bytes are decoded losslessly (surrogateescape)."""
    if isinstance(raw, bytes):
        match = _HEADER_BLOCK_END_BYTES.search(raw)
        head, body = (raw[: match.start()], raw[match.end() :]) if match else (raw, b"")
        return head.decode("utf-8", errors="surrogateescape"), body
    if "\r" not in raw:  # the common case, found without a regex scan
        end = raw.find("\n\n")
        return (raw[:end], raw[end + 2 :]) if end >= 0 else (raw, "")
    match = _HEADER_BLOCK_END.search(raw)
    return (raw[: match.start()], raw[match.end() :]) if match else (raw, "")


def parse_headers(header_text: str) -> dict[str, str]:
    """Headers by lower-case name (first occurrence wins); folded values keep their line breaks.

    Lenient like mail clients: a stray non-header line inside the header block is skipped.
    Returns {} when the text does not start with a header line (it is not a message).
    """
    if not HEADER_LINE.match(header_text):
        return {}
    headers: dict[str, str] = {}
    for name, value in _HEADER_FIELD.findall(header_text):
        name = name.lower()
        if name not in headers:
            headers[name] = value.strip()
    return headers


def _decode_words(value: str) -> str:
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # malformed encoded words: keep the raw text, it is still readable
        return value


def _full_parse(raw: str | bytes) -> tuple[Message, Message | None]:
    """(message, body part) via the stdlib parser, strict policy first."""
    try:
        message = _parse(raw, email.policy.default)
        return message, message.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    except Exception:  # policy.default raises on some broken headers; compat32 does not
        logger.debug("policy.default failed; retrying with compat32", exc_info=True)
        message = _parse(raw, email.policy.compat32)
        return message, _first_text_part(message)


def _attachments(
    message: Message, body_part: Message | None, notes: list[tuple[str, str]]
) -> list[Any]:
    """The message's attachments described, notes added for the unreadable ones."""
    from tools.attachments import MAX_ATTACHMENTS, describe_attachment

    found = []
    for part in _attachment_parts(message, body_part):
        if len(found) >= MAX_ATTACHMENTS:
            notes.append(
                ("attachments", f"more than {MAX_ATTACHMENTS} attachments; the rest not kept")
            )
            break
        name = _decode_words(str(part.get_filename() or ""))
        content_type = part.get_content_type()
        try:
            if content_type == "message/rfc822":
                inner = part.get_payload()
                data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
            else:
                payload = part.get_payload(decode=True)
                data = payload if isinstance(payload, bytes) else b""
        except Exception as error:  # hostile encodings: keep the name, say why there is no data
            data = b""
            notes.append(
                ("attachment", f"attachment {name or content_type!r} undecodable: {error}")
            )
        attachment, problem = describe_attachment(name, content_type, data)
        if problem:
            notes.append(
                ("attachment", f"attachment {attachment.name or content_type!r} unreadable "
                 f"({problem}); kept without its text")
            )  # fmt: skip
        found.append(attachment)
    return found


def _attachment_parts(message: Message, body_part: Message | None) -> list[Message]:
    """Parts that are attachments, without descending into attached emails."""
    parts: list[Message] = []
    stack = [message]
    while stack:
        part = stack.pop()
        if part.get_content_type() == "message/rfc822" and part is not message:
            parts.append(part)
        elif part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(reversed(payload))
        elif part is not body_part and part is not message and _is_attachment(part):
            parts.append(part)
        elif part is message and part is not body_part and _is_attachment(part):
            parts.append(part)  # a message whose whole content is one attached file
    return parts


def _is_attachment(part: Message) -> bool:
    disposition = str(part.get("content-disposition", "")).split(";")[0].strip().lower()
    return (
        disposition == "attachment"
        or bool(part.get_filename())
        or (part.get_content_maintype() not in ("text", "multipart") and disposition != "inline")
    )


def _parse(raw: str | bytes, policy: Any) -> Message:
    if isinstance(raw, bytes):
        return email.message_from_bytes(raw, policy=policy)
    return email.message_from_string(raw, policy=policy)


def _first_text_part(message: Message) -> Message | None:
    """The first inline text/plain part, else the first text/html part."""
    html_part: Message | None = None
    for part in message.walk():
        if part.is_multipart() or part.get_filename() or part.get_content_maintype() != "text":
            continue
        subtype = part.get_content_subtype()
        if subtype == "plain":
            return part
        if subtype == "html" and html_part is None:
            html_part = part
    return html_part


def _payload_text(part: Message) -> tuple[str, str | None]:
    """A part's text: 8-bit text as it is, transfer-encoded bytes decoded by `decode_bytes`."""
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    payload = part.get_payload()
    if isinstance(payload, str) and encoding in _SIMPLE_ENCODINGS and not _has_surrogates(payload):
        return payload, None  # 8-bit text parsed from a str: already decoded
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return "", None
    return decode_bytes(data, part.get_content_charset())


def _has_surrogates(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
