"""The read model of an evaluation run as the UI lists it (`pipeline.eval.store` builds it from
the ZenML store); kept apart so the UI can import it without importing ZenML."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class EvaluationView(BaseModel):
    """An evaluation run as the UI lists it: settings from its metadata, progress from its steps."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    name: str
    status: str  # initializing | running | completed | failed | stale
    created_at: datetime | None = None
    ended_at: datetime | None = None
    question_set: str = ""
    source: str = ""
    strategies: list[str] = Field(default_factory=list)
    questions: int = 0
    model: str = ""
    mode: str = ""
    cells: list[str] = Field(default_factory=list)  # every cell's step name
    done_cells: list[str] = Field(default_factory=list)
    failed_cells: list[str] = Field(default_factory=list)
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed", "stale")

    @property
    def label(self) -> str:
        when = self.created_at.strftime("%Y-%m-%d %H:%M") if self.created_at else "?"
        return f"{self.name} · {self.model} · {', '.join(self.strategies)} · {when}"
