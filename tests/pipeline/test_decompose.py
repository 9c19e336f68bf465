"""The decomposition plan: deterministic split and the check/repair of model proposals (no ZenML)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.agent.schemas import DecompositionProposal, ProposedChunk
from pipeline.decompose import (
    balanced_ranges,
    deterministic_plan,
    plan_from_proposal,
    plan_problems,
    repair_ranges,
)
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
    thousand = plan_from_proposal(proposal(*[(i, i + 1) for i in range(1000)]), corpus, "q", 3)
    assert thousand.source == "deterministic"
    assert_valid(thousand, 30, 3)
    empty = plan_from_proposal(DecompositionProposal(chunks=[], reason="none"), corpus, "q", 3)
    assert empty.source == "deterministic"


def test_repair_merges_smallest_neighbours_and_fills_edges():
    repaired = repair_ranges([((2, 5), "a"), ((5, 6), "b"), ((6, 8), "c"), ((8, 9), "d")], 10, 2)
    assert [r for r, _ in repaired] == [(0, 5), (5, 10)]
    assert repaired[1][1] == "b / c / d"
    assert plan_problems([r for r, _ in repaired], 10, 2) == []
