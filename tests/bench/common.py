"""Shared helpers for the benchmark scripts: timing, percentiles, peak-RSS sampling of a process
tree, subprocess runs that return JSON, and the result rows every benchmark reports.

A benchmark returns a list of `BenchRow` (benchmark, figure, value, target, pass/fail, the command
that reproduces it); `markdown_table` and `write_results` turn them into `bench-output/results.md`
and `results.json`. Nothing here asserts a speed: the scripts print figures, people judge them.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT_DIR = REPO_ROOT / "bench-output"
MIB = 1024 * 1024


@dataclass
class BenchRow:
    """One line of the results table. `passed` is None when the figure has no target or was
    not measured (then `note` says why)."""

    benchmark: str
    figure: str
    value: str
    target: str = ""
    passed: bool | None = None
    command: str = ""
    note: str = ""
    raw: dict[str, float | int | str | None] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return "not run" if self.note.startswith("not run") else "-"
        return "pass" if self.passed else "FAIL"


# --- statistics ------------------------------------------------------------------------------


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be within 0..100, got {q}")
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    fraction = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def fmt_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_mib(n_bytes: float) -> str:
    return f"{n_bytes / MIB:.0f} MiB" if n_bytes < 1024 * MIB else f"{n_bytes / MIB / 1024:.2f} GiB"


class Stopwatch:
    """`with Stopwatch() as sw: ...` then `sw.elapsed` (seconds, monotonic clock)."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.elapsed = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self.started


# --- memory ----------------------------------------------------------------------------------


def tree_rss(root_pid: int) -> int:
    """Resident memory in bytes of a process and all of its live descendants (0 if gone)."""
    try:
        root = psutil.Process(root_pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue  # exited between listing and sampling
    return total


class PeakRssSampler:
    """Background thread sampling the summed RSS of a process tree every `interval_s`.

    Use as a context manager around the work; `peak_bytes` is the largest sum seen (it also takes
    a final sample on exit). Short-lived children may be missed between samples, so keep the
    interval small relative to the work measured.
    """

    def __init__(self, root_pid: int | None = None, interval_s: float = 0.05):
        self.root_pid = os.getpid() if root_pid is None else root_pid
        self.interval_s = interval_s
        self.peak_bytes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def sample(self) -> int:
        current = tree_rss(self.root_pid)
        self.peak_bytes = max(self.peak_bytes, current)
        self.samples += 1
        return current

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def start(self) -> PeakRssSampler:
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> int:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        return self.peak_bytes

    def __enter__(self) -> PeakRssSampler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- subprocesses ----------------------------------------------------------------------------


@dataclass
class ProcessRun:
    """A finished subprocess: exit code, output, wall time and the peak RSS of its tree."""

    command: list[str]
    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    peak_rss_bytes: int

    def json(self) -> dict:
        """The last JSON object printed on stdout (CLIs may log lines before it)."""
        text = self.stdout.strip()
        if not text:
            raise ValueError(
                f"{shell_command(self.command)} printed nothing; stderr:\n{self.tail()}"
            )
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            start = text.rfind("\n{")
            if start < 0:
                raise ValueError(
                    f"no JSON object in the output of {shell_command(self.command)}"
                ) from None
            return json.loads(text[start + 1 :])

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.stderr.strip().splitlines()[-lines:])

    def check(self) -> ProcessRun:
        if self.returncode != 0:
            raise RuntimeError(
                f"{shell_command(self.command)} exited with {self.returncode}:\n{self.tail()}"
            )
        return self


def run_measured(
    command: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    timeout_s: float = 900,
    interval_s: float = 0.05,
) -> ProcessRun:
    """Run `command` from the repo root, sampling the RSS of its process tree until it exits."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with PeakRssSampler(process.pid, interval_s=interval_s) as sampler:
        try:
            stdout, stderr = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_tree(process.pid)
            stdout, stderr = process.communicate()
            stderr += f"\n[bench] killed after {timeout_s:.0f} s"
    wall = time.perf_counter() - started
    return ProcessRun(list(command), process.returncode, stdout, stderr, wall, sampler.peak_bytes)


def _kill_tree(pid: int) -> None:
    try:
        root = psutil.Process(pid)
        family = [*root.children(recursive=True), root]
    except psutil.Error:
        return
    for process in family:
        try:
            process.kill()
        except psutil.Error:
            continue


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def shell_command(command: Sequence[str]) -> str:
    """A copy-pasteable command line (the venv's python shown as `python`)."""
    parts = ["python" if part == sys.executable else part for part in command]
    return shlex.join(parts)


def bench_env(zenml_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """The current environment for a child process, without model credentials (the benchmarks
    measure the no-key mode unless they point OPENAI_BASE_URL at the loopback fake)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    if zenml_dir is not None:
        env["ZENML_CONFIG_PATH"] = str(zenml_dir)
    env.update(extra)
    return env


# --- results ---------------------------------------------------------------------------------

_COLUMNS = ("Benchmark", "Figure", "Value", "Target", "Result")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: Sequence[BenchRow]) -> str:
    """The results as a GitHub Markdown table, then the command reproducing each row."""
    lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    for row in rows:
        value = (
            row.value if not row.note else f"{row.value} ({row.note})" if row.value else row.note
        )
        cells = (row.benchmark, row.figure, value, row.target, row.verdict)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    commands = list(dict.fromkeys(row.command for row in rows if row.command))
    if commands:
        lines += ["", "Reproduce:", ""]
        lines += [f"- `{command}`" for command in commands]
    return "\n".join(lines) + "\n"


def rows_as_json(rows: Sequence[BenchRow]) -> list[dict]:
    return [asdict(row) | {"verdict": row.verdict} for row in rows]


def write_results(
    rows: Sequence[BenchRow], output_dir: Path = DEFAULT_OUTPUT_DIR, header: str = ""
) -> tuple[Path, Path]:
    """Write results.md (header + table) and results.json into `output_dir`; return both paths."""
    output_dir.mkdir(parents=True, exist_ok=True)
    markdown_path, json_path = output_dir / "results.md", output_dir / "results.json"
    markdown_path.write_text((header + "\n\n" if header else "") + markdown_table(rows))
    json_path.write_text(json.dumps(rows_as_json(rows), indent=2, default=str) + "\n")
    return markdown_path, json_path


def emit(rows: Sequence[BenchRow], as_json: bool) -> None:
    """What each benchmark's `main()` prints: the table, or the rows as JSON."""
    if as_json:
        print(json.dumps(rows_as_json(rows), indent=2, default=str))
    else:
        print(markdown_table(rows))


def not_run(benchmark: str, figure: str, target: str, reason: str, command: str = "") -> BenchRow:
    return BenchRow(benchmark, figure, "", target, None, command, note=f"not run: {reason}")


def load_average() -> str:
    """The 1/5/15-minute load averages: on a shared machine they explain slow figures."""
    return "/".join(f"{load:.1f}" for load in os.getloadavg())


def machine_summary() -> str:
    memory = psutil.virtual_memory().total
    return (
        f"{os.cpu_count()} CPU cores, {fmt_mib(memory)} RAM, Python "
        f"{sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M')}, "
        f"load average {load_average()}"
    )
