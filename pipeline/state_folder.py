"""The project's state folder `.rlm/`, kept owner-only.

Everything the workbench keeps about a corpus lives under `.rlm/`: the ZenML store and its
artifacts (`zenml/`), uploads, launch logs, the corpus library, the evidence basket, temporary
files of runs (`tmp/`) and the audit log. Mail is confidential, so folders are 0700 and files
0600:

- `state_dir("uploads")` creates a folder (and every level from `.rlm/` down) owner-only;
- `make_private_dir(path)` does the same for any folder, `write_private` and `open_private`
  create owner-only files;
- `restrict_umask()` sets the umask 077 for this process and every process it starts, so files
  that other code creates there (ZenML, SQLite, pyarrow, helpers that call `open`) are
  owner-only too;
- `secure_tree(root)` tightens a folder made before these rules (an older checkout).

`RLM_STATE_DIR` moves the whole folder (the test suite points it at a throwaway folder, so tests
never write into a developer's `.rlm/`); it is read once, at import.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_ENV = "RLM_STATE_DIR"
STATE_ROOT = Path(os.environ.get(STATE_ENV) or REPO_ROOT / ".rlm")

OWNER_ONLY_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def restrict_umask() -> int:
    """Make every file and folder this process (and its children) creates owner-only; returns
    the previous umask."""
    return os.umask(OWNER_ONLY_UMASK)


def make_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create `path` (and any missing parent) with mode 0700; an existing `path` is tightened."""
    folder = Path(path)
    missing = []
    level = folder
    while not level.exists():
        missing.append(level)
        if level.parent == level:
            break
        level = level.parent
    for level in reversed(missing):
        with contextlib.suppress(FileExistsError):  # created concurrently
            level.mkdir(mode=DIR_MODE)
    _tighten(folder, DIR_MODE)
    return folder


def state_dir(*parts: str, root: Path | None = None) -> Path:
    """`.rlm/<parts>`, every level from `.rlm/` down created (or tightened to) 0700."""
    folder = root or STATE_ROOT
    make_private_dir(folder)
    for part in parts:
        folder = make_private_dir(folder / part)
    return folder


def open_private(path: str | os.PathLike[str], mode: str = "ab") -> IO:
    """Open a file for writing (`"wb"`, `"ab"`, `"w"`, `"a"`), creating it 0600 in a private
    folder; an existing file is tightened to 0600."""
    if mode not in ("wb", "ab", "w", "a"):
        raise ValueError(f"open_private writes only (wb, ab, w, a), not {mode!r}")
    target = Path(path)
    make_private_dir(target.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(target, flags | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    if "b" in mode:
        return os.fdopen(fd, mode)
    return os.fdopen(fd, mode, encoding="utf-8")


def write_private(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write `data` to `path` atomically (a 0600 temporary file renamed over it)."""
    target = Path(path)
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with open_private(part, "wb") as out:
        out.write(payload)
    os.replace(part, target)
    return target


def secure_tree(root: str | os.PathLike[str]) -> int:
    """Tighten every folder under `root` (itself included) to 0700 and every file to 0600;
    symlinks are left alone. Returns how many entries changed."""
    top = Path(root)
    if not top.is_dir() or top.is_symlink():
        return 0
    changed = int(_tighten(top, DIR_MODE))
    for folder, dirs, files in os.walk(top):
        for name in dirs:
            changed += _tighten(Path(folder, name), DIR_MODE)
        for name in files:
            changed += _tighten(Path(folder, name), FILE_MODE)
    return changed


def is_owner_only(path: str | os.PathLike[str]) -> bool:
    """No permission bit for group or others."""
    return stat.S_IMODE(os.lstat(path).st_mode) & 0o077 == 0


def _tighten(path: Path, wanted: int) -> bool:
    """Remove group/other bits (and add the owner's) when any are set; True when it changed."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        return False
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077 == 0 and mode & wanted == wanted:
        return False
    os.chmod(path, (mode & 0o700) | wanted)
    return True
