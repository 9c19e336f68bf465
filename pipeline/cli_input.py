"""Checking the command line's input before a pipeline starts (`python -m pipeline.run`): the
query, the source file (missing, unreadable, nothing ingestible), a reviewed plan, the model
settings, and which corpus the run uses: a source whose content is in the corpus library
(`pipeline.library`) is not read again. Problems are `BadInput`, which the CLI prints as one line
on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path
from typing import Any

from pipeline.schemas import ApprovedPlan, Budget, LLMSettings

QUICK_CHECK_BYTES = 16 << 20  # files larger than this are checked from their head
LOCAL_MAX_BYTES = sys.maxsize  # a local path has no upload limit: any file the machine can hold


class BadInput(ValueError):
    """Input the CLI refuses before starting a pipeline."""


def is_remote(source: str) -> bool:
    """s3://, gs://, ... sources are read through the artifact store's filesystem."""
    return "://" in source


def file_fingerprint(path: str) -> str:
    """The corpus library's key for `path` (`pipeline.library.fingerprint`: sha256 of a file, or
    of a folder's files; remembered per path, size and mtime so an unchanged source is not hashed
    again). One key for every entry point, so a corpus ingested by one is reused by the others."""
    from pipeline import library

    return library.fingerprint(path)


def check_input(source: str, query: str, max_bytes: int) -> None:
    """Refuse bad input before a pipeline starts: empty query, missing file, oversized file, a
    file with no usable email. A large file is judged from its first QUICK_CHECK_BYTES (the
    readers keep every complete record of a cut file), so the run does not ingest it twice; only
    when that head yields nothing is the whole file read to be sure."""
    from tools.ingest import IngestError, check_size, ingest_bytes, ingest_path

    if not query.strip():
        raise BadInput("the query is empty: pass --query with the question to investigate")
    if is_remote(source):
        return  # read by the load_corpus step on the remote stack, which reports problems
    path = Path(source)
    if not path.exists():
        raise BadInput(f"source file not found: {source}")
    if path.is_dir():  # a folder of mail files: ingest_path reads it
        try:
            found = len(ingest_path(str(path), max_bytes=max_bytes).corpus)
        except IngestError as error:
            raise BadInput(f"{source}: {error}") from None
        if found == 0:
            raise BadInput(f"{source}: no emails could be read from this folder")
        return
    if not path.is_file():
        raise BadInput(f"source is not a file or folder: {source}")
    try:
        size = path.stat().st_size
        check_size(size, path.name, max_bytes)
        if size > QUICK_CHECK_BYTES and not zipfile.is_zipfile(path):
            with path.open("rb") as handle:
                head = handle.read(QUICK_CHECK_BYTES)
            try:
                if len(ingest_bytes(head, path.name, max_bytes=max_bytes).corpus):
                    return
            except IngestError:
                pass  # the head alone proves nothing: read the whole file below
        found = len(ingest_path(str(path), max_bytes=max_bytes).corpus)
    except IngestError as error:
        raise BadInput(f"{source}: {error}") from None
    if found == 0:
        raise BadInput(f"{source}: no emails could be read from this file")


def budget_of(args: argparse.Namespace) -> Budget:
    return Budget(
        max_chunks=args.max_chunks,
        max_iterations=args.max_iterations,
        max_depth=args.max_depth,
        max_usd_total=args.max_usd,
        max_tokens_total=args.max_tokens,
    )


def read_plan(path: str) -> ApprovedPlan:
    """The reviewed plan in `path`; BadInput saying what is wrong when it cannot be used."""
    from pydantic import ValidationError

    try:
        return ApprovedPlan.model_validate_json(Path(path).read_bytes())
    except OSError as error:
        raise BadInput(f"cannot read the plan {path}: {error.strerror or error}") from None
    except ValidationError as error:
        raise BadInput(f"{path} is not a valid plan: {error.errors()[0]['msg']}") from None


def llm_settings(args: argparse.Namespace) -> LLMSettings:
    from pipeline.agent.llm import LLMConfigError, resolve_settings

    overrides: dict[str, Any] = {}
    if args.model:
        overrides["model"] = args.model
    if args.base_url:
        overrides.update(base_url=args.base_url, mode="llm")
    try:
        return resolve_settings(LLMSettings(**overrides))
    except LLMConfigError as error:
        raise BadInput(str(error)) from None


def resolve_corpus(args: argparse.Namespace, max_bytes: int) -> tuple[str, str, str | None]:
    """(source, its sha256, library corpus id or None) for the run; checks the input.

    A source whose content is in the library is not read (not even hashed again when its size
    and mtime are unchanged): the run reuses the stored corpus."""
    from pipeline import library

    if not args.query.strip():
        raise BadInput("the query is empty: pass --query with the question to investigate")
    if args.corpus:
        try:
            entry = library.get(args.corpus)
        except library.LibraryError as error:
            raise BadInput(str(error)) from None
        return entry.source, entry.source_sha256, entry.id
    source = args.source if is_remote(args.source) else str(Path(args.source).resolve())
    if not is_remote(source) and not Path(source).exists():
        raise BadInput(f"source file not found: {source}")
    try:
        sha256 = library.fingerprint(source)
    except OSError as error:
        raise BadInput(f"{source}: cannot be read ({error.strerror or error})") from None
    entry = library.find(sha256)
    if entry is not None:
        return source, sha256, entry.id
    check_input(source, args.query, max_bytes)
    return source, sha256, None
