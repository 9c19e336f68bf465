"""Reviewing the plan before fan-out: an approved plan is checked against the corpus and used as
given (source "edited" when changed), a bad one is refused with what is wrong, and a real run
uses the analyst's edited plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.approved_plan import approved_from_plan, plan_from_approved
from pipeline.decompose import deterministic_plan
from pipeline.run import BadInput, read_plan
from pipeline.schemas import ApprovedPlan, PlannedChunk
from tests.pipeline.conftest import SAMPLE
from tools.models import Corpus, Email

QUERY = "Who decided to defer the Lakeside valve replacement?"


def _corpus(n: int = 12) -> Corpus:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    return Corpus(
        Email(id=f"e{i:02d}", date=t0 + timedelta(days=i), subject=f"s{i}") for i in range(n)
    )


def test_an_unchanged_plan_keeps_its_source_and_an_edited_one_says_so():
    corpus = _corpus()
    plan = deterministic_plan(corpus, QUERY, 3)
    same = approved_from_plan(plan, [(c.start, c.end, c.sub_question) for c in plan.chunks])
    assert not same.edited and same.source == "deterministic"
    kept = plan_from_approved(same, corpus, QUERY, 3)
    assert kept.source == "deterministic" and kept.chunks == plan.chunks
    assert "approved by the analyst" in kept.notes[0]

    edited = approved_from_plan(plan, [(0, 2, "Who  wrote\\nfirst?"), (2, 12, QUERY)])
    assert edited.edited
    used = plan_from_approved(edited, corpus, QUERY, 3)
    assert used.source == "edited" and "edited by the analyst" in used.notes[0]
    assert [(c.start, c.end, c.sub_question) for c in used.chunks] == [
        (0, 2, "Who wrote\\nfirst?"),
        (2, 12, QUERY),
    ]
    assert used.chunks[0].fingerprint == corpus.range_fingerprint(0, 2)
    assert used.chunks[0].label == "2024-01-01 .. 2024-01-02"


@pytest.mark.parametrize(
    ("ranges", "problem"),
    [
        ([(0, 5), (6, 12)], "emails 5..6 are not covered"),
        ([(0, 5), (5, 13)], "lies outside the corpus"),
        ([(0, 6), (4, 12)], "overlaps the previous chunk"),
        ([(0, 3), (3, 6), (6, 9), (9, 12)], "4 chunks proposed, at most 3 allowed"),
    ],
)
def test_a_bad_approved_plan_is_refused_with_what_is_wrong(ranges, problem):
    approved = ApprovedPlan(
        chunks=[PlannedChunk(start=a, end=b, sub_question="q") for a, b in ranges],
        source="deterministic",
        edited=True,
    )
    with pytest.raises(ValueError, match="the approved plan is invalid") as error:
        plan_from_approved(approved, _corpus(), QUERY, 3)
    assert problem in str(error.value)


def test_read_plan_reports_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(BadInput, match="cannot read the plan"):
        read_plan(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text('{"chunks": [{"start": 0}], "source": "deterministic", "edited": true}')
    with pytest.raises(BadInput, match="is not a valid plan"):
        read_plan(str(bad))


@pytest.mark.pipeline
def test_a_run_uses_the_edited_plan(zenml_store):
    from pipeline import runs
    from pipeline.run import run_pipeline
    from pipeline.schemas import Budget, LLMSettings

    approved = ApprovedPlan(
        chunks=[
            PlannedChunk(start=0, end=100, sub_question="Who first reported the MV-7 valve?"),
            PlannedChunk(start=100, end=359, sub_question=QUERY),
        ],
        source="deterministic",
        edited=True,
    )
    run_id = run_pipeline(
        str(SAMPLE), QUERY, Budget(max_chunks=4, max_iterations=3), LLMSettings(), None, 10**8,
        approved_plan=approved,
    )  # fmt: skip
    view = runs.get_run(run_id)
    assert view.status == "completed" and view.plan_source == "edited"
    assert [(c.id, c.start, c.end) for c in view.chunks] == [
        ("chunk_00", 0, 100),
        ("chunk_01", 100, 359),
    ]
    trajectories = runs.load_trajectories(view)
    assert trajectories["chunk_00"].sub_question == "Who first reported the MV-7 valve?"
    report = runs.load_report(view)
    assert report.plan_source == "edited" and report.totals.chunks == 2
