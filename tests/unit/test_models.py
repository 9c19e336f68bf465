"""The corpus model: Email validation, date order, positional slices, Parquet round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from tools.models import Corpus, Email

PARIS = timezone(timedelta(hours=2))


def make(n: int, *, tz=PARIS) -> list[Email]:
    start = datetime(2024, 1, 1, 9, tzinfo=tz)
    return [
        Email(
            id=f"m{i:05d}",
            date=start + timedelta(hours=i),
            sender=f"user{i % 7}@example.com",
            to=(f"to{i % 3}@example.com",),
            cc=("cc@example.com",) if i % 2 else (),
            subject=f"subject {i}",
            body=f"body {i} " * 5,
            thread_id=f"t{i // 4}",
        )
        for i in range(n)
    ]


def test_email_rejects_blank_ids_naive_dates_and_unknown_fields():
    with pytest.raises(ValidationError, match="id must not be blank"):
        Email(id="  ")
    with pytest.raises(ValidationError, match="timezone-aware"):
        Email(id="a", date=datetime(2024, 1, 1))
    with pytest.raises(ValidationError, match="extra"):
        Email(id="a", colour="red")


def test_corpus_sorts_by_date_with_undated_last_and_slices_by_position():
    emails = make(5)
    undated = Email(id="undated", subject="no date")
    corpus = Corpus([undated, *reversed(emails)])
    assert corpus.ids == [e.id for e in emails] + ["undated"]
    part = corpus.slice(1, 3)
    assert part.ids == ["m00001", "m00002"] and part.offset == 1
    assert corpus.slice(4, 99).ids == ["m00004", "undated"]
    assert corpus[1:3].ids == part.ids and corpus.get("m00003") is emails[3]
    assert "m00003" in corpus and "nope" not in corpus
    assert corpus.date_range() == (emails[0].date, emails[-1].date)


def test_fingerprint_changes_with_any_field_and_survives_parquet(tmp_path):
    corpus = Corpus(make(20))
    path = tmp_path / "c.parquet"
    corpus.write_parquet(str(path))
    assert Corpus.read_parquet(str(path)).fingerprint() == corpus.fingerprint()
    edited = [
        e if e.id != "m00007" else e.model_copy(update={"body": e.body + "!"}) for e in corpus
    ]
    assert Corpus(edited).fingerprint() != corpus.fingerprint()
    moved = [e if e.id != "m00007" else e.model_copy(update={"cc": ()}) for e in corpus]
    assert Corpus(moved).fingerprint() != corpus.fingerprint()


def test_read_parquet_returns_exactly_the_slice_from_only_its_row_groups(tmp_path, monkeypatch):
    corpus = Corpus(make(95))
    path = tmp_path / "c.parquet"
    corpus.write_parquet(str(path), row_group_size=10)
    read_groups: list[int] = []
    original = pq.ParquetFile.read_row_group

    def spy(self, row_group, *args, **kwargs):
        read_groups.append(row_group)
        return original(self, row_group, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", spy)
    part = Corpus.read_parquet(str(path), 23, 41)
    assert read_groups == [2, 3, 4]
    assert part.ids == corpus.slice(23, 41).ids and part.offset == 23
    assert part[0].date == corpus[23].date and part[0].date.tzinfo is not None
    assert part[0].to == corpus[23].to and part[0].cc == corpus[23].cc
    assert Corpus.read_parquet(str(path), 90, 500).ids == corpus.slice(90, 95).ids
    assert len(Corpus.read_parquet(str(path), 200, 300)) == 0
    assert Corpus.parquet_length(str(path)) == 95


def test_stored_dates_come_back_in_utc_as_the_same_instant(tmp_path):
    corpus = Corpus(make(3))
    path = tmp_path / "c.parquet"
    corpus.write_parquet(str(path))
    back = Corpus.read_parquet(str(path))
    assert [e.date for e in back] == [e.date for e in corpus]
    assert all(e.date.utcoffset() == UTC.utcoffset(None) for e in back)


def test_stored_emails_equal_validated_emails_field_for_field(tmp_path):
    """The fast read path (integer dates, direct model build) gives what validation would."""
    emails = [*make(12), Email(id="undated", subject="no date", to=("a@x", "b@y"))]
    path = tmp_path / "c.parquet"
    Corpus(emails).write_parquet(str(path), row_group_size=5)
    back = Corpus.read_parquet(str(path))
    for read in back:
        rebuilt = Email.model_validate(read.model_dump())
        assert read == rebuilt and read.model_dump() == rebuilt.model_dump()
        assert read.model_fields_set == rebuilt.model_fields_set
    assert [e.date for e in back] == [e.date for e in Corpus(emails)]
    with pytest.raises(ValidationError):  # still frozen
        back[0].subject = "changed"


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_column_values_equal_pyarrow_for_utc_timestamps_and_nulls(unit):
    import pyarrow as pa

    from tools.models import column_values

    stamps = [datetime(1969, 7, 20, 20, 17, 40, tzinfo=UTC), None, datetime(2001, 9, 9, tzinfo=UTC)]
    for kind in (pa.timestamp(unit, tz="UTC"), pa.timestamp(unit), pa.string()):
        values = stamps if kind != pa.string() else ["a", None, "b"]
        array = pa.chunked_array([pa.array(values[:2], kind), pa.array(values[2:], kind)])
        assert column_values(array) == array.to_pylist()


def test_reading_pauses_the_collector_only_while_it_reads_and_restores_its_state(
    tmp_path, monkeypatch
):
    import gc

    import tools.models as models

    path = tmp_path / "c.parquet"
    Corpus(make(8)).write_parquet(str(path))
    seen: list[bool] = []
    original = models._emails_from_columns

    def spy(table):
        seen.append(gc.isenabled())
        return original(table)

    monkeypatch.setattr(models, "_emails_from_columns", spy)
    assert gc.isenabled()
    assert len(Corpus.read_parquet(str(path))) == 8
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        Corpus.read_parquet(str(path))
        assert not gc.isenabled()  # a collector someone else turned off stays off
    finally:
        gc.enable()
