"""Real `rlm_analysis` pipelines under LLM faults, and the secrecy of the API key.

Two fault cells run end to end: http500 at 0.3 through the CLI (with chunk_01 made to fail every
ZenML retry, so a failed chunk must be named in the report), and malformed at 0.3 through the UI's
launcher (`pipeline.launch.launch_run`). Both carry a fake key `sk-test-LEAKCHECK-<random>`;
afterwards the key, and its random part alone, is searched for in every file of the ZenML store
(SQLite database, artifacts, step logs), in run and step metadata read through the client, in the
CLI's stdout and stderr, in the report downloads and in the launcher's log files. Zero hits; and
the key did reach the model server, so the scan cannot pass vacuously.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import pytest

from pipeline.schemas import Budget, LLMSettings
from tests.reliability.conftest import cli_env, cli_result
from tests.reliability.faults import FAULT_SEED

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]
QUERY = "What did the ultrasonic inspection of the MV-7 valve find?"
LAUNCH_TIMEOUT_S = 300


def wait_for(predicate, timeout_s: float, interval_s: float = 0.5):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s}s")


def _leaks(blob: bytes | str, needles: list[str]) -> list[str]:
    data = blob.encode("utf-8", "surrogateescape") if isinstance(blob, str) else blob
    return [n for n in needles if n.encode() in data]


def test_fault_cells_end_to_end_and_the_key_never_leaks(
    make_llm_server, zenml_store: Path, small_source: Path, run_cli, tmp_path: Path
) -> None:
    from pipeline import runs
    from pipeline.launch import launch_run, launch_status

    key = f"sk-test-LEAKCHECK-{secrets.token_hex(12)}"
    needles = [key, key.removeprefix("sk-test-LEAKCHECK-")]

    # --- Cell http500:0.3 through the CLI, chunk_01 failing every retry ----------------------
    server_500 = make_llm_server(faults={"http500": 0.3}, seed=FAULT_SEED)
    env = cli_env(OPENAI_API_KEY=key, OPENAI_BASE_URL=server_500.base_url,
                  RLM_FAIL_CHUNKS="chunk_01")  # fmt: skip
    completed = run_cli(small_source, QUERY, env=env,
                        extra=["--max-chunks", "3", "--max-iterations", "3"])  # fmt: skip
    result = cli_result(completed)
    assert result["status"] == "completed", completed.stderr[-3000:]
    assert result["mode"] == "llm"
    statuses = {c["id"]: c["status"] for c in result["chunks"]}
    assert statuses == {"chunk_00": "done", "chunk_01": "failed", "chunk_02": "done"}
    failed = result["report"]["failed_chunks"]
    assert [f["chunk_id"] for f in failed] == ["chunk_01"]
    assert "RLM_FAIL_CHUNKS" in failed[0]["error"] or "on purpose" in failed[0]["error"]
    faults = [r for r in server_500.chat_requests() if r.fault == "http500"]
    assert faults, "no fault was injected"
    view = runs.get_run(result["run_id"])
    trajectories = runs.load_trajectories(view)
    assert sorted(trajectories) == ["chunk_00", "chunk_02"]  # completed chunks are all kept
    report = runs.load_report(view)
    assert report.totals.chunks == 3 and report.totals.chunks_ok == 2
    # each injected 500 was retried by the SDK: more HTTP attempts than billed calls
    assert len(server_500.chat_requests()) > report.totals.llm_calls
    error_events = [e for t in trajectories.values() for e in t.events if e.kind == "error"]
    assert all("HTTP 500" in e.error for e in error_events)  # a call that ran out of retries

    # --- Cell malformed:0.3 through the launcher -------------------------------------------
    server_bad = make_llm_server(faults={"malformed": 0.3}, seed=FAULT_SEED)
    llm = LLMSettings(mode="llm", base_url=server_bad.base_url)
    handle = launch_run(str(small_source), QUERY + " (launcher)", Budget(max_chunks=2, max_iterations=3),
                        llm, api_key=key, launch_root=tmp_path / "launches")  # fmt: skip
    status = wait_for(
        lambda: (s := launch_status(handle, key)).state == "exited" and s, LAUNCH_TIMEOUT_S
    )
    launched = json.loads(Path(handle.stdout_path).read_text())
    assert status.exit_code == 0, status.error
    assert launched["status"] == "completed" and launched["report"] is not None
    bad_errors = [
        e for t in runs.load_trajectories(launched["run_id"]).values() for e in t.events
        if e.kind == "error"
    ]  # fmt: skip
    bad_faults = [r for r in server_bad.chat_requests() if r.fault == "malformed"]
    assert bad_faults
    chunk_faults = [r for r in bad_faults if r.task in ("plan", "reflect", "summarize")]
    assert len(bad_errors) == len(chunk_faults)  # each malformed chunk reply is an error event

    # --- The key reached the server (so the scan below is meaningful) ----------------------
    for server in (server_500, server_bad):
        auth = {r.headers.get("authorization") for r in server.chat_requests()}
        assert auth == {f"Bearer {key}"}

    # --- Scan everything ---------------------------------------------------------------------
    leaks: list[str] = []
    files = [p for p in zenml_store.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files), "no SQLite store found"
    assert len(files) > 10
    for path in files:
        leaks += [f"{path}: {n}" for n in _leaks(path.read_bytes(), needles)]
    for path in (tmp_path / "launches").rglob("*"):
        if path.is_file():
            leaks += [f"{path}: {n}" for n in _leaks(path.read_bytes(), needles)]
    leaks += [f"CLI output: {n}" for n in _leaks(completed.stdout + completed.stderr, needles)]
    for run_id in (result["run_id"], launched["run_id"]):
        view = runs.get_run(run_id)
        downloads = [runs.load_report_markdown(view), runs.load_report_html(view),
                     runs.load_report(view).model_dump_json(), json.dumps(launched)]  # fmt: skip
        leaks += [f"download of {run_id}: {n}" for d in downloads for n in _leaks(d, needles)]
        leaks += [f"metadata of {run_id}: {n}" for n in _leaks(_all_metadata(run_id), needles)]
    assert leaks == []


def _all_metadata(run_id: str) -> str:
    """Run and step metadata, configs and parameters, as the ZenML client returns them."""
    from zenml.client import Client

    client = Client()
    run = client.get_pipeline_run(run_id)
    parts = [json.dumps(run.run_metadata, default=str), str(run.config), str(run.body)]
    for step in client.list_run_steps(pipeline_run_id=run.id, size=100, hydrate=True).items:
        parts += [json.dumps(step.run_metadata, default=str), str(step.config), str(step.spec)]
    return "\n".join(parts)
