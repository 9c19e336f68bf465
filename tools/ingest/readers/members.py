"""Reading one file found inside a folder or an archive, in whatever format it holds.

Folders, zip and tar archives all come down to the same step: detect the member's format, read
it with that format's reader inside the member's folder, and turn anything that stops the member
(empty, unknown format, an archive inside an archive, a reader's `IngestError`) into a reported
problem, so one bad member never stops the rest.

Member names come from the archive and may be hostile ("../../etc/passwd", "/abs", "C:\\x").
Nothing is ever written to disk under such a name; they are only labels, and the folder given to
emails is `safe_folder`'s cleaned-up relative path.
"""

from __future__ import annotations

import logging
import posixpath
from typing import BinaryIO

from tools.ingest.detect import SNIFF_BYTES, detect_format
from tools.ingest.problems import IngestError
from tools.ingest.readers import (
    ARCHIVE_FORMATS,
    STREAM_FORMATS,
    ReadContext,
    reader_for,
    stream_reader_for,
)

logger = logging.getLogger(__name__)

MAILDIR_LEAVES = {"cur", "new", "tmp"}
SKIPPED = "skipped file"  # the problem kind of every member that yields no email


def is_metadata(name: str) -> bool:
    """macOS resource forks and Finder files that zip tools and Finder add next to real content."""
    base = posixpath.basename(name)
    return (
        name.startswith("__MACOSX/")
        or "/__MACOSX/" in name
        or base.startswith("._")
        or (base == ".DS_Store")
    )


def safe_folder(member_path: str) -> str | None:
    """The folder of a member as a clean relative path: "allen-p/inbox" for
    "allen-p/inbox/1.", without "..", ".", drive letters or a leading "/"; a maildir's
    cur/new/tmp level is dropped ("user/.Sent/cur/1:2,S" is in "user/.Sent")."""
    parts = [
        part
        for part in member_path.replace("\\", "/").split("/")[:-1]
        if part not in ("", ".", "..") and not part.endswith(":")
    ]
    if parts and parts[-1] in MAILDIR_LEAVES:
        parts.pop()
    return "/".join(parts) or None


def read_member_bytes(
    data: bytes, member_source: str, folder: str | None, context: ReadContext, *, archives: bool
) -> None:
    """Read one member held in memory; `archives` allows a zip or tar inside (folders only)."""
    if not data.strip():
        context.log.reject(member_source, "member", "empty file", kind=SKIPPED)
        return
    format_name = _member_format(
        data[:SNIFF_BYTES], member_source, context, archives=archives, location="member"
    )
    if format_name is None:
        return
    with context.assembler.folder_default(folder):
        try:
            reader_for(format_name)(data, member_source, context)
        except IngestError as error:
            context.log.reject(member_source, "member", str(error), kind=SKIPPED)


def read_member_stream(
    handle: BinaryIO, member_source: str, folder: str | None, context: ReadContext
) -> None:
    """Read one file of a folder from an open handle: archives, Parquet and Arrow are streamed,
    everything else is read into memory first."""
    head = handle.read(SNIFF_BYTES)
    if not head.strip():
        context.log.reject(member_source, "file", "empty file", kind=SKIPPED)
        return
    format_name = _member_format(head, member_source, context, archives=True, location="file")
    if format_name is None:
        return
    with context.assembler.folder_default(folder):
        try:
            if format_name in STREAM_FORMATS:
                handle.seek(0)
                stream_reader_for(format_name)(handle, member_source, context)
            else:
                reader_for(format_name)(head + handle.read(), member_source, context)
        except IngestError as error:
            context.log.reject(member_source, "file", str(error), kind=SKIPPED)


def _member_format(
    head: bytes, member_source: str, context: ReadContext, *, archives: bool, location: str
) -> str | None:
    format_name = detect_format(head, member_source)
    if format_name is None:
        context.log.reject(
            member_source, location, "not an email file (unknown format)", kind=SKIPPED
        )
        return None
    if format_name in ARCHIVE_FORMATS and not archives:
        context.log.reject(
            member_source,
            location,
            "archive inside the archive not opened (one level only)",
            kind=SKIPPED,
        )
        return None
    return format_name
