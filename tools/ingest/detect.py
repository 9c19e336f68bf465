"""Choosing a reader from a file's content first and its extension second.

Content decides when it is conclusive (the magic bytes of zip, tar and its gzip/bzip2/xz
compressions, Parquet, Arrow, Outlook's OLE2 .msg and .pst; a leading "[" or "{", an mbox
"From " line, RFC 822 headers, a CSV header row naming email fields); the extension settles
the rest, so a file called `export.txt` holding JSON Lines and a `mail.json` holding an mbox
both work. Only the first `SNIFF_BYTES` are needed, so a large file is never read to detect it.
"""

from __future__ import annotations

import csv
import io
import json
import re

from tools.ingest.decode import text_encoding
from tools.ingest.fields import canonical_field, normalise_key
from tools.ingest.readers.csv_layouts import OutlookLayout, thunderbird_offset
from tools.ingest.rfc822 import looks_like_headers

FORMATS = ("json", "jsonl", "csv", "mbox", "eml", "msg", "zip", "tar", "parquet", "arrow")
SNIFF_BYTES = 64 * 1024

_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x1f\x8b", "tar"),  # gzip: a .tar.gz (a gzipped single file is refused by the tar reader)
    (b"BZh", "tar"),
    (b"\xfd7zXZ\x00", "tar"),
    (b"PAR1", "parquet"),
    (b"ARROW1", "arrow"),  # Arrow IPC file, also Feather v2
    (b"FEA1", "arrow"),  # Feather v1
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "msg"),  # OLE2 compound file (Outlook .msg)
    (b"!BDN", "pst"),  # Outlook .pst / .ost
)
_TAR_MAGIC_OFFSET = 257
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
    ".tar": "tar",
    ".tgz": "tar",
    ".tbz2": "tar",
    ".gz": "tar",
    ".bz2": "tar",
    ".xz": "tar",
    ".parquet": "parquet",
    ".arrow": "arrow",
    ".arrows": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
    ".msg": "msg",
    ".pst": "pst",
    ".ost": "pst",
}
CSV_DELIMITERS = (",", ";", "\t", "|")
_FIRST_LINE = re.compile(r"[^\r\n]*")


def extension_format(filename: str) -> str | None:
    base = filename.replace("\\", "/").rpartition("/")[2]
    stem, dot, suffix = base.rpartition(".")
    return _EXTENSIONS.get(f".{suffix.lower()}") if dot and stem.strip(".") else None


def detect_format(data: bytes, filename: str) -> str | None:
    """The reader to use for `data` (one of `FORMATS`, or "pst") or None when unknown.

    `data` may be just the first `SNIFF_BYTES` of the file."""
    for magic, format_name in _MAGIC:
        if data.startswith(magic):
            return format_name
    if data[_TAR_MAGIC_OFFSET : _TAR_MAGIC_OFFSET + 5] == b"ustar":
        return "tar"
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
    if looks_like_headers(head) and not _is_csv_header_row(head):
        return "eml"
    if by_extension is not None:
        return by_extension
    if looks_like_email_csv_header(head) or looks_like_thunderbird_csv(head):
        return "csv"
    return None


def _is_csv_header_row(head: str) -> bool:
    """A first line like `"Subject","Body","From: (Name)",...` (an Outlook CSV export) or
    `"Re: lunch","a@x",...` (a Thunderbird one) also matches the "Name:" shape of a header; a real
    header's name never holds quotes or delimiters."""
    name = head.partition(":")[0]
    return any(mark in name for mark in '",;\t|') and (
        looks_like_email_csv_header(head) or looks_like_thunderbird_csv(head)
    )


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


def _first_csv_row(head: str) -> list[str]:
    first_line = _FIRST_LINE.match(head).group()  # type: ignore[union-attr]
    delimiter = csv_delimiter(first_line)
    if delimiter not in first_line:
        return []
    try:
        return next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []


def looks_like_thunderbird_csv(head: str) -> bool:
    """True when the first line is a row of a Thunderbird ImportExportTools export (no header)."""
    row = _first_csv_row(head)
    return bool(row) and thunderbird_offset(row) is not None


def looks_like_email_csv_header(head: str) -> bool:
    """True when the first line is a delimited header naming at least one email field."""
    names = _first_csv_row(head)
    return any(canonical_field(name) or normalise_key(name) == "message" for name in names) or (
        bool(names)
        and OutlookLayout.from_header([normalise_key(name) for name in names]) is not None
    )
