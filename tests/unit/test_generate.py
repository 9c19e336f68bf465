"""The synthetic corpus generator: counts, formats, determinism and planted needles."""

from __future__ import annotations

import csv
import json
import sys
import tarfile
from email import message_from_bytes, message_from_string
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from data.generate import FORMATS, generate, main

N = 2_000


def _read(path: Path, fmt: str) -> dict[str, str]:
    """Email id -> searchable text, parsed back from a generated file."""
    if fmt == "jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return {r["id"]: r["subject"] + "\n" + r["body"] for r in rows}
    if fmt == "json":
        rows = json.loads(path.read_text(encoding="utf-8"))
        return {r["id"]: r["subject"] + "\n" + r["body"] for r in rows}
    if fmt == "parquet":
        rows = pq.read_table(path).to_pylist()
        assert all(r["file_name"].endswith(".") for r in rows)
        return {r["message_id"].strip("<>"): r["subject"] + "\n" + r["body"] for r in rows}
    if fmt == "maildir-tgz":
        emails = {}
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                assert member.name.startswith("maildir/") and member.name.endswith(".")
                message = message_from_bytes(archive.extractfile(member).read())
                emails[message["Message-ID"].strip("<>")] = (
                    message["Subject"] + "\n" + message.get_payload()
                )
        return emails
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["file", "message"]
        emails = {}
        for file_name, raw in reader:
            message = message_from_string(raw)
            for header in (
                "Message-ID",
                "Date",
                "From",
                "To",
                "Subject",
                "X-From",
                "X-To",
                "X-Folder",
            ):
                assert message[header] is not None, (file_name, header)
            emails[message["Message-ID"].strip("<>")] = (
                message["Subject"] + "\n" + message.get_payload()
            )
            assert file_name.endswith(".") and "/" in file_name
        return emails


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    root = tmp_path_factory.mktemp("generated")
    return {
        fmt: (root / f"mail.{fmt}", generate(root / f"mail.{fmt}", N, fmt, seed=7, needles=5))
        for fmt in FORMATS
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_writes_exactly_n_emails_with_needles_present(corpora, fmt):
    path, sidecar = corpora[fmt]
    emails = _read(path, fmt)
    assert len(emails) == N
    assert sidecar["emails"] == N and sidecar["format"] == fmt
    assert len(sidecar["needle_ids"]) == 5 == len(set(sidecar["needle_ids"]))
    assert json.loads(Path(f"{path}.needles.json").read_text()) == sidecar
    for needle in sidecar["needles"]:
        assert needle["id"] in emails
        assert needle["phrase"] in emails[needle["id"]]
        assert needle["answer"].split(" (")[0].split(" at ")[0] in needle["phrase"]
        assert sidecar["codename"] in needle["phrase"]
    mentioning = {i for i, body in emails.items() if sidecar["codename"] in body}
    assert set(sidecar["needle_ids"]) <= mentioning


@pytest.mark.parametrize("fmt", FORMATS)
def test_ingestion_reads_the_output_and_finds_the_needles(corpora, fmt):
    ingest = pytest.importorskip("tools.ingest")
    path, sidecar = corpora[fmt]
    result = ingest.ingest_path(path)
    assert result.format == {"maildir-tgz": "tar"}.get(fmt, fmt)
    assert len(result.corpus) == N and result.rejected_count == 0
    for needle in sidecar["needles"]:
        email = result.corpus.get(needle["id"])
        assert email is not None and needle["phrase"] in email.body


def test_jsonl_records_look_like_a_mailbox(corpora):
    path, _ = corpora["jsonl"]
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    message_ids = {r["message_id"] for r in rows}
    replies = [r for r in rows if r["in_reply_to"]]
    assert len(message_ids) == N
    assert 0.1 * N < len(replies) < 0.4 * N
    assert all(r["in_reply_to"] in message_ids and r["subject"].startswith("Re: ") for r in replies)
    assert len({r["from"] for r in rows}) > 1_000
    assert len({r["subject"] for r in rows}) > 300
    lengths = [len(r["body"]) for r in rows]
    assert min(lengths) >= 200 and max(lengths) <= 2_200
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)


@pytest.mark.parametrize("fmt", ["jsonl", "csv-rfc822", "maildir-tgz", "parquet"])
def test_same_seed_same_bytes_other_seed_differs(tmp_path, corpora, fmt):
    path, _ = corpora[fmt]
    again, other = tmp_path / "again", tmp_path / "other"
    generate(again, N, fmt, seed=7, needles=5)
    generate(other, N, fmt, seed=8, needles=5)
    assert again.read_bytes() == path.read_bytes()
    assert other.read_bytes() != path.read_bytes()


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="--emails"):
        generate(tmp_path / "x", 0)
    with pytest.raises(ValueError, match="--needles"):
        generate(tmp_path / "x", 10, needles=11)
    with pytest.raises(ValueError, match="unknown format"):
        generate(tmp_path / "x", 10, fmt="mbox")  # type: ignore[arg-type]


def test_cli_reports_what_it_wrote(tmp_path, capsys):
    out = tmp_path / "cli.jsonl"
    assert main(["--emails", "300", "--out", str(out), "--needles", "2", "--seed", "3"]) == 0
    assert "wrote 300 emails" in capsys.readouterr().out
    assert len(out.read_text(encoding="utf-8").splitlines()) == 300
    assert main(["--emails", "0", "--out", str(out)]) == 2
    assert "error:" in capsys.readouterr().err
