"""Deterministic (no-key) mode: same loop and artifacts as with a model, zero cost, small cited sets."""

from __future__ import annotations

import re

import pytest

from data.sample import load_queries
from pipeline.agent.dates import question_date_range
from pipeline.agent.deterministic import (
    CITE_RELATIVE_SCORE,
    cite,
    grep_pattern,
    validate_finding,
    word_prefix,
)
from pipeline.agent.loop import run_chunk
from pipeline.agent.schemas import EvidenceItem, Finding
from pipeline.schemas import Budget, LLMSettings
from tests.bench.eval_quality import date_chunks, load_sample_corpus

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
    assert 1 <= len(cited) <= 6
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


def test_cite_keeps_scores_close_to_the_best():
    floor = 10.0 * CITE_RELATIVE_SCORE
    ranked = [("a", 10.0), ("b", 8.0), ("c", floor), ("d", floor - 0.1), ("e", 0.0)]
    assert cite(ranked) == ["a", "b", "c"]
    assert cite([]) == [] and cite([("a", 0.0)]) == []
    assert len(cite([(str(i), 10.0) for i in range(20)])) <= 8


def test_validate_finding_drops_foreign_ids_and_empty_evidence(sample):
    known = sample.ids[0]
    finding = Finding(
        answer="x" * 10_000,
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
    assert len(cleaned.answer) <= 2_000


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
