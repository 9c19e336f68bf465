"""LLM faults: the 6 fault kinds x 3 rates matrix at loop level, through the real SDK.

Every cell runs decomposition, three chunk loops and the aggregate against the loopback server
injecting one fault kind at one rate, and checks that the run completes with a report that keeps
every completed chunk, that every HTTP attempt is accounted for by a retry or a recorded error,
and that every failed call is visible where the analyst looks (trajectory error events, plan
notes, report evidence gaps). The same cells print as a table: `python -m tests.bench.fault_matrix`.
"""

from __future__ import annotations

import pytest

from tests.reliability.faults import (
    MAX_ITERATIONS,
    QUERY,
    RETRYABLE_FAULTS,
    FaultCellResult,
    all_cells,
    run_fault_cell,
)

CHUNK_PURPOSES = ("plan", "reflect", "summarize")
CELLS = all_cells()


@pytest.fixture(scope="module")
def cell_results() -> dict[tuple[str, float], FaultCellResult]:
    """Computed lazily, once per cell, so each parametrized test reads one shared run."""
    return {}


def _cell(cache: dict, kind: str, rate: float) -> FaultCellResult:
    if (kind, rate) not in cache:
        cache[(kind, rate)] = run_fault_cell(kind, rate)
    return cache[(kind, rate)]


@pytest.mark.slow
@pytest.mark.parametrize("kind, rate", CELLS, ids=[f"{k}-{r}" for k, r in CELLS])
def test_run_survives_llm_faults(cell_results, kind: str, rate: float) -> None:
    cell = _cell(cell_results, kind, rate)
    print(cell.row())

    # Faults really happened in this cell (seeded, so the figure is stable).
    assert cell.faulted_requests > 0
    assert all(r.fault in (None, kind) for r in cell.chat_requests)

    # The run completed with a report that holds every chunk; no chunk is lost or failed.
    report = cell.report
    assert report is not None and report.query == QUERY
    assert cell.failed == []
    assert [r.chunk_id for r in cell.results] == [s.id for s in cell.plan.chunks]
    assert report.totals.chunks == report.totals.chunks_ok == len(cell.plan.chunks)
    for result in cell.results:
        assert result.status == "ok" and result.finding is not None
        assert result.llm_calls <= MAX_ITERATIONS

    # Every HTTP attempt is one call or one of its retries; totals add up to the calls made.
    assert sum(r.retries + 1 for r in cell.records) == len(cell.chat_requests)
    assert report.totals.llm_calls == len(cell.records)
    assert report.totals.input_tokens == sum(r.input_tokens for r in cell.records)
    failed_calls = [r for r in cell.records if r.error]
    if kind in RETRYABLE_FAULTS:
        # a faulted attempt is either retried by the SDK or ends the call with an error
        assert cell.faulted_requests == cell.retries + len(failed_calls)
        assert cell.retries > 0
    else:
        assert cell.retries == 0
        assert cell.faulted_requests == len(failed_calls)

    # The aggregate saw every completed chunk's finding.
    synthesis_prompts = [str(r.body) for r in cell.chat_requests if r.task == "synthesize"]
    assert synthesis_prompts, "no synthesis request reached the server"
    for result in cell.results:
        assert f"chunk {result.chunk_id} (emails" in synthesis_prompts[-1]


@pytest.mark.slow
@pytest.mark.parametrize("kind, rate", CELLS, ids=[f"{k}-{r}" for k, r in CELLS])
def test_failed_calls_and_retries_are_visible(cell_results, kind: str, rate: float) -> None:
    cell = _cell(cell_results, kind, rate)
    chunk_records = [r for r in cell.records if r.purpose in CHUNK_PURPOSES]
    trajectory_records = [
        e.llm for t in cell.trajectories.values() for e in t.events if e.llm is not None
    ]
    # The trajectories hold exactly the chunk calls made: same count, same retries, same errors.
    assert len(trajectory_records) == len(chunk_records)
    assert sum(r.retries for r in trajectory_records) == sum(r.retries for r in chunk_records)
    chunk_errors = sorted(r.error for r in chunk_records if r.error)
    error_events = [e for t in cell.trajectories.values() for e in t.events if e.kind == "error"]
    assert sorted(e.error for e in error_events) == chunk_errors
    assert all(e.llm is not None and e.llm.error == e.error for e in error_events)

    # Run-level calls that failed are named too: decomposition in the plan, synthesis in the report.
    for record in cell.records:
        if record.error and record.purpose == "decompose":
            assert cell.plan.source == "deterministic"
            assert any(record.error in note for note in cell.plan.notes)
        if record.error and record.purpose == "synthesize":
            assert any(record.error in gap for gap in cell.report.evidence_gaps)
