"""Budgets across depth under a model that asks to split every chunk it investigates.

Real `rlm_analysis` runs (local store) at max_depth 3 against the loopback fake with the
`always_split` behaviour. Whatever the model says, the stated caps hold for the whole tree:
- chunks at all depths <= TOTAL_CHUNKS_CAP and no chunk deeper than max_depth (a run without a
  token cap, so the chunk allowance is what stops the tree);
- model calls, as the server counted them, <= `model_call_cap(budget)`;
- with a run token cap: every child run's cap fits in what its parent chunk had, chunks stop
  on their share (`budget_stop`), and the tree's tokens stay within the run's cap plus the
  per-chunk slack the loop allows (one exploring call in flight and the summary, see
  test_adversarial_budgets).
"""

from __future__ import annotations

import pytest

from pipeline.recursion import model_call_cap
from pipeline.schemas import TOTAL_CHUNKS_CAP, Budget, LLMSettings

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]

QUERY = "List every email about the Lakeside valve."
TOKEN_CAP = 60_000


def _run(name: str, budget: Budget) -> dict:
    from data.sample import SAMPLE_PATH
    from pipeline import runs
    from pipeline.run import run_pipeline
    from tests.fakes.llm_server import FakeLLMServer

    with FakeLLMServer(behaviour="always_split") as server, pytest.MonkeyPatch.context() as env:
        env.setenv("OPENAI_BASE_URL", server.base_url)
        env.setenv("OPENAI_API_KEY", "sk-fake-adversarial-recursion")
        llm = LLMSettings(mode="llm", model="gpt-4o-mini", base_url=server.base_url)
        run_id = run_pipeline(str(SAMPLE_PATH), QUERY, budget, llm, name, 10**8)
        requests = server.chat_requests()
    view = runs.get_run(run_id)
    return {
        "budget": budget,
        "view": view,
        "requests": requests,
        "report": runs.load_report(view),
        "trajectories": runs.load_trajectories(view),
    }


@pytest.fixture(scope="module")
def uncapped(zenml_store) -> dict:
    return _run("always-split", Budget(max_chunks=3, max_iterations=3, max_depth=3))


@pytest.fixture(scope="module")
def token_capped(zenml_store) -> dict:
    budget = Budget(max_chunks=3, max_iterations=3, max_depth=3, max_tokens_total=TOKEN_CAP)
    return _run("always-split-token-cap", budget)


def test_the_model_splits_everywhere_yet_the_chunk_cap_holds(uncapped):
    view = uncapped["view"]
    assert view.status == "completed"
    assert {c.depth for c in view.chunks} == {1, 2, 3}  # it really recursed to max_depth
    above = [c for c in view.chunks if c.depth < 3]
    assert all(
        any(e.kind == "recurse" for e in uncapped["trajectories"][c.id].events) for c in above
    )
    assert len(view.chunks) <= TOTAL_CHUNKS_CAP
    assert len({c.id for c in view.chunks}) == len(view.chunks)


@pytest.mark.parametrize("which", ["uncapped", "token_capped"])
def test_model_calls_stay_within_the_tree_cap(request, which):
    run = request.getfixturevalue(which)
    budget, requests = run["budget"], run["requests"]
    assert 0 < len(requests) <= model_call_cap(budget)
    assert all(c.llm_calls <= budget.max_iterations for c in run["view"].chunks)
    assert run["report"].totals.llm_calls == len(requests)


def test_the_token_cap_divides_down_the_tree_and_holds(token_capped):
    from zenml.client import Client

    from pipeline.metadata import RUN_KEY, unpack

    view, report = token_capped["view"], token_capped["report"]
    assert view.child_runs, "the model asked to split: some children must have run"
    chunks = {c.id: c for c in view.chunks}
    for child in view.child_runs:
        meta = unpack(Client().get_pipeline_run(child.run_id).run_metadata, RUN_KEY)
        parent = chunks[child.parent_chunk]
        siblings = [c for c in view.chunks if c.parent == parent.parent and c.depth == parent.depth]
        # a child's cap is what its parent chunk's share left, and a share is at most
        # 1 / (chunks + 1) of its run's cap (one share is kept for the synthesis)
        assert 0 < meta["max_tokens_total"] <= TOKEN_CAP // (len(siblings) + 1)
    stops = [e for t in token_capped["trajectories"].values() for e in t.events]
    assert any(e.kind == "budget_stop" for e in stops)  # the shares really bound
    spent = report.totals.input_tokens + report.totals.output_tokens
    biggest = max(r.input_tokens + r.output_tokens for t in token_capped["trajectories"].values()
                  for r in t.llm_records)  # fmt: skip
    assert spent <= TOKEN_CAP + 2 * biggest * len(view.chunks)
