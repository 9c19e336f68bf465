"""Progress of a long ingestion: emails so far, emails/s and the phase, at most every few
seconds; forwarded from the isolated child to the parent's log."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tools.ingest import progress as progress_module
from tools.ingest.isolated import ingest_isolated
from tools.ingest.progress import IngestProgress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_lines_name_the_phase_count_and_rate() -> None:
    clock, lines = FakeClock(), []
    progress = IngestProgress("big.jsonl", every_s=2.0, clock=clock, emit=lines.append)
    progress.phase("parsing")
    for emails in range(1, 3_001):
        if emails == 2_000:
            clock.now += 2.5  # two seconds later: the next check reports
        progress.count(emails)
    progress.phase("sorting by date")
    assert lines[0].startswith(f"{progress_module.PREFIX} big.jsonl: parsing, 0 emails")
    assert "parsing, 2,000 emails, 800 emails/s" in lines[1]
    assert "sorting by date, 3,000 emails" in lines[2] and len(lines) == 3


def test_small_inputs_get_no_progress_reporter() -> None:
    assert IngestProgress.for_size("small.json", 1_000) is None
    assert IngestProgress.for_size("big.json", progress_module.PROGRESS_MIN_BYTES) is not None


@pytest.mark.slow
def test_isolated_ingestion_forwards_the_childs_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    source = tmp_path / "mail.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for n in range(3_000):
            handle.write(json.dumps({"id": f"m{n}", "subject": "s", "body": f"body {n}"}) + "\n")
    # the child reads the threshold from its own module: make every input "large" there too
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "site"))
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import tools.ingest.progress as p\np.PROGRESS_MIN_BYTES = 0\n", encoding="utf-8"
    )
    with caplog.at_level(logging.INFO, logger="tools.ingest.isolated"):
        result = ingest_isolated(source, tmp_path / "out.parquet", max_bytes=1 << 30)
    assert len(result.corpus) == 3_000
    lines = [r.getMessage() for r in caplog.records if progress_module.PREFIX in r.getMessage()]
    assert any("parsing" in line for line in lines)
    assert any("writing Parquet, 3,000 emails" in line for line in lines)
