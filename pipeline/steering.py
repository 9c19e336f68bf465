"""Steering a finished run: rerun one of its chunks, or ask a follow-up on the same corpus.

A **rerun** is a new `rlm_analysis` run built from the original's own recorded inputs: its
corpus (the library artifact it used), query, model settings, plan and per-chunk budget, read
back from the ZenML store. Only the chosen chunk gets the new sub-question (through an approved
plan) and/or the new `max_iterations` (carried by `Rerun`, applied to that chunk alone), so every
other chunk's cache key (ChunkSpec, query, budget, model settings) is the original's and ZenML
serves it from cache.

A **follow-up** is a new run on the same library corpus whose planner and synthesis are given
the previous question and answer (`FollowUp.context`, bounded).

Both runs are linked: the new run records `rerun_of`/`rerun_chunk` or `follow_up_of` in its
run metadata, and the original lists it under `rlm_links` (`run_links` reads both directions).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pipeline.approved_plan import approved_from_plan
from pipeline.metadata import LIBRARY_KEY, LINKS_KEY, RUN_KEY, unpack
from pipeline.schemas import (
    MAX_ITERATIONS_RANGE,
    ApprovedPlan,
    Budget,
    LLMSettings,
    Report,
    clamp,
)

logger = logging.getLogger(__name__)

FINISHED = ("completed", "failed", "stale")


class SteeringError(ValueError):
    """A rerun or follow-up that cannot be started; the message says what to change."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rerun(_Strict):
    """A rerun of one chunk: which run and chunk, the budget every chunk of the original had
    (kept by the others), and the chunk's new `max_iterations` (None: unchanged)."""

    of_run: str
    of_run_name: str
    chunk_id: str
    chunk_budget: Budget
    max_iterations: int | None = None
    sub_question_edited: bool = False


class FollowUp(_Strict):
    """A follow-up of a finished run: which run, and its question and answer (bounded) given to
    the new run's planner and synthesis as context."""

    of_run: str
    of_run_name: str
    context: str


class RunLink(_Strict):
    run_id: str
    run_name: str


class RunLinks(_Strict):
    """How a run relates to others, both directions."""

    rerun_of: RunLink | None = None
    rerun_chunk: str | None = None
    follow_up_of: RunLink | None = None
    follow_up_context: str = ""
    reruns: list[RunLink] = Field(default_factory=list)
    follow_ups: list[RunLink] = Field(default_factory=list)


@dataclass(frozen=True)
class RerunRequest:
    """Everything `pipeline.run.run_pipeline` needs to start the rerun."""

    source: str
    fingerprint: str
    corpus_id: str | None
    query: str
    budget: Budget
    llm: LLMSettings
    max_bytes: int
    approved_plan: ApprovedPlan | None
    rerun: Rerun


def plan_rerun(
    run_id: str, chunk_id: str, sub_question: str | None = None, max_iterations: int | None = None
) -> RerunRequest:
    """The rerun of `chunk_id` of the finished run `run_id` with a new sub-question and/or a new
    `max_iterations`; SteeringError when the run, the chunk or the change is not usable."""
    from zenml.client import Client

    from pipeline import runs

    try:
        view = runs.get_run(run_id)
    except KeyError as error:
        raise SteeringError(str(error).strip("'\"")) from None
    if view.status not in FINISHED:
        raise SteeringError(f"run {view.name} is still {view.status}: rerun a chunk once it ends")
    plan = runs.load_plan(view)
    if plan is None or chunk_id not in {c.id for c in plan.chunks}:
        known = ", ".join(c.id for c in plan.chunks) if plan else "none"
        raise SteeringError(f"run {view.name} has no chunk {chunk_id!r} (its chunks: {known})")
    run = Client().get_pipeline_run(view.run_id)
    params = dict(run.config.parameters or {})
    chunk_params = _chunk_parameters(view.run_id, chunk_id)
    chunk_budget = Budget.model_validate(chunk_params["budget"])

    new_question = " ".join((sub_question or "").split())
    spec = next(c for c in plan.chunks if c.id == chunk_id)
    edited = bool(new_question) and new_question != spec.sub_question
    if max_iterations is not None:
        max_iterations = clamp(max_iterations, MAX_ITERATIONS_RANGE)
        if max_iterations == chunk_budget.max_iterations:
            max_iterations = None
    if not edited and max_iterations is None:
        raise SteeringError(
            f"nothing to rerun: give {chunk_id} a new sub-question or a max_iterations other "
            f"than its {chunk_budget.max_iterations}"
        )
    approved = params.get("approved_plan")
    approved_plan = ApprovedPlan.model_validate(approved) if approved else None
    if edited:  # the original plan with this one sub-question changed
        chunks = [(c.start, c.end, new_question if c.id == chunk_id else c.sub_question)
                  for c in plan.chunks]  # fmt: skip
        approved_plan = approved_from_plan(plan, chunks)
    corpus_id = unpack(run.run_metadata, LIBRARY_KEY).get("corpus_id")
    return RerunRequest(
        source=str(params.get("source", "")),
        fingerprint=str(params.get("source_fingerprint", "")),
        corpus_id=str(corpus_id) if corpus_id else params.get("corpus_id"),
        query=str(chunk_params["query"]),
        budget=Budget.model_validate(params.get("budget") or {}),
        llm=LLMSettings.model_validate(chunk_params["llm"]),
        max_bytes=int(params.get("max_bytes") or 0),
        approved_plan=approved_plan,
        rerun=Rerun(
            of_run=view.run_id,
            of_run_name=view.name,
            chunk_id=chunk_id,
            chunk_budget=chunk_budget,
            max_iterations=max_iterations,
            sub_question_edited=edited,
        ),
    )


def chunk_budgets(
    chunk_ids: list[str], per_chunk: Budget, rerun: Rerun | None
) -> dict[str, Budget]:
    """Each chunk's budget: `per_chunk` for all, or for a rerun the original's budget for all
    (so the others hit the cache) and the new max_iterations for the rerun chunk alone."""
    if rerun is None:
        return dict.fromkeys(chunk_ids, per_chunk)
    budgets = dict.fromkeys(chunk_ids, rerun.chunk_budget)
    if rerun.max_iterations is not None and rerun.chunk_id in budgets:
        budgets[rerun.chunk_id] = rerun.chunk_budget.model_copy(
            update={"max_iterations": rerun.max_iterations}
        )
    return budgets


def plan_follow_up(run_id: str) -> tuple[FollowUp, str]:
    """The follow-up of the finished run `run_id` and the library corpus id it used (a
    follow-up asks on the same corpus: nothing is ingested again); SteeringError when unusable."""
    from zenml.client import Client

    from pipeline import runs
    from pipeline.agent.prompts import FOLLOW_UP_CHARS

    try:
        view = runs.get_run(run_id)
    except KeyError as error:
        raise SteeringError(str(error).strip("'\"")) from None
    report = runs.load_report(view)
    if report is None:
        raise SteeringError(f"run {view.name} has no report yet: follow it up once it ends")
    meta = Client().get_pipeline_run(view.run_id).run_metadata
    corpus_id = unpack(meta, LIBRARY_KEY).get("corpus_id")
    if not corpus_id:
        raise SteeringError(f"run {view.name} recorded no library corpus to ask again")
    context = report_context(report, FOLLOW_UP_CHARS)
    return FollowUp(of_run=view.run_id, of_run_name=view.name, context=context), str(corpus_id)


def link_metadata(rerun: Rerun | None, follow_up: FollowUp | None = None) -> dict[str, Any]:
    """The new run's own link fields, merged into its `rlm_run` metadata."""
    fields: dict[str, Any] = {}
    if follow_up is not None:
        fields |= {
            "follow_up_of": follow_up.of_run,
            "follow_up_of_name": follow_up.of_run_name,
            "follow_up_context": follow_up.context,
        }
    if rerun is None:
        return fields
    return fields | {
        "rerun_of": rerun.of_run,
        "rerun_of_name": rerun.of_run_name,
        "rerun_chunk": rerun.chunk_id,
        "rerun_max_iterations": rerun.max_iterations,
        "rerun_sub_question_edited": rerun.sub_question_edited,
    }


def link_back(original_run_id: str, kind: str, run_id: str, run_name: str) -> None:
    """List the new run under `kind` ("reruns" or "follow_ups") in the original's metadata."""
    from zenml import log_metadata
    from zenml.client import Client

    try:
        meta = Client().get_pipeline_run(original_run_id).run_metadata
        links = dict(unpack(meta, LINKS_KEY).get(LINKS_KEY) or {})
        entries = [*links.get(kind, []), {"run_id": run_id, "run_name": run_name}]
        links[kind] = entries
        log_metadata(metadata={LINKS_KEY: links}, run_id_name_or_prefix=original_run_id)
    except Exception as error:  # a missing back-link must never sink the new run
        logger.warning("could not link run %s back to %s: %s", run_name, original_run_id, error)


def run_links(run_id: str) -> RunLinks:
    """The links recorded for `run_id` (empty when it has none)."""
    from zenml.client import Client

    meta = Client().get_pipeline_run(run_id).run_metadata
    fields = unpack(meta, RUN_KEY)
    back = meta.get(LINKS_KEY) if isinstance(meta.get(LINKS_KEY), dict) else {}
    links = RunLinks(
        reruns=[RunLink.model_validate(e) for e in back.get("reruns", [])],
        follow_ups=[RunLink.model_validate(e) for e in back.get("follow_ups", [])],
    )
    if fields.get("rerun_of"):
        links.rerun_of = RunLink(
            run_id=str(fields["rerun_of"]), run_name=str(fields.get("rerun_of_name", ""))
        )
        links.rerun_chunk = str(fields.get("rerun_chunk") or "")
    if fields.get("follow_up_of"):
        links.follow_up_of = RunLink(
            run_id=str(fields["follow_up_of"]), run_name=str(fields.get("follow_up_of_name", ""))
        )
        links.follow_up_context = str(fields.get("follow_up_context") or "")
    return links


def _chunk_parameters(run_id: str, chunk_id: str) -> dict[str, Any]:
    """The parameters (spec, query, budget, llm) `chunk_id` ran with in `run_id`."""
    from zenml.client import Client

    steps = Client().list_run_steps(pipeline_run_id=run_id, size=200, hydrate=True).items
    by_name = {s.name: dict(s.config.parameters or {}) for s in steps}
    params = by_name.get(chunk_id, {})
    if not {"query", "budget", "llm"} <= params.keys():
        raise SteeringError(f"{chunk_id} of run {run_id} recorded no parameters to rerun it with")
    return params


def report_context(report: Report | None, max_chars: int) -> str:
    """The previous question and answer (summary and findings), cut to `max_chars`."""
    if report is None:
        return ""
    lines = [f"Previous question: {report.query}", f"Previous answer: {report.summary}"]
    lines += [f"- [{f.confidence}] {f.text} ({', '.join(f.evidence_ids)})" for f in report.findings]
    text = "\n".join(lines)
    return text if len(text) <= max_chars else text[: max_chars - 3].rstrip() + "..."
