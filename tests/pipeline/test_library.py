"""The corpus library on real runs: the first analysis of a file ingests it and enters it in the
library; a second analysis of the same content runs without a `load_corpus` step and without
opening the source; a changed file is a new corpus; a removed entry is not reused; the CLI's
--json says whether the corpus was reused, and --corpus runs on a library corpus by id.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipeline import library
from pipeline.run import LOCAL_MAX_BYTES, corpus_json, parse_args, resolve_corpus, run_pipeline
from pipeline.schemas import Budget, LLMSettings
from tests.pipeline.test_cli import run_cli

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]

QUERY = "Who raised concerns about the valve inspection?"
_OPENED: list[str] | None = None  # paths opened while a test watches (see _watch_opens)


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _OPENED is not None and isinstance(args[0], str | bytes | os.PathLike):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed: this one records only while watching


@contextmanager
def _watch_opens() -> Iterator[list[str]]:
    """Every file path this process opens inside the block (builtins.open, io.open, os.open)."""
    global _OPENED
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None


@pytest.fixture
def memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The path -> sha256 memo in a temporary folder (never the developer's .rlm)."""
    path = tmp_path / "memo" / "fingerprints.json"
    real = library.fingerprint
    monkeypatch.setattr(library, "fingerprint", lambda source: real(source, memo_path=path))
    return path


def _analyse(source: Path, run_name: str) -> tuple[str, str | None]:
    args = parse_args(["--source", str(source), "--query", QUERY])
    resolved, sha256, corpus_id = resolve_corpus(args, LOCAL_MAX_BYTES)
    run_id = run_pipeline(
        resolved, QUERY, Budget(max_chunks=2, max_iterations=2), LLMSettings(), run_name,
        LOCAL_MAX_BYTES, fingerprint=sha256, corpus_id=corpus_id,
    )  # fmt: skip
    return run_id, corpus_id


def _step_names(run_id: str) -> set[str]:
    from zenml.client import Client

    return set(Client().get_pipeline_run(run_id).steps)


def test_second_analysis_reuses_the_corpus_without_reading_the_source(
    zenml_store, sample_records, tmp_path: Path, memo: Path
) -> None:
    source = tmp_path / "mail.json"
    source.write_text(json.dumps(sample_records[:80]), encoding="utf-8")

    first_run, first_pick = _analyse(source, "library-first")
    assert first_pick is None  # not in the library yet: ingested
    assert "load_corpus" in _step_names(first_run)
    first = corpus_json(first_run)
    assert first is not None and first["reused"] is False and first["emails"] == 80
    assert first["source_sha256"] == library.source_fingerprint(source)

    with _watch_opens() as opened:
        second_run, second_pick = _analyse(source, "library-second")
    assert second_pick == first["id"]
    assert "load_corpus" not in _step_names(second_run)  # no ingestion step at all
    assert not [path for path in opened if Path(path).resolve() == source.resolve()]
    second = corpus_json(second_run)
    assert second is not None and second["reused"] is True and second["id"] == first["id"]
    assert library.get(first["id"]).uses == 2
    # What depends on the content alone was stored with it once: every slice of the reused
    # corpus carries its emails' BM25 lengths, equal to counting them again.
    from tools.ranking import document_lengths

    chunk = library.corpus_artifact(first["id"]).load().slice(10, 60)
    assert chunk.index_terms is not None and len(chunk.index_terms) == len(chunk) == 50
    assert list(chunk.index_terms) == document_lengths(chunk).tolist()

    from pipeline import runs

    report = runs.load_report(runs.get_run(second_run))
    assert report is not None and report.cited_ids  # the reused corpus answers the question
    # The pages read the run's cited emails from the corpus it used, ingested by an earlier run.
    cited = runs.load_emails(runs.get_run(second_run), report.cited_ids)
    assert sorted(cited) == sorted(report.cited_ids)

    # A changed file is a new corpus: ingested again, a second library entry.
    source.write_text(json.dumps(sample_records[:81]), encoding="utf-8")
    third_run, third_pick = _analyse(source, "library-changed")
    assert third_pick is None and "load_corpus" in _step_names(third_run)
    third = corpus_json(third_run)
    assert third is not None and third["reused"] is False and third["id"] != first["id"]
    assert third["emails"] == 81
    ids = [entry.id for entry in library.entries()]
    assert first["id"] in ids and third["id"] in ids

    # Removed from the library: the same content is ingested again.
    library.remove(third["id"])
    assert third["id"] not in [entry.id for entry in library.entries()]
    fourth_run, fourth_pick = _analyse(source, "library-after-removal")
    assert fourth_pick is None and "load_corpus" in _step_names(fourth_run)


def test_an_unchanged_file_is_hashed_once(tmp_path: Path) -> None:
    source = tmp_path / "mail.json"
    source.write_text('[{"subject": "a", "body": "b"}]', encoding="utf-8")
    memo_path = tmp_path / "memo.json"
    digest = library.fingerprint(source, memo_path=memo_path)
    with _watch_opens() as opened:
        assert library.fingerprint(source, memo_path=memo_path) == digest
    assert str(source.resolve()) not in opened
    source.write_text('[{"subject": "a", "body": "changed"}]', encoding="utf-8")
    assert library.fingerprint(source, memo_path=memo_path) != digest


def test_a_folder_fingerprint_covers_names_and_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "mailbox"
    (folder / "inbox").mkdir(parents=True)
    (folder / "inbox" / "1.eml").write_bytes(b"Subject: a\n\nbody")
    (folder / "2.eml").write_bytes(b"Subject: b\n\nbody")
    digest = library.source_fingerprint(folder)
    assert digest == library.source_fingerprint(folder)
    (folder / "2.eml").rename(folder / "3.eml")
    renamed = library.source_fingerprint(folder)
    assert renamed != digest
    (folder / "3.eml").write_bytes(b"Subject: b\n\nbody!")
    assert library.source_fingerprint(folder) != renamed


def test_cli_json_says_when_the_corpus_was_reused_and_runs_by_library_id(
    zenml_store, sample_records, tmp_path: Path
) -> None:
    source = tmp_path / "cli-mail.json"
    source.write_text(json.dumps(sample_records[:60]), encoding="utf-8")
    common = ["--query", QUERY, "--max-chunks", "1", "--max-iterations", "2", "--json"]
    first = run_cli("--source", str(source), *common)
    assert first.returncode == 0, first.stderr[-2000:]
    corpus = json.loads(first.stdout)["corpus"]
    assert corpus["reused"] is False and corpus["emails"] == 60

    by_id = run_cli("--corpus", corpus["id"], *common)
    assert by_id.returncode == 0, by_id.stderr[-2000:]
    reused = json.loads(by_id.stdout)["corpus"]
    assert reused["reused"] is True and reused["id"] == corpus["id"]

    unknown = run_cli("--corpus", "00000000-0000-0000-0000-000000000000", *common)
    assert unknown.returncode == 2 and "error:" in unknown.stderr
