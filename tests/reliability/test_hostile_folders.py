"""Hostile folders: 1,000 generated trees (nested and Maildir-like names, files in every
format and damaged ones, empty files, symbolic links out of the tree and in loops, FIFOs, a
size limit) read by `ingest_path`; the same contract as every hostile upload
(`hostile_uploads.check_call`), and a FIFO or a link never blocks nor leaves the tree."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability import hostile_uploads as hostile
from tests.reliability.hostile_formats import valid_files
from tools.ingest import ingest_path

EXAMPLES = 1_000
PATHS = ["1.", "inbox/2.", "u/.Sent/cur/3:2,S", "u/.Sent/new/4", "a b/ü.eml", ".hidden/5.",
         "deep/" * 12 + "6.", "x.json", "y.csv", "z.mbox", "w.zip", "v.tar.gz", "t.parquet",
         "m.msg", "notes.txt", "._7", "__MACOSX/8"]  # fmt: skip
KINDS = ["file"] * 8 + ["empty", "link out", "link loop", "dir link", "fifo"]


@st.composite
def trees(draw: st.DrawFn) -> list[tuple[str, str, bytes]]:
    valid = st.sampled_from(valid_files())
    content = st.one_of(valid, hostile.raw_message(), st.binary(max_size=300))  # damage: per format
    entries = draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=6, unique=True))
    return [(path, draw(st.sampled_from(KINDS)), draw(content)) for path in entries]


def build(root: Path, outside: Path, entries: list[tuple[str, str, bytes]]) -> None:
    for relative, kind, data in entries:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "file":
            path.write_bytes(data)
        elif kind == "empty":
            path.write_bytes(b"")
        elif kind == "link out":
            path.symlink_to(outside)
        elif kind == "link loop":
            path.symlink_to(path)
        elif kind == "dir link":
            path.symlink_to(outside.parent, target_is_directory=True)
        else:
            os.mkfifo(path)


@pytest.mark.slow
def test_folder_reader_survives_hostile_trees() -> None:
    stats = hostile.FuzzStats()
    secret = b"From: secret@outside\nSubject: OUTSIDE-THE-TREE\n\nmust never be read"

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(entries=trees(), small_limit=st.booleans())
    def ingest_one(entries: list[tuple[str, str, bytes]], small_limit: bool) -> None:
        with tempfile.TemporaryDirectory(prefix="rlm-fuzz-") as folder:
            outside = Path(folder) / "outside.eml"
            outside.write_bytes(secret)
            root = Path(folder) / "mailbox"
            root.mkdir()
            build(root, outside, entries)
            limit = hostile.SMALL_LIMIT if small_limit else hostile.DEFAULT_MAX_BYTES
            outcome, result = hostile.check_call(
                lambda: ingest_path(root, max_bytes=limit), "folder"
            )
            if outcome == "ok":
                assert all("OUTSIDE-THE-TREE" not in e.subject for e in result.corpus)
            stats.record(hostile.Upload(b"", "folder", kind=entries[0][1]), outcome)

    ingest_one()
    print(stats.line("folder"))
    assert stats.tried >= EXAMPLES
    assert stats.outcomes["ok"] > 0 and stats.outcomes["error"] > 0, stats.outcomes
