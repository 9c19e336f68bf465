"""A plan the analyst reviewed before fan-out: what they approve (`approved_from_plan`) and the
plan the run uses from it (`plan_from_approved`, called by the plan step).

An approved plan is checked exactly like any plan (`pipeline.decompose.plan_problems`) and used
as given: never silently repaired into something the analyst did not approve. Plain functions:
no ZenML imports.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.agent.schemas import SUB_QUESTION_CHARS
from pipeline.decompose import MAX_NOTES, build_specs, plan_problems
from pipeline.schemas import ApprovedPlan, DecompositionPlan, PlannedChunk
from tools.models import Corpus


def plan_from_approved(
    approved: ApprovedPlan, corpus: Corpus, query: str, max_chunks: int
) -> DecompositionPlan:
    """The analyst's plan with its specs built from the corpus (source "edited" when changed);
    raises ValueError saying what is wrong."""
    ranges = [(c.start, c.end) for c in approved.chunks]
    problems = plan_problems(ranges, len(corpus), max_chunks)
    if problems:
        raise ValueError(f"the approved plan is invalid: {'; '.join(problems[:MAX_NOTES])}")
    questions = [_clean(c.sub_question) or query for c in approved.chunks]
    specs = build_specs(corpus, ranges, questions)
    if approved.edited:
        note = f"edited by the analyst before fan-out (from the {approved.source} plan)"
        return DecompositionPlan(chunks=specs, source="edited", notes=[note])
    note = "reviewed and approved by the analyst before fan-out"
    return DecompositionPlan(chunks=specs, source=approved.source, notes=[note])


def approved_from_plan(
    plan: DecompositionPlan, chunks: Sequence[tuple[int, int, str]]
) -> ApprovedPlan:
    """What the analyst approves: `chunks` (start, end, sub-question), edited when they differ
    from `plan`."""
    planned = [PlannedChunk(start=a, end=b, sub_question=_clean(q)) for a, b, q in chunks]
    original = [
        PlannedChunk(start=c.start, end=c.end, sub_question=c.sub_question) for c in plan.chunks
    ]
    source = "repaired" if plan.source == "edited" else plan.source
    return ApprovedPlan(chunks=planned, source=source, edited=planned != original)


def _clean(text: str) -> str:
    return " ".join(text.split())[:SUB_QUESTION_CHARS]
