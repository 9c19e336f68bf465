"""Recursion: where a run sits in the tree, how budgets divide down it, and how a child run's
report becomes its parent chunk's finding. Plain functions; `pipeline.pipelines.rlm` calls them.

A chunk that asks to split (`ChunkResult.split_reason`, decided in `pipeline.agent.split`) is
investigated again by a child `rlm_analysis` run over its own slice, with its sub-question.
Budgets are global and divided down the tree:

- chunks: `Budget.max_total_chunks` (at most `TOTAL_CHUNKS_CAP`) is the allowance of a run's
  whole subtree. A run plans at most `max_chunks` of it (a child that may itself recurse keeps
  half for its own children); what is left is shared evenly by the chunks that ask to split,
  the ones with the most matches first, and each child needs at least `MIN_CHILD_CHUNKS`.
- tokens and USD: a child gets what its parent chunk's share (`chunk_budget`) has left, as its
  own run-level cap, which it divides again between its chunks and its synthesis.
- model calls: at most `max_iterations` per chunk, plus one decomposition and one synthesis
  call per run; with every child holding two chunks or more, `model_call_cap` bounds the tree.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from pipeline.agent.citation import CONFIDENCE_RANK
from pipeline.agent.schemas import ChunkEvidence, ChunkFinding
from pipeline.metadata import RUN_KEY, unpack
from pipeline.schemas import Budget, ChunkResult, Report, ReportFinding

MIN_CHILD_CHUNKS = 2
ROOT_PREFIX = "chunk_"


class Scope(BaseModel):
    """Where a run sits in the tree: the root (all defaults) or a child over one chunk's slice."""

    model_config = ConfigDict(extra="forbid")

    depth: int = 1
    corpus_id: str | None = None  # the root's corpus artifact: children never re-ingest
    start: int | None = None  # the parent chunk's slice of the corpus
    end: int | None = None
    parent_chunk: str | None = None
    parent_run_id: str | None = None

    @property
    def span(self) -> tuple[int, int] | None:
        if self.start is None or self.end is None:
            return None
        return self.start, self.end

    @property
    def chunk_prefix(self) -> str:
        """Chunk ids are unique in the tree: chunk_03's children are chunk_03_00, chunk_03_01."""
        return f"{self.parent_chunk}_" if self.parent_chunk else ROOT_PREFIX


def chunks_to_plan(budget: Budget, scope: Scope) -> int:
    """How many chunks this run may plan, within its share of the tree's chunk allowance."""
    budget = budget.clamped()
    allowance = budget.max_total_chunks or 1
    if scope.depth > 1 and scope.depth < budget.max_depth:
        allowance = max(MIN_CHILD_CHUNKS, allowance // 2)  # the rest is for its own children
    return max(1, min(budget.max_chunks, allowance))


def may_split(budget: Budget, scope: Scope, planned: int) -> bool:
    """May this run's chunks ask to split: a level is left and the allowance can pay a child."""
    budget = budget.clamped()
    left = (budget.max_total_chunks or 0) - planned
    return scope.depth < budget.max_depth and left >= MIN_CHILD_CHUNKS


def child_allowances(budget: Budget, planned: int, splitting: list[ChunkResult]) -> dict[str, int]:
    """Chunk id -> chunks its child run may use (its whole subtree), for the chunks that get a
    child; the ones with the most matches first when the allowance cannot pay for all."""
    left = (budget.clamped().max_total_chunks or 0) - planned
    count = min(len(splitting), max(0, left // MIN_CHILD_CHUNKS))
    if count == 0:
        return {}
    chosen = sorted(splitting, key=lambda r: (-r.matches, r.chunk_id))[:count]
    share = left // count
    return {result.chunk_id: share for result in chosen}


def child_budget(budget: Budget, per_chunk: Budget, result: ChunkResult, allowance: int) -> Budget:
    """The child run's budget: the same knobs, its chunk allowance, and as run-level caps what
    the parent chunk's token/USD share has left."""
    update: dict[str, object] = {
        "max_total_chunks": allowance,
        "max_tokens_per_chunk": None,
        "max_usd_per_chunk": None,
        "max_tokens_total": None,
        "max_usd_total": None,
    }
    if per_chunk.max_tokens_per_chunk is not None:
        spent = result.input_tokens + result.output_tokens
        update["max_tokens_total"] = max(0, per_chunk.max_tokens_per_chunk - spent)
    if per_chunk.max_usd_per_chunk is not None:
        update["max_usd_total"] = max(0.0, per_chunk.max_usd_per_chunk - result.cost_usd)
    return budget.model_copy(update=update)


def budget_spent(child: Budget) -> str | None:
    """Why a child with this budget would have nothing to spend, or None."""
    if child.max_tokens_total is not None and child.max_tokens_total <= 0:
        return "its chunk's token share is spent"
    if child.max_usd_total is not None and child.max_usd_total <= 0:
        return "its chunk's USD share is spent"
    return None


def model_call_cap(budget: Budget) -> int:
    """The most model calls a whole tree can make: `max_iterations` per chunk for every chunk
    the allowance pays for, and a decomposition and a synthesis call per run."""
    budget = budget.clamped()
    chunks = budget.max_total_chunks or 1
    runs = 1 + (chunks // MIN_CHILD_CHUNKS if budget.max_depth > 1 else 0)
    return chunks * budget.max_iterations + 2 * runs


def child_runs(run_id: Any) -> dict[str, Any]:
    """The child runs of a run by the chunk they investigate (from their `rlm_run` metadata)."""
    from zenml.client import Client

    runs = Client().list_pipeline_runs(parent_run_id=run_id, size=100, hydrate=True).items
    found = {}
    for run in runs:
        chunk = unpack(run.run_metadata, RUN_KEY).get("parent_chunk")
        if isinstance(chunk, str) and chunk:
            found[chunk] = run
    return found


# --- A child's report becomes the parent chunk's finding ---------------------------------------


def finding_from_report(report: Report) -> ChunkFinding:
    """The child's report as its parent chunk's finding, every citation kept: its findings
    become evidence items and all its cited ids the relevant ids. A `ChunkFinding` is an
    internal artifact, not a model reply, so the reply-schema bounds of `Finding` do not apply."""
    confidences = [f.confidence for f in report.findings] or ["low"]
    return ChunkFinding(
        answer=report.summary.strip() or "The child run found nothing.",
        confidence=max(confidences, key=lambda c: CONFIDENCE_RANK[c]),
        evidence=[
            ChunkEvidence(claim=f.text, email_ids=list(f.evidence_ids))
            for f in report.findings
            if f.evidence_ids
        ],
        relevant_ids=list(dict.fromkeys(report.cited_ids)),
    )


_SUMMARY_HEAD = re.compile(
    r"\d+ of \d+ chunks found relevant emails\. Strongest answer "
    r"\((?P<chunk>\w+), (?P<confidence>low|medium|high) confidence\): "
)


def deterministic_summary(
    answered: int, total: int, chunk_id: str, confidence: str, answer: str, *, from_child: bool
) -> str:
    """The no-model report's summary: how many chunks answered and the strongest answer.

    When the strongest chunk split (`from_child`), its answer is its child report's own summary,
    which starts the same way: the summary then names the sub-chunk that answered, with its
    answer, rather than nesting one summary in another (at every depth)."""
    answer = answer.strip()
    if from_child:
        chunk_id, confidence, answer = _innermost(chunk_id, confidence, answer)
    return (
        f"{answered} of {total} chunks found relevant emails. Strongest answer "
        f"({chunk_id}, {confidence} confidence): {answer}"
    )


def _innermost(chunk_id: str, confidence: str, answer: str) -> tuple[str, str, str]:
    """The sub-chunk, confidence and answer inside no-model child summaries, however deep."""
    while inner := _SUMMARY_HEAD.match(answer):
        chunk_id, confidence, answer = inner["chunk"], inner["confidence"], answer[inner.end() :]
    return chunk_id, confidence, answer


def child_report_finding(
    result: ChunkResult, already_cited: Collection[str] = ()
) -> ReportFinding | None:
    """A chunk that recursed, as one report finding citing its child report's ids that are not
    `already_cited`: the child run chose them, so its parent's report keeps every one."""
    finding = result.finding
    if not result.sub_chunks or finding is None:
        return None
    ids = [i for i in dict.fromkeys(finding.relevant_ids) if i not in already_cited]
    if not ids:
        return None
    split = f"split into {len(result.sub_chunks)} sub-chunks"
    strongest, _, answer = _innermost("", "", " ".join(finding.answer.split()))
    if strongest:  # a no-model child report's summary: name its strongest sub-chunk instead
        split += f"; strongest {strongest}"
    text = f"{result.chunk_id} ({split}): {answer}"
    return ReportFinding(text=text, confidence=finding.confidence, evidence_ids=ids)


def with_child_report(
    result: ChunkResult, report: Report, run_id: str, run_name: str
) -> ChunkResult:
    """The parent chunk's result once its child finished: the child's finding, costs added."""
    totals = report.totals
    return result.model_copy(
        update={
            "finding": finding_from_report(report),
            "llm_calls": result.llm_calls + totals.llm_calls,
            "input_tokens": result.input_tokens + totals.input_tokens,
            "output_tokens": result.output_tokens + totals.output_tokens,
            "cost_usd": result.cost_usd + totals.cost_usd,
            "cost_known": result.cost_known and totals.cost_known,
            "child_run_id": run_id,
            "child_run_name": run_name,
            "sub_chunks": list(report.chunk_ids),
            "ended_at": datetime.now(UTC),
        }
    )


def without_child(
    result: ChunkResult, error: str, run_name: str | None = None, run_id: str | None = None
) -> ChunkResult:
    """The parent chunk's result when its child failed or was not started: its own finding."""
    return result.model_copy(
        update={"child_error": error, "child_run_name": run_name, "child_run_id": run_id}
    )


def leaf_ids(results: list[ChunkResult]) -> list[str]:
    """The chunks at the bottom of the tree that the results' findings came from."""
    return [leaf for r in results for leaf in (r.sub_chunks or [r.chunk_id])]
