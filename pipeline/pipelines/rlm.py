"""The `rlm_analysis` dynamic pipeline: a corpus in, a cited report out.

Call `pipeline.zenml_env.configure()` before importing this module (the CLI does).
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime
from typing import Annotated, Any

# Dynamic pipelines turn plain call arguments into step *parameters* (visible in the dashboard,
# part of the cache key) only below this JSON size; ZenML's default of 0 would upload every
# ChunkSpec, query and setting as a separate artifact. Read at step-compile time, in whichever
# process orchestrates the run, which always imports this module.
os.environ.setdefault("ZENML_PARAMETER_SIZE_THRESHOLD", "65536")

from pipeline import ast_guard  # noqa: E402

# Whichever process orchestrates the run (a local one, or a step container on a cluster) imports
# this module, so this is where concurrent step compilation becomes safe (see `ast_guard`).
ast_guard.install()

from zenml import log_metadata, pipeline  # noqa: E402
from zenml.client import Client  # noqa: E402
from zenml.enums import ExecutionMode  # noqa: E402

from pipeline import library, recursion, steering  # noqa: E402
from pipeline.metadata import LIBRARY_KEY, RUN_KEY, TOTALS_KEY  # noqa: E402
from pipeline.recursion import Scope  # noqa: E402
from pipeline.schemas import (  # noqa: E402
    ApprovedPlan,
    Budget,
    ChunkResult,
    FailedChunk,
    LLMSettings,
    Report,
    chunk_budget,
)
from pipeline.steps import (  # noqa: E402
    aggregate_results,
    load_corpus,
    plan_decomposition,
    process_chunk,
)

logger = logging.getLogger(__name__)

PIPELINE_NAME = "rlm_analysis"
ERROR_CHARS = 500
FAIL_CHILD_RUNS_ENV = "RLM_FAIL_CHILD_RUNS"  # test-only: child runs of these chunks fail


class InjectedChildRunFailure(RuntimeError):
    """Raised by a child run whose parent chunk is listed in RLM_FAIL_CHILD_RUNS (tests only)."""


@pipeline(name=PIPELINE_NAME, dynamic=True, execution_mode=ExecutionMode.CONTINUE_ON_FAILURE)
def rlm_analysis(
    source: str,
    source_fingerprint: str,
    query: str,
    budget: Budget,
    llm: LLMSettings,
    max_bytes: int,
    corpus_id: str | None = None,
    approved_plan: ApprovedPlan | None = None,
    scope: Scope | None = None,
    rerun: steering.Rerun | None = None,
    follow_up: steering.FollowUp | None = None,
) -> Annotated[Report, "report"]:
    """Investigate `query` over the emails in `source`, or in the library corpus `corpus_id`
    (ingested by an earlier run: `load_corpus` is skipped and the source is not read), with the
    analyst's `approved_plan` when they reviewed the plan before fan-out. A `rerun` of one
    chunk of a finished run gives every chunk the original's budget (the others are cached);
    a `follow_up` gives the planner and the synthesis the previous question and answer.

        load_corpus ──> plan_decomposition ──┬─> process_chunk [chunk_00] ─┐
             │                               ├─> process_chunk [chunk_01] ─┤
             │                               ├─> ...          (concurrent) ├─> aggregate_results
             │                               └─> process_chunk [chunk_NN] ─┘    (report, .md, .html)
             │                                    │ asked to split (max_depth > 1)  ▲
             │                                    └─> rlm_analysis [child run] ─────┘ its report
             └──────── corpus artifact (each chunk reads only its own slice) ──────┘

    A chunk that still fails after its retries is reported as failed; the others are kept.
    A chunk that asks to split is investigated again by a child run of this same pipeline over
    its slice (`scope`: depth, slice, the corpus artifact); children run concurrently, and a
    failed child leaves the chunk's own finding in place (pipeline.recursion).
    """
    budget = budget.clamped()  # the one place the budget's ranges are enforced
    scope = scope or Scope()
    _log_run_metadata(
        RUN_KEY,
        {
            "query": query,
            "source": source,
            "source_fingerprint": source_fingerprint,
            "max_chunks": budget.max_chunks,
            "max_iterations": budget.max_iterations,
            "max_depth": budget.max_depth,
            "max_total_chunks": budget.max_total_chunks,
            "max_tokens_total": budget.max_tokens_total,
            "max_usd_total": budget.max_usd_total,
            "depth": scope.depth,
            "parent_chunk": scope.parent_chunk,
            "parent_run_id": scope.parent_run_id,
            "mode": llm.mode,
            "model": llm.model if llm.mode == "llm" else "deterministic",
            "pid": os.getpid(),
            "hostname": socket.gethostname(),
            "plan_reviewed": approved_plan is not None,
            "updated_at": _now(),
            **steering.link_metadata(rerun, follow_up),
        },
    )
    if scope.parent_chunk and scope.parent_chunk in _names_in_env(FAIL_CHILD_RUNS_ENV):
        raise InjectedChildRunFailure(
            f"child run of {scope.parent_chunk} failed on purpose ({FAIL_CHILD_RUNS_ENV} is set)"
        )
    if rerun is not None:
        _link_back(rerun.of_run, "reruns")
    if follow_up is not None:
        _link_back(follow_up.of_run, "follow_ups")
    context = follow_up.context if follow_up is not None else ""

    if scope.corpus_id is not None:  # a child run reads its parent's corpus artifact
        corpus = Client().get_artifact_version(scope.corpus_id)
    else:
        if corpus_id:
            corpus = library.corpus_artifact(corpus_id)
            library.record_use(corpus_id)
        else:
            corpus = load_corpus(source, source_fingerprint, max_bytes)
        _log_run_metadata(
            LIBRARY_KEY,
            {"corpus_id": str(corpus.id), "reused": bool(corpus_id), "sha256": source_fingerprint},
        )
        scope = scope.model_copy(update={"corpus_id": str(corpus.id)})
    plan_artifact, plan_calls = plan_decomposition(
        corpus,
        query,
        recursion.chunks_to_plan(budget, scope),
        llm,
        approved_plan if scope.depth == 1 else None,
        list(scope.span) if scope.span else None,
        scope.chunk_prefix,
        context,
    )
    plan = plan_artifact.load()

    per_chunk = chunk_budget(budget, len(plan.chunks), spent=plan_calls.load())
    may_split = recursion.may_split(budget, scope, len(plan.chunks))
    budgets = steering.chunk_budgets([spec.id for spec in plan.chunks], per_chunk, rerun)
    futures = {
        spec.id: process_chunk.submit(
            corpus,
            spec,
            query,
            budgets[spec.id],
            llm,
            scope.depth,
            scope.parent_chunk,
            may_split,
            id=spec.id,
        )  # fmt: skip
        for spec in plan.chunks
    }
    results, failed = [], []
    for chunk_id, future in futures.items():
        try:
            future.wait()
            results.append(future.get_artifact("chunk_result"))
        except Exception as error:  # a chunk that failed every retry must not sink the run
            failed.append(FailedChunk(chunk_id=chunk_id, error=_error_text(error)))
    if may_split:
        inputs = {"source": source, "source_fingerprint": source_fingerprint, "llm": llm,
                  "max_bytes": max_bytes}  # fmt: skip
        results = _recurse(results, len(plan.chunks), budget, per_chunk, scope, query, inputs)

    report_artifact, _, _ = aggregate_results(
        corpus, results, failed, query, llm, plan_artifact, plan_calls, budget, context
    )
    _log_run_totals(report_artifact.load())
    return report_artifact


def _recurse(
    artifacts: list[Any],
    planned: int,
    budget: Budget,
    per_chunk: Budget,
    scope: Scope,
    query: str,
    inputs: dict[str, Any],
) -> list[Any]:
    """Start a child run for every chunk that asked to split (concurrently, within the chunk
    allowance), wait for them, and return the results with each child's report as its chunk's
    finding. Without any split the chunk artifacts are returned untouched."""
    results: list[ChunkResult] = [artifact.load() for artifact in artifacts]
    splitting = [r for r in results if r.split_reason]
    if not splitting:
        return artifacts
    allowances = recursion.child_allowances(budget, planned, splitting)
    this_run = _current_run()
    children: dict[str, Any] = {}
    done: dict[str, ChunkResult] = {}
    for result in splitting:
        if result.chunk_id not in allowances:
            done[result.chunk_id] = recursion.without_child(
                result, "not split: the run's chunk allowance is spent"
            )
            continue
        child_budget = recursion.child_budget(
            budget, per_chunk, result, allowances[result.chunk_id]
        )
        if spent := recursion.budget_spent(child_budget):
            done[result.chunk_id] = recursion.without_child(result, f"not split: {spent}")
            continue
        child_scope = scope.model_copy(
            update={
                "depth": scope.depth + 1,
                "start": result.start,
                "end": result.end,
                "parent_chunk": result.chunk_id,
                "parent_run_id": str(this_run.id),
            }
        )
        children[result.chunk_id] = rlm_analysis.submit(
            query=result.sub_question or query, budget=child_budget, scope=child_scope, **inputs
        )
    for result in splitting:
        if result.chunk_id not in children:
            continue
        child = None
        try:
            children[result.chunk_id].wait()
            report = children[result.chunk_id].get_artifact("report").load()
            child = recursion.child_runs(this_run.id)[result.chunk_id]
            done[result.chunk_id] = recursion.with_child_report(
                result, report, str(child.id), child.name
            )
        except Exception as failure:  # a failed child must not sink its parent
            error = _error_text(failure)
            logger.warning("the child run of %s failed: %s", result.chunk_id, error)
            child = child or recursion.child_runs(this_run.id).get(result.chunk_id)
            run_id, name = (str(child.id), child.name) if child is not None else (None, None)
            done[result.chunk_id] = recursion.without_child(result, error, name, run_id)
    return [done.get(r.chunk_id, r) for r in results]


def _current_run() -> Any:
    from zenml.execution.pipeline.dynamic.run_context import DynamicPipelineRunContext

    context = DynamicPipelineRunContext.get()
    if context is None:
        raise RuntimeError("recursion needs a running dynamic pipeline")
    return context.run


def _names_in_env(name: str) -> set[str]:
    return {item.strip() for item in os.environ.get(name, "").split(",") if item.strip()}


def _log_run_totals(report: Report) -> None:
    totals = report.totals
    _log_run_metadata(
        TOTALS_KEY,
        {
            "plan_source": report.plan_source,
            "chunks": totals.chunks,
            "chunks_failed": totals.chunks_failed,
            "llm_calls": totals.llm_calls,
            "input_tokens": totals.input_tokens,
            "output_tokens": totals.output_tokens,
            "cost_usd": totals.cost_usd,
            "cost_known": totals.cost_known,
            "p50_cost_usd": totals.p50_cost_usd,
            "p95_cost_usd": totals.p95_cost_usd,
            "p50_llm_calls": totals.p50_llm_calls,
            "p95_llm_calls": totals.p95_llm_calls,
            "updated_at": _now(),
        },
    )


def _link_back(original_run_id: str, kind: str) -> None:
    from zenml.execution.pipeline.dynamic.run_context import DynamicPipelineRunContext

    context = DynamicPipelineRunContext.get()
    if context is not None:
        steering.link_back(original_run_id, kind, str(context.run.id), context.run.name)


def _log_run_metadata(key: str, values: dict[str, Any]) -> None:
    from zenml.execution.pipeline.dynamic.run_context import DynamicPipelineRunContext

    context = DynamicPipelineRunContext.get()
    if context is None:
        logger.warning("no running pipeline: run metadata not recorded")
        return
    log_metadata(metadata={key: values}, run_id_name_or_prefix=context.run.id)


def _error_text(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".strip()
    return text[:ERROR_CHARS]


def _now() -> str:
    return datetime.now(UTC).isoformat()
