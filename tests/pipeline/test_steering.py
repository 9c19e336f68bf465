"""Steering a finished run with real pipeline runs: rerunning one chunk reuses every other chunk
from ZenML's cache (step status cached) and links the two runs; a rerun that changes nothing or
names an unknown chunk is refused before any run starts."""

from __future__ import annotations

import json

import pytest

from pipeline.schemas import Budget, LLMSettings
from pipeline.steering import SteeringError, chunk_budgets, plan_rerun
from tests.pipeline.conftest import SAMPLE

QUERY = "Who decided to defer the Lakeside valve replacement?"
NEW_QUESTION = "Who first reported wall loss on the MV-7 valve?"


def test_only_the_rerun_chunk_gets_the_new_budget():
    from pipeline.steering import Rerun

    original = Budget(max_chunks=3, max_iterations=3, max_tokens_per_chunk=900)
    rerun = Rerun(of_run="r", of_run_name="n", chunk_id="chunk_01", chunk_budget=original,
                  max_iterations=9)  # fmt: skip
    budgets = chunk_budgets(["chunk_00", "chunk_01", "chunk_02"], Budget(), rerun)
    assert budgets["chunk_00"] == budgets["chunk_02"] == original
    assert budgets["chunk_01"] == original.model_copy(update={"max_iterations": 9})
    assert chunk_budgets(["chunk_00"], original, None) == {"chunk_00": original}


@pytest.mark.pipeline
def test_a_rerun_chunk_is_recomputed_and_the_others_come_from_cache(zenml_store, capfd):
    from zenml.client import Client

    from pipeline import runs
    from pipeline.run import main, run_pipeline
    from pipeline.steering import run_links

    budget = Budget(max_chunks=3, max_iterations=3)
    original = run_pipeline(str(SAMPLE), QUERY, budget, LLMSettings(), None, 10**8)
    with pytest.raises(SteeringError, match="nothing to rerun"):
        plan_rerun(original, "chunk_01", max_iterations=3)
    with pytest.raises(SteeringError, match="has no chunk 'chunk_09'"):
        plan_rerun(original, "chunk_09", max_iterations=8)

    code = main(["--rerun-of", original, "--rerun-chunk", "chunk_01", "--sub-question",
                 NEW_QUESTION, "--chunk-max-iterations", "8", "--json"])  # fmt: skip
    (line,) = [x for x in capfd.readouterr().out.splitlines() if x.startswith("{")]
    result = json.loads(line)  # main() keeps fd 1 for its JSON, ZenML's output goes to 2
    assert code == 0 and result["status"] == "completed"
    rerun = result["run_id"]
    assert result["links"]["rerun_of"]["run_id"] == original
    assert result["links"]["rerun_chunk"] == "chunk_01"

    steps = {s.name: s for s in Client().list_run_steps(pipeline_run_id=rerun, size=50).items}
    assert "load_corpus" not in steps  # the corpus came from the library
    assert steps["chunk_00"].status.value == "cached"
    assert steps["chunk_02"].status.value == "cached"
    assert steps["chunk_01"].status.value == "completed"
    assert steps["aggregate_results"].status.value == "completed"
    view = runs.get_run(rerun)
    assert [c.cached for c in view.chunks] == [True, False, True]
    assert view.query == QUERY

    chunk = Client().list_run_steps(pipeline_run_id=rerun, name="chunk_01", hydrate=True).items[0]
    assert chunk.config.parameters["budget"]["max_iterations"] == 8
    assert chunk.config.parameters["spec"]["sub_question"] == NEW_QUESTION
    assert runs.load_trajectories(view)["chunk_01"].sub_question == NEW_QUESTION

    back = run_links(original)
    assert [link.run_id for link in back.reruns] == [rerun]
    assert back.rerun_of is None
