"""Property: whatever bytes arrive, ingestion returns a result or raises IngestError, nothing else.

Kept to ~100 examples per format here; a separate reliability pass scales the same properties up.
Each format is fuzzed both as random bytes under its extension and as random bytes behind the
format's own signature, so the readers themselves (not only format detection) see garbage.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.ingest import IngestError, IngestResult, ingest_bytes

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PREFIXES = {
    "mail.json": b"[",
    "mail.jsonl": b'{"from": "a@x", "body": "b"}\n',
    "mail.csv": b"file,message\n",
    "named.csv": b"from,subject,body,date\n",
    "mail.mbox": b"From a@x Mon Jan  1 00:00:00 2001\nFrom: a@x\n",
    "mail.eml": b"From: a@x\nSubject: ",
    "mail.zip": b"PK\x03\x04",
}


def assert_result_or_ingest_error(data: bytes, name: str) -> None:
    try:
        result = ingest_bytes(data, name, max_bytes=1_000_000)
    except IngestError as error:
        assert str(error)
        return
    assert isinstance(result, IngestResult) and len(result.corpus) >= 1
    for email in result.corpus:
        email.model_dump_json()  # every stored string is encodable (no lone surrogates)


@pytest.mark.parametrize("name", list(PREFIXES))
@FUZZ
@given(data=st.binary(max_size=2_000))
def test_random_bytes_under_each_extension(name, data):
    assert_result_or_ingest_error(data, name)


@pytest.mark.parametrize("name", list(PREFIXES))
@FUZZ
@given(data=st.binary(max_size=2_000))
def test_random_bytes_behind_each_format_signature(name, data):
    assert_result_or_ingest_error(PREFIXES[name] + data, name)


text_fields = st.text(max_size=50)
records = st.lists(
    st.dictionaries(
        st.sampled_from(["from", "to", "subject", "body", "date", "id", "cc", "html", "x"]),
        st.one_of(
            text_fields, st.integers(), st.floats(), st.none(), st.lists(text_fields, max_size=3)
        ),
    ),
    max_size=5,
)


@FUZZ
@given(rows=records)
def test_random_json_records(rows):
    import json

    assert_result_or_ingest_error(json.dumps(rows).encode(), "mail.json")


@FUZZ
@given(
    members=st.dictionaries(
        st.sampled_from(["a.eml", "b.jsonl", "c.csv", "d.mbox", "e.json"]),
        st.binary(max_size=300),
        max_size=4,
    )
)
def test_random_zip_members(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    assert_result_or_ingest_error(buffer.getvalue(), "mail.zip")
