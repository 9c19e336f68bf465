"""Big chunks run their agent loop in worker processes (`pipeline.chunk_processes`): the same
result as in a thread, progress relayed, failures reported as themselves, a dead worker replaced,
and a real pipeline whose chunks work in several processes at once."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from pipeline import chunk_processes
from pipeline.agent.loop import run_chunk
from pipeline.schemas import Budget, LLMSettings
from tests.fakes.gate import RequestGate
from tests.fakes.llm_server import FakeLLMServer
from tests.pipeline.conftest import write_records
from tools.models import Corpus
from tools.stored import StoredCorpus, corpus_summary

QUERY = "Who raised concerns about the valve inspection?"
QUICK_CHUNK = {  # run_chunk arguments for a short deterministic loop
    "chunk_id": "chunk_00", "query": QUERY, "sub_question": "",
    "settings": LLMSettings(mode="deterministic"), "budget": Budget(max_iterations=2),
}  # fmt: skip
TIMING_FIELDS = {"duration_s", "started_at", "ended_at", "latency_s", "elapsed_ms"}


@pytest.fixture
def stored_sample(sample_records, tmp_path) -> StoredCorpus:
    from tools.ingest import ingest_path

    corpus = ingest_path(write_records(tmp_path / "mail.json", sample_records)).corpus
    path = tmp_path / "corpus.parquet"
    with path.open("wb") as handle:
        corpus.write_parquet(handle)
    return StoredCorpus.from_file(path, corpus_summary(corpus))


@pytest.fixture
def pool():
    workers = chunk_processes.WorkerPool(1)
    yield workers
    workers.stop()


def _without_timing(value):
    if isinstance(value, dict):
        return {k: _without_timing(v) for k, v in value.items() if k not in TIMING_FIELDS}
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    return value


def test_a_chunk_in_a_worker_process_equals_the_same_chunk_in_a_thread(stored_sample, pool):
    size = len(stored_sample)
    args = {
        "chunk_id": "chunk_00",
        "query": QUERY,
        "sub_question": "",
        "settings": LLMSettings(mode="deterministic"),
        "budget": Budget(max_iterations=4),
        "may_split": False,
    }
    relayed = []
    in_worker = pool.run(stored_sample.path, 0, size, on_progress=relayed.append, **args)
    in_thread = run_chunk(stored_sample.slice(0, size), **args)

    assert in_worker[0].finding is not None and in_worker[0].finding.relevant_ids
    assert _without_timing(in_worker[0].model_dump(mode="json")) == _without_timing(
        in_thread[0].model_dump(mode="json")
    )
    assert _without_timing(in_worker[1].model_dump(mode="json")) == _without_timing(
        in_thread[1].model_dump(mode="json")
    )
    # every trajectory event's progress came back to this thread, ending with the summary
    assert len(relayed) == len(in_worker[1].events)
    assert relayed[-1].iterations == in_worker[0].iterations


def test_a_model_chunk_in_a_worker_uses_this_process_s_endpoint(
    stored_sample, pool, llm_server: FakeLLMServer, monkeypatch
):
    """The worker was started before the endpoint was set: each task carries the current model
    environment, so a long-lived worker never calls a previous run's server."""
    warm = pool.run(
        stored_sample.path, 0, 20, chunk_id="warm", query=QUERY, sub_question="",
        settings=LLMSettings(mode="deterministic"), budget=Budget(max_iterations=2),
    )  # fmt: skip
    assert warm[0].llm_calls == 0 and not llm_server.chat_requests()
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-worker-key")
    settings = LLMSettings(mode="llm", model="gpt-4o-mini", base_url=llm_server.base_url)
    result, trajectory = pool.run(
        stored_sample.path, 0, len(stored_sample), chunk_id="chunk_00", query=QUERY,
        sub_question="", settings=settings, budget=Budget(max_iterations=3),
    )  # fmt: skip
    assert result.mode == "llm" and result.llm_calls == len(llm_server.chat_requests()) >= 2
    purposes = {event.llm.purpose for event in trajectory.events if event.llm is not None}
    assert {"plan", "summarize"} <= purposes


def test_a_failure_in_the_worker_is_raised_as_itself_and_the_worker_is_kept(stored_sample, pool):
    args = QUICK_CHUNK
    with pytest.raises(FileNotFoundError, match="no-such-corpus.parquet"):
        pool.run(str(Path(stored_sample.path).with_name("no-such-corpus.parquet")), 0, 5, **args)
    [pid] = pool.pids()
    result, _ = pool.run(stored_sample.path, 0, 30, **args)
    assert result.status == "ok" and pool.pids() == [pid]


def test_a_worker_that_dies_mid_chunk_is_reported_and_replaced(stored_sample, pool, monkeypatch):
    """The worker is killed while the fake server holds its first model call open, so it is
    inside the loop whatever the machine's speed (killed on a progress report instead, a quick
    worker could already have sent its result)."""
    pool.run(stored_sample.path, 0, 30, **QUICK_CHUNK)
    [dying] = pool._workers
    gate = RequestGate()  # holds every model call until released
    killed = threading.Event()

    def kill_once_held() -> None:
        if gate.wait_held(1):
            dying.process.kill()
            killed.set()
        gate.release()

    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-test-key")
    with FakeLLMServer(gate=gate) as server:
        llm = LLMSettings(mode="llm", model="gpt-4o-mini", base_url=server.base_url)
        killer = threading.Thread(target=kill_once_held, daemon=True)
        killer.start()
        with pytest.raises(chunk_processes.ChunkWorkerError, match=r"exited with code -9"):
            pool.run(stored_sample.path, 0, 30, **{**QUICK_CHUNK, "settings": llm})
        killer.join()
    assert killed.is_set() and gate.opened_by == "release"
    result, _ = pool.run(stored_sample.path, 0, 30, **QUICK_CHUNK)
    assert result.status == "ok" and pool.pids() and dying.process.pid not in pool.pids()


def test_a_worker_that_died_while_idle_is_replaced_before_it_gets_a_chunk(stored_sample, pool):
    args = QUICK_CHUNK
    pool.run(stored_sample.path, 0, 30, **args)
    [idle] = pool._workers
    idle.process.kill()
    idle.process.wait()
    result, _ = pool.run(stored_sample.path, 0, 30, **args)
    assert result.status == "ok" and pool.pids() and idle.process.pid not in pool.pids()


def test_a_chunk_waiting_for_a_busy_worker_gets_a_new_one_when_that_worker_dies(
    stored_sample, monkeypatch
):
    """With every worker busy a chunk waits; if the busy worker dies, its place is freed and the
    waiting chunk starts a new worker instead of waiting forever. The busy worker is held inside
    its first model call by the fake server until it has been killed."""
    pool = chunk_processes.WorkerPool(1)
    gate = RequestGate()  # holds every model call until released
    second: dict = {}
    killed = threading.Event()

    def run_second() -> None:
        second["result"] = pool.run(stored_sample.path, 0, 30, **QUICK_CHUNK)

    waiter = threading.Thread(target=run_second, daemon=True)

    def kill_once_the_second_chunk_waits() -> None:
        if gate.wait_held(1):
            waiter.start()
            deadline = time.monotonic() + 120  # safety net only: the wait ends on the counter
            while pool.waiting < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            if pool.waiting == 1:
                [busy] = pool._workers
                busy.process.kill()
                killed.set()
        gate.release()

    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-test-key")
    killer = threading.Thread(target=kill_once_the_second_chunk_waits, daemon=True)
    try:
        with FakeLLMServer(gate=gate) as server:
            llm = LLMSettings(mode="llm", model="gpt-4o-mini", base_url=server.base_url)
            killer.start()
            with pytest.raises(chunk_processes.ChunkWorkerError, match=r"exited with code -9"):
                pool.run(stored_sample.path, 0, 30, **{**QUICK_CHUNK, "settings": llm})
            killer.join()
        assert killed.is_set(), "the second chunk never waited for the busy worker"
        waiter.join(timeout=300)
        assert not waiter.is_alive(), "the waiting chunk never got a worker"
        assert second["result"][0].status == "ok" and len(pool.pids()) == 1
    finally:
        pool.stop()


def test_which_chunks_use_a_worker(stored_sample, monkeypatch):
    in_memory = Corpus(list(stored_sample))
    monkeypatch.setenv(chunk_processes.MIN_EMAILS_ENV, "10")
    monkeypatch.setenv(chunk_processes.WORKERS_ENV, "2")
    assert chunk_processes.should_use(stored_sample, 0, 10)
    assert not chunk_processes.should_use(stored_sample, 0, 9)  # too small to be worth it
    assert not chunk_processes.should_use(in_memory, 0, 10)  # no file another process can read
    monkeypatch.setenv(chunk_processes.WORKERS_ENV, "0")
    assert not chunk_processes.should_use(stored_sample, 0, 10)
    monkeypatch.setenv(chunk_processes.WORKERS_ENV, "two")
    with pytest.raises(ValueError, match="RLM_CHUNK_PROCESSES='two' is not a whole number"):
        chunk_processes.worker_count()


@pytest.mark.pipeline
@pytest.mark.slow
def test_a_pipeline_s_chunks_run_in_worker_processes_at_the_same_time(
    zenml_store, sample_records, tmp_path, monkeypatch
):
    """Three chunk steps, each in its own worker process: their first model calls are held open
    by the fake server at the same moment, and the run completes with every chunk's result."""
    from pipeline import runs
    from pipeline.run import run_pipeline

    source = write_records(tmp_path / "mail.json", sample_records)
    gate = RequestGate(parties=3, tasks={"plan"})
    monkeypatch.setenv(chunk_processes.MIN_EMAILS_ENV, "1")
    monkeypatch.setenv(chunk_processes.WORKERS_ENV, "3")
    chunk_processes.stop_pool()
    with FakeLLMServer(gate=gate) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-test-key")
        llm = LLMSettings(mode="llm", model="gpt-4o-mini", base_url=server.base_url)
        budget = Budget(max_chunks=3, max_iterations=3)
        try:
            run_id = run_pipeline(
                str(source), QUERY + " (in workers)", budget, llm, "test-workers", 10**8
            )
            workers = chunk_processes.pool().pids()
        finally:
            chunk_processes.stop_pool()
    view = runs.get_run(run_id)
    assert view.status == "completed" and len(view.chunks) == 3
    assert all(c.status == "done" and c.llm_calls >= 2 for c in view.chunks)
    assert gate.opened_by == "parties" and gate.held_peak == 3
    assert len(workers) == 3 and os.getpid() not in workers
    report = runs.load_report(view)
    assert report.cited_ids and set(report.cited_ids) <= {r["id"] for r in sample_records}
