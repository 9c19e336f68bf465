"""Fan-out benchmark: does `rlm_analysis` run its chunk steps concurrently, and how close to the
critical path does it get?

A loopback fake model (tests/fakes/llm_server.py, a test double) adds a fixed latency to every
call (default 300 ms) and never declares the evidence sufficient, so every chunk makes exactly
`max_iterations` calls. The pipeline runs on the bundled sample with 1, 2, 4 and 8 chunks, each
in a fresh worker process with a fresh ZenML state folder (so nothing is cached), and the same
8-chunk work once more through `rlm_analysis_sequential`, a variant defined here that calls the
same steps one after another (plain synchronous calls instead of `.submit`).

The critical-path lower bound is what no scheduler can beat: the decomposition call, the
slowest chunk's chain of calls and the synthesis call, each costing the server latency. Chunk
chains are counted from the server's recorded requests (each chunk prompt quotes the chunk's own
email ids), falling back to the chunk's recorded `llm_calls`.
Targets at 8 chunks: wall <= 1.3 x critical path + 5 s, and >= 5 x faster than sequential.

    python -m tests.bench.bench_fanout [--chunks 1,2,4,8] [--latency-ms 300] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from pipeline import zenml_env

zenml_env.configure()  # before zenml is imported (a worker inherits its own ZENML_CONFIG_PATH)

from zenml import pipeline as zenml_pipeline  # noqa: E402

from pipeline.pipelines.rlm import chunk_budget, rlm_analysis  # noqa: E402
from pipeline.schemas import Budget, LLMSettings  # noqa: E402
from pipeline.steps import (  # noqa: E402
    aggregate_results,
    load_corpus,
    plan_decomposition,
    process_chunk,
)
from tests.bench.common import (  # noqa: E402
    BenchRow,
    bench_env,
    emit,
    fmt_seconds,
    python_module,
    run_measured,
    shell_command,
)

logger = logging.getLogger(__name__)

BENCHMARK = "fan-out"
QUERY = "Who raised concerns about the valve inspection, and what did management decide?"
CHUNK_TASKS = ("plan", "reflect", "summarize")
CRITICAL_PATH_FACTOR = 1.3
CRITICAL_PATH_SLACK_S = 5.0
SPEEDUP_TARGET = 5.0
_ID_LINE = re.compile(r"^[ \t]*\[id:\s*([^\]\n]+?)\s*\]", re.MULTILINE)


# --- Worker: runs inside a fresh process with its own ZENML_CONFIG_PATH --------------------------


@zenml_pipeline(name="rlm_analysis_sequential", dynamic=True)
def rlm_analysis_sequential(
    source: str,
    source_fingerprint: str,
    query: str,
    budget: Budget,
    llm: LLMSettings,
    max_bytes: int,
) -> None:
    """`rlm_analysis` with the chunk steps called one after another (the naive pattern)."""
    budget = budget.clamped()
    corpus = load_corpus(source, source_fingerprint, max_bytes)
    plan_artifact, plan_calls = plan_decomposition(corpus, query, budget.max_chunks, llm)
    plan = plan_artifact.load()
    per_chunk = chunk_budget(budget, len(plan.chunks))
    results = []
    for spec in plan.chunks:
        chunk_result, _trajectory = process_chunk(corpus, spec, query, per_chunk, llm, id=spec.id)
        results.append(chunk_result)
    aggregate_results(corpus, results, [], query, llm, plan_artifact, plan_calls)


def run_worker(mode: str, chunks: int, iterations: int, source: str) -> dict:
    """Run one pipeline in this process and describe it (wall time excludes imports/store setup)."""
    from zenml.client import Client

    from pipeline import runs
    from pipeline.agent.llm import resolve_settings
    from pipeline.run import file_fingerprint

    Client().active_stack  # noqa: B018 - initialise the local store before the clock starts
    llm = resolve_settings()
    if llm.mode != "llm":
        raise RuntimeError("the fan-out worker needs OPENAI_BASE_URL pointing at the fake server")
    pipeline_fn = rlm_analysis if mode == "concurrent" else rlm_analysis_sequential
    budget = Budget(max_chunks=chunks, max_iterations=iterations)
    fingerprint = file_fingerprint(source)
    started_at = time.time()
    started = time.perf_counter()
    run = pipeline_fn.with_options(enable_cache=False)(
        source=source, source_fingerprint=fingerprint, query=QUERY, budget=budget, llm=llm,
        max_bytes=os.path.getsize(source) + 1,
    )  # fmt: skip
    wall = time.perf_counter() - started
    view = runs.get_run(str(run.id))
    corpus = runs.load_corpus(view)
    chunk_rows = []
    for chunk in view.chunks:
        ids = [e.id for e in corpus.slice(chunk.start or 0, chunk.end or 0)] if corpus else []
        chunk_rows.append({"id": chunk.id, "status": chunk.status, "llm_calls": chunk.llm_calls,
                           "duration_s": chunk.duration_s, "email_ids": ids})  # fmt: skip
    return {"mode": mode, "chunks": chunk_rows, "wall_s": wall, "started_at": started_at,
            "status": view.status, "run_id": view.run_id}  # fmt: skip


# --- Parent: fake server, workers, critical path ---------------------------------------------------


def chunk_chains(requests: list, chunks: list[dict]) -> dict[str, int]:
    """How many model calls each chunk made, attributing each chunk request to the chunk whose
    email ids its prompt quotes (most votes wins)."""
    from tests.fakes.replies import prompt_text_of

    owner = {email_id: chunk["id"] for chunk in chunks for email_id in chunk["email_ids"]}
    chains: Counter[str] = Counter()
    for request in requests:
        if request.task not in CHUNK_TASKS:
            continue
        text = prompt_text_of((request.body or {}).get("messages"))
        votes = Counter(owner[i] for i in _ID_LINE.findall(text) if i in owner)
        chains[votes.most_common(1)[0][0] if votes else "unattributed"] += 1
    return dict(chains)


def critical_path(requests: list, chunks: list[dict], latency_s: float) -> dict:
    """Lower bound on the wall time: the calls that must happen one after another."""
    tasks = Counter(r.task for r in requests)
    chains = chunk_chains(requests, chunks)
    recorded = {c["id"]: c["llm_calls"] for c in chunks}
    attributed = "unattributed" not in chains and set(chains) <= set(recorded)
    per_chunk = chains if attributed else recorded
    longest = max(per_chunk.values(), default=0)
    serial_calls = tasks.get("decompose", 0) + longest + tasks.get("synthesize", 0)
    return {
        "critical_path_s": serial_calls * latency_s,
        "serial_calls": serial_calls,
        "longest_chain": longest,
        "chains_from": "server" if attributed else "recorded llm_calls",
        "requests": len(requests),
        "tasks": dict(tasks),
        "first_request_to_last_s": (
            requests[-1].timestamp - requests[0].timestamp + latency_s if requests else 0.0
        ),
    }


def worker_command(mode: str, chunks: int, iterations: int, source: str) -> list[str]:
    return python_module(
        "tests.bench.bench_fanout", "--worker", mode, "--chunks", str(chunks),
        "--max-iterations", str(iterations), "--source", source,
    )  # fmt: skip


def measure(server, mode: str, chunks: int, iterations: int, source: str, work_dir: Path) -> dict:
    server.reset()
    zenml_dir = Path(tempfile.mkdtemp(prefix=f"zenml-{mode}-{chunks}-", dir=work_dir))
    env = bench_env(zenml_dir, OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-bench-fake")
    run = run_measured(worker_command(mode, chunks, iterations, source), env=env, timeout_s=600)
    result = run.check().json()
    requests = sorted(server.chat_requests(), key=lambda r: r.timestamp)
    result |= critical_path(requests, result["chunks"], server.latency_ms / 1000)
    result["process_wall_s"] = run.wall_s
    bad = [c["id"] for c in result["chunks"] if c["status"] not in ("done", "cached")]
    result["failed_chunks"] = bad
    logger.info(
        "%s x%d: wall %.2f s, critical path %.2f s (%d serial calls, %d requests)",
        mode, chunks, result["wall_s"], result["critical_path_s"], result["serial_calls"],
        result["requests"],
    )  # fmt: skip
    return result


def collect(
    chunk_counts: list[int], latency_ms: float, iterations: int, source: str
) -> list[BenchRow]:
    from tests.fakes.llm_server import FakeLLMServer

    command = shell_command(
        python_module("tests.bench.bench_fanout", "--chunks", ",".join(map(str, chunk_counts)),
                      "--latency-ms", f"{latency_ms:g}", "--max-iterations", str(iterations))
    )  # fmt: skip
    rows: list[BenchRow] = []
    largest = max(chunk_counts)
    server = FakeLLMServer(latency_ms=latency_ms, sufficient_after=10_000)
    with server, tempfile.TemporaryDirectory(prefix="rlm-bench-fanout-") as tmp:
        work_dir = Path(tmp)
        concurrent = {n: measure(server, "concurrent", n, iterations, source, work_dir)
                      for n in chunk_counts}  # fmt: skip
        sequential = measure(server, "sequential", largest, iterations, source, work_dir)
    for n, result in concurrent.items():
        rows.append(_wall_row(n, result, command, final=n == largest))
    top = concurrent[largest]
    speedup = sequential["wall_s"] / top["wall_s"] if top["wall_s"] else 0.0
    rows.append(BenchRow(
        BENCHMARK, f"sequential chunk steps, {largest} chunks", fmt_seconds(sequential["wall_s"]),
        command=command, note=_failures(sequential), raw=_raw(sequential),
    ))  # fmt: skip
    rows.append(BenchRow(
        BENCHMARK, f"speed-up vs sequential at {largest} chunks", f"{speedup:.2f}x",
        f">= {SPEEDUP_TARGET:g}x", speedup >= SPEEDUP_TARGET, command,
        raw={"speedup": speedup, "latency_ms": latency_ms, "max_iterations": iterations},
    ))  # fmt: skip
    return rows


def _wall_row(chunks: int, result: dict, command: str, final: bool) -> BenchRow:
    bound = CRITICAL_PATH_FACTOR * result["critical_path_s"] + CRITICAL_PATH_SLACK_S
    value = (
        f"{fmt_seconds(result['wall_s'])} (critical path {fmt_seconds(result['critical_path_s'])}, "
        f"{result['wall_s'] / result['critical_path_s']:.1f}x)"
        if result["critical_path_s"]
        else fmt_seconds(result["wall_s"])
    )
    ok = result["status"] == "completed" and not result["failed_chunks"]
    return BenchRow(
        BENCHMARK, f"concurrent wall, {chunks} chunk(s)", value,
        f"<= 1.3 x CP + 5 s = {fmt_seconds(bound)}" if final else "",
        (result["wall_s"] <= bound and ok) if final else (None if ok else False),
        command, note=_failures(result), raw=_raw(result),
    )  # fmt: skip


def _failures(result: dict) -> str:
    if result["status"] == "completed" and not result["failed_chunks"]:
        return ""
    return f"run {result['status']}, failed chunks {result['failed_chunks']}"


def _raw(result: dict) -> dict:
    keys = ("wall_s", "process_wall_s", "critical_path_s", "serial_calls", "longest_chain",
            "chains_from", "requests", "first_request_to_last_s", "status")  # fmt: skip
    return {key: result.get(key) for key in keys}


def main(argv: list[str] | None = None) -> int:
    from data.sample import SAMPLE_PATH

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", default="1,2,4,8", help="comma-separated chunk counts")
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--max-iterations", type=int, default=4)
    parser.add_argument("--source", default=str(SAMPLE_PATH))
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    parser.add_argument("--worker", choices=("concurrent", "sequential"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        result = run_worker(args.worker, int(args.chunks), args.max_iterations, args.source)
        sys.stdout.write(json.dumps(result, default=str) + "\n")
        return 0
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    counts = sorted({int(n) for n in args.chunks.split(",") if n.strip()})
    rows = collect(counts, args.latency_ms, args.max_iterations, str(Path(args.source).resolve()))
    emit(rows, args.json)
    return 0 if all(row.passed is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
