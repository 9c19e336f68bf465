"""The CLI's input check: clear refusals, and no second full ingest of a large file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import cli_input, run
from pipeline.run import BadInput, check_input

HEAD = 1 << 16  # a small head keeps the files small


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def email_line(n: int) -> str:
    return json.dumps(
        {
            "id": f"m{n}",
            "from": "ann@example.com",
            "to": ["bob@example.com"],
            "date": "2024-01-01T10:00:00+00:00",
            "subject": f"note {n}",
            "body": "quarterly numbers " * 40,
        }
    )


def lines_to_fill(size: int) -> int:
    return size // len(email_line(0)) + 100


def test_a_large_file_is_judged_from_its_head(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_input, "QUICK_CHECK_BYTES", HEAD)
    big = write_jsonl(tmp_path / "big.jsonl", [email_line(n) for n in range(lines_to_fill(HEAD))])
    assert big.stat().st_size > HEAD

    def no_full_ingest(*args, **kwargs):
        raise AssertionError("the whole file was ingested")

    monkeypatch.setattr("tools.ingest.ingest_path", no_full_ingest)
    check_input(str(big), "who?", max_bytes=10 * big.stat().st_size)


def test_a_large_file_with_an_unusable_head_is_read_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_input, "QUICK_CHECK_BYTES", HEAD)
    junk = ['{"subject": ""}'] * (HEAD // 16 + 1_000)  # no body, no subject
    big = write_jsonl(tmp_path / "late.jsonl", [*junk, email_line(1)])
    assert big.stat().st_size > HEAD
    check_input(str(big), "who?", max_bytes=10 * big.stat().st_size)  # the last line counts


def test_refusals_say_what_is_wrong(tmp_path):
    small = write_jsonl(tmp_path / "one.jsonl", [email_line(1)])
    with pytest.raises(BadInput, match="query is empty"):
        check_input(str(small), "  ", max_bytes=1 << 20)
    with pytest.raises(BadInput, match="not found"):
        check_input(str(tmp_path / "missing.json"), "who?", max_bytes=1 << 20)
    with pytest.raises(BadInput, match="the limit is"):
        check_input(str(small), "who?", max_bytes=100)
    empty = write_jsonl(tmp_path / "junk.jsonl", ['{"subject": ""}'] * 3)
    with pytest.raises(BadInput, match="junk.jsonl"):
        check_input(str(empty), "who?", max_bytes=1 << 20)
    assert run.EXIT_BAD_INPUT == 2
