"""Record-level rules of tools.ingest: field names, dates, ids, duplicates, HTML, decoding, caps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tools.ingest import IngestError, IngestProblem, ingest_bytes
from tools.ingest.dates import parse_date
from tools.ingest.fields import map_fields, split_addresses
from tools.ingest.problems import ProblemLog


def ingest_records(records: list[dict], name: str = "mail.json"):
    return ingest_bytes(json.dumps(records).encode(), name)


# field names ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "record",
    [
        {"From": "a@x", "To": "b@x", "Subject": "s", "Body": "b", "Date": "2001-01-02T03:04:05Z"},
        {"sender": "a@x", "recipients": ["b@x"], "title": "s", "text": "b", "timestamp": 978404645},
        {"X-From": "a@x", "X_To": "b@x", "subject": "s", "content": "b", "sent": 978404645000},
        {
            "author": "a@x",
            "x-to": "b@x",
            "TITLE": "s",
            "plain": "b",
            "time": "Tue, 02 Jan 2001 03:04:05 +0000",
        },
        {
            "from": {"name": "", "email": "a@x"},
            "to": [{"email": "b@x"}],
            "subject": "s",
            "message": "b",
            "date": "2001-01-02T03:04:05+00:00",
        },
    ],  # fmt: skip
)
def test_flexible_field_names_give_the_same_email(record):
    email = ingest_records([record]).corpus[0]
    assert (email.sender, email.to, email.subject, email.body) == ("a@x", ("b@x",), "s", "b")
    assert email.date == datetime(2001, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_preferred_alias_wins_over_a_fallback():
    fields = map_fields(
        {"X-From": "Phillip K Allen", "From": "phillip.allen@enron.com", "x_to": "T"}
    )
    assert fields == {"sender": "phillip.allen@enron.com", "to": "T"}


def test_other_fields_are_mapped():
    record = {
        "Message-ID": "<m1@x>", "cc": "c@x; d@x", "BCC": ["e@x"], "x_folder": "inbox",
        "In-Reply-To": "<p@x>", "references": ["<root@x>", "<p@x>"], "body": "b",
    }  # fmt: skip
    email = ingest_records([record]).corpus[0]
    assert email.id == "m1@x" and email.message_id == "<m1@x>"
    assert (email.cc, email.bcc, email.folder) == (("c@x", "d@x"), ("e@x",), "inbox")
    assert (email.in_reply_to, email.thread_id) == ("<p@x>", "<root@x>")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a@x, b@x;c@x", ("a@x", "b@x", "c@x")),
        ('"Doe, Jane" <jane@x>; Bob <bob@x>', ("Doe, Jane <jane@x>", "Bob <bob@x>")),
        (["a@x", "b@x, c@x", None, ""], ("a@x", "b@x", "c@x")),
        ("  ", ()),
        ("a@x,\n\tb@x", ("a@x", "b@x")),
    ],
)
def test_recipient_lists_and_separated_strings(value, expected):
    assert split_addresses(value, "to") == expected


def test_non_text_field_rejects_the_record_with_the_field_named():
    result = ingest_records(
        [{"from": "a@x", "body": {"nested": "object"}}, {"from": "b@x", "body": "ok"}]
    )
    assert [p.reason for p in result.problems] == ["field 'body' is an object, not text"]


def test_numbers_and_lists_are_read_as_text():
    email = ingest_records(
        [{"from": "a@x", "subject": 42, "body": ["line one", "line two"]}]
    ).corpus[0]
    assert (email.subject, email.body) == ("42", "line one\nline two")


# dates ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected", "status"),
    [
        ("Mon, 14 May 2001 16:39:00 -0700 (PDT)", datetime(2001, 5, 14, 16, 39, tzinfo=timezone(timedelta(hours=-7))), "ok"),
        ("14 May 2001 16:39:00 GMT", datetime(2001, 5, 14, 16, 39, tzinfo=UTC), "ok"),
        ("2001-05-14T16:39:00.5+02:00", datetime(2001, 5, 14, 16, 39, 0, 500000, tzinfo=timezone(timedelta(hours=2))), "ok"),
        ("2001-05-14T16:39:00Z", datetime(2001, 5, 14, 16, 39, tzinfo=UTC), "ok"),
        (989858340, datetime(2001, 5, 14, 16, 39, tzinfo=UTC), "ok"),
        (989858340000, datetime(2001, 5, 14, 16, 39, tzinfo=UTC), "ok"),
        ("989858340.0", datetime(2001, 5, 14, 16, 39, tzinfo=UTC), "ok"),
        ("2001-05-14 16:39", datetime(2001, 5, 14, 16, 39, tzinfo=UTC), "naive"),
        ("Mon, 14 May 2001 16:39:00 -0000", datetime(2001, 5, 14, 16, 39, tzinfo=UTC), "naive"),
        ("05/14/2001 4:39 PM", datetime(2001, 5, 14, 16, 39, tzinfo=UTC), "naive"),
        ("Thu, 32 Foo 2001", None, "unparsable"),
        ("Mon, 31 Feb 2001 16:39:00 -0700", None, "unparsable"),
        ("2001", None, "unparsable"),
        (True, None, "unparsable"),
        ("0001-01-01T00:00:00+00:00", None, "out of range"),
        (float("nan"), None, "unparsable"),
    ],
)  # fmt: skip
def test_parse_date(value, expected, status):
    assert parse_date(value) == (expected, status)


def test_naive_and_unparsable_dates_are_repaired_not_rejected():
    result = ingest_records(
        [
            {"from": "a@x", "body": "1", "date": "2001-05-14 10:00"},
            {"from": "b@x", "body": "2", "date": "Thu, 32 Foo 2001"},
            {"from": "c@x", "body": "3", "date": "9999-01-01T00:00:00+00:00"},
        ]
    )
    assert len(result.corpus) == 3
    assert [(p.severity, p.reason) for p in result.problems] == [
        ("repaired", "date '2001-05-14 10:00' has no time zone; assumed UTC"),
        ("repaired", "unparsable date 'Thu, 32 Foo 2001'; kept without a date"),
        ("repaired", "date '9999-01-01T00:00:00+00:00' is outside 1900-2200; kept without a date"),
    ]
    assert all(e.date is None or e.date.tzinfo is not None for e in result.corpus)


# ids and duplicates -----------------------------------------------------------------------------
def test_ids_explicit_then_message_id_then_content_hash():
    records = [
        {"id": "given", "message_id": "<mid@x>", "body": "1"},
        {"message_id": "<mid2@x>", "body": "2"},
        {"from": "a@x", "subject": "s", "body": "3", "date": "2001-01-01T00:00:00Z"},
    ]
    ids = {e.body: e.id for e in ingest_records(records).corpus}
    assert ids["1"] == "given" and ids["2"] == "mid2@x"
    assert ids["3"].startswith("e-") and len(ids["3"]) == 18
    assert ingest_records(records[2:]).corpus[0].id == ids["3"]  # stable across runs


def test_exact_duplicate_is_rejected_and_clashing_id_is_suffixed():
    records = [
        {"id": "x", "from": "a@x", "body": "first"},
        {"id": "x", "from": "a@x", "body": "first"},
        {"id": "x", "from": "a@x", "body": "different"},
        {"id": "x", "from": "a@x", "body": "third"},
        {"from": "h@x", "body": "same hash"},
        {"from": "h@x", "body": "same hash"},
    ]
    result = ingest_records(records)
    assert sorted(e.id for e in result.corpus if e.sender == "a@x") == ["x", "x~2", "x~3"]
    assert [(p.location, p.severity, p.reason) for p in result.problems] == [
        ("record 2", "rejected", "duplicate of record 1"),
        ("record 3", "repaired", "duplicate id 'x' (first seen at record 1); kept as 'x~2'"),
        ("record 4", "repaired", "duplicate id 'x' (first seen at record 1); kept as 'x~3'"),
        ("record 6", "rejected", "duplicate of record 5"),
    ]


def test_duplicates_across_zip_members_name_the_other_member():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.jsonl", b'{"id": "1", "body": "b"}\n')
        archive.writestr("b.jsonl", b'{"id": "1", "body": "b"}\n')
    result = ingest_bytes(buffer.getvalue(), "two.zip")
    assert [p.reason for p in result.problems] == ["duplicate of two.zip!a.jsonl line 1"]


def test_all_rejected_raises_with_the_first_reason():
    with pytest.raises(IngestError) as caught:
        ingest_records([{"from": "a@x"}, {"to": "b@x"}, {"date": "2001-01-01"}], "people.json")
    assert str(caught.value) == (
        "no usable emails in people.json: 3 records rejected, first: record 1: missing body and subject"
    )
    assert len(caught.value.problems) == 3


# HTML, decoding, caps ---------------------------------------------------------------------------
def test_html_bodies_are_converted_to_text():
    records = [
        {"from": "a@x", "body": "<html><body><p>Hello <b>world</b></p><br>Bye</body></html>"},
        {"from": "b@x", "body_html": "<div>Only <i>html</i> here</div>"},
        {"from": "c@x", "body": "x < y and z > w", "html": "<p>ignored when body exists</p>"},
    ]
    bodies = {e.sender: e.body for e in ingest_records(records).corpus}
    assert bodies["a@x"] == "Hello world\n\nBye"
    assert bodies["b@x"] == "Only html here"
    assert bodies["c@x"] == "x < y and z > w"


def test_plain_text_mentioning_angle_brackets_is_left_alone():
    body = "if a < b then c > d; see <https://example.com>"
    assert ingest_records([{"from": "a@x", "body": body}]).corpus[0].body == body


def test_non_utf8_bytes_in_a_jsonl_line_are_repaired_per_field():
    data = b'{"from": "ren\xe9@x", "subject": "caf\xc3\xa9 \x96 ok", "body": "plain"}\n{"body": "clean"}\n'
    result = ingest_bytes(data, "mixed.jsonl")
    email = next(e for e in result.corpus if e.body == "plain")
    assert email.sender == "ren\u00e9@x" and email.subject == "caf\u00e9 \u2013 ok"
    [problem] = result.problems
    assert (problem.location, problem.reason) == (
        "line 1",
        "undecodable bytes in subject, sender (decoded as cp1252)",
    )


def test_oversized_header_fields_are_truncated_and_reported():
    email = ingest_records([{"from": "a@x", "subject": "s" * 20_000, "body": "b"}])
    assert len(email.corpus[0].subject) == 10_000
    assert email.problems[0].reason == "subject truncated from 20,000 to 10,000 characters"


def test_crlf_bodies_are_normalised():
    assert (
        ingest_records([{"from": "a", "body": "one\r\ntwo\rthree"}]).corpus[0].body
        == "one\ntwo\nthree"
    )


# problem log ------------------------------------------------------------------------------------
def test_problem_log_folds_repeats_of_a_kind_but_counts_them_all():
    log = ProblemLog(detailed_per_kind=2)
    for line in range(1, 6):
        log.repair("f.jsonl", f"line {line}", f"date '{line}' has no time zone", kind="naive date")
    log.reject("f.jsonl", "line 9", "missing body and subject")
    problems = log.problems()
    assert (log.repaired, log.rejected, log.total) == (5, 1, 6)
    assert [p.location for p in problems] == ["line 1", "line 2", "line 9", "3 more records"]
    assert problems[-1] == IngestProblem(
        source="f.jsonl", location="3 more records", severity="repaired",
        reason="same kind of problem as: date '3' has no time zone",
    )  # fmt: skip


def test_result_counts_include_folded_problems():
    records = [{"from": f"u{i}@x", "body": str(i), "date": "2001-01-01 00:00"} for i in range(150)]
    result = ingest_records(records)
    assert result.repaired_count == 150 and len(result.problems) == 101
    assert result.summary()["problems"] == 150


def test_summary_shape():
    records = [
        {"from": "a@x", "body": "1", "date": "2001-01-01T00:00:00+00:00"},
        {"from": "a@x", "body": "2", "date": "2001-03-01T00:00:00+00:00"},
        {"from": "b@x", "body": "3"},
    ]
    assert ingest_records(records).summary() == {
        "source": "mail.json",
        "format": "json",
        "emails": 3,
        "date_range": ["2001-01-01T00:00:00+00:00", "2001-03-01T00:00:00+00:00"],
        "top_senders": [["a@x", 2], ["b@x", 1]],
        "problems": 0,
        "rejected": 0,
        "repaired": 0,
    }
