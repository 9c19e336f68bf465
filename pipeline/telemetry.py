"""OpenTelemetry traces of finished runs, with the GenAI semantic conventions, in one place.

With OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, every run the CLI
finishes (the UI launches runs through it) is exported as ONE trace over OTLP/HTTP protobuf:

    rlm_analysis <run name>                         the run
    ├── load_corpus / plan_decomposition / aggregate_results    a span per step
    │     └── chat <model>                          the decomposition call(s)
    └── process_chunk chunk_NN                      a span per chunk (its step run)
          ├── chat <model>                          a span per model call
          └── execute_tool <tool>                   a span per tool call

Spans are built after the run from what it stored (step runs, trajectories and call records
carry their own start and end times), so the agent loop and the LLM client know nothing about
tracing and a trace never slows a chunk down. Model calls follow the GenAI conventions
(`gen_ai.operation.name`, `gen_ai.request.model`, `gen_ai.usage.input_tokens`/`output_tokens`,
`gen_ai.response.id`); cost and other workbench fields are `rlm.*`. Prompt and reply text is
included only where it was recorded (`LLMSettings.record_prompts`); the API key is in nothing the
run stores, so it cannot reach a span. A cached chunk made no calls in this run: its span says
`rlm.chunk.cached` and has no children. The synthesis call is counted in the run's totals but
has no stored record, so it has no span of its own.

The exporter is the SDK's (`opentelemetry-exporter-otlp-proto-http`): endpoint, headers and
timeouts come from the standard OTEL_EXPORTER_OTLP_* variables.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from pipeline.agent.schemas import LLMCallRecord, Trajectory, TrajectoryEvent
from pipeline.views import ChunkView, RunView

logger = logging.getLogger(__name__)

ENDPOINT_ENVS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
SERVICE_NAME = "rlm-workbench"
RUN_STEPS = ("load_corpus", "plan_decomposition", "aggregate_results")
PROVIDER = "openai"  # the OpenAI API or a server speaking it
MAX_TEXT = 32_000  # per attribute: a recorded prompt can be long


def enabled() -> bool:
    return any(os.environ.get(name) for name in ENDPOINT_ENVS)


def export_run(run_id: str, exporter: SpanExporter | None = None) -> int:
    """Export the stored run `run_id` as one trace; returns the number of spans sent."""
    from pipeline import runs

    view = runs.get_run(run_id)
    steps = runs.step_runs(view)
    trajectories = runs.load_trajectories(view)
    plan_calls = runs.load_plan_calls(view)
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(exporter))  # shutdown() flushes the rest
    try:
        tracer = provider.get_tracer(__name__)
        return _build_trace(tracer, view, steps, trajectories, plan_calls)
    finally:
        provider.shutdown()


def export_if_enabled(run_id: str) -> None:
    """`export_run` when an OTLP endpoint is configured; a failed export is logged, never
    raised (the run itself is done and stored)."""
    if not enabled():
        return
    try:
        spans = export_run(run_id)
        logger.info("exported run %s as one trace of %d spans", run_id, spans)
    except Exception as error:  # a trace backend being down must not fail the run
        logger.warning("could not export the trace of run %s: %s", run_id, error)


# --- Building the trace ------------------------------------------------------------------------


def _build_trace(
    tracer: trace.Tracer,
    view: RunView,
    steps: dict[str, Any],
    trajectories: dict[str, Trajectory],
    plan_calls: list[LLMCallRecord],
) -> int:
    starts = [t for t in (_step_time(s, "start_time") for s in steps.values()) if t]
    ends = [t for t in (_step_time(s, "end_time") for s in steps.values()) if t]
    run_start = view.created_at or min(starts, default=None)
    run_end = view.ended_at or max(ends, default=run_start)
    totals = view.totals
    root = tracer.start_span(
        f"rlm_analysis {view.name}",
        start_time=_ns(run_start),
        attributes=_clean(
            {
                "rlm.run.id": view.run_id,
                "rlm.run.name": view.name,
                "rlm.run.status": view.status,
                "rlm.query": view.query,
                "rlm.mode": view.mode,
                "gen_ai.request.model": view.model if view.mode == "llm" else None,
                "rlm.chunks": len(view.chunks),
                "rlm.llm_calls": totals.llm_calls if totals else None,
                "gen_ai.usage.input_tokens": totals.input_tokens if totals else None,
                "gen_ai.usage.output_tokens": totals.output_tokens if totals else None,
                "rlm.cost_usd": totals.cost_usd if totals and totals.cost_known else None,
                "rlm.cost_known": totals.cost_known if totals else None,
            }
        ),
    )
    _set_status(root, view.status in ("failed", "stale"), view.error)
    count = 1
    for name in RUN_STEPS:
        if name in steps:
            calls = plan_calls if name == "plan_decomposition" else []
            count += _step_span(tracer, root, steps[name], calls)
    for chunk in view.chunks:
        count += _chunk_span(tracer, root, chunk, steps.get(chunk.id), trajectories.get(chunk.id))
    root.end(end_time=_ns(run_end))
    return count


def _step_span(tracer: trace.Tracer, parent: Span, step: Any, calls: list[LLMCallRecord]) -> int:
    start, end = _step_time(step, "start_time"), _step_time(step, "end_time")
    span = tracer.start_span(
        step.name,
        context=trace.set_span_in_context(parent),
        start_time=_ns(start),
        attributes={"zenml.step.name": step.name, "zenml.step.id": str(step.id),
                    "zenml.step.status": str(step.status.value)},
    )  # fmt: skip
    _set_status(span, step.status.is_failed, None)
    count = 1
    if calls and start and end:  # the call records have durations, not start times: lay them
        cursor = start.timestamp()  # one after another from the step's start
        for record in calls:
            call_start = cursor
            cursor += record.latency_s
            count += _model_span(tracer, span, record, call_start, cursor)
    span.end(end_time=_ns(end))
    return count


def _chunk_span(
    tracer: trace.Tracer,
    parent: Span,
    chunk: ChunkView,
    step: Any,
    trajectory: Trajectory | None,
) -> int:
    start = chunk.started_at or (trajectory.started_at if trajectory else None)
    end = chunk.ended_at or (trajectory.ended_at if trajectory else None) or start
    span = tracer.start_span(
        f"process_chunk {chunk.id}",
        context=trace.set_span_in_context(parent),
        start_time=_ns(start),
        attributes=_clean(
            {
                "zenml.step.name": chunk.id,
                "zenml.step.id": str(step.id) if step is not None else None,
                "rlm.chunk.id": chunk.id,
                "rlm.chunk.status": chunk.status,
                "rlm.chunk.cached": chunk.cached,
                "rlm.chunk.start": chunk.start,
                "rlm.chunk.end": chunk.end,
                "rlm.chunk.sub_question": chunk.sub_question,
                "rlm.llm_calls": chunk.llm_calls,
                "gen_ai.usage.input_tokens": chunk.input_tokens,
                "gen_ai.usage.output_tokens": chunk.output_tokens,
                "rlm.cost_usd": chunk.cost_usd,
                "rlm.cost_known": chunk.cost_usd is not None,
                "rlm.matches": chunk.matches,
            }
        ),
    )
    _set_status(span, chunk.status == "failed", chunk.error)
    count = 1
    if trajectory is not None and not chunk.cached:
        for event in trajectory.events:
            if event.llm is not None:
                count += _model_span(
                    tracer, span, event.llm, event.started_at, event.ended_at, event
                )
            elif event.kind == "tool_call":
                count += _tool_span(tracer, span, event)
    span.end(end_time=_ns(end))
    return count


def _model_span(
    tracer: trace.Tracer,
    parent: Span,
    record: LLMCallRecord,
    start: datetime | float,
    end: datetime | float,
    event: TrajectoryEvent | None = None,
) -> int:
    attributes = _clean(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": PROVIDER,
            "gen_ai.request.model": record.model,
            "gen_ai.usage.input_tokens": record.input_tokens,
            "gen_ai.usage.output_tokens": record.output_tokens,
            "gen_ai.response.id": record.request_id,
            "rlm.purpose": record.purpose,
            "rlm.cost_usd": record.cost_usd if record.cost_known else None,
            "rlm.cost_known": record.cost_known,
            "rlm.price_source": record.price_source,
            "rlm.latency_s": record.latency_s,
            "rlm.retries": record.retries,
            "error.type": _short(record.error) if record.error else None,
        }
    )
    if event is not None and event.prompt is not None:  # recorded only with record_prompts
        attributes["gen_ai.input.messages"] = _messages("user", event.prompt)
    if event is not None and event.reply is not None:
        attributes["gen_ai.output.messages"] = _messages("assistant", event.reply)
    span = tracer.start_span(
        f"chat {record.model}",
        context=trace.set_span_in_context(parent),
        kind=SpanKind.CLIENT,
        start_time=_ns(start),
        attributes=attributes,
    )
    _set_status(span, record.error is not None, record.error)
    span.end(end_time=_ns(end))
    return 1


def _tool_span(tracer: trace.Tracer, parent: Span, event: TrajectoryEvent) -> int:
    span = tracer.start_span(
        f"execute_tool {event.tool}",
        context=trace.set_span_in_context(parent),
        start_time=_ns(event.started_at),
        attributes=_clean(
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": event.tool,
                "gen_ai.tool.call.arguments": json.dumps(event.args, default=str),
                "rlm.tool.match_count": event.match_count,
                "rlm.tool.reason": _short(event.reason) if event.reason else None,
                "rlm.tool.timed_out": bool(event.detail.get("timed_out")) or None,
                "rlm.iteration": event.iteration,
            }
        ),
    )
    _set_status(span, event.error is not None, event.error)
    span.end(end_time=_ns(event.ended_at))
    return 1


# --- Small helpers -----------------------------------------------------------------------------


def _step_time(step: Any, field: str) -> datetime | None:
    """A step run's start or end time; ZenML stores naive UTC."""
    value = getattr(step, field, None)
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _ns(moment: datetime | float | None) -> int | None:
    if moment is None:
        return None
    seconds = moment if isinstance(moment, float) else moment.timestamp()
    return int(seconds * 1_000_000_000)


def _set_status(span: Span, failed: bool, error: str | None) -> None:
    if failed:
        span.set_status(Status(StatusCode.ERROR, _short(error) if error else None))


def _messages(role: str, text: str) -> str:
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text[:MAX_TEXT]}]}])


def _short(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clean(attributes: dict[str, Any]) -> dict[str, Any]:
    """OpenTelemetry attributes cannot be None: leave those out."""
    return {key: value for key, value in attributes.items() if value is not None}
