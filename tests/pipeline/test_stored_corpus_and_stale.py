"""The lazy stored corpus (reads only what a step asks for) and stale-run detection."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.runs import STALE_AFTER_S, _stale_reason
from pipeline.views import RunView
from tools.models import Corpus, Email
from tools.stored import StoredCorpus, corpus_summary, emails_by_id, fields_by_id


def stored(tmp_path: Path, n: int = 50) -> tuple[Corpus, StoredCorpus, list[int]]:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    corpus = Corpus(
        Email(id=f"m{i:03d}", date=base + timedelta(hours=i), body=f"b{i}") for i in range(n)
    )
    path = tmp_path / "corpus.parquet"
    corpus.write_parquet(str(path), row_group_size=10)
    opened: list[int] = []

    def opener():
        opened.append(1)
        return open(path, "rb")

    return corpus, StoredCorpus(opener, corpus_summary(corpus)), opened


def test_stored_corpus_reads_slices_ids_and_columns_without_loading_everything(tmp_path: Path):
    corpus, lazy, opened = stored(tmp_path)
    assert len(lazy) == 50 and opened == []  # length and fingerprint come from the summary
    assert lazy.fingerprint() == corpus.fingerprint()
    part = lazy.slice(12, 27)
    assert part.ids == corpus.ids[12:27] and part.offset == 12
    assert part.fingerprint() == corpus.slice(12, 27).fingerprint()
    assert emails_by_id(lazy, ["m040", "m003", "nope"]).keys() == {"m040", "m003"}
    assert lazy.column("id")[:3] == ["m000", "m001", "m002"]
    assert lazy._loaded is None  # nothing above loaded the whole corpus
    assert lazy.date_range() == corpus.date_range()
    assert list(lazy)[49].id == "m049" and lazy._loaded is not None


def test_fields_by_id_reads_only_the_asked_columns_and_agrees_with_the_emails(
    tmp_path: Path, monkeypatch
):
    corpus, lazy, _ = stored(tmp_path)
    wanted = ["m047", "m003", "m041", "nope", "m003"]  # two in one row group, one unknown
    names = ["date", "subject", "body"]
    read: list[list[str]] = []
    original = pq.ParquetFile.read_row_group

    def read_row_group(self, index, columns=None, **kwargs):  # type: ignore[no-untyped-def]
        read.append(list(columns or []))
        return original(self, index, columns=columns, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", read_row_group)
    fields = fields_by_id(lazy, wanted, names)
    in_memory = fields_by_id(corpus, wanted, names)
    assert fields == in_memory and fields.keys() == {"m047", "m003", "m041"}
    assert fields["m041"]["date"] == corpus.get("m041").date and fields["m003"]["body"] == "b3"
    assert read == [["id", *names]] * 2  # one read per row group (0 and 4), only those columns
    assert lazy._loaded is None
    with pytest.raises(KeyError, match="nonsense"):
        fields_by_id(lazy, wanted, ["nonsense"])


def test_range_fingerprints_come_from_stored_digests(tmp_path: Path, monkeypatch):
    import pyarrow.parquet as pq

    corpus, lazy, _ = stored(tmp_path)
    assert corpus.write_parquet(str(tmp_path / "again.parquet")) == corpus.fingerprint()
    reads: list[tuple[int, tuple[str, ...]]] = []
    original = pq.ParquetFile.read_row_group

    def spy(self, index, *args, columns=None, **kwargs):
        reads.append((index, tuple(columns or ())))
        return original(self, index, *args, columns=columns, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", spy)
    assert lazy.range_fingerprint(12, 27) == corpus.slice(12, 27).fingerprint()
    assert reads == [(1, ("digest",)), (2, ("digest",))]  # its row groups, digests only
    for start, end in [(0, 50), (49, 50), (30, 30), (40, 99)]:
        assert lazy.range_fingerprint(start, end) == corpus.slice(start, end).fingerprint()
    assert {columns for _, columns in reads} == {("digest",)} and lazy._loaded is None
    changed = Corpus([*corpus.emails[:20], corpus[20].model_copy(update={"body": "x"}),
                      *corpus.emails[21:]])  # fmt: skip
    assert changed.range_fingerprint(12, 27) != lazy.range_fingerprint(12, 27)
    assert changed.range_fingerprint(21, 50) == lazy.range_fingerprint(21, 50)


def test_a_file_without_digests_falls_back_to_reading_the_slice(tmp_path: Path):
    import pyarrow.parquet as pq

    corpus, _, _ = stored(tmp_path)
    old = tmp_path / "old.parquet"  # as written before digests were stored
    new = pq.read_table(tmp_path / "corpus.parquet")
    pq.write_table(new.drop_columns(["digest"]), old, row_group_size=10)
    lazy = StoredCorpus.from_file(old, corpus_summary(corpus))
    assert lazy.range_fingerprint(5, 33) == corpus.slice(5, 33).fingerprint()
    assert lazy.slice(5, 8).ids == ["m005", "m006", "m007"]


def _view(created: datetime) -> RunView:
    return RunView(run_id="r", name="n", status="running", created_at=created)


def test_run_whose_process_died_on_this_host_is_stale():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    now = datetime.now(UTC)
    meta = {"pid": child.pid, "hostname": socket.gethostname(), "updated_at": now.isoformat()}
    reason = _stale_reason(_view(now), meta, steps={})
    assert reason and str(child.pid) in reason


def test_run_with_live_process_is_not_stale():
    meta = {"pid": __import__("os").getpid(), "hostname": socket.gethostname()}
    assert _stale_reason(_view(datetime.now(UTC)), meta, steps={}) is None


def test_run_on_another_host_is_stale_only_after_a_long_silence():
    now = datetime.now(UTC)
    old = now - timedelta(seconds=STALE_AFTER_S + 60)
    meta = {"pid": 1, "hostname": "some-other-host", "updated_at": old.isoformat()}
    assert "no progress" in _stale_reason(_view(old), meta, steps={})
    fresh = {**meta, "updated_at": now.isoformat()}
    assert _stale_reason(_view(old), fresh, steps={}) is None
