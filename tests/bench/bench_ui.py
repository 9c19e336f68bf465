"""UI benchmark: how long until the Report, Trajectories and Cost pages are interactive.

It produces a finished 10-chunk deterministic run on the bundled sample (fresh ZenML state
folder), starts Streamlit on a free port against that store, and drives headless Chromium with
Playwright: open the app, select the run on Runs ("Open this run"), then click each page in the
sidebar and time from the click until Streamlit is idle (script state `notRunning`, no running
indicator in the status widget) and a page-specific element is visible (a rendered chart or the
download button). The first visit of each page (nothing cached yet) is the figure with the
target; later visits are reported as the warm median.
Target: <= 2 s for each page's first visit.

    python -m tests.bench.bench_ui [--visits 3] [--json]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench.common import (
    BenchRow,
    bench_env,
    emit,
    fmt_seconds,
    python_module,
    run_measured,
    shell_command,
)
from tests.browser import launch_chromium, workbench_server

logger = logging.getLogger(__name__)

BENCHMARK = "ui"
TARGET_S = 2.0
QUERY = "Who raised concerns about the valve inspection, and what did management decide?"
_IDLE_AND_VISIBLE = """(selector) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"], '
        + '[data-testid="stStatusWidgetRunningManIcon"]')) return false;
    const element = document.querySelector(selector);
    if (!element) return false;
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
}"""


@dataclass(frozen=True)
class PageProbe:
    """A page, its URL path, and the element that shows it has rendered its content."""

    title: str
    url_path: str
    ready_selector: str


PAGES = [
    PageProbe("Report", "report", ".st-key-download_markdown button"),
    PageProbe("Trajectories", "trajectories", ".st-key-trajectory_timeline .main-svg"),
    PageProbe("Cost dashboard", "cost", ".st-key-duration_per_chunk .main-svg"),
]


def produce_run(zenml_dir: Path, source: str) -> str:
    """A finished deterministic 10-chunk run in `zenml_dir`; returns its id."""
    command = python_module(
        "pipeline.run", "--source", source, "--query", QUERY, "--max-chunks", "10",
        "--max-iterations", "4", "--run-name", f"bench-ui-{int(time.time())}", "--json",
    )  # fmt: skip
    result = run_measured(command, env=bench_env(zenml_dir), timeout_s=600).check().json()
    if result.get("status") != "completed":
        raise RuntimeError(f"the benchmark run ended {result.get('status')}: {result.get('error')}")
    return result["run_id"]


def wait_ready(page, selector: str, timeout_s: float = 60) -> None:
    page.wait_for_function(_IDLE_AND_VISIBLE, arg=selector, timeout=timeout_s * 1000, polling=20)


def click_nav(page, url_path: str) -> None:
    page.locator(f'[data-testid="stSidebarNav"] a[href$="/{url_path}"]').first.click()


def select_run(page, base_url: str) -> float:
    """Open the app, go to Runs and open the newest (only) run; returns the cold first-load time."""
    started = time.perf_counter()
    page.goto(base_url)
    wait_ready(page, '[data-testid="stSidebarNav"]')
    first_load = time.perf_counter() - started
    click_nav(page, "runs")
    wait_ready(page, ".st-key-open_run button")
    page.locator(".st-key-open_run button").click()
    wait_ready(page, '[data-testid="stAlertContentSuccess"]')
    return first_load


def page_errors(page) -> list[str]:
    alerts = page.locator('[data-testid="stAlertContentError"], [data-testid="stException"]')
    return [alerts.nth(i).inner_text()[:200] for i in range(alerts.count())]


def measure_pages(base_url: str, visits: int) -> tuple[float, dict[str, list[float]], list[str]]:
    from playwright.sync_api import sync_playwright

    timings: dict[str, list[float]] = {probe.title: [] for probe in PAGES}
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            first_load = select_run(page, base_url)
            for _ in range(visits):
                for probe in PAGES:
                    started = time.perf_counter()
                    click_nav(page, probe.url_path)
                    page.wait_for_url(f"**/{probe.url_path}")
                    wait_ready(page, probe.ready_selector)
                    timings[probe.title].append(time.perf_counter() - started)
                    errors += [f"{probe.title}: {text}" for text in page_errors(page)]
        finally:
            browser.close()
    return first_load, timings, errors


def collect(visits: int, source: str) -> list[BenchRow]:
    command = shell_command(python_module("tests.bench.bench_ui", "--visits", str(visits)))
    with tempfile.TemporaryDirectory(prefix="rlm-bench-ui-") as tmp:
        zenml_dir = Path(tmp) / "zenml"
        run_id = produce_run(zenml_dir, source)
        with workbench_server(bench_env(zenml_dir), Path(tmp) / "streamlit.log") as url:
            first_load, timings, errors = measure_pages(url, visits)
    rows = [
        BenchRow(BENCHMARK, "app first load (new session)", fmt_seconds(first_load),
                 command=command, raw={"seconds": first_load, "run_id": run_id})
    ]  # fmt: skip
    for title, seconds in timings.items():
        first, warm = seconds[0], seconds[1:]
        page_errors_seen = [e for e in errors if e.startswith(title)]
        value = fmt_seconds(first)
        if warm:
            value += f" (warm median {fmt_seconds(statistics.median(warm))})"
        rows.append(BenchRow(
            BENCHMARK, f"{title} page interactive, first visit", value, f"<= {TARGET_S:g} s",
            first <= TARGET_S and not page_errors_seen, command,
            note="; ".join(page_errors_seen[:2]),
            raw={"first_s": first, "warm_s": ", ".join(f"{s:.3f}" for s in warm)},
        ))  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    from data.sample import SAMPLE_PATH

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=3, help="visits per page (first is cold)")
    parser.add_argument("--source", default=str(SAMPLE_PATH))
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    rows = collect(max(1, args.visits), str(Path(args.source).resolve()))
    emit(rows, args.json)
    return 0 if all(row.passed is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
