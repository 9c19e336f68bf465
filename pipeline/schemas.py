"""Run-level shapes: settings, budgets, the decomposition plan, chunk results and the report.

Everything stored as an artifact is one of these pydantic models (or an agent schema). None of
them has a field for the API key: the key lives only in the process environment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.agent.schemas import ChunkFinding, Confidence, LLMCallRecord, Mode

MAX_CHUNKS_RANGE = (1, 10)
MAX_ITERATIONS_RANGE = (2, 12)
MAX_DEPTH_RANGE = (1, 3)  # 1: chunks never split; 2-3: chunks may recurse into child runs
TOTAL_CHUNKS_CAP = 40  # chunks at all depths of one analysis (README: Recursion)
DEFAULT_MODEL = "gpt-4o-mini"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def clamp(value: int, bounds: tuple[int, int]) -> int:
    low, high = bounds
    return max(low, min(high, int(value)))


class Budget(_Strict):
    """Caps for one run. `clamped()` is the one place the product's ranges are enforced."""

    max_chunks: int = 4
    max_iterations: int = 6  # LLM calls per chunk, one always reserved for the summary
    max_tokens_per_chunk: int | None = None
    max_usd_per_chunk: float | None = None
    max_tokens_total: int | None = None
    max_usd_total: float | None = None
    max_depth: int = 1  # levels of chunks: 2 or 3 let a chunk split into a child run
    max_total_chunks: int | None = None  # chunks at all depths (None: TOTAL_CHUNKS_CAP)

    def clamped(self) -> Budget:
        return self.model_copy(
            update={
                "max_chunks": clamp(self.max_chunks, MAX_CHUNKS_RANGE),
                "max_iterations": clamp(self.max_iterations, MAX_ITERATIONS_RANGE),
                "max_depth": clamp(self.max_depth, MAX_DEPTH_RANGE),
                "max_total_chunks": clamp(
                    self.max_total_chunks or TOTAL_CHUNKS_CAP, (1, TOTAL_CHUNKS_CAP)
                ),
            }
        )


def chunk_budget(budget: Budget, chunks: int, spent: Sequence[LLMCallRecord] = ()) -> Budget:
    """A chunk's budget: what is left of the run-level token/USD caps after `spent` (the
    decomposition call), split evenly between the chunks and one share kept for the synthesis
    (a per-chunk cap given directly is kept when it is tighter)."""
    shares = max(1, chunks) + 1
    update: dict[str, Any] = {}
    if budget.max_tokens_total is not None:
        left = budget.max_tokens_total - sum(c.input_tokens + c.output_tokens for c in spent)
        share = max(1, left // shares)
        update["max_tokens_per_chunk"] = min(share, budget.max_tokens_per_chunk or share)
    if budget.max_usd_total is not None:
        left = budget.max_usd_total - sum(c.cost_usd or 0.0 for c in spent)
        share = max(0.0, left / shares)
        update["max_usd_per_chunk"] = min(share, budget.max_usd_per_chunk or share)
    return budget.model_copy(update=update)


class LLMSettings(_Strict):
    """How to reach the model. The API key is deliberately absent: it is read from
    OPENAI_API_KEY in the process that makes the call."""

    mode: Mode = "deterministic"
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    timeout_s: float = 60.0
    max_retries: int = 2
    input_usd_per_mtok: float | None = None  # price override, USD per million input tokens
    output_usd_per_mtok: float | None = None
    record_prompts: bool = False  # opt-in: store prompt and reply text in trajectory events


class ChunkSpec(_Strict):
    id: str  # chunk_00, chunk_01, ...
    start: int  # position in the date-sorted corpus, inclusive
    end: int  # exclusive
    sub_question: str
    label: str = ""  # human description, e.g. "2001-01-03 .. 2001-03-30"
    fingerprint: str = ""  # sha256 of the chunk's emails: the chunk step's cache key

    @property
    def size(self) -> int:
        return self.end - self.start


class DecompositionPlan(_Strict):
    chunks: list[ChunkSpec]
    source: Literal["model", "deterministic", "repaired", "edited"]
    notes: list[str] = Field(default_factory=list)  # why a model plan was repaired or replaced


class PlannedChunk(_Strict):
    start: int
    end: int
    sub_question: str


class ApprovedPlan(_Strict):
    """A plan the analyst reviewed before fan-out (`pipeline.decompose.plan_from_approved`
    checks it against the corpus): the chunks, the plan it started from, whether it was edited."""

    chunks: list[PlannedChunk]
    source: Literal["model", "deterministic", "repaired"]
    edited: bool


class ChunkResult(_Strict):
    chunk_id: str
    start: int
    end: int
    sub_question: str
    status: Literal["ok", "failed"]
    mode: Mode
    model: str
    finding: ChunkFinding | None = None  # a child report when it recursed: unbounded
    error: str | None = None
    llm_calls: int = 0
    iterations: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    matches: int = 0  # distinct emails matched by any tool call
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: float = 0.0
    # recursion (pipeline.recursion): the chunk's place in the tree and what its split became
    depth: int = 1
    parent: str | None = None  # the chunk whose child run this chunk belongs to
    split_reason: str | None = None  # why the chunk asked to be split into a child run
    child_run_id: str | None = None
    child_run_name: str | None = None
    child_error: str | None = None  # the child run failed: the chunk's own finding is kept
    sub_chunks: list[str] = Field(default_factory=list)  # leaf chunks its finding came from


class ReportFinding(_Strict):
    text: str
    confidence: Confidence
    evidence_ids: list[str]


class FailedChunk(_Strict):
    chunk_id: str
    error: str


class RunTotals(_Strict):
    chunks: int = 0
    chunks_ok: int = 0
    chunks_failed: int = 0
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    p50_cost_usd: float = 0.0
    p95_cost_usd: float = 0.0
    p50_llm_calls: float = 0.0
    p95_llm_calls: float = 0.0
    duration_s: float = 0.0


class Report(_Strict):
    query: str
    summary: str
    findings: list[ReportFinding]
    cited_ids: list[str]
    evidence_gaps: list[str] = Field(default_factory=list)
    failed_chunks: list[FailedChunk] = Field(default_factory=list)
    mode: Mode
    model: str
    plan_source: str = ""
    totals: RunTotals = Field(default_factory=RunTotals)
    chunk_ids: list[str] = Field(default_factory=list)  # leaf chunks at every depth below
