"""Choosing a reader from a file's content first and its extension second.

Content decides when it is conclusive (zip magic, a leading "[" or "{", an mbox "From " line,
RFC 822 headers, a CSV header row naming email fields); the extension settles the rest, so a
file called `export.txt` holding JSON Lines and a `mail.json` holding an mbox both work.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import PurePosixPath

from tools.ingest.decode import text_encoding
from tools.ingest.fields import canonical_field, normalise_key
from tools.ingest.rfc822 import looks_like_headers

FORMATS = ("json", "jsonl", "csv", "mbox", "eml", "zip")
SNIFF_BYTES = 64 * 1024

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_EXTENSIONS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".mbox": "mbox",
    ".mbx": "mbox",
    ".eml": "eml",
    ".zip": "zip",
}
CSV_DELIMITERS = (",", ";", "\t", "|")
_FIRST_LINE = re.compile(r"[^\r\n]*")


def extension_format(filename: str) -> str | None:
    return _EXTENSIONS.get(PurePosixPath(filename.replace("\\", "/")).suffix.lower())


def detect_format(data: bytes, filename: str) -> str | None:
    """The reader to use for `data` ("json", "jsonl", "csv", "mbox", "eml", "zip") or None."""
    if data.startswith(ZIP_MAGIC):
        return "zip"
    by_extension = extension_format(filename)
    encoding, skip = text_encoding(data)
    head = data[skip : skip + SNIFF_BYTES].decode(encoding, errors="replace").lstrip("\ufeff")
    stripped = head.lstrip()
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        return "jsonl" if by_extension == "jsonl" or _first_line_is_object(stripped) else "json"
    if head.startswith("From "):
        return "mbox"
    if looks_like_headers(head):
        return "eml"
    if by_extension is not None:
        return by_extension
    if looks_like_email_csv_header(head):
        return "csv"
    return None


def _first_line_is_object(text: str) -> bool:
    """JSON Lines when the first line is a whole JSON object and more content follows."""
    first = _FIRST_LINE.match(text).group()  # type: ignore[union-attr]
    if not text[len(first) :].strip():
        return False
    try:
        return isinstance(json.loads(first), dict)
    except (ValueError, RecursionError):
        return False


def csv_delimiter(first_line: str, filename: str = "") -> str:
    """The delimiter of a CSV header row: tab for .tsv, else the most frequent candidate."""
    if filename.lower().endswith(".tsv"):
        return "\t"
    return max(CSV_DELIMITERS, key=first_line.count)


def looks_like_email_csv_header(head: str) -> bool:
    """True when the first line is a delimited header naming at least one email field."""
    first_line = _FIRST_LINE.match(head).group()  # type: ignore[union-attr]
    delimiter = csv_delimiter(first_line)
    if delimiter not in first_line:
        return False
    try:
        names = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    except (csv.Error, StopIteration):
        return False
    return any(canonical_field(name) or normalise_key(name) == "message" for name in names)
