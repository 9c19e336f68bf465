"""Run every benchmark, print one Markdown table and write bench-output/results.{md,json}.

Each benchmark runs as its own process (`python -m tests.bench.<name> --json ...`) so a crash or
a hang in one is reported as a failed row and the others still run. Sizes are chosen so the full
suite fits in about 15 minutes on a 2-core machine; `--quick` is a smoke version (10K emails,
fan-out at 1 and 8 chunks).

    python -m tests.bench.run_all [--quick] [--only fanout,scale,tools,quality,ui]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.bench.common import (
    DEFAULT_OUTPUT_DIR,
    REPO_ROOT,
    BenchRow,
    bench_env,
    fmt_seconds,
    load_average,
    machine_summary,
    markdown_table,
    python_module,
    run_measured,
    shell_command,
    write_results,
)

TARGET_RECALL = 0.85  # evidence quality: micro recall at ...
TARGET_PRECISION = 0.60  # ... at least this micro precision


@dataclass
class Benchmark:
    """How to run one benchmark and turn its JSON output into rows."""

    name: str
    module: str
    args: list[str]
    quick_args: list[str]
    timeout_s: float
    to_rows: Callable[[object, str], list[BenchRow]]
    text: bool = False  # prints Markdown, not JSON: no --json flag


def _own_rows(output: object, command: str) -> list[BenchRow]:
    """Our own benchmarks print a list of BenchRow dicts."""
    if not isinstance(output, list):
        raise ValueError(f"expected a list of rows from {command}")
    fields = BenchRow.__dataclass_fields__
    return [BenchRow(**{k: v for k, v in row.items() if k in fields}) for row in output]


def tools_rows(output: object, command: str) -> list[BenchRow]:
    """bench_tools prints its figures plus `rows` (BenchRow dicts)."""
    if not isinstance(output, dict) or "rows" not in output:
        raise ValueError(f"expected an object with 'rows' from {command}")
    return _own_rows(output["rows"], command)


_KIND_ROW = re.compile(
    r"^\|\s*(?P<name>[^|]+?)\s*\|\s*(?P<cited>\d+)\s*\|\s*(?P<relevant>\d+)\s*\|"
    r"\s*(?P<hits>\d+)\s*\|\s*(?P<precision>[\d.]+)\s*\|\s*(?P<recall>[\d.]+)\s*\|$"
)


def quality_rows(output: object, command: str) -> list[BenchRow]:
    """eval_quality prints Markdown tables: take the rows of its last per-kind table (header
    starting `| kind`), whose `micro total` row carries the target."""
    lines = (output if isinstance(output, str) else json.dumps(output)).splitlines()
    headers = [i for i, line in enumerate(lines) if line.strip().startswith("| kind")]
    if not headers:
        raise ValueError(f"no per-kind table in the output of {command}")
    table = []
    for line in lines[headers[-1] + 1 :]:
        if not line.strip().startswith("|"):
            break
        table.append(line)
    rows = []
    for line in table:
        match = _KIND_ROW.match(line.strip())
        if not match:
            continue
        name = match["name"].replace("*", "").strip()
        precision, recall = float(match["precision"]), float(match["recall"])
        total = name.startswith("micro")
        rows.append(
            BenchRow(
                "quality", f"{name} recall / precision" if total else f"{name}: recall / precision",
                f"{recall:.2f} / {precision:.2f}",
                f">= {TARGET_RECALL} / >= {TARGET_PRECISION}" if total else "",
                (recall >= TARGET_RECALL and precision >= TARGET_PRECISION) if total else None,
                command, raw={k: match[k] for k in ("cited", "relevant", "hits")},
            )
        )  # fmt: skip
    if not any(row.passed is not None for row in rows):
        raise ValueError(f"no micro total in the output of {command}")
    return rows


BENCHMARKS = [
    Benchmark(
        "tools", "tests.bench.bench_tools", [], ["--emails", "10000", "--repeats", "3"], 300,
        tools_rows,
    ),
    Benchmark("quality", "tests.bench.eval_quality", [], [], 300, quality_rows, text=True),
    Benchmark("ui", "tests.bench.bench_ui", [], ["--visits", "2"], 420, _own_rows),
    Benchmark(
        "fanout", "tests.bench.bench_fanout", ["--chunks", "1,2,4,8"], ["--chunks", "1,8"],
        600, _own_rows,
    ),
    Benchmark(
        "scale", "tests.bench.bench_scale", ["--sizes", "10000,100000,517000"],
        ["--sizes", "10000"], 1500, _own_rows,
    ),
    Benchmark(
        "needles", "tests.bench.bench_needles", ["--emails", "517000"],
        ["--emails", "20000", "--chunks", "4"], 5400, _own_rows,
    ),
]  # fmt: skip


def module_exists(module: str) -> bool:
    return (REPO_ROOT / (module.replace(".", "/") + ".py")).exists()


def run_benchmark(bench: Benchmark, quick: bool, extra: list[str]) -> list[BenchRow]:
    flags = [*extra, *([] if bench.text else ["--json"])]
    command = python_module(bench.module, *(bench.quick_args if quick else bench.args), *flags)
    shown = shell_command(command)
    if not module_exists(bench.module):
        return [
            BenchRow(bench.name, "(all)", "", passed=None, command=shown,
                     note=f"not run: {bench.module} does not exist yet")
        ]  # fmt: skip
    print(f"[run_all] {shown}", file=sys.stderr, flush=True)
    run = run_measured(command, env=bench_env(), timeout_s=bench.timeout_s, interval_s=0.5)
    print(f"[run_all]   finished in {fmt_seconds(run.wall_s)}", file=sys.stderr, flush=True)
    try:
        rows = bench.to_rows(run.stdout if bench.text else run.json(), shown)
    except (ValueError, KeyError, TypeError) as error:
        return [
            BenchRow(bench.name, "(all)", "", passed=False, command=shown,
                     note=f"exit {run.returncode}, unreadable output ({error}): {run.tail(4)}")
        ]  # fmt: skip
    if run.returncode not in (0, 1) and not rows:  # 1 = "a target was missed"
        rows = [BenchRow(bench.name, "(all)", "", passed=False, command=shown,
                         note=f"exit {run.returncode}: {run.tail(4)}")]  # fmt: skip
    for row in rows:
        row.command = row.command or shown
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke version: small sizes")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument(
        "--scale-data-dir", type=Path, help="keep generated corpora here and reuse them next time"
    )
    args = parser.parse_args(argv)
    chosen = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = chosen - {b.name for b in BENCHMARKS}
    if unknown:
        parser.error(
            f"unknown benchmark(s) {sorted(unknown)}; known: {[b.name for b in BENCHMARKS]}"
        )

    started = time.perf_counter()
    rows: list[BenchRow] = []
    loads: list[str] = []
    for bench in BENCHMARKS:
        if chosen and bench.name not in chosen:
            continue
        loads.append(f"{bench.name} {load_average()}")
        extra = []
        if bench.name in ("scale", "needles") and args.scale_data_dir:
            extra = ["--data-dir", str(args.scale_data_dir.resolve())]
        rows += run_benchmark(bench, args.quick, extra)
    total = time.perf_counter() - started

    header = (
        f"# RLM Workbench benchmarks{' (quick)' if args.quick else ''}\n\n"
        f"{machine_summary()}; whole suite {fmt_seconds(total)}. Load average when each "
        f"benchmark started: {', '.join(loads)}. "
        f"Reproduce all: `python -m tests.bench.run_all{' --quick' if args.quick else ''}`"
    )
    markdown_path, json_path = write_results(rows, args.output_dir, header)
    print(header + "\n")
    print(markdown_table(rows))
    print(f"Wrote {markdown_path} and {json_path}")
    summary = {"seconds": total, "failed": sum(r.passed is False for r in rows)}
    print(json.dumps(summary), file=sys.stderr)
    return 0 if summary["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
