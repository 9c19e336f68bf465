"""Tar reader: .tar, .tar.gz/.tgz, .tar.bz2 and .tar.xz archives (the form of the CMU Enron
maildir), streamed member by member and never unpacked to disk.

`tarfile` in stream mode ("r|", over a gzip/bzip2/xz decompressing stream) reads the archive front to back, so only the current member
is in memory. Every member's bytes and its 512-byte header count against the upload limit
(`ReadContext.take`): tar sizes are exact, so a member that would pass the limit is refused
before it is decompressed, and a compressed run of millions of empty headers is stopped too.
Member names are only labels (see `tools.ingest.readers.members`); links, devices and other
non-files are skipped with a problem. A damaged archive keeps every member read before the
damage.
"""

from __future__ import annotations

import bz2
import gzip
import io
import logging
import lzma
import tarfile
import zlib
from typing import BinaryIO

from tools.ingest.problems import IngestError
from tools.ingest.readers import ReadContext
from tools.ingest.readers.members import SKIPPED, is_metadata, read_member_bytes, safe_folder

logger = logging.getLogger(__name__)

HEADER_BYTES = 512
READ_BUFFER = 1 << 20
_TAR_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)


def _decompressed(handle: BinaryIO) -> BinaryIO:
    """The archive's bytes, decompressed as a buffered stream (faster than tarfile's own "r|gz",
    which refills a 10 KB buffer by concatenation)."""
    head = handle.read(6)
    handle.seek(0)
    if head.startswith(b"\x1f\x8b"):
        stream: BinaryIO = gzip.GzipFile(fileobj=handle, mode="rb")
    elif head.startswith(b"BZh"):
        stream = bz2.BZ2File(handle, "rb")
    elif head.startswith(b"\xfd7zXZ\x00"):
        stream = lzma.LZMAFile(handle, "rb")  # noqa: SIM115 (read through, closed with the tar)
    else:
        return handle
    return io.BufferedReader(stream, READ_BUFFER)  # type: ignore[arg-type]


def read_tar(handle: BinaryIO, source: str, context: ReadContext) -> str:
    try:
        archive = tarfile.open(fileobj=_decompressed(handle), mode="r|")  # noqa: SIM115
    except _TAR_ERRORS as error:
        raise IngestError(f"{source} is not a readable tar archive: {error}") from None
    log = context.log
    count = 0
    with archive:
        while True:
            try:
                info = archive.next()
            except _TAR_ERRORS as error:
                where = f"after member {count:,}" if count else "start"
                if not count:
                    raise IngestError(f"{source} is not a readable tar archive: {error}") from None
                log.reject(
                    source,
                    where,
                    f"the archive is damaged here ({error}); the {count:,} members before were read",
                )
                break
            if info is None:
                break
            count += 1
            archive.members.clear()  # stream mode keeps every header otherwise
            if not _read_one(archive, info, source, context):
                break
    if not count:
        raise IngestError(f"{source} is an empty tar archive")
    return "tar"


def _read_one(
    archive: tarfile.TarFile, info: tarfile.TarInfo, source: str, context: ReadContext
) -> bool:
    """Read one member; False when the limit is reached and reading must stop."""
    member_source = f"{source}!{info.name}"
    if not context.take(HEADER_BYTES + (info.size if info.isreg() else 0)):
        context.log.reject(
            member_source,
            "member",
            f"skipped with all later members: the archive unpacks to more than the "
            f"{context.max_bytes / 1024 / 1024:g} MB limit",
        )
        return False
    if info.isdir() or is_metadata(info.name):
        return True
    if not info.isreg():
        kind = "link" if info.issym() or info.islnk() else "special file"
        context.log.reject(member_source, "member", f"a {kind}, not a file: not read", kind=SKIPPED)
        return True
    try:
        member = archive.extractfile(info)
        data = member.read() if member is not None else b""
    except _TAR_ERRORS as error:
        context.log.reject(member_source, "member", f"unreadable member: {error}", kind=SKIPPED)
        return True
    read_member_bytes(data, member_source, safe_folder(info.name), context, archives=False)
    return True
