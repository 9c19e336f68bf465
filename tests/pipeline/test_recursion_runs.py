"""Recursion on real `rlm_analysis` runs (local store, no model): a chunk whose evidence is too
big splits into a real ZenML child run of the same pipeline, or does not, by the stated rule;
a rerun reuses every chunk at every depth from the cache; a failed child run is named and its
parent chunk keeps its own finding."""

from __future__ import annotations

import pytest

from data.generate import generate
from data.storyline import QUESTION

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]

EMAILS = 2_000
STORYLINE = 150


@pytest.fixture(scope="module")
def tree_runs(zenml_store, tmp_path_factory):
    """Four deterministic runs on one generated corpus (three chunks, max_depth 2): the
    storyline question, the same again, a needle question, and the storyline with the child
    run of chunk_01 failing."""
    from pipeline import runs
    from pipeline.run import run_pipeline
    from pipeline.schemas import Budget, LLMSettings

    source = tmp_path_factory.mktemp("recursion") / "mail.jsonl"
    sidecar = generate(source, EMAILS, storyline=STORYLINE)
    budget = Budget(max_chunks=3, max_iterations=4, max_depth=2)
    needle = sidecar["question"]  # "Which emails mention <codename>, ...": a handful match
    ids = {}
    ids["first"] = run_pipeline(str(source), QUESTION, budget, LLMSettings(), "rec-first", 10**8)
    ids["rerun"] = run_pipeline(str(source), QUESTION, budget, LLMSettings(), "rec-rerun", 10**8)
    ids["needle"] = run_pipeline(str(source), needle, budget, LLMSettings(), "rec-needle", 10**8)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RLM_FAIL_CHILD_RUNS", "chunk_01")
        ids["failed"] = run_pipeline(
            str(source), QUESTION, budget, LLMSettings(), "rec-failed-child", 10**8
        )
    views = {name: runs.get_run(run_id) for name, run_id in ids.items()}
    return {"views": views, "sidecar": sidecar}


def test_big_evidence_splits_into_real_child_runs_of_the_same_pipeline(tree_runs):
    from zenml.client import Client

    from pipeline import runs

    view = tree_runs["views"]["first"]
    assert view.status == "completed" and view.max_depth == 2
    top = [c for c in view.chunks if c.depth == 1]
    assert len(top) == 3 and all(c.parent is None for c in top)
    assert {child.parent_chunk for child in view.child_runs} == {c.id for c in top}
    stored = Client().list_pipeline_runs(parent_run_id=view.run_id, size=50).items
    assert {str(run.id) for run in stored} == {child.run_id for child in view.child_runs}
    for child in view.child_runs:  # ZenML child runs of this run, of the same pipeline
        assert Client().get_pipeline_run(child.run_id).pipeline.name == "rlm_analysis"
        assert child.status == "completed" and child.depth == 2
    below = [c for c in view.chunks if c.depth == 2]
    assert below and all(c.parent in {t.id for t in top} for c in below)
    assert all(c.id.startswith(f"{c.parent}_") and c.status == "done" for c in below)
    for chunk in top:  # each child covers exactly its parent's slice
        children = [c for c in below if c.parent == chunk.id]
        assert min(c.start for c in children) == chunk.start
        assert max(c.end for c in children) == chunk.end
        assert chunk.child_run_id and chunk.split_reason

    trajectories = runs.load_trajectories(view)
    assert set(trajectories) == {c.id for c in view.chunks}
    for chunk in top:
        recurse = [e for e in trajectories[chunk.id].events if e.kind == "recurse"]
        assert len(recurse) == 1 and "emails match the question" in recurse[0].reason
    assert not any(e.kind == "recurse" for c in below for e in trajectories[c.id].events)

    report = runs.load_report(view)
    storyline = set(tree_runs["sidecar"]["storyline"]["ids"])
    sub_cited = set()
    for result in runs.load_chunk_results(view).values():
        if result.depth == 2 and result.finding:
            sub_cited.update(result.finding.relevant_ids)
    assert set(report.cited_ids) & sub_cited & storyline  # citations kept from sub-chunks
    assert report.chunk_ids == [c.id for c in below]


def test_rerun_reuses_every_chunk_at_every_depth(tree_runs):
    first, rerun = tree_runs["views"]["first"], tree_runs["views"]["rerun"]
    assert [c.id for c in rerun.chunks] == [c.id for c in first.chunks]
    assert rerun.child_runs and all(c.status == "cached" for c in rerun.chunks)
    assert {c.run_id for c in rerun.child_runs}.isdisjoint({c.run_id for c in first.child_runs})


def test_a_question_with_few_matches_does_not_split(tree_runs):
    from pipeline import runs

    view = tree_runs["views"]["needle"]
    assert view.status == "completed" and view.child_runs == []
    assert all(c.depth == 1 and not c.split_reason for c in view.chunks)
    for trajectory in runs.load_trajectories(view).values():
        assert not any(e.kind == "recurse" for e in trajectory.events)
        reflections = [e for e in trajectory.events if e.kind == "reflect"]
        assert reflections and all(e.detail["split"] is False for e in reflections)


def test_a_failed_child_run_is_named_and_does_not_sink_its_parent(tree_runs):
    from pipeline import runs

    view = tree_runs["views"]["failed"]
    assert view.status == "completed"
    by_parent = {child.parent_chunk: child for child in view.child_runs}
    assert by_parent["chunk_01"].status == "failed"
    assert by_parent["chunk_00"].status == "completed" == by_parent["chunk_02"].status
    report = runs.load_report(view)
    gap = next(g for g in report.evidence_gaps if g.startswith("chunk_01"))
    assert "RLM_FAIL_CHILD_RUNS" in gap and "own finding is kept" in gap
    results = runs.load_chunk_results(view)
    assert results["chunk_01"].finding is not None  # the chunk's own finding stands
    assert "chunk_01" in report.chunk_ids and "chunk_00_00" in report.chunk_ids
