"""Budgets under an adversarial model: a plan of 1,000 chunks, a model that never says
"sufficient", and replies of 200,000 characters (about 50,000 tokens each).

Invariants asserted, per chunk, for a token cap T (the same for a USD cap):
- chunk count <= max_chunks, and the chunks still cover the corpus exactly once;
- LLM calls per chunk <= max_iterations (== when the model never stops);
- every exploring call (plan, reflect) starts while the tokens already spent are below T;
- the only call that may start at or above T is the chunk's single summary call, so the spend is
  at most T + the one exploring call in flight that crossed T + that summary call.
"""

from __future__ import annotations

import pytest

from pipeline.agent.loop import run_chunk
from pipeline.decompose import make_plan
from pipeline.schemas import Budget
from tests.reliability.faults import (
    QUERY,
    RecordingClient,
    cell_settings,
    fault_corpus,
    run_loop_pipeline,
)

EXPLORING = ("plan", "reflect")


def _run_chunk(server, budget: Budget):
    settings = cell_settings(server)
    client = RecordingClient(settings, api_key="sk-test-budgets")
    result, trajectory = run_chunk(
        fault_corpus(), chunk_id="chunk_00", query=QUERY, sub_question=QUERY,
        settings=settings, budget=budget, client=client,
    )  # fmt: skip
    return result, trajectory, client.records


def _assert_cap_held(records, cap: float, spend) -> None:
    spent, after_cap = 0.0, []
    for record in records:
        if spent >= cap:
            after_cap.append(record.purpose)
        if record.purpose in EXPLORING:
            assert spent < cap, f"{record.purpose} call started with {spent} >= cap {cap}"
        spent += spend(record)
    assert after_cap in ([], ["summarize"]), after_cap
    biggest = max(spend(r) for r in records)
    assert spent <= cap + 2 * biggest


def test_thousand_chunk_plan_is_cut_to_max_chunks(make_llm_server) -> None:
    server = make_llm_server(behaviour="thousand_chunks")
    corpus = fault_corpus()
    settings = cell_settings(server)
    for max_chunks in (1, 4, 10):
        plan, calls = make_plan(corpus, QUERY, max_chunks, settings)
        assert 1 <= len(plan.chunks) <= max_chunks
        covered = [p for spec in plan.chunks for p in range(spec.start, spec.end)]
        assert covered == list(range(len(corpus)))  # every email exactly once, in order
        assert len(calls) == 1 and plan.source in ("repaired", "deterministic")
    assert Budget(max_chunks=1000, max_iterations=1000).clamped().max_chunks == 10


@pytest.mark.parametrize("max_iterations, expected", [(2, 2), (5, 5), (12, 12), (1000, 12)])
def test_never_sufficient_model_stops_at_max_iterations(make_llm_server, max_iterations, expected):
    server = make_llm_server(behaviour="never_sufficient")
    result, trajectory, records = _run_chunk(server, Budget(max_iterations=max_iterations))
    assert result.llm_calls == len(records) == expected
    assert len(server.chat_requests()) == expected
    assert [e.kind for e in trajectory.events][-1] == "summarize"
    assert all(
        e.detail.get("sufficient") is False for e in trajectory.events if e.kind == "reflect"
    )


@pytest.mark.parametrize("cap_tokens", [20_000, 60_000, 120_000])
def test_huge_replies_respect_the_token_cap(make_llm_server, cap_tokens: int) -> None:
    server = make_llm_server(behaviour="huge", sufficient_after=99)
    budget = Budget(max_iterations=12, max_tokens_per_chunk=cap_tokens)
    result, trajectory, records = _run_chunk(server, budget)
    assert records[0].output_tokens > 40_000  # the replies really are huge
    _assert_cap_held(records, cap_tokens, lambda r: r.input_tokens + r.output_tokens)
    assert any(e.kind == "budget_stop" for e in trajectory.events)
    assert result.llm_calls < 12 and result.finding is not None


@pytest.mark.parametrize("cap_usd", [0.01, 0.05])
def test_huge_replies_respect_the_usd_cap(make_llm_server, cap_usd: float) -> None:
    server = make_llm_server(behaviour="huge", sufficient_after=99)
    budget = Budget(max_iterations=12, max_usd_per_chunk=cap_usd)
    result, trajectory, records = _run_chunk(server, budget)
    assert all(r.cost_known and r.cost_usd > 0 for r in records)
    _assert_cap_held(records, cap_usd, lambda r: r.cost_usd)
    assert any(e.kind == "budget_stop" for e in trajectory.events)
    assert result.cost_usd == pytest.approx(sum(r.cost_usd for r in records))


@pytest.mark.slow
def test_run_token_cap_is_split_between_chunks_and_each_share_holds(make_llm_server) -> None:
    """A run cap, less what the decomposition spent, is split between the chunks with one share
    kept for the synthesis (`chunk_budget`); each chunk holds its share under the per-chunk
    invariant above, and the synthesis is either skipped (cap spent) or capped to what is left."""
    server = make_llm_server(behaviour="huge", sufficient_after=99)
    budget = Budget(max_chunks=3, max_iterations=12, max_tokens_total=240_000)
    run = run_loop_pipeline(server, fault_corpus(), QUERY, budget)
    per_chunk = run.chunk_budget
    decompose = [r for r in run.records if r.purpose == "decompose"]
    spent_planning = sum(r.input_tokens + r.output_tokens for r in decompose)
    assert decompose and spent_planning > 0
    assert per_chunk.max_tokens_per_chunk == (budget.max_tokens_total - spent_planning) // 4
    assert len(run.results) == len(run.plan.chunks) == 3
    for trajectory in run.trajectories.values():
        _assert_cap_held(
            trajectory.llm_records,
            per_chunk.max_tokens_per_chunk,
            lambda r: r.input_tokens + r.output_tokens,
        )
    synthesis = [r for r in run.records if r.purpose == "synthesize"]
    spent_before = sum(
        r.input_tokens + r.output_tokens for r in run.records if r.purpose != "synthesize"
    )
    if spent_before >= budget.max_tokens_total:
        assert not synthesis
        assert any("token cap" in gap for gap in run.report.evidence_gaps)
    else:
        assert len(synthesis) == 1
        limit = budget.max_tokens_total - spent_before
        sent = [r.body.get("max_tokens") for r in run.chat_requests if r.task == "synthesize"]
        assert sent and sent[-1] is not None and sent[-1] <= limit
