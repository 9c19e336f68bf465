"""Parquet and Arrow files written by pyarrow and pandas, the Hugging Face Enron layout included."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from tools.ingest import IngestError, ingest_bytes, ingest_path

HF_ENRON = {  # the column layout of the Enron dataset on the Hugging Face hub
    "message_id": [
        "<1.JavaMail.evans@thyme>",
        "<2.JavaMail.evans@thyme>",
        "<3.JavaMail.evans@thyme>",
    ],
    "subject": ["Forecast", "Re: Forecast", ""],
    "from": ["phillip.allen@enron.com", "tim.belden@enron.com", "john.arnold@enron.com"],
    "to": [["tim.belden@enron.com"], ["phillip.allen@enron.com", "x@enron.com"], []],
    "cc": [[], [], None],
    "bcc": [[], [], None],
    "date": [
        datetime(2001, 5, 14, 23, 39, tzinfo=UTC),
        datetime(2001, 5, 15, 8, 0, tzinfo=UTC),
        None,
    ],
    "body": ["Here is our forecast", "Thanks", ""],
    "file_name": ["allen-p/_sent_mail/1.", "belden-t/inbox/7.", "arnold-j/notes/3."],
}


def parquet_bytes(table: pa.Table, row_group_size: int | None = None) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=row_group_size)
    return buffer.getvalue()


def test_hugging_face_enron_parquet_reads_every_column(tmp_path):
    path = tmp_path / "train-00000-of-00001.parquet"
    pq.write_table(pa.table(HF_ENRON), path, row_group_size=2)
    result = ingest_path(path)
    assert result.format == "parquet"
    by_id = {e.id: e for e in result.corpus}
    first = by_id["1.JavaMail.evans@thyme"]
    assert (first.sender, first.to, first.subject, first.body) == (
        "phillip.allen@enron.com", ("tim.belden@enron.com",), "Forecast", "Here is our forecast"
    )  # fmt: skip
    assert first.date == datetime(2001, 5, 14, 23, 39, tzinfo=UTC)
    assert (first.folder, first.source) == ("allen-p/_sent_mail", "allen-p/_sent_mail/1.")
    assert by_id["2.JavaMail.evans@thyme"].to == ("phillip.allen@enron.com", "x@enron.com")
    # the third row has no subject and no body: rejected with its row number
    assert [(p.location, p.reason) for p in result.problems] == [
        ("row 3", "missing body and subject")
    ]


def test_pandas_written_parquet_with_other_field_names():
    frame = pd.DataFrame(
        {
            "Sender": ["a@x.com", "b@x.com"],
            "Recipients": ["c@x.com; d@x.com", "e@x.com"],
            "Title": ["one", "two"],
            "Text": ["first body", "second body"],
            "Timestamp": pd.to_datetime(["2024-01-02 10:00", "2024-01-03 11:00"]),
            "unrelated": [1, 2],
        }
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    result = ingest_bytes(buffer.getvalue(), "export.parquet")
    emails = list(result.corpus)
    assert [(e.sender, e.to, e.subject) for e in emails] == [
        ("a@x.com", ("c@x.com", "d@x.com"), "one"),
        ("b@x.com", ("e@x.com",), "two"),
    ]
    # pandas writes naive timestamps: kept, assumed UTC, and reported
    assert emails[0].date == datetime(2024, 1, 2, 10, 0, tzinfo=UTC)
    assert [p.reason for p in result.problems] == [
        "date '2024-01-02 10:00:00' has no time zone; assumed UTC",
        "date '2024-01-03 11:00:00' has no time zone; assumed UTC",
    ]


def test_a_stored_corpus_reads_back_as_a_source(tmp_path):
    table = pa.table(HF_ENRON)
    data = parquet_bytes(table)
    corpus = ingest_bytes(data, "hf.parquet").corpus
    stored = tmp_path / "stored.parquet"
    corpus.write_parquet(str(stored))
    again = ingest_path(stored).corpus
    assert [(e.id, e.subject, e.body, e.to) for e in again] == [
        (e.id, e.subject, e.body, e.to) for e in corpus
    ]


def test_parquet_without_email_columns_or_corrupt_is_refused():
    with pytest.raises(IngestError, match=r"no email columns \(a, b\)"):
        ingest_bytes(parquet_bytes(pa.table({"a": [1], "b": [2]})), "numbers.parquet")
    data = parquet_bytes(pa.table(HF_ENRON))
    with pytest.raises(IngestError, match="not a readable Parquet file"):
        ingest_bytes(data[: len(data) // 2], "cut.parquet")


def test_parquet_binary_columns_are_decoded_and_repaired():
    table = pa.table({"from": [b"a@x.com"], "subject": [b"caf\xe9"], "body": [b"ok"]})
    result = ingest_bytes(parquet_bytes(table), "bytes.parquet")
    assert result.corpus[0].subject == "café"
    assert "undecodable bytes in subject" in result.problems[0].reason


def test_arrow_ipc_file_stream_and_feather():
    table = pa.table(HF_ENRON)
    file_buffer = io.BytesIO()
    with ipc.new_file(file_buffer, table.schema) as writer:
        writer.write_table(table, max_chunksize=1)
    stream_buffer = io.BytesIO()
    with ipc.new_stream(stream_buffer, table.schema) as writer:
        writer.write_table(table)
    feather_v2 = io.BytesIO()
    feather.write_feather(table, feather_v2)
    feather_v1 = io.BytesIO()
    feather.write_feather(pa.table({"from": ["a@x"], "subject": ["v1"]}), feather_v1, version=1)
    for data, name, count in (
        (file_buffer.getvalue(), "enron.arrow", 2),
        (stream_buffer.getvalue(), "enron.arrows", 2),
        (feather_v2.getvalue(), "enron.feather", 2),
        (feather_v1.getvalue(), "old.feather", 1),
    ):
        result = ingest_bytes(data, name)
        assert (result.format, len(result.corpus)) == ("arrow", count), name


def test_truncated_arrow_stream_keeps_the_batches_before_the_cut():
    table = pa.table(HF_ENRON)
    buffer = io.BytesIO()
    with ipc.new_stream(buffer, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=1):
            writer.write_batch(batch)
    data = buffer.getvalue()
    result = ingest_bytes(data[: len(data) - 200], "cut.arrows")
    assert [e.subject for e in result.corpus] == ["Forecast", "Re: Forecast"][: len(result.corpus)]
    assert any("unreadable" in p.reason for p in result.problems)
