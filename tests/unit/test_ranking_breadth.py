"""No-key ranking properties on small synthetic corpora: answer types, kind-aware cut-offs, ties.

Each corpus here is written for the property it checks (never the bundled sample's ids): an
aggregation answer spread over several threads is cited from each of them, a needle question
stays short, an email stating the asked-for kind of value outranks one that only talks about the
subject, and an email matching the whole question is not cut because a longer one repeats it.
"""

from __future__ import annotations

import pytest

from pipeline.agent import answer_types
from pipeline.agent.answer_types import answer_type, states_answer
from pipeline.agent.citation import (
    CUT_OFFS,
    MAX_TIED_CITED,
    question_breadth,
    select_citations,
)
from pipeline.agent.evidence import EvidencePool
from pipeline.agent.loop import run_chunk
from pipeline.schemas import Budget, LLMSettings
from tools.models import Corpus, Email

MONTHS = ("January", "February", "March", "April", "May")
FILLER = (
    "Lunch on Friday?",
    "Parking garage closed for cleaning this weekend.",
    "Reminder: submit your timesheets.",
    "The printer on floor 3 is fixed.",
    "Team offsite agenda attached.",
    "Please review the holiday calendar.",
)


def _cited(corpus: Corpus, question: str) -> list[str]:
    result, _ = run_chunk(
        corpus,
        chunk_id="chunk_00",
        query=question,
        sub_question=question,
        settings=LLMSettings(mode="deterministic"),
        budget=Budget(max_iterations=6),
    )
    assert result.finding is not None
    return result.finding.relevant_ids


def _filler(count: int) -> list[Email]:
    return [
        Email(
            id=f"filler-{n:02d}",
            sender=f"person{n}@corp.example",
            subject=FILLER[n % len(FILLER)],
            body=FILLER[(n + 1) % len(FILLER)],
            thread_id=f"filler-thread-{n:02d}",
        )
        for n in range(count)
    ]


def test_answer_type_reads_what_value_the_question_asks_for():
    assert answer_type("How much did the Falcon desk earn in May?").money
    assert answer_type("What percentage of the capacity was sold?").percent
    counting = answer_type("How many customer records were in the file?")
    assert counting.counted == {"customer", "record"}
    assert not answer_type("Who approved the Falcon trade?")


@pytest.mark.parametrize(
    ("question", "text", "states"),
    [
        ("How much did it earn?", "May came in at $4.9M after fees.", True),
        ("How much did it earn?", "We made 2.1 million in June.", True),
        ("How much did it earn?", "It earned a lot, call me.", False),
        ("How many customer records were in it?", "The sheet held 212 customer records.", True),
        ("How many customer records were in it?", "The sheet had 212 rows of prices.", False),
        ("What percentage was lost?", "Wall loss was 38 % at the weld.", True),
    ],
)
def test_states_answer_needs_the_asked_for_kind_of_value(question, text, states):
    assert states_answer(text, answer_type(question)) is states


def test_an_email_stating_the_amount_outranks_one_only_about_the_subject(monkeypatch):
    monkeypatch.setattr(answer_types, "VALUE_BOOST", 0.0)  # the answer-type factor alone
    talk = Email(id="talk", subject="Falcon desk earnings", body="Falcon desk earnings look good.")
    amount = Email(id="amount", subject="Falcon desk earnings", body="Falcon desk earned $3.2M.")
    corpus = Corpus([talk, amount, *_filler(6)])
    asked = EvidencePool(corpus, "How much did the Falcon desk earn?")
    asked.add(["talk", "amount"])
    assert [email_id for email_id, _ in asked.ranked()] == ["amount", "talk"]
    plain = EvidencePool(corpus, "Who runs the Falcon desk earnings review?")
    plain.add(["talk", "amount"])
    scores = dict(plain.ranked())
    assert scores["talk"] >= scores["amount"]  # no boost without an amount question


def _monthly_reports() -> list[Email]:
    """One Falcon earnings report per month, each in its own thread."""
    reports = [
        Email(
            id=f"report-{month.lower()}",
            sender="analyst@corp.example",
            to=("head@corp.example",),
            subject=f"Falcon desk - {month}",
            body=f"Falcon desk {month} earnings: ${n + 1}.{n}M net.",
            thread_id=f"falcon-{month.lower()}",
        )
        for n, month in enumerate(MONTHS)
    ]
    return reports


def test_an_aggregation_question_cites_the_report_in_every_thread():
    reports = _monthly_reports()
    corpus = Corpus([*reports, *_filler(30)])
    question = "How much did the Falcon desk earn, month by month and in total?"
    assert question_breadth(question) == "sequence"
    cited = _cited(corpus, question)
    threads = {corpus.get(email_id).thread_id for email_id in cited}
    assert {report.thread_id for report in reports} <= threads
    assert all(email_id.startswith("report-") for email_id in cited)


def test_a_needle_question_stays_short_and_puts_the_needle_first():
    needle = Email(
        id="needle",
        subject="Vault access",
        body="The Falcon vault access code is 4471; keep it safe.",
        thread_id="needle-thread",
    )
    chatter = [
        Email(
            id=f"chatter-{n}",
            subject=f"Falcon update {n}",
            body=f"Falcon schedule update number {n}, nothing else to report.",
            thread_id=f"chatter-thread-{n}",
        )
        for n in range(8)
    ]
    corpus = Corpus([needle, *chatter, *_filler(20)])
    question = "What is the access code of the Falcon vault?"
    assert question_breadth(question) == "single"
    cited = _cited(corpus, question)
    assert cited[0] == "needle"
    assert len(cited) <= CUT_OFFS["single"].max_cited


def test_emails_matching_the_whole_question_are_cited_past_the_cap_and_below_the_floor():
    # One long email repeats the terms (high BM25); short ones match just as much of the question.
    ranked = [("long", 10.0), *[(f"short-{n}", 2.5 - n * 0.1) for n in range(6)], ("part", 2.0)]
    coverage = {"long": 0.8, "part": 0.3, **{f"short-{n}": 0.8 for n in range(6)}}
    cited = select_citations(ranked, "single", coverage=coverage.get)
    assert cited == ["long", *[f"short-{n}" for n in range(6)]]
    assert select_citations(ranked, "single") == ["long"]  # without coverage: the floor cuts
    many = [(f"e{n}", 5.0) for n in range(40)]
    assert len(select_citations(many, "single", coverage=lambda _: 0.5)) == MAX_TIED_CITED


@pytest.mark.parametrize(
    "question",
    [
        "What happened to the Falcon desk after the audit?",
        "Who were the traders on the Falcon desk?",
        "List the approvals the Falcon trade received.",
        "How did the Falcon dispute unfold over the months?",
    ],
)
def test_aggregation_and_timeline_wording_asks_for_a_sequence(question):
    assert question_breadth(question) == "sequence"


def test_ranking_bench_scores_average_precision_and_recall_at_depth():
    from data.sample import LabelledQuery
    from tests.bench.eval_ranking import RankingScore

    query = LabelledQuery(
        id="x1", kind="needle", question="Q?", answer="A.", relevant_ids=["a", "b", "c"]
    )
    score = RankingScore(query, ranks=[0, 2, 9])
    assert score.average_precision == pytest.approx((1 / 1 + 2 / 3 + 3 / 10) / 3)
    assert score.found_within(5) == 2 and score.found_within(10) == 3
    assert RankingScore(query, ranks=[]).average_precision == 0.0
