"""Needle benchmark: every needle the generator planted, asked at full scale, must be cited.

`python -m data.generate --emails N --out big.jsonl` writes `big.jsonl.needles.json`: a few
emails carrying one unique fact each (a codename, an access code, an approver, ...) and the
question that finds each. For every needle question this runs `python -m pipeline.run --source
big.jsonl --query QUESTION --max-chunks 10 --json`, in no-key mode and in LLM mode through the
loopback fake model (tests/fakes/llm_server.py), and checks that the needle email is among the
report's cited ids, ranked in the top 3 (its position in `cited_ids`).

All runs share one fresh ZenML store: the first question ingests the corpus into the library and
every later one reuses it, as an analyst asking several questions would.

Target: every needle cited in the top 3, in both modes. Prints a per-needle table; exits 1 on
a miss.

    python -m tests.bench.bench_needles [--emails 517000] [--data-dir /tmp/bench-corpora]
        [--chunks 10] [--modes nokey,llm] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

from tests.bench.bench_scale import ensure_corpus
from tests.bench.common import (
    BenchRow,
    bench_env,
    emit,
    load_average,
    python_module,
    run_measured,
    shell_command,
)

logger = logging.getLogger(__name__)

BENCHMARK = "needles"
TOP_RANK = 3
MODES = ("nokey", "llm")


def needles_of(corpus: Path) -> list[dict]:
    sidecar = corpus.with_name(corpus.name + ".needles.json")
    return json.loads(sidecar.read_text(encoding="utf-8"))["needles"]


def ask(corpus: Path, question: str, chunks: int, iterations: int, env: dict) -> dict:
    command = python_module(
        "pipeline.run", "--source", str(corpus), "--query", question, "--max-chunks",
        str(chunks), "--max-iterations", str(iterations), "--json",
    )  # fmt: skip
    run = run_measured(command, env=env, timeout_s=1200).check()
    output = run.json()
    report = output.get("report") or {}
    corpus_info = output.get("corpus") or {}
    return {
        "status": output.get("status"),
        "cited_ids": report.get("cited_ids", []),
        "wall_s": run.wall_s,
        "peak_rss_bytes": run.peak_rss_bytes,
        "reused": corpus_info.get("reused"),
    }


def run_mode(
    mode: str, corpus: Path, chunks: int, iterations: int, zenml_dir: Path, only: set[str]
) -> list[dict]:
    server = None
    extra: dict[str, str] = {}
    if mode == "llm":
        from tests.fakes.llm_server import FakeLLMServer

        server = FakeLLMServer()
        server.start()
        extra = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-bench-fake"}
    rows = []
    try:
        for needle in needles_of(corpus):
            if only and needle["id"] not in only:
                continue
            result = ask(
                corpus, needle["question"], chunks, iterations, bench_env(zenml_dir, **extra)
            )
            cited = result["cited_ids"]
            rank = cited.index(needle["id"]) + 1 if needle["id"] in cited else None
            rows.append(
                {"mode": mode, "needle": needle["id"], "question": needle["question"],
                 "rank": rank, "cited": len(cited), "found": rank is not None and rank <= TOP_RANK}
                | result
            )  # fmt: skip
            logger.info("%s %s: rank %s of %d cited, %.0f s (corpus reused: %s)", mode,
                        needle["id"], rank, len(cited), result["wall_s"], result["reused"])  # fmt: skip
    finally:
        if server is not None:
            server.stop()
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| mode | needle email | question | rank in cited ids | cited | top 3 | wall s | corpus reused |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['mode']} | {row['needle']} | {row['question']} | {row['rank'] or 'not cited'} "
            f"| {row['cited']} | {'yes' if row['found'] else '**no**'} | {row['wall_s']:.0f} "
            f"| {row['reused']} |"
        )
    for mode in sorted({row["mode"] for row in rows}):
        found = [row for row in rows if row["mode"] == mode]
        hits = sum(row["found"] for row in found)
        lines.append(f"\n{mode}: {hits} / {len(found)} needles cited in the top {TOP_RANK}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=517_000)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/bench-corpora"))
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--max-iterations", type=int, default=6)
    parser.add_argument("--modes", default=",".join(MODES), help="nokey, llm or both")
    parser.add_argument("--needles", default="", help="only these needle ids (comma-separated)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    corpus, _ = ensure_corpus(args.data_dir, args.emails)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="rlm-bench-needles-") as tmp:
        zenml_dir = Path(tmp) / "zenml"
        for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
            only = {n.strip() for n in args.needles.split(",") if n.strip()}
            rows += run_mode(mode, corpus, args.chunks, args.max_iterations, zenml_dir, only)
    summary = summary_rows(rows, args)
    if args.json:
        emit(summary, as_json=True)
    else:
        print(f"{table(rows)}\n\nload average {load_average()}\n")
        emit(summary, as_json=False)
    return 0 if all(row["found"] for row in rows) else 1


def summary_rows(rows: list[dict], args: argparse.Namespace) -> list[BenchRow]:
    """One BenchRow per mode (for run_all), with every needle's rank in `raw`."""
    command = shell_command(python_module(
        "tests.bench.bench_needles", "--emails", str(args.emails), "--chunks", str(args.chunks),
    ))  # fmt: skip
    summary = []
    for mode in dict.fromkeys(row["mode"] for row in rows):
        mine = [row for row in rows if row["mode"] == mode]
        hits = sum(row["found"] for row in mine)
        label = "no key" if mode == "nokey" else "LLM mode, loopback fake model"
        summary.append(BenchRow(
            BENCHMARK, f"needles cited in the top {TOP_RANK}, {args.emails:,} emails, {label}",
            f"{hits} / {len(mine)} (ranks {', '.join(str(row['rank'] or '-') for row in mine)})",
            f"{len(mine)} / {len(mine)}", hits == len(mine), command,
            raw={row["needle"]: row["rank"] for row in mine},
        ))  # fmt: skip
    return summary


if __name__ == "__main__":
    sys.exit(main())
