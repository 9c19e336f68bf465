"""Crash recovery and concurrent analyses, with real pipelines launched the way the UI does.

Crash: a run is launched against a model server that answers the first chunk at once and holds
every other chunk's requests; its whole process group is SIGKILLed once that chunk has finished; `pipeline.runs.get_run` must report it "stale" (time measured, bound
`STALE_WITHIN_S`), `mark_stale` must record it failed with that reason, and relaunching the same
analysis must reuse the finished chunks from cache.
Concurrency: two analyses with different questions launched at once on one ZenML store both
complete, and neither's chunks, trajectories or report carry the other's question.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from pipeline.schemas import Budget, LLMSettings
from tests.fakes.llm_server import HELD_UNTIL_STOP_S
from tests.reliability.test_pipeline_faults_and_secrets import LAUNCH_TIMEOUT_S, wait_for

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]
STALE_WITHIN_S = 60
# Held chunk requests end only when the server stops (never by a clock: a held chunk that could
# finish on a slow machine would let the kill land after every chunk was done).
HELD_LATENCY_MS = HELD_UNTIL_STOP_S * 1000
CRASH_BUDGET = Budget(max_chunks=3, max_iterations=3)


def _launch(source: Path, query: str, server, root: Path, budget: Budget, run_name: str):
    from pipeline.launch import launch_run

    llm = LLMSettings(mode="llm", base_url=server.base_url)
    return launch_run(str(source), query, budget, llm, api_key="sk-test-crash",
                      run_name=run_name, launch_root=root)  # fmt: skip


def _finished(handle) -> dict:
    from pipeline.launch import launch_status

    status = wait_for(
        lambda: (s := launch_status(handle)).state == "exited" and s, LAUNCH_TIMEOUT_S
    )
    assert status.exit_code == 0, status.error
    return json.loads(Path(handle.stdout_path).read_text())


def test_killed_run_is_reported_stale_and_relaunch_reuses_finished_chunks(
    make_llm_server, small_source: Path, tmp_path: Path
) -> None:
    from pipeline import runs

    query = "Who recommended replacing the MV-7 valve, and why?"

    # Only chunk_00 (the fake planner labels it "emails 0 to ...") is answered; the other chunks
    # stay in flight, so the kill always lands with some chunks done and some not.
    def hold_later_chunks(prompt: str) -> float | None:
        in_a_chunk = "(emails " in prompt
        return HELD_LATENCY_MS if in_a_chunk and "(emails 0 to " not in prompt else None

    server = make_llm_server(sufficient_after=99, latency_for=hold_later_chunks)
    handle = _launch(small_source, query, server, tmp_path, CRASH_BUDGET, "rel-crash-1")

    def one_chunk_done():
        try:
            view = runs.get_run(handle.run_name)
        except KeyError:
            return None
        return view if any(c.status == "done" for c in view.chunks) else None

    before = wait_for(one_chunk_done, LAUNCH_TIMEOUT_S)
    done_before = {c.id for c in before.chunks if c.status == "done"}
    assert before.status == "running" and len(done_before) < len(before.chunks)
    os.killpg(handle.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    stale = wait_for(lambda: (v := runs.get_run(handle.run_name)).status == "stale" and v,
                     STALE_WITHIN_S)  # fmt: skip
    stale_after_s = time.monotonic() - killed_at
    print(f"stale detected {stale_after_s:.1f}s after SIGKILL")
    assert "killed" in stale.error or "exited" in stale.error
    done_at_kill = {c.id for c in stale.chunks if c.status == "done"}
    assert done_before <= done_at_kill

    # marking it failed makes ZenML agree and keeps the reason; a finished run is left alone
    assert runs.mark_stale(handle.run_name)
    failed = runs.get_run(handle.run_name)
    assert failed.status == "failed" and "marked failed after its process died" in failed.error
    assert "killed" in failed.error or "exited" in failed.error
    assert not runs.mark_stale(handle.run_name)

    requests_first = len(server.chat_requests())
    server.reset()
    server.latency_for = None
    rerun = _finished(_launch(small_source, query, server, tmp_path, CRASH_BUDGET, "rel-crash-2"))
    assert rerun["status"] == "completed"
    statuses = {c["id"]: c["status"] for c in rerun["chunks"]}
    assert {c for c, s in statuses.items() if s == "cached"} == done_at_kill
    assert all(statuses[c] == "done" for c in statuses if c not in done_at_kill)
    # fewer model calls: only the unfinished chunks (and the synthesis) asked the model again
    recomputed = len(statuses) - len(done_at_kill)
    assert len(server.chat_requests()) <= recomputed * CRASH_BUDGET.max_iterations + 1
    assert not any(r.task == "decompose" for r in server.chat_requests())  # plan was cached
    assert requests_first > 0


def test_two_analyses_at_once_keep_their_own_results(
    make_llm_server, small_source: Path, tmp_path: Path
) -> None:
    from pipeline import runs

    server = make_llm_server()
    queries = {
        "rel-concurrent-a": "Which valve at Lakeside showed wall loss in the ultrasonic survey?",
        "rel-concurrent-b": "When is the next revenue forecast meeting and who attends it?",
    }
    budget = Budget(max_chunks=2, max_iterations=3)
    handles = {name: _launch(small_source, q, server, tmp_path, budget, name)
               for name, q in queries.items()}  # fmt: skip
    outputs = {name: _finished(handle) for name, handle in handles.items()}
    for name, query in queries.items():
        other = next(q for n, q in queries.items() if n != name)
        output = outputs[name]
        assert output["status"] == "completed" and output["run_name"] == name
        report = runs.load_report(output["run_id"])
        assert report.query == query
        results = runs.load_chunk_results(output["run_id"])
        trajectories = runs.load_trajectories(output["run_id"])
        assert sorted(results) == sorted(trajectories) and results
        for chunk_id, result in results.items():
            assert query in result.sub_question and other not in result.sub_question
            assert trajectories[chunk_id].query == query
            assert all(other not in (e.reason or "") for e in trajectories[chunk_id].events)
        # every model request of this run asked this run's question
        asked = [r for r in server.chat_requests() if query in json.dumps(r.body)]
        assert len(asked) >= report.totals.llm_calls
    assert outputs["rel-concurrent-a"]["run_id"] != outputs["rel-concurrent-b"]["run_id"]
