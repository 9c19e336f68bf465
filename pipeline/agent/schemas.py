"""Typed shapes of the agent: what the model may reply, and the trajectory every chunk writes.

One schema for writer and reader: the loop writes `Trajectory`, the UI replays the same class.
Reply models (`Plan`, `Reflection`, `Finding`, ...) are sent to the model as JSON schemas, so their
fields carry no defaults (OpenAI strict structured outputs require every field), every string a
maxLength and every list a maxItems, and a tool call is one of five typed call shapes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tools.patterns import MAX_PATTERN_LENGTH

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
    "recurse",  # the chunk asked to be split into a child run (pipeline.recursion), and why
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- What the model replies --------------------------------------------------------------------
# Every string and list a model writes is bounded: the limits travel to the server as maxLength /
# maxItems in the JSON schema (servers with strict structured output enforce them while decoding,
# so a weak model cannot run a field on until max_tokens) and pydantic validates them here, so an
# over-long reply from a server without strict output is a clear schema error, never kept.

REASON_CHARS = 400
FOCUS_CHARS = 300
NAME_CHARS = 120
ISO_DATE_CHARS = 25  # "2023-06-01", or with a time "2023-06-01T00:00:00+00:00"
EMAIL_ID_CHARS = 512  # longer ids cannot be cited (ingestion allows up to 10,000 characters)
ANSWER_CHARS = 2_000
CLAIM_CHARS = 600
SUB_QUESTION_CHARS = 600
MAX_TOOL_CALLS = 4  # per plan
MAX_EVIDENCE_ITEMS = 12
MAX_IDS_PER_CLAIM = 25
MAX_RELEVANT_IDS = 25
MAX_PROPOSED_CHUNKS = 10  # the most chunks a run may have (pipeline.schemas.MAX_CHUNKS_RANGE)
MAX_FINDINGS = 12
MAX_EVIDENCE_GAPS = 10

Reason = Annotated[str, Field(max_length=REASON_CHARS)]
EmailId = Annotated[str, Field(max_length=EMAIL_ID_CHARS)]
IsoDate = Annotated[str, Field(max_length=ISO_DATE_CHARS)]
Pattern = Annotated[str, Field(max_length=MAX_PATTERN_LENGTH)]
Name = Annotated[str, Field(max_length=NAME_CHARS)]


# One call class per tool, holding only the arguments that tool reads: a call cannot carry an
# argument its tool would ignore, so none can show up in a trajectory.
_ARGUMENT_NAMES = frozenset({"pattern", "name", "start", "end"})


class _TypedCall(_Strict):
    @model_validator(mode="before")
    @classmethod
    def _drop_null_arguments_of_other_tools(cls, data: Any) -> Any:
        """Accept the older one-shape call (every tool's argument present, unused ones null):
        a null argument another tool takes is dropped; any other extra field is an error."""
        if isinstance(data, dict):
            return {
                key: value
                for key, value in data.items()
                if not (value is None and key in _ARGUMENT_NAMES and key not in cls.model_fields)
            }
        return data


class GrepCall(_TypedCall):
    """Emails whose subject or body matches `pattern` (a case-insensitive regex)."""

    tool: Literal["grep"]
    pattern: Pattern
    reason: Reason


class CountCall(_TypedCall):
    """How many emails match `pattern` (nothing is added to the evidence)."""

    tool: Literal["count"]
    pattern: Pattern
    reason: Reason


class SenderCall(_TypedCall):
    """Emails whose From contains `name`."""

    tool: Literal["sender"]
    name: Name
    reason: Reason


class RecipientCall(_TypedCall):
    """Emails whose To/Cc/Bcc contains `name`."""

    tool: Literal["recipient"]
    name: Name
    reason: Reason


class DateCall(_TypedCall):
    """Emails dated between `start` and `end` (ISO dates, inclusive)."""

    tool: Literal["date"]
    start: IsoDate
    end: IsoDate
    reason: Reason


ToolCall = GrepCall | CountCall | SenderCall | RecipientCall | DateCall
# Validated as a union tagged by `tool` (one clear error per bad call: "calls.0.grep.name: Extra
# inputs are not permitted"), sent to the model as a plain `anyOf` (`_tool_calls_as_any_of`):
# strict structured output accepts anyOf, not oneOf with a discriminator.
TaggedToolCall = Annotated[ToolCall, Field(discriminator="tool")]
TOOL_CALLS: dict[str, type[ToolCall]] = {
    "grep": GrepCall,
    "count": CountCall,
    "sender": SenderCall,
    "recipient": RecipientCall,
    "date": DateCall,
}


def tool_call(tool: str, reason: str, **args: str) -> ToolCall:
    """The typed call for `tool` (raises ValidationError for arguments the tool does not take)."""
    return TOOL_CALLS[tool](tool=tool, reason=reason, **args)


def tool_args(call: ToolCall) -> dict[str, str]:
    """The arguments a call passes to its tool (everything but `tool` and `reason`)."""
    return call.model_dump(exclude={"tool", "reason"})


def _tool_calls_as_any_of(schema: dict[str, Any]) -> None:
    items = schema["properties"]["calls"]["items"]
    items["anyOf"] = items.pop("oneOf")
    items.pop("discriminator", None)


class Plan(_Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_tool_calls_as_any_of)

    calls: list[TaggedToolCall] = Field(max_length=MAX_TOOL_CALLS)
    reason: Reason


class Reflection(_Strict):
    sufficient: bool
    reason: Reason
    next_focus: Annotated[str, Field(max_length=FOCUS_CHARS)] | None
    split: bool  # the chunk is too big to cover: investigate it as a child run (when allowed)


# A chunk's finding as stored in its `ChunkResult`: unbounded, because a chunk that recursed
# carries its whole child report (every id it cited). The model's reply (`Finding`) is the same
# shape with the reply-schema bounds a small model needs; it is a `ChunkFinding` as it stands.


class ChunkEvidence(_Strict):
    claim: str
    email_ids: list[str]


class ChunkFinding(_Strict):
    answer: str
    confidence: Confidence
    evidence: list[ChunkEvidence]
    relevant_ids: list[str]


class EvidenceItem(ChunkEvidence):
    claim: Annotated[str, Field(max_length=CLAIM_CHARS)]
    email_ids: list[EmailId] = Field(max_length=MAX_IDS_PER_CLAIM)


class Finding(ChunkFinding):
    """A chunk's answer: 2-4 sentences, each evidence item citing email ids from the chunk."""

    answer: Annotated[str, Field(max_length=ANSWER_CHARS)]
    confidence: Confidence
    evidence: list[EvidenceItem] = Field(max_length=MAX_EVIDENCE_ITEMS)
    relevant_ids: list[EmailId] = Field(max_length=MAX_RELEVANT_IDS)


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
    focus: Annotated[str, Field(max_length=FOCUS_CHARS)]  # the period, senders or topic
    sub_question: Annotated[str, Field(max_length=SUB_QUESTION_CHARS)]


class DecompositionProposal(_Strict):
    chunks: list[ProposedChunk] = Field(max_length=MAX_PROPOSED_CHUNKS)
    reason: Reason


class SynthesisFinding(_Strict):
    text: Annotated[str, Field(max_length=CLAIM_CHARS)]
    confidence: Confidence
    evidence_ids: list[EmailId] = Field(max_length=MAX_RELEVANT_IDS)


class Synthesis(_Strict):
    summary: Annotated[str, Field(max_length=ANSWER_CHARS)]
    confidence: Confidence
    findings: list[SynthesisFinding] = Field(max_length=MAX_FINDINGS)
    evidence_gaps: list[Reason] = Field(max_length=MAX_EVIDENCE_GAPS)
