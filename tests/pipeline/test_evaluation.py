"""A real `rlm_evaluation` through the CLI against the loopback fake model: all four strategies on
two labelled questions of the sample. The reported figures are recomputed here from the
per-question cited ids; the rlm and deterministic cells are `rlm_analysis` child runs; a rerun
with one more question computes only the new cells; a question set citing unknown ids is refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from data.sample import QUERIES_PATH, SAMPLE_PATH
from pipeline.aggregate import percentile
from tests.child_env import child_env
from tests.fakes.llm_server import FakeLLMServer

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
STRATEGIES = ["rlm", "direct", "rag", "deterministic"]
FIRST, ADDED = ["q01", "q15"], "q06"


def _question_file(folder: Path, ids: list[str]) -> Path:
    chosen = [q for q in json.loads(QUERIES_PATH.read_text()) if q["id"] in ids]
    path = folder / f"questions-{len(ids)}.json"
    path.write_text(json.dumps(chosen), encoding="utf-8")
    return path


def _evaluate(zenml_store: Path, server: FakeLLMServer, questions: Path, *extra: str):
    env = child_env()
    env |= {"ZENML_CONFIG_PATH": str(zenml_store), "OPENAI_BASE_URL": server.base_url}
    command = [sys.executable, "-m", "pipeline.evaluate", "--source", str(SAMPLE_PATH),
               "--questions", str(questions), "--max-chunks", "2", "--max-iterations", "3",
               "--json", *extra]  # fmt: skip
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=900, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def evaluations(zenml_store, tmp_path_factory):
    """Two CLI evaluations against one fake server: all strategies on two questions, then the
    same plus a third question. Returns both results and the chat prompts of the second."""
    folder = tmp_path_factory.mktemp("evaluation")
    with FakeLLMServer() as server:
        first = _evaluate(zenml_store, server, _question_file(folder, FIRST))
        assert first.returncode == 0, first.stderr[-3000:]
        before = len(server.requests)
        embeddings_requests = [r for r in server.requests if r.path.endswith("/embeddings")]
        second = _evaluate(zenml_store, server, _question_file(folder, [*FIRST, ADDED]))
        assert second.returncode == 0, second.stderr[-3000:]
        later = [json.dumps(r.body) for r in server.requests[before:]]
    return {
        "first": json.loads(first.stdout),
        "second": json.loads(second.stdout),
        "second_bodies": later,
        "embeddings_requests": embeddings_requests,
    }


def test_every_strategy_answers_every_question(evaluations):
    result = evaluations["first"]
    assert result["status"] == "completed" and result["judge"] == "model"
    assert set(result["strategies"]) == set(STRATEGIES)
    cells = {(q["id"], q["strategy"]) for q in result["questions"]}
    assert cells == {(q, s) for q in FIRST for s in STRATEGIES}
    assert all(q["status"] == "ok" for q in result["questions"])
    assert evaluations["embeddings_requests"], "rag embedded the corpus through /v1/embeddings"


def test_reported_metrics_match_the_cited_ids(evaluations):
    relevant = {q["id"]: set(q["relevant_ids"]) for q in json.loads(QUERIES_PATH.read_text())}
    result = evaluations["first"]
    for strategy, reported in result["strategies"].items():
        rows = [q for q in result["questions"] if q["strategy"] == strategy]
        hits = cited = wanted = 0
        for row in rows:
            found = len(set(row["cited_ids"]) & relevant[row["id"]])
            assert row["recall"] == pytest.approx(found / len(relevant[row["id"]]))
            expected = found / len(set(row["cited_ids"])) if row["cited_ids"] else 0.0
            assert row["precision"] == pytest.approx(expected)
            hits, cited = hits + found, cited + len(set(row["cited_ids"]))
            wanted += len(relevant[row["id"]])
        recall, precision = hits / wanted, (hits / cited if cited else 0.0)
        assert reported["micro_recall"] == pytest.approx(recall), strategy
        assert reported["micro_precision"] == pytest.approx(precision), strategy
        f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
        assert reported["f1"] == pytest.approx(f1), strategy
        latencies = [row["latency_s"] for row in rows]
        assert reported["p50_latency_s"] == pytest.approx(percentile(latencies, 50))
        assert reported["p95_latency_s"] == pytest.approx(percentile(latencies, 95))
        assert reported["llm_calls"] == sum(row["llm_calls"] for row in rows)
        costs = [row["cost_usd"] for row in rows]
        if reported["cost_known"]:
            assert reported["cost_usd"] == pytest.approx(sum(costs))
        else:
            assert reported["cost_usd"] is None and None in costs
    deterministic = result["strategies"]["deterministic"]
    assert deterministic["llm_calls"] == 0 and deterministic["cost_usd"] == 0.0
    assert result["strategies"]["direct"]["llm_calls"] == len(FIRST)  # one call per question


def test_pipeline_cells_are_child_rlm_analysis_runs_of_the_evaluation(evaluations):
    from zenml.client import Client

    from pipeline import runs

    result = evaluations["first"]
    children = Client().list_pipeline_runs(parent_run_id=result["run_id"], size=50).items
    child_ids = {str(run.id) for run in children}
    for row in result["questions"]:
        if row["strategy"] in ("rlm", "deterministic"):
            assert row["run_id"] in child_ids
            view = runs.get_run(row["run_id"])
            assert view.mode == ("llm" if row["strategy"] == "rlm" else "deterministic")
            assert runs.load_report(view).cited_ids == row["cited_ids"]
        else:
            assert row["run_id"] is None


def test_baselines_record_what_they_saw(evaluations):
    from pipeline.eval import store

    cells = {
        (c.question_id, c.strategy): c for c in store.load_cells(evaluations["first"]["run_id"])
    }
    direct = cells["q01", "direct"]
    assert direct.detail["emails_shown"] == 359 and direct.detail["emails_left_out"] == 0
    rag = cells["q01", "rag"]
    assert rag.detail["retrieval"] == "embeddings" and len(rag.detail["retrieved_ids"]) == 10
    assert set(rag.cited_ids) <= set(rag.detail["retrieved_ids"])
    assert [c.purpose for c in rag.calls] == ["embed", "answer"]
    assert rag.cost_usd is None, "the fake embedding model has no price: unknown, not zero"
    assert cells["q01", "rlm"].judge == "model" and cells["q01", "rlm"].judge_calls


def test_a_rerun_with_one_more_question_computes_only_the_new_cells(evaluations):
    from pipeline.eval import store

    second = evaluations["second"]
    assert {q["id"] for q in second["questions"]} == {*FIRST, ADDED}
    view = store.get_evaluation(second["run_id"])
    from zenml.client import Client

    steps = Client().get_pipeline_run(second["run_id"]).steps
    for name in view.cells:
        cached = steps[name].status.value == "cached"
        assert cached == (not name.endswith(ADDED)), name
    old = {(q["id"], q["strategy"]): q for q in evaluations["first"]["questions"]}
    for row in second["questions"]:
        if row["id"] in FIRST:  # cached cells keep their run and their measured latency
            assert row["run_id"] == old[row["id"], row["strategy"]]["run_id"]
            assert row["latency_s"] == old[row["id"], row["strategy"]]["latency_s"]
    first_questions = [q["question"] for q in json.loads(QUERIES_PATH.read_text())
                       if q["id"] in FIRST]  # fmt: skip
    asked = [b for b in evaluations["second_bodies"] if "<task>answer" in b or "CitedAnswer" in b]
    assert asked and not any(q[:40] in body for q in first_questions for body in asked)


def test_a_question_set_citing_unknown_ids_is_refused(tmp_path, zenml_store):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"id": "x1", "kind": "needle", "question": "Who?",
                                 "relevant_ids": ["nw-0001", "no-such-id"]}]))  # fmt: skip
    with FakeLLMServer() as server:
        result = _evaluate(zenml_store, server, path)
    assert result.returncode == 2 and result.stdout == ""
    assert "x1: no-such-id" in result.stderr and "nw-0001" not in result.stderr.split("(")[-1]
