"""LLM fault cells at the loop level: decomposition, every chunk's agent loop and the aggregate,
through the real `openai` SDK against the loopback server, without ZenML.

`run_fault_cell(kind, rate)` mirrors what `rlm_analysis` does (plan -> process_chunk xN ->
aggregate_results) with one `LLMClient` whose every reply is captured, so a test can check the
invariants and `tests/bench/fault_matrix.py` can print the figures. Chunks run one after another
so that the seeded fault draws, and therefore every figure, are reproducible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pipeline.agent.llm import LLMClient, LLMReply
from pipeline.agent.loop import run_chunk
from pipeline.agent.schemas import LLMCallRecord, Trajectory
from pipeline.aggregate import build_report
from pipeline.decompose import make_plan
from pipeline.schemas import (
    Budget,
    ChunkResult,
    DecompositionPlan,
    FailedChunk,
    LLMSettings,
    Report,
)
from pipeline.schemas import chunk_budget as split_budget
from pipeline.zenml_env import REPO_ROOT
from tests.fakes.llm_server import (
    FAULT_KINDS,
    HELD_UNTIL_STOP_S,
    PATIENT_TIMEOUT_S,
    FakeLLMServer,
)
from tools.models import Corpus, Email

FAULT_RATES = (0.1, 0.3, 0.5)
RETRYABLE_FAULTS = frozenset({"http429", "http500", "timeout"})  # the SDK retries these
QUERY = "What did the ultrasonic inspection find on the Lakeside MV-7 valve, and who raised it?"
CORPUS_EMAILS = 60
CHUNKS = 3
MAX_ITERATIONS = 4
SDK_TIMEOUT_S = PATIENT_TIMEOUT_S  # answered requests never race it, held ones always time out
SDK_MAX_RETRIES = 2
FAULT_SEED = 2  # Random(2) draws 0.057 on the third request: even rate 0.1 injects a fault early
SERVER_TIMEOUT_SLEEP_S = HELD_UNTIL_STOP_S  # a `timeout` fault holds its request until stop()


class RecordingClient(LLMClient):
    """An LLMClient that keeps every reply's billing record (what the tests cross-check)."""

    def __init__(self, settings: LLMSettings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.records: list[LLMCallRecord] = []

    def parse(self, messages, schema, *, purpose, max_tokens=None) -> LLMReply:  # type: ignore[override]
        reply = super().parse(messages, schema, purpose=purpose, max_tokens=max_tokens)
        self.records.append(reply.record)
        return reply


@dataclass
class FaultCellResult:
    kind: str
    rate: float
    seed: int
    plan: DecompositionPlan
    results: list[ChunkResult]
    failed: list[FailedChunk]
    trajectories: dict[str, Trajectory]
    report: Report | None
    records: list[LLMCallRecord]  # every model call, in order (decompose, chunks, synthesize)
    requests: list[Any]  # the server's RecordedRequests
    notes: list[str] = field(default_factory=list)
    chunk_budget: Budget | None = None  # what each chunk was given

    @property
    def chat_requests(self) -> list[Any]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def faulted_requests(self) -> int:
        return sum(r.fault is not None for r in self.chat_requests)

    @property
    def retries(self) -> int:
        return sum(r.retries for r in self.records)

    @property
    def errors(self) -> int:
        return sum(r.error is not None for r in self.records)

    @property
    def error_events(self) -> int:
        return sum(e.kind == "error" for t in self.trajectories.values() for e in t.events)

    def row(self) -> dict[str, Any]:
        return {
            "cell": f"{self.kind}:{self.rate}",
            "chunks_ok": len(self.results),
            "chunks_failed": len(self.failed),
            "llm_calls": len(self.records),
            "http_requests": len(self.chat_requests),
            "faults_injected": self.faulted_requests,
            "retries": self.retries,
            "errors_recorded": self.errors,
            "error_events": self.error_events,
            "report": self.report is not None,
        }


@cache
def fault_corpus() -> Corpus:
    """The first CORPUS_EMAILS emails of the bundled sample (they hold the MV-7 valve story)."""
    records = json.loads((REPO_ROOT / "data" / "sample" / "northwind_mail.json").read_text())
    emails = []
    for record in records[:CORPUS_EMAILS]:
        fields = {k: v for k, v in record.items() if k in Email.model_fields}
        fields["sender"] = record.get("from", "")
        emails.append(Email.model_validate(fields))
    return Corpus(emails)


def cell_settings(server: FakeLLMServer) -> LLMSettings:
    return LLMSettings(
        mode="llm",
        model="gpt-4o-mini",
        base_url=server.base_url,
        timeout_s=SDK_TIMEOUT_S,
        max_retries=SDK_MAX_RETRIES,
    )


def run_fault_cell(
    kind: str,
    rate: float,
    *,
    seed: int = FAULT_SEED,
    chunks: int = CHUNKS,
    **server_options: Any,
) -> FaultCellResult:
    """One cell of the fault matrix: the whole run at loop level under `kind` faults at `rate`."""
    faults = {kind: rate} if kind and rate else {}
    server = FakeLLMServer(
        faults=faults, seed=seed, timeout_sleep_s=SERVER_TIMEOUT_SLEEP_S, **server_options
    )
    with server:
        budget = Budget(max_chunks=chunks, max_iterations=MAX_ITERATIONS)
        return run_loop_pipeline(server, fault_corpus(), QUERY, budget, kind=kind, rate=rate)


def run_loop_pipeline(
    server: FakeLLMServer,
    corpus: Corpus,
    query: str,
    budget: Budget,
    *,
    chunk_budget: Budget | None = None,
    kind: str = "",
    rate: float = 0.0,
) -> FaultCellResult:
    """plan -> every chunk's loop -> aggregate, as `rlm_analysis` does, with one recording client.
    `chunk_budget` is what each chunk gets (default: the run's caps split as the pipeline does)."""
    settings = cell_settings(server)
    client = RecordingClient(settings, api_key="sk-test-fault-matrix")
    try:
        plan, plan_calls = make_plan(corpus, query, budget.max_chunks, settings, client=client)
        per_chunk = chunk_budget or split_budget(budget, len(plan.chunks), spent=plan_calls)
        results, failed, trajectories = [], [], {}
        for spec in plan.chunks:
            try:
                result, trajectory = run_chunk(
                    corpus.slice(spec.start, spec.end),
                    chunk_id=spec.id,
                    query=query,
                    sub_question=spec.sub_question,
                    settings=settings,
                    budget=per_chunk,
                    client=client,
                )
            except Exception as error:  # what the pipeline does for a chunk failing every retry
                failed.append(
                    FailedChunk(chunk_id=spec.id, error=f"{type(error).__name__}: {error}")
                )
                continue
            results.append(result)
            trajectories[spec.id] = trajectory
        report = build_report(
            results,
            failed,
            query,
            settings,
            plan,
            extra_calls=plan_calls,
            client=client,
            budget=budget,
        )
    finally:
        client.close()
    return FaultCellResult(
        kind=kind,
        rate=rate,
        seed=server.seed,
        plan=plan,
        results=results,
        failed=failed,
        trajectories=trajectories,
        report=report,
        records=list(client.records),
        requests=list(server.requests),
        chunk_budget=per_chunk,
    )


def all_cells() -> list[tuple[str, float]]:
    return [(kind, rate) for kind in FAULT_KINDS for rate in FAULT_RATES]


def markdown_table(rows: list[dict[str, Any]]) -> str:
    headers = ["cell", "chunks ok/failed", "LLM calls", "HTTP requests", "faults injected",
               "SDK retries", "errors recorded", "error events", "report"]  # fmt: skip
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = [row["cell"], f"{row['chunks_ok']}/{row['chunks_failed']}", row["llm_calls"],
                 row["http_requests"], row["faults_injected"], row["retries"],
                 row["errors_recorded"], row["error_events"], "yes" if row["report"] else "NO"]  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)
