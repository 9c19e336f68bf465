"""Typed shapes of the agent: what the model may reply, and the trajectory every chunk writes.

One schema for writer and reader: the loop writes `Trajectory`, the UI replays the same class.
Reply models (`Plan`, `Reflection`, `Finding`, ...) are sent to the model as JSON schemas, so their
fields carry no defaults (OpenAI strict structured outputs require every field).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ToolName = Literal["grep", "sender", "recipient", "date", "count"]
Confidence = Literal["low", "medium", "high"]
Mode = Literal["llm", "deterministic"]
EventKind = Literal[
    "preview",  # what the chunk looks like before any model call
    "plan",  # the model (or deterministic planner) chose tool calls
    "tool_call",  # one typed tool executed over the chunk
    "reflect",  # enough evidence? what next
    "summarize",  # the chunk's Finding
    "budget_stop",  # a token/USD/call cap ended the loop early
    "ids_dropped",  # ids the model cited that are not in the chunk were removed
    "error",  # a model call or tool failed; the loop carried on or summarised
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- What the model replies --------------------------------------------------------------------


class ToolCall(_Strict):
    """One typed tool call. Which argument fields are used depends on `tool`:
    grep/count: pattern; sender/recipient: name; date: start and end (ISO dates, inclusive)."""

    tool: ToolName
    pattern: str | None
    name: str | None
    start: str | None
    end: str | None
    reason: str


class Plan(_Strict):
    calls: list[ToolCall]
    reason: str


class Reflection(_Strict):
    sufficient: bool
    reason: str
    next_focus: str | None


class EvidenceItem(_Strict):
    claim: str
    email_ids: list[str]


class Finding(_Strict):
    """A chunk's answer: 2-4 sentences, each evidence item citing email ids from the chunk."""

    answer: str
    confidence: Confidence
    evidence: list[EvidenceItem]
    relevant_ids: list[str]


# --- What every LLM call costs -----------------------------------------------------------------


class LLMCallRecord(_Strict):
    """One model call as billed: never holds the API key, the prompt or the reply."""

    model: str
    purpose: str = ""  # plan / reflect / summarize / decompose / synthesize
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float | None = 0.0
    cost_known: bool = True  # False: model not in the price table and no override configured
    price_source: str = "genai-prices"  # genai-prices | override | unknown | deterministic
    request_id: str | None = None
    retries: int = 0  # HTTP retries the SDK made inside this call
    error: str | None = None


# --- The trajectory ----------------------------------------------------------------------------


class TrajectoryEvent(_Strict):
    seq: int
    kind: EventKind
    started_at: datetime
    ended_at: datetime
    iteration: int | None = None
    tool: ToolName | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    match_count: int | None = None
    matched_ids: list[str] = Field(default_factory=list)
    llm: LLMCallRecord | None = None
    reason: str | None = None  # what the model (or the deterministic rule) said and why
    detail: dict[str, Any] = Field(default_factory=dict)  # kind-specific extras (stopped, ...)
    error: str | None = None
    prompt: str | None = None  # opt-in (record_prompts)
    reply: str | None = None  # opt-in (record_prompts)


class Trajectory(_Strict):
    chunk_id: str
    query: str
    sub_question: str
    mode: Mode
    model: str
    started_at: datetime
    ended_at: datetime | None = None
    events: list[TrajectoryEvent] = Field(default_factory=list)
    finding: Finding | None = None

    @property
    def llm_records(self) -> list[LLMCallRecord]:
        return [e.llm for e in self.events if e.llm is not None]


# --- Run-level model replies (decomposition and synthesis) -------------------------------------


class ProposedChunk(_Strict):
    """A contiguous range of positions [start, end) in the date-sorted corpus."""

    start: int
    end: int
    focus: str  # the period, sender group or topic this chunk is about
    sub_question: str


class DecompositionProposal(_Strict):
    chunks: list[ProposedChunk]
    reason: str


class SynthesisFinding(_Strict):
    text: str
    confidence: Confidence
    evidence_ids: list[str]


class Synthesis(_Strict):
    summary: str
    confidence: Confidence
    findings: list[SynthesisFinding]
    evidence_gaps: list[str]
