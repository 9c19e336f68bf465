"""The corpus library: each corpus is ingested once per content and reused by every later analysis.

A corpus is keyed on the sha256 of its source: the file's bytes, or for a folder its files'
sorted relative paths and bytes (`source_fingerprint`). The index lives in the ZenML store
itself, so it works against a ZenML server as well as the local store: the corpus artifact that
`load_corpus` writes (today's Parquet artifact) is tagged `rlm-library` and `rlm-src-<sha256>`
and carries its library entry as artifact metadata under `rlm_library` (name, source, size,
sha256, uses). An analysis of the same content finds it by that tag and passes the stored artifact
straight to the pipeline: the source is not read again.

The only local state is a memo in `.rlm/library/fingerprints.json` (path + size + mtime_ns ->
sha256), so an unchanged file is not even hashed again; a changed file gets a new sha256 and so
becomes a new corpus. Removing an entry takes it out of the library (its tags); the artifact stays
while past runs refer to it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from pipeline import state_folder

logger = logging.getLogger(__name__)

LIBRARY_TAG = "rlm-library"
SOURCE_TAG_PREFIX = "rlm-src-"
ENTRY_KEY = "rlm_library"
HASH_BLOCK = 1 << 20
MEMO_NAME = "fingerprints.json"


class LibraryError(LookupError):
    """A library corpus that does not exist (or was removed); the message says which."""


class LibraryEntry(BaseModel):
    """One corpus in the library, as the UI and the CLI show it."""

    model_config = ConfigDict(extra="forbid")

    id: str  # the corpus artifact version id
    name: str
    source: str
    source_sha256: str
    emails: int
    first_date: str | None
    last_date: str | None
    size_bytes: int
    ingested_at: datetime
    uses: int


# --- fingerprints ------------------------------------------------------------------------------


def source_fingerprint(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's bytes, or of a folder's files (sorted relative paths and their bytes).
    Remote sources (s3://, gs://, ...) are read through ZenML's filesystem."""
    text = str(path)
    if "://" in text:
        return _remote_fingerprint(text)
    target = Path(path)
    digest = hashlib.sha256()
    if target.is_dir():
        for relative, file in _folder_files(target):
            digest.update(relative.encode("utf-8", "surrogateescape") + b"\0")
            digest.update(file.stat().st_size.to_bytes(8, "big"))
            _hash_into(digest, file)
        return "dir-" + digest.hexdigest()
    _hash_into(digest, target)
    return digest.hexdigest()


def source_size(path: str | os.PathLike[str]) -> int:
    """Bytes of a file, or of all files of a folder (0 for a remote source)."""
    target = Path(path)
    if "://" in str(path) or not target.exists():
        return 0
    if target.is_dir():
        return sum(file.stat().st_size for _, file in _folder_files(target))
    return target.stat().st_size


def fingerprint(path: str | os.PathLike[str], memo_path: Path | None = None) -> str:
    """`source_fingerprint(path)`, remembered per path + size + mtime_ns (for a folder, of every
    file in it), so an unchanged source is not hashed again."""
    if "://" in str(path):
        return source_fingerprint(path)
    target = Path(path).resolve()
    stamp = _stamp(target)
    memo_file = memo_path or state_folder.state_dir("library") / MEMO_NAME
    memo = _read_memo(memo_file)
    known = memo.get(str(target))
    if isinstance(known, dict) and known.get("stamp") == stamp and known.get("sha256"):
        return str(known["sha256"])
    digest = source_fingerprint(target)
    memo = _read_memo(memo_file)  # re-read: another process may have added entries meanwhile
    memo[str(target)] = {"stamp": stamp, "sha256": digest}
    _write_memo(memo_file, memo)
    return digest


def _stamp(target: Path) -> str:
    if target.is_dir():
        listing = hashlib.sha256()
        for relative, file in _folder_files(target):
            info = file.stat()
            listing.update(f"{relative}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
        return "dir:" + listing.hexdigest()
    info = target.stat()
    return f"{info.st_size}:{info.st_mtime_ns}"


def _folder_files(folder: Path) -> list[tuple[str, Path]]:
    files = [
        (file.relative_to(folder).as_posix(), file)
        for file in folder.rglob("*")
        if file.is_file() and not file.is_symlink()
    ]
    return sorted(files)


def _hash_into(digest: Any, file: Path) -> None:
    with open(file, "rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)


def _remote_fingerprint(source: str) -> str:
    from zenml.io import fileio

    digest = hashlib.sha256()
    with fileio.open(source, "rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _read_memo(memo_file: Path) -> dict[str, Any]:
    try:
        memo = json.loads(memo_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return memo if isinstance(memo, dict) else {}


def _write_memo(memo_file: Path, memo: dict[str, Any]) -> None:
    """Atomically: concurrent launches never see half a file."""
    state_folder.make_private_dir(memo_file.parent)
    partial = memo_file.with_name(f".{memo_file.name}.{os.getpid()}")
    with state_folder.open_private(partial, "wb") as handle:
        handle.write(json.dumps(memo).encode("utf-8"))
    os.replace(partial, memo_file)


# --- the index in the ZenML store --------------------------------------------------------------


def source_tag(sha256: str) -> str:
    return f"{SOURCE_TAG_PREFIX}{sha256}"


def entry_metadata(source: str, sha256: str, size_bytes: int) -> dict[str, Any]:
    """What `load_corpus` attaches to a new corpus artifact (its library entry, used once)."""
    name = os.path.basename(str(source).rstrip("/")) or str(source)
    return {
        ENTRY_KEY: {
            "name": name,
            "source": str(source),
            "source_sha256": sha256,
            "size_bytes": size_bytes,
            "uses": 1,
        }
    }


def find(sha256: str) -> LibraryEntry | None:
    """The library corpus ingested from content `sha256`, or None (newest if there are several)."""
    from zenml.client import Client

    versions = Client().list_artifact_versions(
        tags=[LIBRARY_TAG, source_tag(sha256)], sort_by="desc:created", size=5, hydrate=True
    )
    for version in versions.items:
        entry = _entry(version)
        if entry is not None and entry.source_sha256 == sha256:
            return entry
    return None


def get(corpus_id: str) -> LibraryEntry:
    """The library entry of `corpus_id` (an artifact version id, or a unique prefix of one)."""
    version = _version(corpus_id)
    entry = _entry(version)
    if entry is None:
        raise LibraryError(f"corpus {corpus_id} is not in the library (removed, or not a corpus)")
    return entry


def entries(limit: int = 200) -> list[LibraryEntry]:
    """Every library corpus, newest first."""
    from zenml.client import Client

    versions = Client().list_artifact_versions(
        tags=[LIBRARY_TAG], sort_by="desc:created", size=limit, hydrate=True
    )
    return [entry for version in versions.items if (entry := _entry(version)) is not None]


def remove(corpus_id: str) -> None:
    """Take a corpus out of the library: later analyses of its content ingest it again."""
    from zenml.utils.tag_utils import remove_tags

    version = _version(corpus_id)
    tags = [tag.name for tag in version.tags if tag.name.startswith(SOURCE_TAG_PREFIX)]
    remove_tags(tags=[LIBRARY_TAG, *tags], artifact_version_id=version.id)
    logger.info("removed corpus %s from the library", version.id)


def record_use(corpus_id: str) -> None:
    """Count one more analysis of a library corpus (a lost count under a race is harmless)."""
    from zenml import log_metadata

    version = _version(corpus_id)
    values = dict(version.run_metadata.get(ENTRY_KEY) or {})
    values["uses"] = int(values.get("uses", 1)) + 1
    log_metadata(metadata={ENTRY_KEY: values}, artifact_version_id=version.id)


def corpus_artifact(corpus_id: str) -> Any:
    """The stored corpus artifact version, to pass straight to the pipeline's steps."""
    version = _version(corpus_id)
    if _entry(version) is None:
        raise LibraryError(f"corpus {corpus_id} is not in the library")
    return version


def _version(corpus_id: str) -> Any:
    from zenml.client import Client

    try:
        return Client().get_artifact_version(UUID(corpus_id))
    except (KeyError, ValueError):
        pass
    try:  # a prefix, as the CLI accepts for runs
        return Client().get_artifact_version(corpus_id)
    except (KeyError, ValueError, RuntimeError) as error:
        raise LibraryError(f"no library corpus with id {corpus_id!r}") from error


def _entry(version: Any) -> LibraryEntry | None:
    if LIBRARY_TAG not in {tag.name for tag in version.tags}:
        return None
    metadata = version.run_metadata or {}
    values = metadata.get(ENTRY_KEY)
    if not isinstance(values, dict):
        return None
    return LibraryEntry(
        id=str(version.id),
        name=str(values.get("name", "")),
        source=str(values.get("source", "")),
        source_sha256=str(values.get("source_sha256", "")),
        emails=int(metadata.get("emails", 0) or 0),
        first_date=metadata.get("first_date") or None,
        last_date=metadata.get("last_date") or None,
        size_bytes=int(values.get("size_bytes", 0) or 0),
        ingested_at=version.created,
        uses=int(values.get("uses", 1) or 1),
    )
