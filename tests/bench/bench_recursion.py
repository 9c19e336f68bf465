"""Recursion benchmark: depth 1 against depth 2 on an aggregation question.

A generated corpus (`data.generate --storyline N`) holds N emails about one subject spread over
the whole corpus. The storyline's question is run through the CLI at max_depth 1 and 2, with the
same max_chunks and per-chunk max_iterations and a fresh ZenML state folder each time, in no-key
mode and through the loopback fake model. Figures: recall of the storyline's emails among the
report's cited ids, wall time, model calls and chunks at all depths.

Target: depth 2 at least doubles the recall of depth 1, within 2x its wall time, in both modes.

    python -m tests.bench.bench_recursion [--emails 517000] [--storyline 200] [--chunks 10]
        [--max-iterations 6] [--modes nokey,fake] [--data-dir /tmp/bench-corpora] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

from tests.bench.bench_scale import size_limit
from tests.bench.common import (
    BenchRow,
    bench_env,
    emit,
    fmt_seconds,
    load_average,
    python_module,
    run_measured,
    shell_command,
)

logger = logging.getLogger(__name__)

BENCHMARK = "recursion"
SEED = 7
RECALL_FACTOR = 2.0
WALL_FACTOR = 2.0


def ensure_corpus(data_dir: Path, emails: int, storyline: int) -> tuple[Path, dict]:
    path = data_dir / f"bench-{emails}-seed{SEED}-storyline{storyline}.jsonl"
    sidecar = Path(f"{path}.needles.json")
    if not (path.exists() and sidecar.exists()):
        command = python_module(
            "data.generate", "--emails", str(emails), "--out", str(path), "--seed", str(SEED),
            "--storyline", str(storyline),
        )  # fmt: skip
        run_measured(command, env=bench_env(), timeout_s=1800).check()
    return path, json.loads(sidecar.read_text())["storyline"]


def measure(path: Path, question: str, ids: set[str], depth: int, args, env) -> dict:
    command = python_module(
        "pipeline.run", "--source", str(path), "--query", question,
        "--max-chunks", str(args.chunks), "--max-iterations", str(args.max_iterations),
        "--max-depth", str(depth), "--max-bytes", str(size_limit(path)), "--json",
    )  # fmt: skip
    load_before = load_average()
    run = run_measured(command, env=env, timeout_s=3600).check()
    output = run.json()
    cited = set(output["report"]["cited_ids"]) if output.get("report") else set()
    return {
        "status": output.get("status"),
        "wall_s": run.wall_s,
        "recall": len(cited & ids) / len(ids),
        "found": len(cited & ids),
        "cited": len(cited),
        "llm_calls": (output.get("totals") or {}).get("llm_calls", 0),
        "chunks": len(output.get("chunks", [])),
        "child_runs": len(output.get("child_runs", [])),
        "load_before": load_before,
        "load_after": load_average(),
    }


def rows_for_mode(mode: str, one: dict, two: dict, command: str) -> list[BenchRow]:
    recall_ok = two["recall"] >= RECALL_FACTOR * one["recall"] and two["recall"] > 0
    wall_ok = two["wall_s"] <= WALL_FACTOR * one["wall_s"]
    rows = []
    for depth, result in ((1, one), (2, two)):
        rows.append(
            BenchRow(
                BENCHMARK,
                f"{mode}, depth {depth}: storyline recall / wall / calls / chunks",
                f"{result['recall']:.2f} ({result['found']} of {result['cited']} cited) / "
                f"{fmt_seconds(result['wall_s'])} / {result['llm_calls']} / {result['chunks']}",
                command=command,
                note=f"load {result['load_before']} -> {result['load_after']}",
                raw=result,
            )
        )
    rows.append(
        BenchRow(
            BENCHMARK, f"{mode}: recall depth 2 / depth 1",
            f"{two['recall'] / one['recall']:.2f}x" if one["recall"] else "inf",
            f">= {RECALL_FACTOR:g}x", recall_ok, command,
        )
    )  # fmt: skip
    rows.append(
        BenchRow(
            BENCHMARK, f"{mode}: wall depth 2 / depth 1",
            f"{two['wall_s'] / one['wall_s']:.2f}x", f"<= {WALL_FACTOR:g}x", wall_ok, command,
        )
    )  # fmt: skip
    return rows


def collect(args) -> list[BenchRow]:
    from tests.fakes.llm_server import FakeLLMServer

    rows: list[BenchRow] = []
    command = shell_command(
        python_module("tests.bench.bench_recursion", "--emails", str(args.emails),
                      "--storyline", str(args.storyline), "--chunks", str(args.chunks),
                      "--max-iterations", str(args.max_iterations), "--modes", args.modes)
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="rlm-bench-recursion-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        path, storyline = ensure_corpus(data_dir, args.emails, args.storyline)
        ids = set(storyline["ids"])
        for mode in args.modes.split(","):
            results = {}
            for depth in (1, 2):
                zenml_dir = Path(tempfile.mkdtemp(prefix="zenml-", dir=tmp))
                if mode == "fake":
                    with FakeLLMServer() as server:
                        env = bench_env(
                            zenml_dir, OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-bench"
                        )
                        results[depth] = measure(path, storyline["question"], ids, depth, args,
                                                 env)  # fmt: skip
                else:
                    env = bench_env(zenml_dir)
                    results[depth] = measure(path, storyline["question"], ids, depth, args, env)
                logger.info("%s depth %d: %s", mode, depth, results[depth])
            rows += rows_for_mode(mode, results[1], results[2], command)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=517_000)
    parser.add_argument("--storyline", type=int, default=200)
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--max-iterations", type=int, default=6)
    parser.add_argument("--modes", default="nokey,fake", help="nokey, fake or both")
    parser.add_argument("--data-dir", type=Path, help="keep/reuse the generated corpus here")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    emit(collect(args), as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
