"""`python -m tools.ingest`: human table, --json object, --max-mb, and exit codes 0 / 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.ingest.__main__ import main

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mail_jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "mail.jsonl"
    lines = [
        {"from": "a@x", "body": "one", "date": "2001-05-14T10:00:00+00:00"},
        {"from": "a@x", "body": "two", "date": "2001-05-16T10:00:00+00:00"},
        {"from": "b@x", "subject": "three"},
        {"to": "nobody@x"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def test_json_output_and_exit_zero(mail_jsonl, capsys):
    assert main([str(mail_jsonl), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["source"] == "mail.jsonl" and report["format"] == "jsonl"
    assert report["emails"] == 3
    assert report["date_range"] == ["2001-05-14T10:00:00+00:00", "2001-05-16T10:00:00+00:00"]
    assert report["top_senders"] == [["a@x", 2], ["b@x", 1]]
    assert report["problems"] == [
        {"source": "mail.jsonl", "location": "line 4", "severity": "rejected",
         "reason": "missing body and subject"}
    ]  # fmt: skip


def test_table_output(mail_jsonl, capsys):
    assert main([str(mail_jsonl)]) == 0
    out = capsys.readouterr().out
    assert "mail.jsonl: 3 emails (format: jsonl)" in out
    assert "date range: 2001-05-14T10:00:00+00:00 .. 2001-05-16T10:00:00+00:00" in out
    assert "problems: 1 rejected, 0 repaired" in out
    assert "rejected  mail.jsonl line 4  missing body and subject" in out


def test_nothing_usable_exits_two_with_the_reason_on_stderr(tmp_path, capsys):
    path = tmp_path / "empty.json"
    path.write_text("[]")
    assert main([str(path)]) == 2
    captured = capsys.readouterr()
    assert "no usable emails in empty.json" in captured.err


def test_max_mb_refuses_large_files(mail_jsonl, capsys):
    assert main([str(mail_jsonl), "--max-mb", "0.0001", "--json"]) == 2
    captured = capsys.readouterr()
    assert "the limit is 0.0 MB (set RLM_MAX_UPLOAD_MB)" in captured.err
    assert json.loads(captured.out)["error"].startswith("mail.jsonl is 0.0 MB")


def test_module_entry_point_runs_as_a_process(mail_jsonl, tmp_path):
    command = [sys.executable, "-m", "tools.ingest"]
    ok = subprocess.run(
        [*command, str(mail_jsonl), "--json"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["emails"] == 3
    missing = subprocess.run(
        [*command, str(tmp_path / "absent.csv")], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert missing.returncode == 2 and "cannot read" in missing.stderr
