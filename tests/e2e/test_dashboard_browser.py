"""ZenML's dashboard one click away: `./run_ui.sh` serves it for the workbench's own store on
127.0.0.1, the selected run's link opens the run's DAG with every chunk step, a chunk's link
opens that step, and the dashboard stops with the workbench.

The dashboard asks for a few images and a changelog on the internet; the browser here answers
only loopback requests (tests never use the network)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline import dashboard
from tests.browser import STEP_TIMEOUT_MS, free_port, launch_chromium, workbench_server
from tests.child_env import child_env
from ui.components.dashboard_links import LINK_TEXT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "data" / "sample" / "northwind_mail.json"
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
LOOPBACK = ("http://127.0.0.1", "http://localhost")


@pytest.fixture
def store_with_run(tmp_path: Path) -> tuple[dict[str, str], dict]:
    """A fresh store holding one finished 3-chunk deterministic run (made with the CLI)."""
    env = child_env()
    env["ZENML_CONFIG_PATH"] = str(tmp_path / "zenml")
    completed = subprocess.run(
        [sys.executable, "-m", "pipeline.run", "--source", str(SAMPLE), "--query",
         "Who decided to defer the Lakeside valve replacement?", "--max-chunks", "3", "--json"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    return env, json.loads(completed.stdout)


def _wait_listening(url: str, log: Path, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the dashboard never answered: {log.read_text()[-3000:]}")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _loopback_only(route) -> None:
    if route.request.url.startswith(LOOPBACK):
        route.continue_()
    else:
        route.abort()


def _step_ids(base: str, run_id: str) -> dict[str, str]:
    url = f"{base}/api/v1/steps?pipeline_run_id={run_id}&size=50"
    with urllib.request.urlopen(url, timeout=10) as reply:
        return {step["name"]: step["id"] for step in json.load(reply)["items"]}


def test_run_link_opens_the_dag_with_every_chunk_step(store_with_run, tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    env, run = store_with_run
    chunk_ids = [c["id"] for c in run["chunks"]]
    assert len(chunk_ids) == 3
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env |= {"RLM_DASHBOARD_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    monkeypatch.setenv("PW_TEST_SCREENSHOT_NO_FONTS_READY", "1")  # its web fonts are offline
    log = tmp_path / "run_ui.log"
    with workbench_server(env, log, timeout_s=120, run_ui=True) as url:
        _wait_listening(base, log)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", _loopback_only)
            context.set_default_timeout(STEP_TIMEOUT_MS)
            page = context.new_page()
            page.goto(url)
            page.locator('[data-testid="stSidebarNav"] a', has_text="Runs").click()
            page.get_by_role("button", name="Open this run").click()
            page.get_by_text("see Report, Trajectories and Cost").wait_for()
            page.locator('[data-testid="stSidebarNav"] a', has_text="Report").click()
            link = page.locator('[data-testid="stSidebar"] a', has_text=LINK_TEXT).first
            link.wait_for()
            assert link.get_attribute("href") == f"{base}/projects/default/runs/{run['run_id']}"

            with context.expect_page() as opened:
                link.click()
            dag = opened.value
            dag.get_by_role("button", name="Fit view").click()
            nodes = dag.locator(".react-flow__node")
            for chunk_id in chunk_ids:
                nodes.filter(has_text=chunk_id).first.wait_for()
            names = {n.inner_text().split("\n")[0].strip() for n in nodes.all()}
            # (load_corpus too, unless the corpus came from the corpus library)
            expected = {"plan_decomposition", "aggregate_results", *chunk_ids}
            assert expected <= names, names
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            dag.screenshot(path=str(SCREENSHOTS / "20_zenml_dashboard_dag.png"))

            # a chunk's link (Trajectories) opens that step run in the dashboard
            steps = _step_ids(base, run["run_id"])
            page.locator('[data-testid="stSidebarNav"] a', has_text="Trajectories").click()
            chunk_link = page.locator("a", has_text=f"{chunk_ids[0]} in ZenML dashboard").first
            chunk_link.wait_for()
            href = chunk_link.get_attribute("href")
            assert href == dashboard.step_url(run["run_id"], steps[chunk_ids[0]], base)
            step_page = context.new_page()
            step_page.goto(href)
            step_page.get_by_text(chunk_ids[0]).first.wait_for()
            browser.close()
    deadline = time.monotonic() + 60
    while _port_open(port) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _port_open(port), "the dashboard outlived the workbench"
