"""The audit log: who launched a run, exported evidence or marked a run failed, when, and on
which corpus.

One JSON object per line, appended to `.rlm/audit.log` (owner-only, see `state_folder`). Every
writer calls `record(action, who=..., corpus=..., run=..., detail=...)`; the Runs page reads the
newest entries with `read_entries()`. Appends from several processes are serialised with an
exclusive lock, so lines never interleave. A line that does not parse (a torn write after a
crash, a hand edit) is skipped, never fatal. Nothing secret belongs here: callers pass names,
questions and formats, never a key.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline import state_folder

logger = logging.getLogger(__name__)

AUDIT_FILE = "audit.log"

# Actions written by the workbench (callers may add their own short verbs)
LAUNCH = "launch"
EXPORT = "export"
MARK_FAILED = "mark_failed"
SIGN_IN = "sign_in"
SIGN_IN_REFUSED = "sign_in_refused"

MAX_FIELD = 500  # characters kept of any one field
READ_TAIL_BYTES = 512_000  # the reader looks at most this far back


class AuditEntry(BaseModel):
    """One audited action."""

    model_config = ConfigDict(extra="forbid")

    at: datetime
    action: str = Field(min_length=1, max_length=40)
    who: str = Field(min_length=1, max_length=MAX_FIELD)
    corpus: str | None = Field(default=None, max_length=MAX_FIELD)
    run: str | None = Field(default=None, max_length=MAX_FIELD)
    detail: str | None = Field(default=None, max_length=MAX_FIELD)


def audit_path(root: Path | None = None) -> Path:
    return (root or state_folder.STATE_ROOT) / AUDIT_FILE


def default_who() -> str:
    """Who acts when no UI session does: the operating-system user of a command-line call."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return f"uid {os.getuid()} (command line)"


def record(
    action: str,
    *,
    who: str | None = None,
    corpus: str | None = None,
    run: str | None = None,
    detail: str | None = None,
    root: Path | None = None,
) -> AuditEntry:
    """Append one entry (now, UTC) to the audit log and return it."""
    entry = AuditEntry(
        at=datetime.now(UTC),
        action=(_clip(action) or "unknown")[:40],
        who=_clip(who) or default_who(),
        corpus=_clip(corpus),
        run=_clip(run),
        detail=_clip(detail),
    )
    line = (entry.model_dump_json() + "\n").encode("utf-8")
    path = audit_path(root)
    state_folder.make_private_dir(path.parent)
    with state_folder.open_private(path, "ab") as log:
        fcntl.flock(log.fileno(), fcntl.LOCK_EX)
        try:
            log.write(line)
            log.flush()
        finally:
            fcntl.flock(log.fileno(), fcntl.LOCK_UN)
    logger.info("audit: %s by %s (run %s)", entry.action, entry.who, entry.run or "-")
    return entry


def read_entries(limit: int = 200, root: Path | None = None) -> list[AuditEntry]:
    """The newest `limit` entries, newest first; an absent log is an empty list."""
    path = audit_path(root)
    try:
        with open(path, "rb") as log:
            size = log.seek(0, os.SEEK_END)
            log.seek(max(0, size - READ_TAIL_BYTES))
            tail = log.read()
    except FileNotFoundError:
        return []
    lines = tail.splitlines()
    if size > READ_TAIL_BYTES and lines:
        lines = lines[1:]  # the first line may be cut
    entries: list[AuditEntry] = []
    for raw in reversed(lines):
        if len(entries) >= limit:
            break
        try:
            entries.append(AuditEntry.model_validate(json.loads(raw)))
        except (ValueError, ValidationError):
            logger.warning("skipping an unreadable audit log line in %s", path)
    return entries


def _clip(text: str | None) -> str | None:
    if text is None:
        return None
    flat = " ".join(str(text).split())
    return flat[: MAX_FIELD - 1] + "…" if len(flat) > MAX_FIELD else flat or None
