"""Folder reader: a directory walked recursively, every file read in its own format.

This is how maildir trees arrive (the Enron `user/folder/1.` layout, or Maildir's
`cur/new/tmp`), and also folders of .eml files or any mix of supported files, archives
included. Each email's folder is the file's directory relative to the root (a maildir's
cur/new/tmp level dropped), unless the email names its own. Files are visited in sorted order,
so two reads of one folder give the same corpus. Symbolic links are never followed (a link
could lead anywhere on the machine); they and every other file that yields no email are
reported with the reason. The bytes read from the folder count against the upload limit.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from tools.ingest.problems import IngestError
from tools.ingest.readers import ReadContext
from tools.ingest.readers.members import SKIPPED, is_metadata, read_member_stream, safe_folder

logger = logging.getLogger(__name__)


def read_folder(root: Path, source: str, context: ReadContext) -> str:
    files = 0
    for relative in _walk(root, source, context):
        files += 1
        member_source = f"{source}/{relative}"
        path = root / relative
        try:
            info = path.lstat()
        except OSError as error:
            context.log.reject(member_source, "file", f"unreadable: {error.strerror}", kind=SKIPPED)
            continue
        if stat.S_ISLNK(info.st_mode):
            context.log.reject(member_source, "file", "a symbolic link: not followed", kind=SKIPPED)
            continue
        if not stat.S_ISREG(info.st_mode):
            context.log.reject(member_source, "file", "not a regular file", kind=SKIPPED)
            continue
        if not context.take(info.st_size):
            context.log.reject(
                member_source,
                "file",
                f"skipped with all later files: the folder holds more than the "
                f"{context.max_bytes / 1024 / 1024:g} MB limit",
            )
            break
        try:
            with path.open("rb") as handle:
                read_member_stream(handle, member_source, safe_folder(relative), context)
        except OSError as error:
            context.log.reject(
                member_source, "file", f"unreadable: {error.strerror or error}", kind=SKIPPED
            )
    if not files:
        raise IngestError(f"{source} is an empty folder")
    return "folder"


def _walk(root: Path, source: str, context: ReadContext) -> Iterator[str]:
    """Relative POSIX paths of every non-directory entry under `root`, sorted, links unfollowed."""

    def unreadable(error: OSError) -> None:
        where = Path(os.path.relpath(error.filename or root, root)).as_posix()
        context.log.reject(
            f"{source}/{where}", "folder", f"unreadable: {error.strerror}", kind=SKIPPED
        )

    for directory, subdirectories, names in os.walk(root, onerror=unreadable):
        subdirectories.sort()
        base = Path(directory).relative_to(root)
        for name in sorted(names):
            relative = (base / name).as_posix()
            if not is_metadata(relative):
                yield relative
        # a symlinked directory appears in subdirectories but os.walk does not enter it
        for name in subdirectories:
            if os.path.islink(os.path.join(directory, name)):
                yield (base / name).as_posix()
