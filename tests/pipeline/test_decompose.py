"""The decomposition plan: deterministic split and the check/repair of model proposals (no ZenML)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.agent.schemas import DecompositionProposal, ProposedChunk
from pipeline.decompose import (
    balanced_ranges,
    decompose_messages,
    deterministic_plan,
    make_plan,
    plan_from_proposal,
    plan_problems,
    repair_ranges,
)
from pipeline.schemas import LLMSettings
from tools.models import Corpus, Email


def make_corpus(days: list[int]) -> Corpus:
    """One email per entry, dated 2024-01-01 + that many days."""
    base = datetime(2024, 1, 1, 9, tzinfo=UTC)
    return Corpus(
        Email(
            id=f"e{n:03d}",
            date=base + timedelta(days=d, minutes=n),
            sender=f"p{n % 3}@x",
            subject=f"s{n}",
        )
        for n, d in enumerate(days)
    )


def assert_valid(plan, size: int, max_chunks: int) -> None:
    ranges = [(c.start, c.end) for c in plan.chunks]
    assert plan_problems(ranges, size, max_chunks) == []
    assert [c.id for c in plan.chunks] == [f"chunk_{i:02d}" for i in range(len(plan.chunks))]
    assert all(c.fingerprint and c.label for c in plan.chunks)


def proposal(*ranges: tuple[int, int]) -> DecompositionProposal:
    return DecompositionProposal(
        chunks=[
            ProposedChunk(start=s, end=e, focus="f", sub_question=f"q {s}-{e}") for s, e in ranges
        ],
        reason="r",
    )


def test_deterministic_plan_balances_and_prefers_day_boundaries():
    # 10 days x 10 emails: 4 chunks should cut exactly between days, near 25/50/75
    corpus = make_corpus([d for d in range(10) for _ in range(10)])
    plan = deterministic_plan(corpus, "what?", 4)
    assert_valid(plan, 100, 4)
    assert plan.source == "deterministic"
    cuts = [c.start for c in plan.chunks[1:]]
    assert all(cut % 10 == 0 for cut in cuts), cuts
    assert all(abs(c.size - 25) <= 5 for c in plan.chunks)
    assert all(c.sub_question == "what?" for c in plan.chunks)


def test_deterministic_plan_never_more_chunks_than_emails():
    plan = deterministic_plan(make_corpus([0, 1, 2]), "q", 10)
    assert [(c.start, c.end) for c in plan.chunks] == [(0, 1), (1, 2), (2, 3)]


def test_chunk_fingerprint_is_the_slice_fingerprint():
    corpus = make_corpus(list(range(20)))
    plan = deterministic_plan(corpus, "q", 3)
    for spec in plan.chunks:
        assert spec.fingerprint == corpus.slice(spec.start, spec.end).fingerprint()


def test_balanced_ranges_without_day_changes_are_even():
    assert balanced_ranges(["d"] * 9, 3) == [(0, 3), (3, 6), (6, 9)]
    assert balanced_ranges([], 3) == []


def test_valid_model_plan_is_kept_with_its_sub_questions():
    corpus = make_corpus(list(range(30)))
    plan = plan_from_proposal(proposal((0, 10), (10, 30)), corpus, "q", 4)
    assert plan.source == "model" and plan.notes == []
    assert [c.sub_question for c in plan.chunks] == ["q 0-10", "q 10-30"]


@pytest.mark.parametrize(
    ("ranges", "expected_problem"),
    [
        (((0, 10), (15, 30)), "not covered"),  # gap
        (((0, 20), (10, 30)), "overlaps"),  # overlap
        (((0, 10), (10, 45)), "outside the corpus"),  # past the end
        (((10, 30), (0, 10)), "overlaps"),  # unsorted
        (((0, 10), (10, 10), (10, 30)), "empty"),  # empty chunk
        (((0, 5), (5, 10), (10, 15), (15, 20), (20, 30)), "at most 4"),  # too many
    ],
)
def test_invalid_model_plans_are_repaired(ranges, expected_problem):
    corpus = make_corpus(list(range(30)))
    plan = plan_from_proposal(proposal(*ranges), corpus, "q", 4)
    assert plan.source == "repaired"
    assert any(expected_problem in note for note in plan.notes), plan.notes
    assert_valid(plan, 30, 4)


def test_hopeless_model_plans_are_replaced_by_the_deterministic_plan():
    corpus = make_corpus(list(range(30)))
    outside = plan_from_proposal(proposal((40, 50), (60, 70)), corpus, "q", 3)
    assert outside.source == "deterministic"
    assert any("replaced" in note for note in outside.notes)
    assert_valid(outside, 30, 3)
    empty = plan_from_proposal(DecompositionProposal(chunks=[], reason="none"), corpus, "q", 3)
    assert empty.source == "deterministic"


def test_repair_merges_smallest_neighbours_and_fills_edges():
    repaired = repair_ranges([((2, 5), "a"), ((5, 6), "b"), ((6, 8), "c"), ((8, 9), "d")], 10, 2)
    assert [r for r, _ in repaired] == [(0, 5), (5, 10)]
    assert repaired[1][1] == "b / c / d"
    assert plan_problems([r for r, _ in repaired], 10, 2) == []


# --- What the model is shown, and sub-questions checked against the question -------------------

QUESTION = "Who approved the valve replacement budget?"


def _chunk(start: int, end: int, sub_question: str) -> ProposedChunk:
    return ProposedChunk(start=start, end=end, focus="f", sub_question=sub_question)


def test_the_prompt_shows_each_candidate_chunks_real_dates_and_size():
    corpus = make_corpus([d for d in range(60) for _ in range(2)])  # 2024-01-01 .. 2024-02-29
    prompt = decompose_messages(corpus, QUESTION, 3)[1]["content"]
    assert "1. [0, 40): 40 emails dated 2024-01-01 .. 2024-01-20" in prompt
    assert "2. [40, 80): 40 emails dated 2024-01-21 .. 2024-02-09" in prompt
    assert "3. [80, 120): 40 emails dated 2024-02-10 .. 2024-02-29" in prompt


def test_sub_questions_that_drift_are_replaced_by_the_question():
    corpus = make_corpus([d for d in range(60) for _ in range(2)])
    chunks = [
        _chunk(0, 40, f"{QUESTION} Look at January 2024."),  # covers its chunk: kept
        _chunk(40, 80, "Who approved the valve budget in the first half of 2023?"),  # elsewhere
        _chunk(80, 100, "What did people say about lunch?"),  # lost the question
        _chunk(100, 120, "Who approved the valve replacement budget in February 2024?"),
    ]
    plan = plan_from_proposal(DecompositionProposal(chunks=chunks, reason="r"), corpus, QUESTION, 4)
    assert plan.source == "model"
    questions = [c.sub_question for c in plan.chunks]
    assert questions[0] == f"{QUESTION} Look at January 2024."
    assert questions[1] == f"{QUESTION} (emails dated 2024-01-21 .. 2024-02-09)"
    assert questions[2] == f"{QUESTION} (emails dated 2024-02-10 .. 2024-02-19)"
    assert questions[3].endswith("in February 2024?")  # its chunk lies inside February
    assert len(plan.notes) == 2
    assert "names 2023-01-01 .. 2023-12-31, but its emails are dated" in plan.notes[0]
    assert "keeps 0 of the question's" in plan.notes[1]


def test_a_period_the_question_names_may_stay_in_every_sub_question():
    corpus = make_corpus([d for d in range(60) for _ in range(2)])
    question = "Who approved the valve budget in January 2024?"
    chunks = [_chunk(0, 60, question), _chunk(60, 120, f"{question} Check the later emails.")]
    plan = plan_from_proposal(DecompositionProposal(chunks=chunks, reason="r"), corpus, question, 2)
    assert [c.sub_question for c in plan.chunks] == [
        question,
        f"{question} Check the later emails.",
    ]
    assert plan.notes == []


def test_a_drifting_model_plan_through_the_fake_server(make_llm_server):
    """The real client and SDK against the loopback server: the decomposition prompt carries the
    candidate chunks, and a scripted drifting sub-question is replaced."""
    from pipeline.agent.llm import LLMClient

    corpus = make_corpus([d for d in range(60) for _ in range(2)])
    server = make_llm_server()
    server.script(
        "decompose",
        [
            {
                "chunks": [
                    {"start": 0, "end": 60, "focus": "early", "sub_question": QUESTION},
                    {
                        "start": 60,
                        "end": 120,
                        "focus": "late",
                        "sub_question": "Who approved the valve budget in 1999?",
                    },
                ],
                "reason": "two halves",
            }
        ],  # fmt: skip
    )
    settings = LLMSettings(mode="llm", base_url=server.base_url, max_retries=0)
    plan, calls = make_plan(corpus, QUESTION, 2, settings, LLMClient(settings, api_key="sk-t"))
    assert len(calls) == 1 and calls[0].error is None
    [request] = server.chat_requests("decompose")
    assert "1. [0, 60): 60 emails dated 2024-01-01 .. 2024-01-30" in str(request.body)
    assert plan.source == "model"
    assert plan.chunks[1].sub_question == f"{QUESTION} (emails dated 2024-01-31 .. 2024-02-29)"
    assert "chunk_01: sub-question names 1999-01-01 .. 1999-12-31" in plan.notes[0]


def test_a_proposal_over_the_chunk_limit_is_a_schema_error_and_the_plan_deterministic(
    make_llm_server,
):
    from pipeline.agent.llm import LLMClient

    corpus = make_corpus(list(range(30)))
    server = make_llm_server(behaviour="thousand_chunks")
    settings = LLMSettings(mode="llm", base_url=server.base_url, max_retries=0)
    plan, calls = make_plan(corpus, QUESTION, 3, settings, LLMClient(settings, api_key="sk-t"))
    assert plan.source == "deterministic" and len(plan.chunks) == 3
    assert "List should have at most 10 items" in calls[0].error
    assert any("model plan unavailable" in note for note in plan.notes)
