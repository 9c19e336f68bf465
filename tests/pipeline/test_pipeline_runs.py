"""Real `rlm_analysis` runs on a local stack, in-process, through the loopback LLM server:
fan-out matches the plan, chunks run concurrently, reruns hit the cache with zero model calls,
and changing one chunk's emails recomputes only that chunk. Plus the clamps in deterministic mode.
"""

from __future__ import annotations

import copy
import importlib
import itertools
from pathlib import Path

import pytest

from tests.fakes.gate import RequestGate
from tests.fakes.llm_server import FakeLLMServer
from tests.pipeline.conftest import write_records

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]

QUERY = "Who raised concerns about the valve inspection?"


@pytest.fixture(scope="module")
def llm_runs(zenml_store, sample_records, tmp_path_factory):
    """Three runs against one fake server: first, identical rerun, and a rerun on a corpus where
    one email inside chunk_01 changed. Returns views and request counts. The server's gate holds
    the first run's plan calls until all three chunks have one in flight at once."""
    from pipeline import runs
    from pipeline.run import run_pipeline
    from pipeline.schemas import Budget, LLMSettings
    from tools.ingest import ingest_path

    folder = tmp_path_factory.mktemp("llm-runs")
    source = write_records(folder / "mail.json", sample_records)
    corpus = ingest_path(source).corpus
    size = len(corpus)
    target_id = corpus.ids[size * 3 // 6]  # middle of chunk_01 of 3 equal chunks
    changed = copy.deepcopy(sample_records)
    for record in changed:
        if record["id"] == target_id:
            record["body"] += "\nP.S. one changed line."
    # same file name: ingestion records it in every email's `source` field
    (folder / "changed").mkdir()
    changed_source = write_records(folder / "changed" / "mail.json", changed)

    server = FakeLLMServer(gate=RequestGate(parties=3, tasks={"plan"}))
    server.start()
    budget = Budget(max_chunks=3, max_iterations=3)
    llm = LLMSettings(mode="llm", model="gpt-4o-mini", base_url=server.base_url)
    out: dict = {"size": size, "server": server}
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("OPENAI_BASE_URL", server.base_url)
            env.setenv("OPENAI_API_KEY", "sk-fake-test-key")
            first = run_pipeline(str(source), QUERY, budget, llm, "test-llm-first", 10**8)
            out["after_first"] = len(server.chat_requests())
            second = run_pipeline(str(source), QUERY, budget, llm, "test-llm-second", 10**8)
            out["after_second"] = len(server.chat_requests())
            third = run_pipeline(str(changed_source), QUERY, budget, llm, "test-llm-changed", 10**8)
            out["third_requests"] = server.chat_requests()[out["after_second"] :]
        out["views"] = [runs.get_run(run_id) for run_id in (first, second, third)]
        yield out
    finally:
        server.stop()


def test_one_chunk_step_per_planned_chunk(llm_runs):
    from pipeline import runs

    first = llm_runs["views"][0]
    plan = runs.load_plan(first)
    assert first.status == "completed" and first.mode == "llm"
    assert plan.source == "model" and len(plan.chunks) == 3
    assert [c.id for c in first.chunks] == [s.id for s in plan.chunks]
    assert all(c.status == "done" and c.llm_calls >= 2 for c in first.chunks)
    assert sum(c.size for c in first.chunks) == llm_runs["size"]


def test_chunk_steps_run_concurrently(llm_runs):
    # A chunk has at most one model call in flight, so three plan calls held open at the same
    # moment are three chunks working at once; run one after another, the gate never opens.
    gate = llm_runs["server"].gate
    assert gate.opened_by == "parties" and gate.held_peak == 3, (gate.opened_by, gate.held_peak)


def test_identical_rerun_is_fully_cached_with_zero_model_calls(llm_runs):
    from pipeline import runs

    second = llm_runs["views"][1]
    assert llm_runs["after_second"] == llm_runs["after_first"] > 0
    assert [c.status for c in second.chunks] == ["cached"] * 3
    assert all(c.cached for c in second.chunks)
    assert runs.load_report(second) == runs.load_report(llm_runs["views"][0])


def test_changed_chunk_is_the_only_one_recomputed(llm_runs):
    third = llm_runs["views"][2]
    assert {c.id: c.status for c in third.chunks} == {
        "chunk_00": "cached",
        "chunk_01": "done",
        "chunk_02": "cached",
    }
    tasks = [r.task for r in llm_runs["third_requests"]]
    assert tasks.count("summarize") == 1  # only chunk_01 summarised again
    assert (
        "decompose" in tasks and "synthesize" in tasks
    )  # the corpus changed: new plan, new report


def test_report_cites_only_chunk_evidence_and_artifacts_load(llm_runs):
    from pipeline import runs
    from pipeline.aggregate import chunk_cited_ids

    first = llm_runs["views"][0]
    report = runs.load_report(first)
    results = runs.load_chunk_results(first)
    assert report.findings and report.cited_ids
    assert set(report.cited_ids) <= chunk_cited_ids(results.values())
    assert report.totals.llm_calls == sum(r.llm_calls for r in results.values()) + 2
    trajectories = runs.load_trajectories(first)
    assert sorted(trajectories) == ["chunk_00", "chunk_01", "chunk_02"]
    assert all(t.events and t.finding for t in trajectories.values())
    emails = runs.load_emails(first, report.cited_ids)
    assert sorted(emails) == sorted(report.cited_ids)
    html = runs.load_report_html(first)
    assert "<script" not in html and report.cited_ids[0] in html


def test_clamps_hold_for_out_of_range_budgets(zenml_store, sample_records, tmp_path: Path):
    from zenml.client import Client

    from pipeline import runs
    from pipeline.run import run_pipeline
    from pipeline.schemas import Budget, LLMSettings

    source = write_records(tmp_path / "small.json", sample_records[:30])
    run_id = run_pipeline(
        str(source),
        QUERY,
        Budget(max_chunks=0, max_iterations=50),
        LLMSettings(),
        "test-clamp-low",
        10**8,
    )
    view = runs.get_run(run_id)
    assert view.status == "completed" and view.mode == "deterministic"
    assert (view.max_chunks, view.max_iterations) == (1, 12)
    assert [c.id for c in view.chunks] == ["chunk_00"] and view.chunks[0].size == 30
    step = Client().list_run_steps(pipeline_run_id=run_id, name="chunk_00", hydrate=True).items[0]
    assert step.config.parameters["budget"]["max_iterations"] == 12


def test_large_source_is_ingested_in_a_child_process(
    zenml_store, sample_records, tmp_path: Path, monkeypatch
):
    """Above RLM_INGEST_ISOLATE_MB the corpus is read by a child process and copied into the
    artifact store as its Parquet file: same corpus, same problems, same results."""
    from zenml.client import Client

    from pipeline import runs
    from pipeline.run import run_pipeline
    from pipeline.schemas import Budget, LLMSettings
    from tools.ingest import ingest_path

    load_step = importlib.import_module("pipeline.steps.load_corpus")  # the module, not the step

    records = [*sample_records[:60], {"id": "broken", "from": "x@example.com"}]
    source = write_records(tmp_path / "large.json", records)
    children: list[str] = []

    def spy(path, target, **kwargs):
        children.append(str(path))
        return isolated(path, target, **kwargs)

    isolated = load_step.ingest_isolated
    monkeypatch.setattr(load_step, "ingest_isolated", spy)
    monkeypatch.setenv(load_step.ISOLATE_ENV, "0")  # every file counts as large
    budget = Budget(max_chunks=2, max_iterations=3)
    run_id = run_pipeline(str(source), QUERY, budget, LLMSettings(), "test-isolated", 10**8)

    assert children == [str(source)]
    view = runs.get_run(run_id)
    assert view.status == "completed" and [c.status for c in view.chunks] == ["done", "done"]
    stored = runs.load_corpus(view)
    expected = ingest_path(source).corpus
    assert len(stored) == 60 and stored.fingerprint() == expected.fingerprint()
    assert stored.slice(0, 60).emails == expected.emails
    step = (
        Client().list_run_steps(pipeline_run_id=run_id, name="load_corpus", hydrate=True).items[0]
    )
    loaded = step.run_metadata["rlm_corpus"]
    assert loaded["emails"] == 60 and loaded["rejected"] == 1
    assert "missing body and subject" in loaded["first_problems"][0]


def test_chunks_over_the_memory_budget_take_turns(
    zenml_store, sample_records, tmp_path, monkeypatch
):
    """With a budget smaller than any chunk, chunk steps still all start at once but do their
    work one at a time, the waiting ones saying so in their metadata; the run completes."""
    from zenml.client import Client

    from pipeline import runs
    from pipeline.memory import CHUNK_MEMORY
    from pipeline.run import run_pipeline
    from pipeline.schemas import Budget, LLMSettings

    monkeypatch.setattr(CHUNK_MEMORY, "capacity_bytes", 1)
    # The first chunk admitted is held at its first model call until both others wait for the
    # budget: the turns are observed, whatever the machine's speed.
    gate = RequestGate(tasks={"plan"})
    waits = _count_budget_waits(monkeypatch, CHUNK_MEMORY, release_after=2, gate=gate)
    source = write_records(tmp_path / "turns.json", sample_records[:90])
    with FakeLLMServer(gate=gate) as server:
        llm = LLMSettings(mode="llm", model="gpt-4o-mini", base_url=server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-test-key")
        budget = Budget(max_chunks=3, max_iterations=3)
        run_id = run_pipeline(str(source), QUERY, budget, llm, "test-memory-turns", 10**8)
    assert gate.opened_by == "release" and len(waits) == 2

    view = runs.get_run(run_id)
    assert view.status == "completed" and [c.status for c in view.chunks] == ["done"] * 3
    windows = sorted((t.started_at, t.ended_at) for t in runs.load_trajectories(view).values())
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(windows))
    steps = Client().list_run_steps(pipeline_run_id=run_id, hydrate=True).items
    waited = [s.name for s in steps if s.run_metadata.get("rlm_chunk", {}).get("waiting_for")]
    assert waited, "no chunk had to wait, so the budget was never tested"
    assert CHUNK_MEMORY.reserved_bytes == 0


def _count_budget_waits(monkeypatch, budget, *, release_after: int, gate: RequestGate) -> list:
    """Wrap `budget.reserve` so that every wait is recorded; the gate opens at `release_after`."""
    waits: list[int] = []
    reserve = budget.reserve

    def counting_reserve(n_bytes, on_wait=None):
        def waited(held: int) -> None:
            waits.append(held)
            if on_wait is not None:
                on_wait(held)
            if len(waits) >= release_after:
                gate.release()

        return reserve(n_bytes, on_wait=waited)

    monkeypatch.setattr(budget, "reserve", counting_reserve)
    return waits
