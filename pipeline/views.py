"""Read models of runs as the UI and the CLI show them, built from the ZenML store by
`pipeline.runs`. Kept separate so the UI can import the shapes without touching ZenML.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.schemas import RunTotals

ChunkStatus = Literal["queued", "running", "done", "cached", "failed"]
RunStatus = Literal["initializing", "running", "completed", "failed", "stale"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChunkView(_Strict):
    id: str  # chunk_00 ...
    start: int | None = None
    end: int | None = None
    size: int = 0
    sub_question: str = ""
    label: str = ""
    status: ChunkStatus = "queued"
    cached: bool = False
    llm_calls: int = 0
    iterations: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    matches: int = 0
    duration_s: float = 0.0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error: str | None = None
    step_id: str | None = None  # the ZenML step run (dashboard links)
    # recursion: the chunk's place in the run tree
    depth: int = 1
    parent: str | None = None  # the chunk whose child run this chunk belongs to
    run_id: str | None = None  # the (child) run this chunk's step belongs to
    split_reason: str = ""  # why the chunk asked to split
    child_run_id: str | None = None  # the child run investigating this chunk's slice
    child_run_name: str | None = None
    child_status: str | None = None  # that child run's status


class ChildRunView(_Strict):
    run_id: str
    name: str
    status: RunStatus
    depth: int
    parent_chunk: str


class RunView(_Strict):
    run_id: str
    name: str
    status: RunStatus
    query: str = ""
    source: str = ""
    mode: str = ""
    model: str = ""
    max_chunks: int | None = None
    max_iterations: int | None = None
    created_at: datetime | None = None
    ended_at: datetime | None = None
    plan_source: str = ""
    chunks: list[ChunkView] = Field(default_factory=list)
    totals: RunTotals | None = None
    error: str | None = None  # why the run failed or was marked stale
    max_depth: int = 1
    child_runs: list[ChildRunView] = Field(default_factory=list)  # at every depth below

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed", "stale")

    @property
    def total_cost_usd(self) -> float:
        return sum(c.cost_usd or 0.0 for c in self.chunks)

    @property
    def llm_calls(self) -> int:
        """Every model call of the run: planning and synthesis included once the run recorded
        its totals, the chunks' calls before that."""
        if self.totals is not None:
            return self.totals.llm_calls
        return sum(c.llm_calls for c in self.chunks)

    @property
    def input_tokens(self) -> int:
        """Input tokens of every model call (as `llm_calls` counts them)."""
        if self.totals is not None:
            return self.totals.input_tokens
        return sum(c.input_tokens for c in self.chunks)

    @property
    def output_tokens(self) -> int:
        """Output tokens of every model call (as `llm_calls` counts them)."""
        if self.totals is not None:
            return self.totals.output_tokens
        return sum(c.output_tokens for c in self.chunks)

    @property
    def wall_s(self) -> float | None:
        """Seconds from the run's start to its end (None while it runs or when unknown)."""
        if self.created_at is None or self.ended_at is None:
            return None
        return max((self.ended_at - self.created_at).total_seconds(), 0.0)
