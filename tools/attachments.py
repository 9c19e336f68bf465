"""Attachments: what an email carries besides its body, and the searchable text inside.

`describe_attachment` turns an attachment's name, declared type and bytes into an `Attachment`
(name, type, size, text). Text is taken from plain text, HTML (converted to text), PDF (`pypdf`)
and Word .docx (`python-docx`) attachments, and from an attached email's subject and body; other
types keep their name, type and size only. Text is capped at `TEXT_CAP` characters per
attachment. An attachment whose text cannot be read comes back without text, plus the reason,
which the reader reports as a repaired problem: a broken attachment never loses its email.
Pure Python: no streamlit, zenml or openai imports.
"""

from __future__ import annotations

import io
import logging
import posixpath
import warnings

from tools.ingest.decode import decode_bytes, html_to_text
from tools.models import Attachment

logger = logging.getLogger(__name__)

TEXT_CAP = 200_000  # characters of text kept per attachment
PDF_PAGE_CAP = 500
MAX_ATTACHMENTS = 200  # per email; more are counted in the problem report, not kept

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_TYPE_BY_EXTENSION = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".csv": "text/csv",
    ".md": "text/markdown",
    ".log": "text/plain",
    ".htm": "text/html",
    ".html": "text/html",
    ".pdf": "application/pdf",
    ".docx": DOCX_TYPE,
    ".eml": "message/rfc822",
}
_GENERIC_TYPES = {"", "application/octet-stream", "application/x-unknown", "binary/octet-stream"}


class AttachmentError(Exception):
    """The attachment's text could not be read (the message says why)."""


def text_kind(name: str, content_type: str) -> str | None:
    """ "text", "html", "pdf", "docx" or "email" when text can be taken from this attachment."""
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared in _GENERIC_TYPES or declared == "application/x-msdownload":
        declared = _TYPE_BY_EXTENSION.get(posixpath.splitext(name.lower())[1], declared)
    if declared == "text/html":
        return "html"
    if declared.startswith("text/"):
        return "text"
    if declared == "application/pdf":
        return "pdf"
    if declared == DOCX_TYPE:
        return "docx"
    if declared == "message/rfc822":
        return "email"
    return None


def describe_attachment(name: str, content_type: str, data: bytes) -> tuple[Attachment, str | None]:
    """The attachment with its text, and why its text is missing when it could not be read."""
    kind = text_kind(name, content_type)
    text, problem = "", None
    if kind is not None and data:
        try:
            text = extract_text(kind, data)
        except AttachmentError as error:
            problem = str(error)
        except Exception as error:  # third-party parsers on hostile bytes: report, keep the email
            logger.debug("attachment %r unreadable", name, exc_info=True)
            problem = f"{type(error).__name__}: {error}"[:300]
    attachment = Attachment(
        name=name[:1000],
        content_type=(content_type or "application/octet-stream")[:200],
        size=len(data),
        text=text[:TEXT_CAP],
    )
    return attachment, problem


def extract_text(kind: str, data: bytes) -> str:
    """The text of an attachment of `kind` (see `text_kind`)."""
    if kind == "text":
        return decode_bytes(data)[0]
    if kind == "html":
        return html_to_text(decode_bytes(data)[0][: TEXT_CAP * 4])
    if kind == "pdf":
        return _pdf_text(data)
    if kind == "docx":
        return _docx_text(data)
    if kind == "email":
        return _email_text(data)
    raise AttachmentError(f"no text reader for {kind!r}")


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise AttachmentError("the PDF is encrypted")
        parts: list[str] = []
        length = 0
        for page in reader.pages[:PDF_PAGE_CAP]:
            text = page.extract_text() or ""
            parts.append(text)
            length += len(text)
            if length >= TEXT_CAP:
                break
    return "\n".join(parts).strip()


def _docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(part for part in parts if part.strip())


def _email_text(data: bytes) -> str:
    from tools.ingest.rfc822 import parse_message

    fields, _ = parse_message(data)
    if not fields:
        raise AttachmentError("the attached email has no headers")
    body = fields.get("body") or ""
    if not body and fields.get("html"):
        body = html_to_text(str(fields["html"]))
    return f"{fields.get('subject', '')}\n{body}".strip()
