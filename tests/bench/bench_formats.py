"""Ingestion of the forms real mailboxes come in, at scale: the generated corpus written as a
CMU-style maildir `.tar.gz`, a Kaggle-style `file,message` CSV and a Hugging Face-style Parquet
file (`data.generate --format maildir-tgz|csv-rfc822|parquet`), each read by
`tools.ingest.ingest_path` in a fresh worker process (time of the call, peak RSS of that process).

Targets at 517K emails, per format: ingestion <= 90 s, peak RSS <= 3 GB. Local sources have no
upload limit, so the worker reads without one. The worker's CPU time is reported beside the wall
time: on a busy machine it is the figure that says what a quiet one would take.

    python -m tests.bench.bench_formats [--sizes 517000] [--formats maildir-tgz,csv-rfc822,parquet]
        [--data-dir /tmp/bench-corpora] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.common import (
    BenchRow,
    PeakRssSampler,
    Stopwatch,
    bench_env,
    emit,
    fmt_mib,
    fmt_seconds,
    load_average,
    python_module,
    run_measured,
    shell_command,
)

logger = logging.getLogger(__name__)

BENCHMARK = "formats"
TARGET_SIZE = 517_000
INGEST_TARGET_S = 90.0
RSS_TARGET_BYTES = 3 * 1000**3  # "3 GB"
FORMATS = ("maildir-tgz", "csv-rfc822", "parquet")
LABELS = {"maildir-tgz": "maildir .tar.gz", "csv-rfc822": "file,message CSV", "parquet": "Parquet"}
SUFFIXES = {"maildir-tgz": "tar.gz", "csv-rfc822": "csv", "parquet": "parquet"}
SEED = 7


def ensure_corpus(data_dir: Path, size: int, fmt: str) -> tuple[Path, float | None]:
    """Generate unless an earlier run left it in `data_dir`; (path, seconds or None if reused)."""
    path = data_dir / f"bench-{size}-seed{SEED}.{SUFFIXES[fmt]}"
    if path.exists() and path.stat().st_size > 0:
        return path, None
    command = python_module(
        "data.generate", "--emails", str(size), "--out", str(path), "--format", fmt,
        "--seed", str(SEED),
    )  # fmt: skip
    run = run_measured(command, env=bench_env(), timeout_s=1800).check()
    return path, run.wall_s


def measure_ingest(path: Path) -> dict:
    command = python_module("tests.bench.bench_formats", "--ingest-worker", str(path))
    run = run_measured(command, env=bench_env(), timeout_s=900).check()
    return run.json() | {"peak_rss_bytes": run.peak_rss_bytes, "process_wall_s": run.wall_s}


def ingest_worker(path: Path) -> None:
    """Inside the worker: time `ingest_path` alone (imports excluded) and print JSON."""
    from tools.ingest import ingest_path

    cpu_started = time.process_time()
    with PeakRssSampler() as sampler, Stopwatch() as watch:
        result = ingest_path(path, max_bytes=sys.maxsize)
    print(
        json.dumps(
            {
                "seconds": watch.elapsed,
                "cpu_s": time.process_time() - cpu_started,
                "emails": len(result.corpus),
                "format": result.format,
                "problems": result.rejected_count + result.repaired_count,
                "self_peak_rss_bytes": sampler.peak_bytes,
            }
        )
    )


def rows_for(size: int, fmt: str, ingest: dict, command: str) -> list[BenchRow]:
    at_target = size >= TARGET_SIZE
    label = f"{size // 1000}K" if size >= 1000 else str(size)
    note = (
        f"CPU {ingest['cpu_s']:.1f} s; load {load_average()}; {ingest['emails']:,} emails, "
        f"{ingest['problems']:,} problems"
    )
    return [
        BenchRow(
            BENCHMARK, f"ingest {label} emails ({LABELS[fmt]})", fmt_seconds(ingest["seconds"]),
            f"<= {INGEST_TARGET_S:.0f} s" if at_target else "",
            ingest["seconds"] <= INGEST_TARGET_S if at_target else None, command, note=note,
            raw={k: ingest[k] for k in ("seconds", "cpu_s", "emails", "problems", "peak_rss_bytes")},
        ),
        BenchRow(
            BENCHMARK, f"peak RSS of that ingestion ({LABELS[fmt]})",
            fmt_mib(ingest["peak_rss_bytes"]), "<= 3 GB" if at_target else "",
            ingest["peak_rss_bytes"] <= RSS_TARGET_BYTES if at_target else None, command,
            raw={"peak_rss_bytes": ingest["peak_rss_bytes"]},
        ),
    ]  # fmt: skip


def collect(sizes: list[int], formats: list[str], data_dir: Path | None = None) -> list[BenchRow]:
    rows: list[BenchRow] = []
    with tempfile.TemporaryDirectory(prefix="rlm-bench-formats-") as tmp:
        corpora_dir = data_dir or Path(tmp)
        corpora_dir.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            for fmt in formats:
                path, generate_s = ensure_corpus(corpora_dir, size, fmt)
                logger.info("%s ready (generated in %s s)", path, generate_s)
                ingest = measure_ingest(path)
                logger.info("%s: %d emails in %.1f s", fmt, ingest["emails"], ingest["seconds"])
                command = shell_command(
                    python_module("tests.bench.bench_formats", "--sizes", str(size),
                                  "--formats", fmt)
                )  # fmt: skip
                rows += rows_for(size, fmt, ingest, command)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=str(TARGET_SIZE), help="comma-separated counts")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated formats")
    parser.add_argument("--data-dir", type=Path, help="keep/reuse generated corpora here")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    parser.add_argument("--ingest-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ingest_worker:
        ingest_worker(args.ingest_worker)
        return 0
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    formats = [f for f in args.formats.split(",") if f.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        parser.error(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    emit(collect(sizes, formats, args.data_dir), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
