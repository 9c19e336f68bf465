"""Zip reader: every member in any supported format, one level deep, with zip-bomb guards.

Sizes in a zip's directory can lie, so members are decompressed in blocks and counted as they
come: once the archive's total uncompressed bytes would pass the upload limit, that member and
all later ones are skipped and reported. At most `MAX_MEMBERS` members are opened. Archives
inside the archive, macOS resource forks and files of unknown format are skipped with a problem.
"""

from __future__ import annotations

import io
import logging
import posixpath
import zipfile
import zlib

from tools.ingest.detect import detect_format
from tools.ingest.problems import IngestError
from tools.ingest.readers import ReadContext, reader_for

logger = logging.getLogger(__name__)

MAX_MEMBERS = 100_000
READ_BLOCK = 1024 * 1024


class _TooLarge(Exception):
    pass


def read_zip(data: bytes, source: str, context: ReadContext) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        OSError,
        ValueError,
        EOFError,
        NotImplementedError,  # e.g. "zip file version 9.1" in a forged central directory
        RuntimeError,
    ) as error:
        raise IngestError(f"{source} is not a readable zip archive: {error}") from None
    if not members:
        raise IngestError(f"{source} is an empty zip archive")
    log = context.log
    budget = context.max_bytes
    with archive:
        for index, info in enumerate(members):
            member_source = f"{source}!{info.filename}"
            if index >= MAX_MEMBERS:
                log.reject(
                    source,
                    f"members {index + 1:,}-{len(members):,}",
                    f"{len(members) - index:,} members skipped: at most {MAX_MEMBERS:,} are read",
                )
                break
            if _is_metadata(info.filename):
                continue
            try:
                member = _read_member(archive, info, budget)
            except _TooLarge:
                skipped = len(members) - index
                log.reject(
                    member_source,
                    "member",
                    f"skipped with {skipped - 1:,} later members: the archive unpacks to more than "
                    f"the {context.max_bytes / 1024 / 1024:g} MB limit",
                )
                break
            except (
                zipfile.BadZipFile,
                zlib.error,
                RuntimeError,
                OSError,
                ValueError,
                EOFError,
                NotImplementedError,
            ) as error:
                log.reject(
                    member_source, "member", f"unreadable member: {error}", kind="zip member"
                )
                continue
            budget -= len(member)
            _read_member_content(member, member_source, context)
    return "zip"


def _is_metadata(name: str) -> bool:
    """macOS resource forks and Finder files that zip tools add next to real content."""
    base = posixpath.basename(name)
    return name.startswith("__MACOSX/") or base.startswith("._") or base == ".DS_Store"


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    if info.file_size > budget:
        raise _TooLarge
    chunks: list[bytes] = []
    total = 0
    with archive.open(info) as handle:
        while block := handle.read(READ_BLOCK):
            total += len(block)
            if total > budget:
                raise _TooLarge
            chunks.append(block)
    return b"".join(chunks)


def _read_member_content(member: bytes, member_source: str, context: ReadContext) -> None:
    log = context.log
    if not member.strip():
        log.reject(member_source, "member", "empty file", kind="zip member")
        return
    format_name = detect_format(member, member_source)
    if format_name is None:
        log.reject(member_source, "member", "not an email file (unknown format)", kind="zip member")
        return
    if format_name == "zip":
        log.reject(
            member_source,
            "member",
            "archive inside the archive not opened (one level only)",
            kind="zip member",
        )
        return
    try:
        reader_for(format_name)(member, member_source, context)
    except IngestError as error:
        log.reject(member_source, "member", str(error), kind="zip member")
