"""Writes a chunk's trajectory: numbered, timed events, live progress, and secret scrubbing.

The loop says what happened (`emit(kind, started_at, ...)`); the recorder numbers the event,
stamps its end time, keeps `ChunkProgress` current and hands both to the `on_event` callback the
pipeline uses for live progress. It is also the last line of defence for secrets: any text that
contains the process's API key is scrubbed before it is stored.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pipeline.agent.budget import BudgetTracker, ChunkProgress
from pipeline.agent.schemas import EventKind, LLMCallRecord, Trajectory, TrajectoryEvent

EventCallback = Callable[[TrajectoryEvent, ChunkProgress], None]
_SECRET_ENV_VARS = ("OPENAI_API_KEY",)
_REDACTED = "[redacted]"
MAX_REASON_CHARS = 2_000  # a model's stated reason, as stored
MAX_REPLY_CHARS = 50_000  # opt-in recorded prompt/reply text, as stored


def utc_now() -> datetime:
    return datetime.now(UTC)


def scrub(text: str | None) -> str | None:
    """The text with any configured API key replaced by `[redacted]`."""
    if not text:
        return text
    for name in _SECRET_ENV_VARS:
        secret = os.environ.get(name, "")
        if len(secret) >= 8 and secret in text:
            text = text.replace(secret, _REDACTED)
    return text


def _clip(text: str | None, limit: int) -> str | None:
    return text if text is None or len(text) <= limit else text[: limit - 1] + "…"


def _scrub_record(record: LLMCallRecord | None) -> LLMCallRecord | None:
    if record is None or not record.error:
        return record
    cleaned = scrub(record.error)
    return record if cleaned == record.error else record.model_copy(update={"error": cleaned})


class TrajectoryRecorder:
    """Appends events to one `Trajectory` and reports progress after each."""

    def __init__(
        self,
        trajectory: Trajectory,
        tracker: BudgetTracker,
        *,
        on_event: EventCallback | None = None,
        record_prompts: bool = False,
    ):
        self.trajectory = trajectory
        self.tracker = tracker
        self.on_event = on_event
        self.record_prompts = record_prompts
        self.progress = ChunkProgress()

    def emit(
        self,
        kind: EventKind,
        started_at: datetime,
        *,
        iteration: int | None = None,
        llm: LLMCallRecord | None = None,
        reason: str | None = None,
        error: str | None = None,
        prompt: str | None = None,
        reply: str | None = None,
        matches: int | None = None,
        **fields: Any,
    ) -> TrajectoryEvent:
        event = TrajectoryEvent(
            seq=len(self.trajectory.events),
            kind=kind,
            started_at=started_at,
            ended_at=utc_now(),
            iteration=iteration,
            llm=_scrub_record(llm),
            reason=_clip(scrub(reason), MAX_REASON_CHARS),
            error=_clip(scrub(error), MAX_REASON_CHARS),
            prompt=_clip(scrub(prompt), MAX_REPLY_CHARS) if self.record_prompts else None,
            reply=_clip(scrub(reply), MAX_REPLY_CHARS) if self.record_prompts else None,
            **fields,
        )
        self.trajectory.events.append(event)
        self._update_progress(event, matches)
        if self.on_event is not None:
            self.on_event(event, self.progress)
        return event

    def _update_progress(self, event: TrajectoryEvent, matches: int | None) -> None:
        progress = self.progress
        records = self.tracker.records
        progress.llm_calls = len(records)
        progress.input_tokens = sum(r.input_tokens for r in records)
        progress.output_tokens = sum(r.output_tokens for r in records)
        progress.cost_usd = self.tracker.cost_usd
        progress.cost_known = self.tracker.cost_known
        if event.iteration is not None:
            progress.iterations = max(progress.iterations, event.iteration)
        if matches is not None:
            progress.matches = matches
        if event.kind == "summarize":
            progress.status = "done"
        elif event.kind == "budget_stop" or (
            event.kind == "reflect" and event.detail.get("sufficient")
        ):
            progress.status = "summarizing"
