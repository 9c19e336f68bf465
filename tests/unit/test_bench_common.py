"""Unit tests of the benchmark helpers: percentiles, the results table, RSS sampling of a
process tree and measured subprocess runs (the benchmarks themselves are not collected)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.bench.common import (
    BenchRow,
    PeakRssSampler,
    markdown_table,
    not_run,
    percentile,
    rows_as_json,
    run_measured,
    shell_command,
    tree_rss,
    write_results,
)


def test_percentile_interpolates_between_ranks():
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 50) == pytest.approx(25.0)
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0  # unsorted input
    assert percentile([7.0], 95) == 7.0


def test_percentile_rejects_empty_and_out_of_range():
    with pytest.raises(ValueError, match="empty"):
        percentile([], 50)
    with pytest.raises(ValueError, match="0..100"):
        percentile([1.0], 101)


def test_markdown_table_has_verdicts_escaped_cells_and_commands(tmp_path):
    rows = [
        BenchRow("fan-out", "wall at 8 chunks", "9.10 s", "<= 10 s", True, "python -m a"),
        BenchRow("scale", "peak RSS | 517K", "3.50 GiB", "<= 3 GiB", False, "python -m b"),
        BenchRow("ui", "report page", "", "<= 2 s", None, note="x"),
        not_run("quality", "recall", ">= 0.85", "eval_quality.py missing"),
    ]
    table = markdown_table(rows)
    lines = table.splitlines()
    assert lines[0] == "| Benchmark | Figure | Value | Target | Result |"
    assert "| fan-out | wall at 8 chunks | 9.10 s | <= 10 s | pass |" in lines
    assert "peak RSS \\| 517K" in table  # a pipe in a cell does not split the row
    assert "| FAIL |" in lines[3]
    assert lines[4].endswith("| - |")
    assert "not run: eval_quality.py missing" in lines[5] and lines[5].endswith("| not run |")
    assert "- `python -m a`" in lines and "- `python -m b`" in lines

    markdown_path, json_path = write_results(rows, tmp_path / "out", header="# Bench")
    assert markdown_path.read_text().startswith("# Bench\n\n| Benchmark")
    saved = json.loads(json_path.read_text())
    assert [row["verdict"] for row in saved] == ["pass", "FAIL", "-", "not run"]


def test_tree_rss_counts_children_and_sampler_sees_the_peak(tmp_path):
    """The 200 MiB lives in a grandchild that holds it until the test has sampled: a tree-wide
    sample sees it, whatever the machine's speed (no sleep stands in for the moment)."""
    ready, release = tmp_path / "ready", tmp_path / "release"
    ballast = (
        f"import os, time; x = bytearray(200 * 1024 * 1024); open({str(ready)!r}, 'w').close()\n"
        f"while not os.path.exists({str(release)!r}): time.sleep(0.01)"
    )
    parent = "import subprocess, sys; subprocess.run([sys.executable, '-c', sys.argv[1]])"
    process = subprocess.Popen([sys.executable, "-c", parent, ballast])
    try:
        with PeakRssSampler(process.pid, interval_s=3600) as sampler:  # samples taken by hand
            deadline = time.monotonic() + 120  # a safety net against a hung child only
            while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            assert ready.exists(), "the grandchild never allocated its ballast"
            sampler.sample()
    finally:
        release.touch()
        process.wait(timeout=120)
    assert sampler.peak_bytes > 200 * 1024 * 1024
    run = run_measured([sys.executable, "-c", "print('done')"], interval_s=0.02, timeout_s=120)
    run.check()
    assert run.stdout.strip() == "done" and run.wall_s > 0 and run.peak_rss_bytes > 0


def test_sampler_on_own_process_and_gone_pid():
    with PeakRssSampler(interval_s=0.01) as sampler:
        block = bytearray(50 * 1024 * 1024)
        sampler.sample()
    assert sampler.peak_bytes >= len(block)
    assert sampler.samples >= 2
    import psutil

    dead = psutil.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert tree_rss(dead.pid) == 0


def test_run_measured_reports_failure_and_parses_trailing_json():
    ok = run_measured([sys.executable, "-c", "print('log line'); print('{\"a\": 1}')"])
    assert ok.check().json() == {"a": 1}
    bad = run_measured([sys.executable, "-c", "import sys; sys.exit('boom')"])
    with pytest.raises(RuntimeError, match="boom"):
        bad.check()
    assert shell_command([sys.executable, "-m", "x y"]) == "python -m 'x y'"


QUALITY_OUTPUT = """\
359 sample emails, 18 labelled queries, budget 6

| query (kind) | cited | relevant | hits | precision | recall |
|---|---:|---:|---:|---:|---:|
| q01 (needle) | 2 | 1 | 1 | 0.50 | 1.00 |

| kind / split | cited | relevant | hits | precision | recall |
|---|---:|---:|---:|---:|---:|
| needle | 18 | 10 | 9 | 0.50 | 0.90 |
| timeline | 29 | 25 | 18 | 0.62 | 0.72 |
| **micro total** | 47 | 35 | 27 | 0.57 | 0.77 |

micro precision 0.574, micro recall 0.771: BELOW TARGET
"""


def test_quality_rows_read_the_last_kind_table_and_judge_the_micro_total():
    from tests.bench.run_all import quality_rows

    rows = quality_rows(QUALITY_OUTPUT, "python -m tests.bench.eval_quality")
    assert [row.figure for row in rows] == [
        "needle: recall / precision",
        "timeline: recall / precision",
        "micro total recall / precision",
    ]
    assert rows[0].value == "0.90 / 0.50" and rows[0].passed is None
    assert rows[-1].passed is False  # recall 0.77 < 0.85
    passing = QUALITY_OUTPUT.replace(
        "| 47 | 35 | 27 | 0.57 | 0.77 |", "| 40 | 35 | 30 | 0.75 | 0.86 |"
    )
    assert quality_rows(passing, "cmd")[-1].passed is True
    with pytest.raises(ValueError, match="per-kind table"):
        quality_rows("no tables here", "cmd")


def test_tools_rows_take_the_rows_of_bench_tools_json():
    from tests.bench.run_all import tools_rows

    row = BenchRow("tools", "grep p95", "12 ms", "<= 150 ms", True, "python -m x")
    [parsed] = tools_rows({"grep_p95_ms": 12.0, "rows": rows_as_json([row])}, "cmd")
    assert parsed == row
    with pytest.raises(ValueError, match="rows"):
        tools_rows([], "cmd")
