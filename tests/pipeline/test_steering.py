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


FOLLOW_UP = "When was the MV-7 replacement first recommended?"


@pytest.mark.pipeline
def test_a_follow_up_asks_on_the_same_corpus_with_the_previous_answer_as_context(
    zenml_store, capfd, make_llm_server, monkeypatch
):
    """The follow-up (LLM mode, through the fake server) reuses the original's library corpus,
    gives the planner and the synthesis the previous question and answer, and is linked both
    ways."""
    from zenml.client import Client

    from pipeline import runs
    from pipeline.run import main, run_pipeline
    from pipeline.steering import run_links

    original = run_pipeline(str(SAMPLE), QUERY, Budget(max_chunks=2, max_iterations=2),
                            LLMSettings(), None, 10**8)  # fmt: skip
    summary = runs.load_report(original).summary
    server = make_llm_server()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-follow-up")
    code = main(["--follow-up-of", original, "--query", FOLLOW_UP, "--base-url", server.base_url,
                 "--max-chunks", "2", "--max-iterations", "2", "--json"])  # fmt: skip
    (line,) = [x for x in capfd.readouterr().out.splitlines() if x.startswith("{")]
    result = json.loads(line)
    assert code == 0 and result["status"] == "completed" and result["mode"] == "llm"
    follow_up = result["run_id"]
    assert result["corpus"]["reused"] is True
    steps = {s.name for s in Client().list_run_steps(pipeline_run_id=follow_up, size=50).items}
    assert "load_corpus" not in steps  # nothing ingested again

    for task in ("decompose", "synthesize"):
        [request] = server.chat_requests(task)
        prompt = str(request.body)
        assert "<previous_run>" in prompt and f"Previous question: {QUERY}" in prompt, task
        assert summary[:60] in prompt, task
    chunk_plans = server.chat_requests("plan")  # the chunks' own agents see only their question
    assert chunk_plans and all("<previous_run>" not in str(r.body) for r in chunk_plans)

    links = run_links(follow_up)
    assert links.follow_up_of.run_id == original
    assert links.follow_up_context.startswith(f"Previous question: {QUERY}")
    assert result["links"]["follow_up_of"]["run_id"] == original
    assert [link.run_id for link in run_links(original).follow_ups] == [follow_up]
    assert runs.load_report(follow_up).query == FOLLOW_UP

    with pytest.raises(SteeringError, match="no run named"):
        from pipeline.steering import plan_follow_up

        plan_follow_up("no-such-run")


def test_the_ui_launches_pass_flags_the_cli_accepts(monkeypatch, tmp_path):
    from pipeline import launch
    from pipeline.run import parse_args

    argvs = []
    monkeypatch.setattr(launch, "spawn", lambda argv, *rest: argvs.append(argv))
    launch.launch_rerun("run-1", "chunk_01", "New?", 9, LLMSettings(), launch_root=tmp_path)
    launch.launch_run("", "Then who?", Budget(), LLMSettings(), follow_up_of="run-1",
                      launch_root=tmp_path)  # fmt: skip
    rerun, follow_up = (parse_args(argv[3:]) for argv in argvs)
    assert (rerun.rerun_of, rerun.rerun_chunk, rerun.sub_question) == ("run-1", "chunk_01", "New?")
    assert rerun.chunk_max_iterations == 9 and rerun.query is None
    assert (follow_up.follow_up_of, follow_up.query) == ("run-1", "Then who?")
    assert follow_up.source is None and follow_up.corpus is None
    with pytest.raises(SystemExit):
        parse_args(["--rerun-of", "run-1", "--rerun-chunk", "chunk_00", "--query", "q"])
