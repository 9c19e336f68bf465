"""The evaluation's shapes: settings, one cell (question x strategy) and the summary figures.

Every cell result and the summary are ZenML artifacts of `rlm_evaluation`; the UI and the CLI
read the same classes back. Nothing here holds the API key.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.agent.schemas import (
    ANSWER_CHARS,
    MAX_RELEVANT_IDS,
    Confidence,
    EmailId,
    LLMCallRecord,
    Reason,
)

Strategy = Literal["rlm", "direct", "rag", "deterministic"]
STRATEGIES: tuple[Strategy, ...] = ("rlm", "direct", "rag", "deterministic")
MODEL_STRATEGIES = frozenset({"rlm", "direct", "rag"})  # need a configured model
PIPELINE_STRATEGIES = frozenset({"rlm", "deterministic"})  # cells that are rlm_analysis runs
Judge = Literal["model", "lexical", "none"]
Retrieval = Literal["embeddings", "bm25"]

DEFAULT_CONTEXT_TOKENS = 100_000
DEFAULT_TOP_K = 10
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EvalSettings(_Strict):
    """How the baselines are run (the model settings and budgets are the pipeline's own)."""

    context_tokens: int = Field(default=DEFAULT_CONTEXT_TOKENS, ge=1_000)
    top_k: int = Field(default=DEFAULT_TOP_K, ge=1, le=100)
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_usd_per_mtok: float | None = Field(default=None, ge=0)  # else genai-prices


# --- What the model replies (baselines and judge) ----------------------------------------------


class CitedAnswer(_Strict):
    """The direct and RAG baselines' reply: an answer citing the emails it rests on (bounded like
    every reply schema: pipeline.agent.schemas)."""

    answer: Annotated[str, Field(max_length=ANSWER_CHARS)]
    confidence: Confidence
    cited_ids: list[EmailId] = Field(max_length=MAX_RELEVANT_IDS)


class AnswerJudgement(_Strict):
    """The judge's verdict on one answer against the reference answer."""

    correct: bool
    reason: Reason


# --- One cell ------------------------------------------------------------------------------------


class CellResult(_Strict):
    """One question answered by one strategy, recorded the same way for every strategy."""

    question_id: str
    kind: str
    strategy: Strategy
    question: str
    relevant_ids: list[str]
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None
    answer: str = ""
    cited_ids: list[str] = Field(default_factory=list)
    mode: str = ""  # llm | deterministic
    model: str = ""
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0  # None: a price is unknown
    latency_s: float = 0.0
    run_id: str | None = None  # the rlm_analysis child run, for rlm and deterministic cells
    calls: list[LLMCallRecord] = Field(default_factory=list)  # direct and rag: every call
    detail: dict[str, Any] = Field(default_factory=dict)  # context kept/left out, retrieval...
    correct: bool | None = None  # None: no reference answer, or not judged
    judge: Judge = "none"
    judge_reason: str = ""
    judge_calls: list[LLMCallRecord] = Field(default_factory=list)  # not part of the cost

    @property
    def cost_known(self) -> bool:
        return self.cost_usd is not None


class QuestionScore(_Strict):
    """The per-question figures the CLI prints and the tests recompute."""

    id: str
    kind: str
    strategy: Strategy
    cited_ids: list[str]
    hits: int
    recall: float
    precision: float
    f1: float
    correct: bool | None
    cost_usd: float | None
    latency_s: float
    llm_calls: int
    run_id: str | None
    status: str


class Figures(_Strict):
    """Micro and macro figures, cost, latency and calls over a group of cells."""

    questions: int
    failed: int = 0
    micro_recall: float
    micro_precision: float
    f1: float  # micro F1
    macro_recall: float
    macro_precision: float
    macro_f1: float
    accuracy: float | None = None  # share judged correct, over the judged cells
    judged: int = 0
    cost_usd: float | None  # total; None when any cell's price is unknown
    cost_known: bool
    p50_cost_usd: float | None
    p95_cost_usd: float | None
    p50_latency_s: float
    p95_latency_s: float
    llm_calls: int
    input_tokens: int = 0
    output_tokens: int = 0


class EvaluationSummary(_Strict):
    """The evaluation's result: every question's scores and the figures per strategy and kind."""

    strategies: dict[str, Figures]
    by_kind: dict[str, dict[str, Figures]]  # strategy -> kind -> figures
    questions: list[QuestionScore]
    judge: Judge
    model: str
    mode: str
