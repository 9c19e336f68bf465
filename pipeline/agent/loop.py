"""The bounded per-chunk agent loop: preview, plan, search, reflect, repeat, summarize.

`run_chunk` is the whole loop and reads top to bottom; every policy lives in a helper:
budgets in `budget.BudgetTracker`, events and progress in `recorder.TrajectoryRecorder`, evidence
ranking in `evidence.EvidencePool`, prompts in `prompts`, and the no-model decisions (used for
deterministic mode and as the fallback whenever a model call fails) in `deterministic`.

Budget: `Budget.max_iterations` is the number of decisions (model calls, or deterministic
decisions in deterministic mode) the chunk may make, clamped to 2..12, one always kept for the
summary. A model call that fails still counts. Model failures never crash a chunk; any other
exception propagates so the pipeline can retry the chunk.

Recursion: with `may_split`, a reflection may end exploring with a `recurse` event (the model's
`split`, or the no-model rule in `split`); the chunk still summarizes, and its result carries
`split_reason`, which the pipeline turns into a child run over the chunk's slice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from pipeline.agent import prompts
from pipeline.agent.budget import BudgetTracker
from pipeline.agent.deterministic import DeterministicPlanner, validate_finding
from pipeline.agent.evidence import EvidencePool
from pipeline.agent.llm import LLMClient, make_client
from pipeline.agent.recorder import EventCallback, TrajectoryRecorder, utc_now
from pipeline.agent.schemas import Finding, Plan, Reflection, ToolCall, Trajectory, tool_args
from pipeline.agent.split import split_reason
from pipeline.schemas import Budget, ChunkResult, LLMSettings
from tools.models import Corpus
from tools.search import DEFAULT_LIMIT, SearchIndex, ToolResult, preview, run_tool

logger = logging.getLogger(__name__)

STORED_IDS_PER_TOOL_CALL = 50
MAX_REPLY_TOKENS = {"plan": 1_500, "reflect": 600, "summarize": 2_000}
DETERMINISTIC_MODEL = "deterministic"
Decision = TypeVar("Decision", bound=BaseModel)


def run_chunk(
    chunk: Corpus,
    *,
    chunk_id: str,
    query: str,
    sub_question: str,
    settings: LLMSettings,
    budget: Budget,
    client: LLMClient | None = None,
    on_event: EventCallback | None = None,
    may_split: bool = False,
) -> tuple[ChunkResult, Trajectory]:
    """Investigate one chunk within budget; always ends with a summary `Finding`.

    With `client=None` and `settings.mode == "llm"` a client is made from the settings; if there
    is still no client (deterministic mode) the deterministic planner makes every decision.
    """
    if client is None and settings.mode == "llm":
        client = make_client(settings)
    run = _ChunkRun(chunk, chunk_id, query, sub_question, settings, budget, client, on_event)
    run.may_split = may_split
    run.preview()
    iteration, focus = 0, None
    while run.tracker.can_explore():
        if run.stopped_by_cap():
            break
        iteration += 1
        plan = run.plan(iteration, focus)
        new_matches = run.search(plan, iteration)
        if not run.tracker.can_explore() or run.stopped_by_cap():
            break
        reflection = run.reflect(iteration, new_matches)
        if run.splits(reflection, iteration) or reflection.sufficient:
            break
        focus = reflection.next_focus
    run.summarize(iteration)
    return run.result(iteration), run.trajectory


class _ChunkRun:
    """State of one chunk's investigation and one method per step of the loop."""

    def __init__(
        self,
        chunk: Corpus,
        chunk_id: str,
        query: str,
        sub_question: str,
        settings: LLMSettings,
        budget: Budget,
        client: LLMClient | None,
        on_event: EventCallback | None,
    ):
        self.chunk = chunk
        self.query = query
        self.question = sub_question or query
        self.client = client
        self.mode = "llm" if client is not None else "deterministic"
        self.tracker = BudgetTracker(budget)
        self.search_index = SearchIndex.for_corpus(chunk)
        self.pool = EvidencePool(chunk, self.question)
        self.planner = DeterministicPlanner(chunk, self.pool, self.question)
        self.searches: list[str] = []
        self.preview_text = ""
        self.may_split = False
        self.split_reason: str | None = None
        self.trajectory = Trajectory(
            chunk_id=chunk_id,
            query=query,
            sub_question=sub_question,
            mode=self.mode,
            model=settings.model if client is not None else DETERMINISTIC_MODEL,
            started_at=utc_now(),
        )
        self.recorder = TrajectoryRecorder(
            self.trajectory,
            self.tracker,
            on_event=on_event,
            record_prompts=settings.record_prompts,
        )

    # --- steps ---------------------------------------------------------------------------------
    def preview(self) -> None:
        started = utc_now()
        info = preview(self.chunk)
        step = max(1, len(self.chunk) // prompts.PREVIEW_SAMPLE_EMAILS)
        sample = list(self.chunk)[::step][: prompts.PREVIEW_SAMPLE_EMAILS]
        self.preview_text = prompts.render_preview(
            count=info.count,
            start=info.start,
            end=info.end,
            top_senders=info.top_senders,
            sample=sample,
        )
        detail = {
            "count": info.count,
            "start": _iso(info.start),
            "end": _iso(info.end),
            "top_senders": [list(s) if isinstance(s, tuple) else s for s in info.top_senders],
            "sample_subjects": list(info.sample_subjects),
        }
        self.recorder.emit("preview", started, iteration=0, detail=detail, matches=0)

    def plan(self, iteration: int, focus: str | None) -> Plan:
        started = utc_now()
        messages = prompts.plan_messages(
            query=self.query,
            question=self.question,
            focus=focus,
            preview=self.preview_text,
            searches=prompts.render_searches(self.searches),
            evidence=self._evidence_block(),
        )
        fallback = lambda: self.planner.plan(iteration, focus)  # noqa: E731
        plan, record, note, reply = self._decide("plan", messages, Plan, fallback, iteration)
        detail: dict[str, Any] = {}
        if note:
            detail["fallback"] = f"model plan failed ({note}): deterministic planner's calls used"
        if not plan.calls:
            plan = self.planner.plan(iteration, focus)
            detail["fallback"] = "the plan had no tool calls: deterministic planner's calls used"
        detail["calls"] = [call.model_dump() for call in plan.calls]
        self.recorder.emit(
            "plan",
            started,
            iteration=iteration,
            llm=record,
            reason=plan.reason,
            detail=detail,
            prompt=prompts.prompt_text(messages),
            reply=reply,
        )
        return plan

    def search(self, plan: Plan, iteration: int) -> int:
        """Run the plan's tool calls; returns how many new emails they matched."""
        new_total = 0
        for call in plan.calls:
            started = utc_now()
            args = tool_args(call)
            result = self._run_tool(call.tool, args)
            new = self.pool.add(result.matched_ids) if call.tool != "count" else 0
            new_total += new
            self.searches.append(_search_line(call, args, result))
            self.recorder.emit(
                "tool_call",
                started,
                iteration=iteration,
                tool=call.tool,
                args=args,
                match_count=result.match_count,
                matched_ids=list(result.matched_ids[:STORED_IDS_PER_TOOL_CALL]),
                reason=call.reason,
                error=result.error,
                matches=len(self.pool),
                detail={
                    "elapsed_ms": result.elapsed_ms,
                    "stopped": result.stopped,
                    "literal_fallback": result.literal_fallback,
                    "truncated": result.truncated,
                    "searched": result.searched,
                    "new_matches": new,
                    "ids_stored": min(len(result.matched_ids), STORED_IDS_PER_TOOL_CALL),
                    "attachment_ids": result.attachment_ids[:STORED_IDS_PER_TOOL_CALL],
                },
            )
        return new_total

    def _run_tool(self, tool: str, args: dict[str, str]) -> ToolResult:
        """Run one tool. A grep matching more emails than a result lists keeps the ones that
        best match the question (BM25), not the earliest: a needle among thousands of matches
        of a common word still reaches the evidence."""
        if tool != "grep":
            return run_tool(self.search_index, tool, args)
        every = run_tool(self.search_index, tool, {**args, "limit": len(self.search_index)})
        if len(every.matched_ids) <= DEFAULT_LIMIT:
            return every
        best = self.pool.most_relevant(every.matched_ids, DEFAULT_LIMIT)
        return every.model_copy(update={"matched_ids": best, "truncated": True})

    def reflect(self, iteration: int, new_matches: int) -> Reflection:
        started = utc_now()
        messages = prompts.reflect_messages(
            round=iteration,
            question=self.question,
            searches=prompts.render_searches(self.searches),
            evidence=self._evidence_block(),
            split=(self._candidates(), len(self.chunk)) if self.may_split else None,
        )
        fallback = lambda: self.planner.reflect(iteration, new_matches)  # noqa: E731
        if self.client is not None:
            # A failed reflection is read as "not sufficient": keep looking while budget lasts.
            fallback = lambda: Reflection(  # noqa: E731
                sufficient=False, reason="model reflection failed", next_focus=None, split=False
            )
        reflection, record, note, reply = self._decide(
            "reflect", messages, Reflection, fallback, iteration
        )
        self.recorder.emit(
            "reflect",
            started,
            iteration=iteration,
            llm=record,
            reason=reflection.reason,
            detail={
                "sufficient": reflection.sufficient,
                "next_focus": reflection.next_focus,
                "split": reflection.split,
                "new_matches": new_matches,
                **({"fallback": f"model reflection failed ({note})"} if note else {}),
            },
            prompt=prompts.prompt_text(messages),
            reply=reply,
        )
        return reflection

    def splits(self, reflection: Reflection, iteration: int) -> bool:
        """True when this chunk stops exploring to be split into a child run (`recurse` event)."""
        if not self.may_split:
            return False
        candidates = self._candidates()
        reason = split_reason(
            reflection,
            with_model=self.client is not None,
            candidates=candidates,
            chunk_size=len(self.chunk),
        )
        if reason is None:
            return False
        self.split_reason = reason
        self.recorder.emit(
            "recurse",
            utc_now(),
            iteration=iteration,
            reason=reason,
            detail={"candidates": candidates, "chunk_size": len(self.chunk)},
        )
        return True

    def stopped_by_cap(self) -> bool:
        reason = self.tracker.cap_reason()
        if reason is None:
            return False
        self.recorder.emit(
            "budget_stop",
            utc_now(),
            reason=reason,
            detail={"tokens": self.tracker.tokens, "cost_usd": self.tracker.cost_usd},
        )
        return True

    def summarize(self, iteration: int) -> Finding:
        started = utc_now()
        messages = prompts.summarize_messages(
            query=self.query,
            question=self.question,
            searches=prompts.render_searches(self.searches),
            evidence=self._evidence_block(),
        )
        finding, record, note, reply = self._decide(
            "summarize", messages, Finding, self.planner.summarize, iteration
        )
        finding, dropped = validate_finding(finding, self.chunk)
        self.trajectory.finding = finding
        if dropped:
            self.recorder.emit(
                "ids_dropped",
                utc_now(),
                iteration=iteration,
                matched_ids=dropped,
                reason="the finding cited ids that are not in this chunk",
                detail={"count": len(dropped)},
            )
        reason = f"model summary failed: {note}" if note else f"confidence {finding.confidence}"
        self.recorder.emit(
            "summarize",
            started,
            iteration=iteration,
            llm=record,
            reason=reason,
            matched_ids=list(finding.relevant_ids),
            detail={"confidence": finding.confidence, "evidence_items": len(finding.evidence)},
            prompt=prompts.prompt_text(messages),
            reply=reply,
        )
        return finding

    def result(self, iterations: int) -> ChunkResult:
        trajectory = self.trajectory
        trajectory.ended_at = utc_now()
        records = trajectory.llm_records
        return ChunkResult(
            chunk_id=trajectory.chunk_id,
            start=self.chunk.offset,
            end=self.chunk.offset + len(self.chunk),
            sub_question=trajectory.sub_question,
            status="ok",
            mode=trajectory.mode,
            model=trajectory.model,
            finding=trajectory.finding,
            llm_calls=len(records),
            iterations=iterations,
            input_tokens=sum(r.input_tokens for r in records),
            output_tokens=sum(r.output_tokens for r in records),
            cost_usd=sum(r.cost_usd or 0.0 for r in records),
            cost_known=all(r.cost_usd is not None and r.cost_known for r in records),
            matches=len(self.pool),
            split_reason=self.split_reason,
            started_at=trajectory.started_at,
            ended_at=trajectory.ended_at,
            duration_s=(trajectory.ended_at - trajectory.started_at).total_seconds(),
        )

    # --- helpers -------------------------------------------------------------------------------
    def _decide(self, purpose, messages, schema: type[Decision], fallback, iteration: int):
        """One decision: the model's (when there is a client) or the deterministic planner's.

        Returns (decision, record or None, model error or None, raw reply text or None). A failed
        model call is charged, logged as an `error` event with its record, and replaced by
        `fallback()`; the decision's own event then carries no record (no double counting).
        """
        if self.client is None:
            self.tracker.charge()
            return fallback(), None, None, None
        started = utc_now()
        reply = self.client.parse(
            messages, schema, purpose=purpose, max_tokens=MAX_REPLY_TOKENS.get(purpose)
        )
        self.tracker.charge(reply.record)
        if reply.parsed is not None:
            return reply.parsed, reply.record, None, reply.raw_text
        error = reply.record.error or "the reply did not match the expected schema"
        note = f"{purpose} call failed ({error}); carrying on without it"
        logger.warning("chunk %s: %s", self.trajectory.chunk_id, note)
        self.recorder.emit(
            "error",
            started,
            iteration=iteration,
            llm=reply.record,
            error=error,
            reason=note,
            detail={"purpose": purpose},
            prompt=prompts.prompt_text(messages),
            reply=reply.raw_text,
        )
        return fallback(), None, error, None

    def _candidates(self) -> int:
        """Matched emails that bear on the question at all (a relevance score above zero)."""
        return sum(1 for _, score in self.pool.ranked() if score > 0)

    def _evidence_block(self) -> str:
        return prompts.render_emails(self.pool.top_emails(prompts.MAX_EVIDENCE_EMAILS))


def _search_line(call: ToolCall, args: dict[str, str], result: ToolResult) -> str:
    """One line per search for the model, saying when a result is partial or not what was asked."""
    shown = ", ".join(f"{key}={value!r}" for key, value in args.items())
    if result.error:
        return f"{call.tool}({shown}) -> error: {result.error}"
    notes = [
        note
        for flag, note in (
            (result.truncated, "truncated"),
            (result.stopped, f"partial results: {result.stopped}"),
            (result.literal_fallback, "invalid regex: searched literally"),
            (result.attachment_ids, f"{len(result.attachment_ids)} only in attachments"),
        )
        if flag
    ]
    more = f" ({'; '.join(notes)})" if notes else ""
    return f"{call.tool}({shown}) -> {result.match_count} matches{more}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
