"""Deterministic (no-key) mode: same loop and artifacts as with a model, zero cost, small cited sets."""

from __future__ import annotations

import re

import pytest

from data.sample import load_queries
from pipeline.agent.citation import (
    CUT_OFFS,
    chunk_confidence,
    question_breadth,
    select_citations,
    select_report_citations,
)
from pipeline.agent.dates import question_date_range, question_period
from pipeline.agent.deterministic import grep_pattern, validate_finding, word_prefix
from pipeline.agent.evidence import THREAD_SHARE, EvidencePool
from pipeline.agent.loop import run_chunk
from pipeline.agent.schemas import EvidenceItem, Finding
from pipeline.schemas import Budget, LLMSettings
from tests.bench.eval_quality import date_chunks, load_sample_corpus
from tools.models import Corpus, Email

SETTINGS = LLMSettings(mode="deterministic")


@pytest.fixture(scope="module")
def sample():
    return load_sample_corpus()


@pytest.fixture(scope="module")
def queries():
    return {query.id: query for query in load_queries()}


def _run(corpus, question, iterations=6, **kw):
    return run_chunk(
        corpus,
        chunk_id="chunk_00",
        query=question,
        sub_question=question,
        settings=SETTINGS,
        budget=Budget(max_iterations=iterations),
        **kw,
    )


def test_same_shapes_as_a_model_run_with_zero_cost(sample, queries):
    seen = []
    result, trajectory = _run(sample, queries["q01"].question, on_event=lambda e, p: seen.append(p))
    assert result.mode == trajectory.mode == "deterministic"
    assert result.status == "ok" and result.finding == trajectory.finding
    assert result.llm_calls == 0 and result.cost_usd == 0.0 and result.input_tokens == 0
    assert all(event.llm is None for event in trajectory.events)
    kinds = [event.kind for event in trajectory.events]
    assert kinds[0] == "preview" and kinds[-1] == "summarize" and "tool_call" in kinds
    assert result.iterations >= 1 and result.matches > 0
    assert len(seen) == len(trajectory.events) and seen[-1].status == "done"


@pytest.mark.parametrize("iterations", [2, 3, 12])
def test_decisions_consume_the_budget_like_model_calls(sample, queries, iterations):
    _, trajectory = _run(sample, queries["q16"].question, iterations=iterations)
    kinds = [event.kind for event in trajectory.events]
    decisions = kinds.count("plan") + kinds.count("reflect") + kinds.count("summarize")
    assert decisions <= iterations
    if iterations == 2:
        assert kinds.count("plan") == 1 and "reflect" not in kinds


@pytest.mark.parametrize("query_id", ["q01", "q05", "q10"])
def test_cites_a_small_relevant_set(sample, queries, query_id):
    query = queries[query_id]
    result, _ = _run(sample, query.question)
    cited = result.finding.relevant_ids
    assert 1 <= len(cited) <= CUT_OFFS["several"].max_cited
    assert cited[0] in query.relevant_ids  # the best-ranked email answers the question
    assert result.finding.evidence and all(item.email_ids for item in result.finding.evidence)
    assert "'" in result.finding.answer and "from" in result.finding.answer


def test_same_input_same_trajectory(sample, queries):
    question = queries["q09"].question
    runs = [_run(sample, question) for _ in range(2)]
    (first, first_traj), (second, second_traj) = runs
    assert first.finding == second.finding
    strip = {"started_at", "ended_at", "detail"}
    assert [e.model_dump(exclude=strip) for e in first_traj.events] == [
        e.model_dump(exclude=strip) for e in second_traj.events
    ]


def test_question_with_no_matching_terms_gives_an_honest_empty_finding(sample):
    result, _ = _run(sample, "zyxxqv plorbnik quantumfrobnication?")
    assert result.finding.relevant_ids == [] and result.finding.confidence == "low"
    assert result.finding.evidence == []


def test_works_on_every_date_chunk(sample, queries):
    for index, part in enumerate(date_chunks(sample, 4)):
        result, _ = _run(part, queries["q15"].question)
        assert result.start == part.offset and result.end == part.offset + len(part), index
        assert set(result.finding.relevant_ids) <= set(part.ids)


def test_question_naming_a_person_and_month_adds_sender_and_date_calls(sample):
    _, trajectory = _run(sample, "What did Diane Whitaker write about Ravenwood in June 2023?")
    tools = {event.tool: event for event in trajectory.events if event.kind == "tool_call"}
    assert tools["sender"].args == {"name": "Diane Whitaker"}
    assert tools["date"].args == {"start": "2023-06-01", "end": "2023-06-30"}


# --- helpers -------------------------------------------------------------------------------------


def test_grep_pattern_is_an_escaped_or_of_word_prefixes():
    pattern = grep_pattern(["inspections", "valves", "mv-7", "a+b"])
    assert re.search(pattern, "the Inspector said", re.I)
    assert re.search(pattern, "valve MV-7", re.I)
    assert re.search(pattern, "a+b", re.I) and not re.search(pattern, "aab", re.I)
    assert word_prefix("inspections") == "inspect" and word_prefix("cost") == "cost"


def test_round_two_follows_the_best_candidates_threads(sample, queries):
    question = queries["q04"].question  # the CFO's reply barely repeats the question's words
    result, trajectory = _run(sample, question)
    greps = [e for e in trajectory.events if e.kind == "tool_call" and e.tool == "grep"]
    follow_ups = [e for e in greps if e.reason.startswith("threads of the best candidates")]
    assert follow_ups and follow_ups[0].iteration == 2
    reply = next(e for e in sample if e.in_reply_to and "July P&L" in e.subject)
    assert reply.id in follow_ups[0].matched_ids
    assert reply.id in result.finding.relevant_ids


def test_two_decisions_still_search_every_telling_term(sample, queries):
    _, trajectory = _run(sample, queries["q15"].question, iterations=2)
    greps = [e for e in trajectory.events if e.kind == "tool_call" and e.tool == "grep"]
    assert len(greps) >= 2 and all(e.iteration == 1 for e in greps)


def test_validate_finding_drops_foreign_ids_and_empty_evidence(sample):
    known = sample.ids[0]
    finding = Finding(
        answer="  The answer.  ",
        confidence="medium",
        evidence=[
            EvidenceItem(claim="real", email_ids=[known, "nope-1"]),
            EvidenceItem(claim="invented", email_ids=["nope-2"]),
        ],
        relevant_ids=["nope-1", known, known],
    )
    cleaned, dropped = validate_finding(finding, sample)
    assert dropped == ["nope-1", "nope-2"]
    assert cleaned.relevant_ids == [known]
    assert [item.email_ids for item in cleaned.evidence] == [[known]]
    assert cleaned.answer == "The answer."


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What happened in March 2024?", ("2024-03-01", "2024-03-31")),
        ("between June and December 2023", ("2023-06-01", "2023-12-31")),
        ("Q2 2023 results", ("2023-04-01", "2023-06-30")),
        ("emails on 2023-06-01", ("2023-06-01", "2023-06-01")),
        ("who may have leaked the file", None),
        ("what happened during 2023", ("2023-01-01", "2023-12-31")),
    ],
)
def test_question_date_range(question, expected):
    assert question_date_range(question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How much did it make in July 2023?", ("2023-07-01", "2023-07-31")),
        ("each month from December 2000 through March 2001", ("2000-12-01", "2001-03-31")),
        ("revenue from Ravenwood in 2023 in total", ("2023-01-01", "2023-12-31")),
        ("Q2 2023 results", ("2023-04-01", "2023-06-30")),
        ("What changed since March 2023?", None),
        ("Who knew before Q2 2024?", None),
        ("everything after 2023-06-01", None),
        ("from March 2023 onwards", None),
        ("March 2023 and later", None),
        ("what had happened by the end of 2023", None),
        ("who may have leaked the file", None),
    ],
)
def test_question_period_is_closed_or_none(question, expected):
    """The period the evidence ranking prefers: None when the wording leaves it open."""
    period = question_period(question)
    assert (period and (period[0].isoformat(), period[1].isoformat())) == expected


# --- citation rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "breadth"),
    [
        ("What NRC report number was filed?", "single"),
        ("Who signed it, and what did it promise?", "several"),
        ("Trace the project from planning to launch.", "sequence"),
        ("How much did it earn, month by month and in total?", "sequence"),
        ("In what order did the events happen?", "sequence"),
        (
            "How did the credit problem develop, from the first worries to the bankruptcy?",
            "sequence",
        ),
        ("What security did they give us, and what did it come to altogether?", "sequence"),
    ],
)
def test_question_breadth_reads_the_wording(question, breadth):
    assert question_breadth(question) == breadth


def test_select_citations_respects_cap_and_relative_floor():
    ranked = [(f"e{i}", 100.0 - i) for i in range(12)]  # flat: every email passes the floor
    single = CUT_OFFS["single"].max_cited
    assert select_citations(ranked, "single") == [f"e{i}" for i in range(single)]
    several = select_citations(ranked, "several")
    assert len(several) == CUT_OFFS["several"].max_cited
    assert len(select_citations(ranked, "sequence")) == CUT_OFFS["sequence"].max_cited
    steep = [("a", 10.0), ("b", 1.0), ("c", 0.5)]
    assert select_citations(steep, "sequence") == ["a"]
    assert select_citations([], "single") == [] and select_citations([("a", 0.0)], "single") == []


def test_chunk_confidence_follows_coverage_and_separation():
    ranked = [("a", 10.0), ("b", 9.0), ("c", 2.0)]
    assert chunk_confidence(ranked, ["a", "b"], best_coverage=0.8) == "high"
    assert chunk_confidence(ranked, ["a"], best_coverage=0.8) == "medium"  # b is close behind
    assert chunk_confidence(ranked, ["a", "b"], best_coverage=0.1) == "low"
    assert chunk_confidence(ranked, [], best_coverage=0.9) == "low"


def _finding(ids, confidence):
    return Finding(answer="x", confidence=confidence, evidence=[], relevant_ids=ids)


def test_report_merge_without_corpus_keeps_the_strongest_chunks():
    findings = [
        ("chunk_00", _finding(["a1", "a2"], "high")),
        ("chunk_01", _finding(["b1"], "low")),
        ("chunk_02", _finding(["c1", "c2"], "medium")),
    ]
    assert select_report_citations(findings, "Who did it?") == ["a1", "c1", "a2", "c2"]
    weak = [("chunk_00", _finding(["a1", "a2"], "low")), ("chunk_01", _finding(["b1"], "low"))]
    assert select_report_citations(weak, "Who did it?") == ["a1", "b1"]
    assert select_report_citations([], "Who did it?") == []


def test_report_merge_with_corpus_reranks_across_chunks(sample, queries):
    query = queries["q05"]
    parts = date_chunks(sample, 4)
    findings = [
        (f"chunk_{i:02d}", _run(part, query.question)[0].finding) for i, part in enumerate(parts)
    ]
    union = {i for _, f in findings for i in f.relevant_ids}
    kept = select_report_citations(findings, query.question, sample)
    assert kept and set(kept) <= union and len(kept) < len(union)
    assert kept[0] in query.relevant_ids


def test_bulk_mail_and_routine_series_rank_below_one_off_mail():
    newsletter = "Top stories: pipeline budget news.\n\nUnsubscribe here."
    emails = [Email(id="one-off", subject="Pipeline budget", body="The pipeline budget grew.")]
    emails.append(Email(id="bulk", subject="Daily digest", body=newsletter))
    emails += [
        Email(id=f"flash-{n}", sender="ops@x.example", subject=f"Flash - {n}", body="budget")
        for n in range(5)
    ]
    pool = EvidencePool(Corpus(emails), "pipeline budget")
    pool.add([email.id for email in emails])
    ranked = [email_id for email_id, _ in pool.ranked()]
    assert ranked[0] == "one-off"
    assert ranked.index("one-off") < ranked.index("bulk")


def test_a_terse_reply_inherits_part_of_its_threads_relevance():
    root = Email(
        id="root",
        subject="Valve corrosion survey",
        body="Valve corrosion found in the survey.",
        message_id="<root@x>",
    )
    reply = Email(id="reply", subject="RE: thoughts", body="Agreed.", in_reply_to="<root@x>")
    other = Email(id="other", subject="Lunch", body="Lunch at noon? The survey can wait.")
    pool = EvidencePool(Corpus([root, reply, other]), "valve corrosion survey")
    pool.add(["root", "reply", "other"])
    scores = dict(pool.ranked())
    assert scores["reply"] == pytest.approx(THREAD_SHARE * scores["root"])
    assert scores["reply"] > scores["other"] > 0
