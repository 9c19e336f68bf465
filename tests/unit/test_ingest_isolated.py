"""`tools.ingest.isolated`: ingestion in a child interpreter gives the same corpus and problems
as in-process ingestion, reports the child's errors with their problems, names the signal when
the child dies, and never hands the child an API key."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

import pytest

from tools.ingest import IngestError, ingest_path
from tools.ingest.isolated import ingest_isolated
from tools.stored import StoredCorpus


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def _fake_python(tmp_path: Path, script: str) -> str:
    """An executable standing in for the interpreter, to play a child that misbehaves."""
    path = tmp_path / "fake-python"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.fixture
def mixed_source(tmp_path: Path) -> Path:
    records = [
        {"id": f"m{n:03d}", "from": f"user{n % 4}@x.example", "subject": f"Report {n}",
         "body": f"Body of message {n} about turbine {n % 7}.",
         "date": f"2001-05-{1 + n % 28:02d}T{n % 24:02d}:00:00+00:00"}
        for n in range(40)
    ]  # fmt: skip
    records.append({"id": "bad", "from": "x@x.example"})  # no body and no subject
    records.append({**records[3], "date": "2001-06-30 09:00"})  # same id, naive new date
    return _jsonl(tmp_path / "mixed.jsonl", records)


def test_child_ingestion_matches_in_process_ingestion(mixed_source: Path, tmp_path: Path) -> None:
    here = ingest_path(mixed_source)
    folder = tempfile.TemporaryDirectory(dir=tmp_path)
    isolated = ingest_isolated(mixed_source, Path(folder.name) / "c.parquet", keep=folder)

    assert isinstance(isolated.corpus, StoredCorpus)
    assert len(isolated.corpus) == len(here.corpus) == 41
    assert isolated.corpus.fingerprint() == here.corpus.fingerprint()
    assert isolated.corpus.slice(10, 15).emails == here.corpus.slice(10, 15).emails
    assert isolated.corpus.date_range() == here.corpus.date_range()
    assert isolated.corpus.top_senders(3) == here.corpus.top_senders(3)
    assert (
        (isolated.format, isolated.source) == (here.format, here.source) == ("jsonl", "mixed.jsonl")
    )
    assert isolated.problems == here.problems and len(isolated.problems) == 3
    assert (isolated.rejected_count, isolated.repaired_count) == (1, 2)


def test_nothing_usable_raises_the_childs_error_with_its_problems(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "bad.jsonl", [{"from": "a@x"}, {"to": "b@x"}])
    with pytest.raises(IngestError) as caught:
        ingest_isolated(source, tmp_path / "c.parquet")
    assert "no usable emails in bad.jsonl" in str(caught.value)
    assert [p.location for p in caught.value.problems] == ["line 1", "line 2"]
    assert not (tmp_path / "c.parquet").exists()


def test_oversized_file_names_the_limit(mixed_source: Path, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"the limit is 1\.0 KB|the limit is 0\.0 MB"):
        ingest_isolated(mixed_source, tmp_path / "c.parquet", max_bytes=1024)


def test_a_killed_child_is_named_not_mistaken_for_bad_input(mixed_source, tmp_path) -> None:
    python = _fake_python(tmp_path, "echo 'reading...' >&2; kill -9 $$")
    with pytest.raises(IngestError) as caught:
        ingest_isolated(mixed_source, tmp_path / "c.parquet", python=python)
    message = str(caught.value)
    assert message.startswith("mixed.jsonl: the ingestion process was killed by SIGKILL")
    assert "out of memory?" in message and "reading..." in message


def test_a_garbled_report_is_an_error(mixed_source: Path, tmp_path: Path) -> None:
    python = _fake_python(tmp_path, "echo 'not json'")
    with pytest.raises(IngestError, match="printed no readable report"):
        ingest_isolated(mixed_source, tmp_path / "c.parquet", python=python)


def test_the_child_gets_no_api_key(mixed_source, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-in-the-child")
    seen = tmp_path / "child-env.txt"
    python = _fake_python(tmp_path, f"env > {seen}; exit 3")
    with pytest.raises(IngestError, match="failed with exit code 3"):
        ingest_isolated(mixed_source, tmp_path / "c.parquet", python=python)
    child_env = seen.read_text()
    assert "sk-never-in-the-child" not in child_env and "PYTHONPATH=" in child_env
    assert os.environ["OPENAI_API_KEY"] == "sk-never-in-the-child"  # the parent keeps it


def test_a_large_folder_is_ingested_in_a_child_process(tmp_path: Path, monkeypatch) -> None:
    """The isolation threshold counts a folder's files, not the size of its directory entry."""
    from email.message import EmailMessage

    from pipeline.steps.load_corpus import ingest

    folder = tmp_path / "maildir" / "inbox"
    folder.mkdir(parents=True)
    for number in range(1, 4):
        message = EmailMessage()
        message["From"] = "ana@example.com"
        message["To"] = "bo@example.com"
        message["Subject"] = f"Status {number}"
        message["Date"] = f"Mon, 0{number} Jan 2024 10:00:00 +0000"
        message.set_content("x" * 4000)
        (folder / f"{number}.").write_bytes(bytes(message))
    monkeypatch.setenv("RLM_INGEST_ISOLATE_MB", "0.01")  # 10 KB: the three files exceed it
    result = ingest(str(tmp_path / "maildir"), max_bytes=1 << 30)
    assert isinstance(result.corpus, StoredCorpus)  # written by the child, read back lazily
    assert len(result.corpus) == 3
