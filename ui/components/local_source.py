"""Opening a mailbox already on this machine: files and folders under the data root.

The data root is `RLM_DATA_DIR` (default `data/mailboxes/` in the repository, git-ignored). Its
files and folders are listed to pick from, or a path is typed; either must resolve, after every
symbolic link, to a place inside the root, else it is refused with a message saying so. Nothing
is copied or uploaded, so the upload limit does not apply. The preview is cached by the path and
a cheap signature of its contents (sizes and modification times); a large source is ingested in
a child process (`tools.ingest.isolated`), so the workbench never holds its emails.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

import streamlit as st

from pipeline.zenml_env import REPO_ROOT
from ui import state
from ui.components.corpus_preview import CorpusPreview, preview_of_result
from ui.errors import show_error

logger = logging.getLogger(__name__)

DATA_DIR_ENV = "RLM_DATA_DIR"
DEFAULT_DATA_DIR = REPO_ROOT / "data" / "mailboxes"
LISTED_DEPTH = 2  # entries listed: the root's children and grandchildren
MAX_LISTED = 500
NO_LIMIT = sys.maxsize  # a local source has no upload limit
ISOLATE_BYTES = 64 * 1024 * 1024  # sources this large are previewed in a child process
SIGNATURE_TTL_S = 10


class OutsideDataRoot(ValueError):
    """The path is not inside the data root (directly or through a link); the message says so."""


def data_root() -> Path:
    """The folder local sources must live in (`RLM_DATA_DIR`, default data/mailboxes)."""
    configured = os.environ.get(DATA_DIR_ENV, "").strip()
    return (Path(configured).expanduser() if configured else DEFAULT_DATA_DIR).resolve()


def resolve_inside(root: Path, typed: str) -> Path:
    """The real path of `typed` (relative to `root`, or absolute), refused unless it is inside."""
    text = typed.strip()
    if not text:
        raise OutsideDataRoot("no path given")
    candidate = Path(text).expanduser()
    candidate = candidate if candidate.is_absolute() else root / candidate
    try:
        real = candidate.resolve(strict=True)
    except FileNotFoundError:
        raise OutsideDataRoot(f"{text} does not exist under {root}") from None
    except (OSError, RuntimeError) as error:  # a symlink loop, a permission error
        raise OutsideDataRoot(f"{text} cannot be opened: {error}") from None
    if not real.is_relative_to(root):
        through = " through a symbolic link" if candidate.absolute() != real else ""
        raise OutsideDataRoot(
            f"{text} leads outside the data folder {root}{through}; only files and folders "
            f"inside it can be opened (move or copy the mailbox there, or set {DATA_DIR_ENV})"
        )
    return real


def list_entries(root: Path) -> list[str]:
    """Files and folders under `root` (two levels, hidden ones left out), folders ending in "/"."""
    found: list[str] = []

    def visit(folder: Path, depth: int) -> None:
        try:
            children = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError:
            return
        for child in children:
            if child.name.startswith(".") or len(found) >= MAX_LISTED:
                continue
            relative = child.relative_to(root).as_posix()
            is_folder = child.is_dir()
            found.append(relative + ("/" if is_folder else ""))
            if is_folder and not child.is_symlink() and depth < LISTED_DEPTH:
                visit(child, depth + 1)

    if root.is_dir():
        visit(root, 1)
    return found


@st.cache_data(ttl=SIGNATURE_TTL_S, max_entries=32, show_spinner=False)
def signature(path: Path) -> tuple[int, int, int]:
    """(files, bytes, newest mtime) of a file or a folder tree: changes when its content does.
    Kept for a few seconds, so the reruns of one interaction do not walk a big tree again."""
    if not path.is_dir():
        info = path.stat()
        return 1, info.st_size, info.st_mtime_ns
    files = size = newest = 0
    for directory, _, names in os.walk(path):
        for name in names:
            try:
                info = os.lstat(os.path.join(directory, name))
            except OSError:
                continue
            files, size, newest = files + 1, size + info.st_size, max(newest, info.st_mtime_ns)
    return files, size, newest


@st.cache_data(max_entries=8, show_spinner="Reading the mailbox ...")
def preview_local(path: str, content_signature: tuple[int, int, int]) -> CorpusPreview:
    """Ingest a local source (cached by path and `content_signature`); raises IngestError."""
    from tools.ingest import ingest_path
    from tools.ingest.isolated import ingest_isolated

    if content_signature[1] < ISOLATE_BYTES:
        return preview_of_result(ingest_path(path, max_bytes=NO_LIMIT))
    with tempfile.TemporaryDirectory(prefix="rlm-preview-") as folder:
        result = ingest_isolated(path, Path(folder) / "corpus.parquet", max_bytes=NO_LIMIT)
        return preview_of_result(result)


def render_local_picker() -> tuple[CorpusPreview, Path] | None:
    """The data root's entries to pick from, or a typed path; the preview and the real path."""
    root = data_root()
    entries = list_entries(root)
    st.caption(f"Mailboxes in the data folder `{root}` (set {DATA_DIR_ENV} to use another).")
    picked = st.selectbox(
        "File or folder",
        options=entries,
        index=None,
        placeholder="Pick a mailbox file or folder ..." if entries else "The data folder is empty",
        key=state.LOCAL_PICK,
    )
    typed = st.text_input(
        "... or type its path (inside the data folder)", key=state.LOCAL_PATH
    ).strip()
    wanted = typed or picked
    if not wanted:
        st.info(f"Put mailboxes (files or folders) in {root}, then pick one here.")
        return None
    try:
        path = resolve_inside(root, wanted)
        preview = preview_local(str(path), signature(path))
    except OutsideDataRoot as error:
        show_error(f"{wanted} cannot be opened.", str(error), advice=f"Pick an entry of {root}.")
        return None
    except Exception as error:  # IngestError and anything a malformed mailbox triggers
        logger.info("local source %s could not be ingested: %s", wanted, error)
        show_error(
            f"{wanted} could not be read.",
            str(error),
            advice="Pick a mailbox file or folder with at least one email.",
        )
        return None
    return preview, path
