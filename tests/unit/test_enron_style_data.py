"""The Enron-style check set (data/enron_style): it reads through the real ingestion, its labels
point at emails that exist, its question mix is the one asked for, its replies thread, and the
benchmarks can evaluate it as one held-out group."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from data.enron_style.background import BACKGROUND
from data.enron_style.build import assemble, build
from data.enron_style.stories import STORIES
from data.sample import ENRON_STYLE_PATH, ENRON_STYLE_QUERIES_PATH, load_queries
from tools.corpus_index import CorpusIndex
from tools.ingest import ingest_path
from tools.threads import split_quoted


@pytest.fixture(scope="module")
def ingested():
    return ingest_path(ENRON_STYLE_PATH)


@pytest.fixture(scope="module")
def id_of() -> dict[str, str]:
    return assemble(STORIES + BACKGROUND)[1]


def test_the_real_ingestion_reads_all_60_emails_without_a_problem(ingested):
    assert ingested.format == "json"
    assert len(ingested.corpus) == 60
    assert ingested.problems == [] and ingested.rejected_count == 0
    assert ingested.repaired_count == 0
    assert sorted(ingested.corpus.ids) == [f"es-{n:03d}" for n in range(1, 61)]
    dates = [email.date for email in ingested.corpus]
    assert all(d is not None and d.tzinfo is not None for d in dates)
    assert min(dates).year == 2000 and max(dates).year == 2001


def test_eight_questions_of_the_asked_mix_whose_evidence_exists(ingested):
    queries = load_queries(ENRON_STYLE_QUERIES_PATH)
    kinds = Counter(q.kind for q in queries)
    assert len(queries) == 8 and len({q.id for q in queries}) == 8
    assert kinds["needle"] == 1 and kinds["multi_hop"] == 2
    assert 2 <= kinds["aggregation"] <= 3 and 2 <= kinds["timeline"] <= 3
    for query in queries:
        assert set(query.relevant_ids) <= set(ingested.corpus.ids), query.id
        assert len(set(query.relevant_ids)) == len(query.relevant_ids), query.id
        low, high = (1, 2) if query.kind == "needle" else (4, 10)
        assert low <= len(query.relevant_ids) <= high, query.id


def test_about_half_the_mailbox_is_background_and_no_label_points_into_it(id_of):
    assert len(STORIES) + len(BACKGROUND) == 60
    assert 20 <= len(BACKGROUND) <= 35
    cited = {i for q in load_queries(ENRON_STYLE_QUERIES_PATH) for i in q.relevant_ids}
    assert not cited & {id_of[d.key] for d in BACKGROUND}


def test_replies_land_in_their_parents_thread(ingested, id_of):
    index = CorpusIndex.from_corpus(ingested.corpus)
    records = json.loads(ENRON_STYLE_PATH.read_text(encoding="utf-8"))
    by_message = {r["message_id"]: r["id"] for r in records}
    replies = [r for r in records if r.get("in_reply_to")]
    assert len(replies) >= 8
    for reply in replies:
        assert index.thread_of(reply["id"]) == index.thread_of(by_message[reply["in_reply_to"]])
    # The CEO's approval sits in the VaR thread with the first excess, and the one-line thanks
    # that lost its reply headers joins it by subject and participants.
    thread = index.thread_ids(id_of["var_breach"])
    for key in ("var_request", "var_approval", "var_thanks"):
        assert id_of[key] in thread
    assert id_of["var_second"] not in thread  # a new message, not a reply


def test_replies_and_forwards_quote_the_earlier_email_in_full(ingested, id_of):
    reply = ingested.corpus.get(id_of["var_approval"])
    own, quoted = split_quoted(reply.body)
    assert "-----Original Message-----" in quoted and "$22MM" in own
    assert "$18.3MM" in quoted and "$18.3MM" not in own  # the first report, two levels down
    forward = ingested.corpus.get(id_of["tv_downgrade"])
    own, quoted = split_quoted(forward.body)
    assert quoted.startswith("---------------------- Forwarded by") and "BB+" in quoted


def test_the_committed_files_match_a_fresh_build(tmp_path):
    mail, queries = tmp_path / "mail.json", tmp_path / "queries.json"
    assert build(mail, queries) == (60, 8)
    assert mail.read_bytes() == ENRON_STYLE_PATH.read_bytes()
    assert queries.read_bytes() == ENRON_STYLE_QUERIES_PATH.read_bytes()


def test_the_quality_report_shows_the_set_as_one_held_out_group(capsys):
    from tests.bench.eval_quality import EVAL_SETS, QueryScore, report

    eval_set = EVAL_SETS["enron"]
    queries = eval_set.queries()
    scores = [QueryScore(q, q.relevant_ids[:1], 1, 0.0) for q in queries]
    precision, recall = report(scores, 1, eval_set=eval_set)
    printed = capsys.readouterr().out
    assert "held-out set (all 8, never tuned on)" in printed and "tuning half" not in printed
    assert "target recall >= 0.7 at precision >= 0.6" in printed
    assert precision == 1.0 and recall == pytest.approx(
        8 / sum(len(q.relevant_ids) for q in queries)
    )
