"""Zip reader: every member in any supported format, one level deep, with zip-bomb guards.

Sizes in a zip's directory can lie, so members are decompressed in blocks and counted as they
come: once the bytes unpacked would pass the upload limit (`ReadContext.take`), that member and
all later ones are skipped and reported. At most `MAX_MEMBERS` members are opened. Archives
inside the archive, macOS resource forks and files of unknown format are skipped with a problem.
The archive is read from its file, never loaded whole.
"""

from __future__ import annotations

import logging
import zipfile
import zlib
from typing import BinaryIO

from tools.ingest.problems import IngestError
from tools.ingest.readers import ReadContext
from tools.ingest.readers.members import SKIPPED, is_metadata, read_member_bytes, safe_folder

logger = logging.getLogger(__name__)

MAX_MEMBERS = 100_000
READ_BLOCK = 1024 * 1024

_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    OSError,
    ValueError,
    EOFError,
    NotImplementedError,  # e.g. "zip file version 9.1" in a forged central directory
    RuntimeError,
)


class _TooLarge(Exception):
    pass


def read_zip(handle: BinaryIO, source: str, context: ReadContext) -> str:
    try:
        archive = zipfile.ZipFile(handle)
        listed = archive.infolist()
    except _ZIP_ERRORS as error:
        raise IngestError(f"{source} is not a readable zip archive: {error}") from None
    log = context.log
    nameless = sum(1 for info in listed if not info.filename)
    if nameless:  # a forged directory entry; zipfile's is_dir() fails on it
        log.reject(source, "central directory", f"{nameless} member(s) without a name skipped")
    members = [info for info in listed if info.filename and not info.filename.endswith("/")]
    if not members:
        raise IngestError(f"{source} is an empty zip archive")
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
            if is_metadata(info.filename):
                continue
            try:
                member = _read_member(archive, info, context)
            except _TooLarge:
                log.reject(
                    member_source,
                    "member",
                    f"skipped with {len(members) - index - 1:,} later members: the archive "
                    f"unpacks to more than the {context.max_bytes / 1024 / 1024:g} MB limit",
                )
                break
            except _ZIP_ERRORS as error:
                log.reject(member_source, "member", f"unreadable member: {error}", kind=SKIPPED)
                continue
            read_member_bytes(
                member, member_source, safe_folder(info.filename), context, archives=False
            )
    return "zip"


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, context: ReadContext) -> bytes:
    """The member's bytes, counted against the limit block by block (declared sizes can lie)."""
    if info.file_size > context.max_bytes - context.unpacked:
        raise _TooLarge
    chunks: list[bytes] = []
    with archive.open(info) as handle:
        while block := handle.read(READ_BLOCK):
            if not context.take(len(block)):
                raise _TooLarge
            chunks.append(block)
    return b"".join(chunks)
