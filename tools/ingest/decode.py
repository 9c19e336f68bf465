"""Turning bytes into text: Unicode byte-order marks, non-UTF-8 bytes, and HTML bodies.

Whole files are decoded as UTF-8 with `surrogateescape`, so no byte is lost and undecodable
bytes survive as lone surrogates. `repair_text` later turns each such byte into its cp1252
character (latin-1 for the five bytes cp1252 leaves undefined), field by field, so one badly
encoded record does not garble its UTF-8 neighbours and the caller can report exactly which
record was repaired.
"""

from __future__ import annotations

import codecs
import logging
import re

import html2text

logger = logging.getLogger(__name__)

FALLBACK_ENCODING = "cp1252"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _byte_to_char(byte: int) -> str:
    try:
        return bytes([byte]).decode(FALLBACK_ENCODING)
    except UnicodeDecodeError:
        return chr(byte)  # latin-1


_SURROGATE_TO_CHAR = {0xDC00 + byte: _byte_to_char(byte) for byte in range(0x80, 0x100)}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def text_encoding(data: bytes) -> tuple[str, int]:
    """The encoding announced by a byte-order mark (default UTF-8) and the mark's length."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, 0 if encoding in ("utf-16", "utf-32") else len(bom)
    return "utf-8", 0


def decode_document(data: bytes) -> str:
    """Decode a whole text file without losing bytes (see the module docstring)."""
    encoding, skip = text_encoding(data)
    if encoding in ("utf-16", "utf-32"):
        return data.decode(encoding, errors="replace")
    return data[skip:].decode("utf-8", errors="surrogateescape")


def repair_text(text: str) -> tuple[str, bool]:
    """Replace lone surrogates (undecodable bytes) by cp1252/latin-1 characters.

    Returns the text and whether anything was replaced. Pure ASCII returns at once.
    """
    if text.isascii():
        return text, False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(_replace_surrogate, text), True
    return text, False


def _replace_surrogate(match: re.Match[str]) -> str:
    return _SURROGATE_TO_CHAR.get(ord(match.group()), "\ufffd")


def decode_bytes(raw: bytes, declared_charset: str | None = None) -> tuple[str, str | None]:
    """Decode a message part: UTF-8, then the declared charset, then cp1252/latin-1.

    Returns the text and, when the last resort was needed, a note for a "repaired" problem.
    """
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as error:
        first_bad = error.start
    charset = (declared_charset or "").strip().strip('"').lower()
    if charset and charset not in ("utf-8", "utf8", "us-ascii", "ascii"):
        try:
            return raw.decode(charset), None
        except (LookupError, UnicodeDecodeError, ValueError):
            pass
    text, _ = repair_text(raw.decode("utf-8", errors="surrogateescape"))
    declared = f"; declared charset {charset!r} did not fit" if charset else ""
    return text, (
        f"undecodable bytes from byte {first_bad} (decoded as {FALLBACK_ENCODING}{declared})"
    )


_HTML_TAG = re.compile(
    r"<(?:html|body|head|div|p|br|table|tr|td|span|font|b|i|u|a\s|img|ul|ol|li|h[1-6]|center|"
    r"strong|em|blockquote|!doctype)[\s>/]",
    re.IGNORECASE,
)


def looks_like_html(text: str) -> bool:
    """True when the text contains common HTML tags (a stray "<" in prose does not count)."""
    return "<" in text and _HTML_TAG.search(text) is not None


_ANY_TAG = re.compile(r"<[^>]{0,2000}>")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body (tags stripped if the converter chokes)."""
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.unicode_snob = True
    try:
        text = converter.handle(html)
    except Exception:  # html2text is a third-party parser: never let one body stop an ingest
        logger.warning("html2text failed; stripping tags instead", exc_info=True)
        text = _ANY_TAG.sub(" ", html)
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return _BLANK_LINES.sub("\n\n", lines)
