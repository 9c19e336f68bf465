"""The audit log: appended entries read back newest first, owner-only, safe under concurrency."""

from __future__ import annotations

import json
import os
import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipeline import audit


def test_entries_are_appended_and_read_back_newest_first(tmp_path: Path) -> None:
    audit.record(audit.LAUNCH, who="alice", corpus="mail.json", run="rlm-1", root=tmp_path)
    audit.record(audit.MARK_FAILED, who="bob", run="rlm-1", detail="stale", root=tmp_path)
    audit.record(audit.EXPORT, who="alice", run="rlm-1", detail="bundle zip", root=tmp_path)

    entries = audit.read_entries(root=tmp_path)
    assert [(e.action, e.who) for e in entries] == [
        ("export", "alice"),
        ("mark_failed", "bob"),
        ("launch", "alice"),
    ]
    assert entries[-1].corpus == "mail.json" and entries[-1].run == "rlm-1"
    assert entries[0].at >= entries[1].at >= entries[2].at
    assert entries[0].at.tzinfo is not None
    assert [e.action for e in audit.read_entries(limit=1, root=tmp_path)] == ["export"]


def test_log_is_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        audit.record(audit.LAUNCH, who="alice", root=tmp_path / "state")
    finally:
        os.umask(previous)
    path = audit.audit_path(tmp_path / "state")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_command_line_actions_name_the_system_user(tmp_path: Path) -> None:
    entry = audit.record(audit.EXPORT, root=tmp_path)
    assert entry.who.endswith("(command line)") and len(entry.who) > len("(command line)")


def test_long_and_multiline_fields_are_clipped_to_one_line(tmp_path: Path) -> None:
    entry = audit.record("launch", who="alice", detail="question:\n" + "x" * 2000, root=tmp_path)
    assert "\n" not in entry.detail and len(entry.detail) == audit.MAX_FIELD
    assert len(audit.audit_path(tmp_path).read_text().splitlines()) == 1


def test_unreadable_lines_are_skipped(tmp_path: Path) -> None:
    audit.record(audit.LAUNCH, who="alice", root=tmp_path)
    with open(audit.audit_path(tmp_path), "a") as log:
        log.write('{"torn": \n')
        log.write(json.dumps({"at": "2024-01-01T00:00:00Z", "action": "x", "who": "y",
                              "extra": "not allowed"}) + "\n")  # fmt: skip
    audit.record(audit.EXPORT, who="bob", root=tmp_path)
    assert [e.action for e in audit.read_entries(root=tmp_path)] == ["export", "launch"]


def test_missing_log_reads_as_empty(tmp_path: Path) -> None:
    assert audit.read_entries(root=tmp_path / "nothing") == []


def _append_many(args: tuple[str, str, int]) -> None:
    root, who, count = args
    for n in range(count):
        audit.record(audit.LAUNCH, who=who, run=f"{who}-{n}", detail="d" * 300, root=Path(root))


def test_concurrent_writers_never_interleave_lines(tmp_path: Path) -> None:
    with ProcessPoolExecutor(max_workers=3) as pool:
        list(pool.map(_append_many, [(str(tmp_path), f"w{i}", 50) for i in range(3)]))
    lines = audit.audit_path(tmp_path).read_text().splitlines()
    assert len(lines) == 150
    runs = {json.loads(line)["run"] for line in lines}  # every line is whole JSON
    assert runs == {f"w{i}-{n}" for i in range(3) for n in range(50)}
