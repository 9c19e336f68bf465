"""The workbench against a team ZenML server (a REST store) instead of local SQLite.

A real ZenML server (ZenML's server app over its own SQLite database, logins on) runs on a free
loopback port in a temporary folder; this test process and the runs it launches reach it only
through ZENML_STORE_URL + ZENML_STORE_API_KEY (a service-account key), with a client config
folder of their own. Through it: launch an analysis the way the UI does, watch live chunk
progress, kill the run and see it stale, mark it failed, relaunch (finished chunks come from the
server's cache), read the report and trajectories, list the runs, open the Report and Runs pages
(AppTest), and read the runs back through the server's REST API with the same key.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.schemas import Budget, LLMSettings
from tests.browser import free_port
from tests.child_env import child_env
from tests.reliability.test_crash_and_concurrency import HELD_LATENCY_MS
from tests.reliability.test_pipeline_faults_and_secrets import LAUNCH_TIMEOUT_S, wait_for
from ui import routes

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]
REPO_ROOT = Path(__file__).resolve().parents[2]
BUDGET = Budget(max_chunks=3, max_iterations=3)
QUERY = "Who recommended replacing the MV-7 valve, and why?"


def _reset_zenml() -> None:
    from zenml.client import Client
    from zenml.config.global_config import GlobalConfiguration

    GlobalConfiguration._reset_instance()
    Client._reset_instance()


@pytest.fixture
def team_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(URL, service-account API key) of a real ZenML server with logins on, stopped after."""
    env = child_env()
    env["ZENML_CONFIG_PATH"] = str(tmp_path / "server")
    made = subprocess.run(
        [sys.executable, "-m", "pipeline.dashboard", "--create-api-key", "rlm-workbench"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-3000:]
    api_key = made.stdout.strip().splitlines()[-1]
    port = free_port()
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.dashboard", "--port", str(port), "--auth"],
            cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
                return reply.status == 200
        except OSError:
            return False

    try:
        wait_for(healthy, 180)
        yield url, api_key
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def rest_client(team_server, tmp_path: Path, monkeypatch) -> Iterator[tuple[str, str]]:
    """This process (and the runs it launches) use the team server as their store."""
    url, api_key = team_server
    with monkeypatch.context() as env:
        env.setenv("ZENML_CONFIG_PATH", str(tmp_path / "client"))
        env.setenv("ZENML_STORE_URL", url)
        env.setenv("ZENML_STORE_API_KEY", api_key)
        _reset_zenml()
        from zenml.client import Client

        assert Client().zen_store.type.value == "rest"
        yield url, api_key
    _reset_zenml()  # back to the session's local store


def _launch(source: Path, server, root: Path, run_name: str):
    from pipeline.launch import launch_run

    llm = LLMSettings(mode="llm", base_url=server.base_url)
    return launch_run(str(source), QUERY, BUDGET, llm, api_key="sk-test-team",
                      run_name=run_name, launch_root=root)  # fmt: skip


def _api(url: str, api_key: str, path: str) -> dict:
    """GET a REST API path with a token obtained for the service-account key."""
    login = urllib.request.Request(
        f"{url}/api/v1/login", data=urllib.parse.urlencode({"password": api_key}).encode()
    )
    with urllib.request.urlopen(login, timeout=30) as reply:
        token = json.load(reply)["access_token"]
    request = urllib.request.Request(f"{url}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)


def test_full_analysis_through_a_team_server(
    rest_client, make_llm_server, small_source: Path, tmp_path: Path
) -> None:
    from pipeline import dashboard, runs
    from pipeline.launch import launch_status

    url, api_key = rest_client

    # Launch as the UI does; chunk_00 is answered, the others are held: live progress.
    def hold_later_chunks(prompt: str) -> float | None:
        in_a_chunk = "(emails " in prompt
        return HELD_LATENCY_MS if in_a_chunk and "(emails 0 to " not in prompt else None

    server = make_llm_server(sufficient_after=99, latency_for=hold_later_chunks)
    handle = _launch(small_source, server, tmp_path, "team-1")

    def one_chunk_done():
        try:
            view = runs.get_run(handle.run_name)
        except KeyError:
            return None
        return view if any(c.status == "done" for c in view.chunks) else None

    live = wait_for(one_chunk_done, LAUNCH_TIMEOUT_S)
    assert live.status == "running" and len(live.chunks) == 3
    done = [c for c in live.chunks if c.status == "done"]
    assert done and all(c.llm_calls > 0 and c.input_tokens > 0 for c in done)
    assert any(c.status in ("running", "queued") for c in live.chunks)
    assert dashboard.run_url(live.run_id) == f"{url}/projects/default/runs/{live.run_id}"

    # Kill it: stale; mark it failed through the server, which keeps the reason.
    os.killpg(handle.pid, signal.SIGKILL)
    wait_for(lambda: runs.get_run(handle.run_name).status == "stale", 60)
    assert runs.mark_stale(handle.run_name)
    failed = runs.get_run(handle.run_name)
    assert failed.status == "failed" and "marked failed after its process died" in failed.error

    # Relaunch: finished chunks come from the server's cache; the report and trajectories load.
    server.reset()
    server.latency_for = None
    rerun = _launch(small_source, server, tmp_path, "team-2")
    status = wait_for(lambda: (s := launch_status(rerun)).state == "exited" and s, LAUNCH_TIMEOUT_S)
    assert status.exit_code == 0, status.error
    view = runs.get_run("team-2")
    assert view.status == "completed"
    assert {c.id for c in view.chunks if c.status == "cached"} == {c.id for c in done}
    report = runs.load_report(view)
    assert report is not None and report.findings and report.query == QUERY
    trajectories = runs.load_trajectories(view)
    assert sorted(trajectories) == [c.id for c in view.chunks]
    assert all(t.events for t in trajectories.values())
    listed = {r.name: r.status for r in runs.list_runs()}
    assert listed["team-1"] == "failed" and listed["team-2"] == "completed"

    # The pages read the same server.
    at = AppTest.from_file(str(REPO_ROOT / "ui" / "app.py"), default_timeout=120)
    at.session_state["selected_run"] = view.run_id
    at.switch_page(routes.REPORT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Findings" in [s.value for s in at.subheader]
    at.switch_page(routes.RUNS).run()
    history = next(d.value for d in at.dataframe if "total cost" in d.value.columns)
    assert set(history["run"]) >= {"team-1", "team-2"}

    # And the server's REST API, with the same key, has the runs and every chunk step.
    run = _api(url, api_key, f"/api/v1/runs/{view.run_id}")
    assert run["name"] == "team-2" and run["body"]["status"] == "completed"
    steps = _api(url, api_key, f"/api/v1/steps?pipeline_run_id={view.run_id}&size=50")
    names = {s["name"] for s in steps["items"]}
    assert {"plan_decomposition", "aggregate_results"} <= names  # no load_corpus: the library
    assert {c.id for c in view.chunks} <= names
    stale = _api(url, api_key, f"/api/v1/runs/{failed.run_id}")
    assert stale["body"]["status"] == "failed"
