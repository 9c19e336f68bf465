"""OpenTelemetry GenAI traces, received by a real trace backend.

Arize Phoenix (its own venv, `.venv-phoenix`, made by scripts/phoenix_venv.sh from run_tests.sh)
runs on free loopback ports in a temporary folder. A CLI run against the loopback fake model,
with OTEL_EXPORTER_OTLP_ENDPOINT pointing at Phoenix and a planted API key, exports one trace;
Phoenix's REST API must then hold the span tree (run -> steps and chunks -> model and tool
calls), the GenAI attributes matching the stored trajectories, no prompt text (prompt recording
is off) and no trace of the key. Prompt text with recording on is checked on the span builder
with the SDK's in-memory exporter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from pipeline import telemetry
from pipeline.agent.schemas import LLMCallRecord, Trajectory, TrajectoryEvent
from pipeline.views import ChunkView, RunView
from tests.browser import free_port
from tests.reliability.test_pipeline_faults_and_secrets import wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]
PHOENIX = REPO_ROOT / ".venv-phoenix" / "bin" / "phoenix"
SAMPLE = REPO_ROOT / "data" / "sample" / "northwind_mail.json"
SECRET = "sk-test-SECRET-otel-7f3a"
MODEL = "gpt-4o-mini"


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory) -> Iterator[str]:
    """Base URL of a Phoenix server (OTLP/HTTP at /v1/traces, REST API at /v1/...)."""
    if not PHOENIX.exists():
        pytest.fail(f"{PHOENIX} is missing: run ./run_tests.sh or scripts/phoenix_venv.sh")
    folder = tmp_path_factory.mktemp("phoenix")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "OTEL_"))}
    env |= {"PHOENIX_HOST": "127.0.0.1", "PHOENIX_PORT": str(port),
            "PHOENIX_GRPC_PORT": str(free_port()), "PHOENIX_WORKING_DIR": str(folder),
            "PHOENIX_TELEMETRY_ENABLED": "false"}  # fmt: skip
    log = folder / "phoenix.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(PHOENIX), "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as reply:
                return reply.status == 200
        except OSError:
            return False

    try:
        wait_for(healthy, 300)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _spans(url: str) -> list[dict]:
    spans, cursor = [], None
    while True:
        query = "limit=1000" + (f"&cursor={cursor}" if cursor else "")
        with urllib.request.urlopen(f"{url}/v1/projects/default/spans?{query}", timeout=30) as r:
            page = json.load(r)
        spans += page["data"]
        cursor = page.get("next_cursor")
        if not cursor:
            return spans


@pytest.mark.pipeline
@pytest.mark.slow
def test_a_run_exports_one_genai_trace_to_phoenix(phoenix, make_llm_server, zenml_store, tmp_path):
    from pipeline import runs

    server = make_llm_server(api_key=SECRET)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "OTEL_"))}
    env |= {"ZENML_CONFIG_PATH": str(zenml_store), "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": SECRET, "OTEL_EXPORTER_OTLP_ENDPOINT": phoenix}  # fmt: skip
    completed = subprocess.run(
        [sys.executable, "-m", "pipeline.run", "--source", str(SAMPLE), "--query",
         "Who decided to defer the Lakeside valve replacement?", "--max-chunks", "2",
         "--max-iterations", "3", "--model", MODEL, "--run-name", "otel-run-1", "--json"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout)

    trajectories = runs.load_trajectories(result["run_id"])
    plan_calls = runs.load_plan_calls(result["run_id"])
    events = [e for t in trajectories.values() for e in t.events]
    model_events = [e for e in events if e.llm is not None]
    tool_events = [e for e in events if e.llm is None and e.kind == "tool_call"]
    # load_corpus is not a step when the corpus comes from the library (an earlier test's run)
    steps = [name for name in telemetry.RUN_STEPS if name in runs.step_runs(result["run_id"])]
    assert {"plan_decomposition", "aggregate_results"} <= set(steps)
    expected = 1 + len(steps) + len(result["chunks"]) + len(plan_calls) + len(model_events)
    expected += len(tool_events)
    assert model_events and tool_events and plan_calls

    seen: list[dict] = []

    def all_received() -> list[dict] | None:
        seen[:] = _spans(phoenix)
        return seen if len(seen) >= expected else None

    try:
        spans = wait_for(all_received, 120)  # Phoenix stores what it receives asynchronously
    except AssertionError:
        names = sorted(s["name"] for s in seen)
        raise AssertionError(
            f"Phoenix holds {len(seen)} of {expected} spans: {names}\n{completed.stderr[-2000:]}"
        ) from None
    ours = [s for s in spans if s["context"]["trace_id"] == spans[0]["context"]["trace_id"]]
    assert len(ours) == len(spans) == expected  # one run, one trace
    by_id = {s["context"]["span_id"]: s for s in ours}
    (root,) = [s for s in ours if s["parent_id"] is None]
    assert root["name"] == "rlm_analysis otel-run-1"
    assert root["attributes"]["rlm.run.id"] == result["run_id"]

    children = {s["name"]: s for s in ours if s["parent_id"] == root["context"]["span_id"]}
    chunk_ids = [c["id"] for c in result["chunks"]]
    assert set(children) == {*steps, *(f"process_chunk {c}" for c in chunk_ids)}

    models = [s for s in ours if s["attributes"].get("gen_ai.operation.name") == "chat"]
    assert len(models) == len(model_events) + len(plan_calls)
    records = {e.llm.request_id: e.llm for e in model_events} | {
        c.request_id: c for c in plan_calls
    }
    for span in models:
        a = span["attributes"]
        record = records[a["gen_ai.response.id"]]
        assert a["gen_ai.request.model"] == MODEL and span["name"] == f"chat {MODEL}"
        assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (
            record.input_tokens, record.output_tokens)  # fmt: skip
        assert a["rlm.cost_usd"] == pytest.approx(record.cost_usd) and a["rlm.cost_known"]
        assert "gen_ai.input.messages" not in a and "gen_ai.output.messages" not in a
        parent = by_id[span["parent_id"]]["name"]
        assert parent.startswith("process_chunk ") or parent == "plan_decomposition"

    tools = [s for s in ours if s["attributes"].get("gen_ai.operation.name") == "execute_tool"]
    assert len(tools) == len(tool_events)
    expected_tools = sorted((e.tool, e.match_count, json.dumps(e.args)) for e in tool_events)
    seen_tools = sorted(
        (s["attributes"]["gen_ai.tool.name"], s["attributes"]["rlm.tool.match_count"],
         s["attributes"]["gen_ai.tool.call.arguments"]) for s in tools
    )  # fmt: skip
    assert seen_tools == expected_tools
    assert all(by_id[s["parent_id"]]["name"].startswith("process_chunk ") for s in tools)
    assert SECRET not in json.dumps(spans)


def _hand_made(record_prompts: bool) -> tuple[RunView, dict[str, Trajectory]]:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    record = LLMCallRecord(model="local-model", purpose="plan", input_tokens=10,
                           output_tokens=5, cost_usd=None, cost_known=False,
                           price_source="unknown", request_id="req-1")  # fmt: skip
    event = TrajectoryEvent(
        seq=0, kind="plan", started_at=t0, ended_at=t0 + timedelta(seconds=1), llm=record,
        prompt="the prompt" if record_prompts else None,
        reply="the reply" if record_prompts else None,
    )  # fmt: skip
    trajectory = Trajectory(chunk_id="chunk_00", query="q", sub_question="q", mode="llm",
                            model="local-model", started_at=t0, events=[event])  # fmt: skip
    chunk = ChunkView(id="chunk_00", status="done", started_at=t0,
                      ended_at=t0 + timedelta(seconds=2), cost_usd=None)  # fmt: skip
    view = RunView(run_id="r", name="run", status="completed", mode="llm", model="local-model",
                   created_at=t0, ended_at=t0 + timedelta(seconds=3), chunks=[chunk])  # fmt: skip
    return view, {"chunk_00": trajectory}


@pytest.mark.parametrize("record_prompts", [False, True])
def test_prompt_text_only_when_recorded_and_unknown_cost_is_not_zero(record_prompts):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    view, trajectories = _hand_made(record_prompts)
    count = telemetry._build_trace(provider.get_tracer("t"), view, {}, trajectories, [])
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert count == len(spans) == 3
    call = spans["chat local-model"].attributes
    assert "rlm.cost_usd" not in call and call["rlm.cost_known"] is False
    assert ("gen_ai.input.messages" in call) is record_prompts
    assert ("gen_ai.output.messages" in call) is record_prompts
    if record_prompts:
        assert "the prompt" in call["gen_ai.input.messages"]
        assert "the reply" in call["gen_ai.output.messages"]
