"""The CLI (`python -m pipeline.run`) as a subprocess, started through the UI's launcher:
bad input is refused before any pipeline starts; a full deterministic run with out-of-range
budgets and one chunk forced to fail completes, names the failed chunk and keeps the others.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import zenml_env
from pipeline.launch import child_environment, launch_run, launch_status, scrub
from pipeline.schemas import Budget, LLMSettings
from tests.pipeline.conftest import SAMPLE

QUERY = "Who raised concerns about the valve inspection?"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ZENML_CONFIG_PATH": str(zenml_env.configure())}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.run", *args],
        cwd=zenml_env.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--source", "/nonexistent/mail.json", "--query", QUERY], "not found"),
        (["--source", str(SAMPLE), "--query", "   "], "query is empty"),
        (["--source", "EMPTY", "--query", QUERY], "EMPTY"),
    ],
)
def test_bad_input_exits_non_zero_with_a_reason(args, reason, tmp_path: Path):
    if "EMPTY" in args:
        empty = tmp_path / "empty.json"
        empty.write_text("[]", encoding="utf-8")
        args = [str(empty) if a == "EMPTY" else a for a in args]
        reason = "empty.json"
    done = run_cli(*args, "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and reason in last


def test_api_key_reaches_the_child_only_through_its_environment():
    env = child_environment(LLMSettings(mode="llm"), "sk-secret-123")
    assert env["OPENAI_API_KEY"] == "sk-secret-123"
    deterministic = child_environment(LLMSettings(), "sk-secret-123")
    assert "OPENAI_API_KEY" not in deterministic
    assert scrub("failed with key sk-secret-123", "sk-secret-123") == "failed with key [redacted]"


@pytest.mark.pipeline
@pytest.mark.slow
def test_launched_cli_run_survives_a_failed_chunk_and_prints_the_json_contract(
    zenml_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RLM_FAIL_CHUNKS", "chunk_01")  # fault injection, inherited by the child
    handle = launch_run(
        str(SAMPLE),
        QUERY,
        Budget(max_chunks=99, max_iterations=1),
        LLMSettings(),
        api_key="sk-never-used-in-deterministic-mode",
        run_name="test-cli-failed-chunk",
        launch_root=tmp_path,
    )
    deadline = time.monotonic() + 240
    while (status := launch_status(handle)).state == "running":
        assert time.monotonic() < deadline, "the launched run did not finish in time"
        time.sleep(0.5)
    assert status.exit_code == 0, status.error
    result = json.loads(Path(handle.stdout_path).read_text())

    assert set(result) >= {"run_id", "status", "mode", "model", "chunks", "report", "totals"}
    assert result["status"] == "completed" and result["mode"] == "deterministic"
    chunk_keys = {
        "id",
        "start",
        "end",
        "status",
        "cached",
        "llm_calls",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "duration_s",
        "started_at",
        "ended_at",
    }
    assert all(set(c) >= chunk_keys for c in result["chunks"])
    statuses = {c["id"]: c["status"] for c in result["chunks"]}
    assert len(statuses) == 10  # max_chunks 99 clamped to 10
    assert statuses.pop("chunk_01") == "failed"
    assert set(statuses.values()) <= {"done", "cached"}
    report = result["report"]
    assert set(report) >= {"summary", "findings", "cited_ids", "failed_chunks"}
    assert [f["chunk_id"] for f in report["failed_chunks"]] == ["chunk_01"]
    assert "RLM_FAIL_CHUNKS" in report["failed_chunks"][0]["error"]
    assert all(set(f) == {"text", "confidence", "evidence_ids"} for f in report["findings"])
    assert result["totals"]["chunks"] == 10 and result["totals"]["chunks_failed"] == 1

    from pipeline import runs

    view = runs.get_run("test-cli-failed-chunk")
    assert (view.max_chunks, view.max_iterations) == (10, 2)  # max_iterations 1 clamped to 2
    assert "sk-never-used" not in Path(handle.log_path).read_text()
