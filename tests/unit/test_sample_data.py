"""The bundled Northwind sample and its labelled queries: shape, coverage and consistency."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime

import html2text
import pytest

from data.build_sample import build
from data.sample import QUERIES_PATH, SAMPLE_PATH, LabelledQuery, load_queries, load_sample_records
from tools.models import Email

STORYLINE_TERMS = {
    "accounting (Ravenwood)": r"Ravenwood",
    "trading (Ricochet)": r"Ricochet|West wheel",
    "safety (Lakeside MV-7)": r"MV-7",
    "layoff (Cedar)": r"\bCedar\b(?! Bayou)",
    "CFO / internal audit": r"internal audit|IA-2024-07",
    "data leak": r"KeyAccounts_Pricing|Derek Lund",
}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return load_sample_records()


def _text(record: dict) -> str:
    return record["subject"] + "\n" + record.get("body", record.get("body_html", ""))


def _as_email(record: dict) -> Email:
    body = record.get("body")
    if body is None:
        body = html2text.html2text(record["body_html"])
    return Email(
        id=record["id"],
        date=datetime.fromisoformat(record["date"]),
        sender=record["from"],
        to=tuple(record["to"]),
        cc=tuple(record["cc"]),
        bcc=tuple(record["bcc"]),
        subject=record["subject"],
        body=body,
        message_id=record["message_id"],
        in_reply_to=record.get("in_reply_to"),
        thread_id=record["thread_id"],
        folder=record["folder"],
    )


def test_ids_are_unique_and_stable_format(records):
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"nw-\d{4}", i) for i in ids)
    message_ids = [r["message_id"] for r in records]
    assert len(message_ids) == len(set(message_ids))
    assert all(m.startswith("<") and m.endswith("@northwind-energy.example>") for m in message_ids)


def test_size_and_span(records):
    assert len(records) >= 320
    dates = [datetime.fromisoformat(r["date"]) for r in records]
    assert all(d.tzinfo is not None for d in dates)
    first, last = min(dates), max(dates)
    months = (last.year - first.year) * 12 + (last.month - first.month)
    assert months >= 18


def test_every_record_is_a_valid_email_and_has_one_body(records):
    for record in records:
        assert ("body" in record) != ("body_html" in record), record["id"]
        email = _as_email(record)
        assert email.body.strip(), record["id"]
        assert email.sender and email.to and email.folder and "/" in email.folder


def test_storylines_are_each_spread_over_many_emails(records):
    for storyline, pattern in STORYLINE_TERMS.items():
        hits = sum(bool(re.search(pattern, _text(r), re.IGNORECASE)) for r in records)
        assert hits >= 8, f"{storyline}: only {hits} emails"


def test_noise_shares_storyline_vocabulary(records):
    for word in ("valve", "revenue", "partnership", "Lakeside", "schedule"):
        hits = sum(word.lower() in _text(r).lower() for r in records)
        assert hits >= 10, f"{word!r} appears in only {hits} emails"


def test_some_bodies_are_real_html(records):
    html = [r for r in records if "body_html" in r]
    assert 0.05 <= len(html) / len(records) <= 0.2
    assert all(re.search(r"<html.*</html>", r["body_html"], re.S) for r in html)


def test_replies_point_at_existing_earlier_messages(records):
    by_message_id = {r["message_id"]: r for r in records}
    replies = [r for r in records if r.get("in_reply_to")]
    assert len(replies) >= 30
    for reply in replies:
        parent = by_message_id[reply["in_reply_to"]]
        assert datetime.fromisoformat(parent["date"]) < datetime.fromisoformat(reply["date"])
        assert reply["thread_id"] == parent["thread_id"]
    assert (
        sum(
            "-----Original Message-----" in r.get("body", "") or "wrote:\n>" in r.get("body", "")
            for r in replies
        )
        >= 15
    )


def test_cast_is_large_enough(records):
    senders = Counter(r["from"] for r in records)
    people = {
        a for r in records for a in [r["from"], *r["to"], *r["cc"]] if "northwind-energy" in a
    }
    assert len(senders) >= 25
    assert len(people) >= 25
    assert any(r["cc"] for r in records) and any(r["subject"].startswith("FW:") for r in records)


def test_queries_cover_every_kind_and_point_at_real_emails(records):
    queries = load_queries()
    ids = {r["id"] for r in records}
    assert len(queries) >= 12
    assert len({q.id for q in queries}) == len(queries)
    kinds = Counter(q.kind for q in queries)
    assert all(kinds[k] >= 3 for k in ("needle", "multi_hop", "aggregation", "timeline")), kinds
    for query in queries:
        assert 1 <= len(query.relevant_ids) <= 8, query.id
        assert set(query.relevant_ids) <= ids, query.id
        assert query.answer.strip(), query.id
        assert query.question.rstrip()[-1] in "?.", query.id


def test_needle_answers_are_in_their_evidence(records):
    by_id = {r["id"]: _text(r) for r in records}
    facts = {
        "q01": "38%",
        "q02": "derek.lund.home@mailbox.example",
        "q03": "cost plus 12%",
        "q04": "$6.2M",
        "q05": "1389924",
    }
    queries = {q.id: q for q in load_queries()}
    for query_id, fact in facts.items():
        assert queries[query_id].kind == "needle"
        assert any(fact in by_id[i] for i in queries[query_id].relevant_ids), query_id


def test_labelled_query_rejects_unknown_fields():
    with pytest.raises(ValueError):
        LabelledQuery.model_validate(
            {
                "id": "x",
                "kind": "needle",
                "question": "?",
                "answer": "a",
                "relevant_ids": ["nw-0001"],
                "extra": 1,
            }
        )
    with pytest.raises(ValueError):
        LabelledQuery.model_validate(
            {
                "id": "x",
                "kind": "guess",
                "question": "?",
                "answer": "a",
                "relevant_ids": ["nw-0001"],
            }
        )


def test_load_queries_names_the_bad_file(tmp_path):
    bad = tmp_path / "queries.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="queries.json"):
        load_queries(bad)


def test_committed_files_match_a_fresh_build(tmp_path):
    sample, queries = tmp_path / "mail.json", tmp_path / "queries.json"
    build(sample, queries)
    assert sample.read_bytes() == SAMPLE_PATH.read_bytes()
    assert queries.read_bytes() == QUERIES_PATH.read_bytes()
    json.loads(sample.read_text(encoding="utf-8"))


def test_ingestion_reads_every_sample_email_without_problems(records):
    ingest = pytest.importorskip("tools.ingest")
    result = ingest.ingest_path(SAMPLE_PATH)
    assert result.rejected_count == 0 and result.repaired_count == 0, [
        p.describe() for p in result.problems
    ]
    assert sorted(result.corpus.ids) == sorted(r["id"] for r in records)
    html_ids = {r["id"] for r in records if "body_html" in r}
    for email in result.corpus:
        if email.id in html_ids:
            assert "<html" not in email.body and email.body.strip(), email.id
        assert email.date is not None and email.sender, email.id
