"""The `rlm_analysis` dynamic pipeline: a corpus in, a cited report out.

Call `pipeline.zenml_env.configure()` before importing this module (the CLI does).
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime
from typing import Any

# Dynamic pipelines turn plain call arguments into step *parameters* (visible in the dashboard,
# part of the cache key) only below this JSON size; ZenML's default of 0 would upload every
# ChunkSpec, query and setting as a separate artifact. Read at step-compile time, in whichever
# process orchestrates the run, which always imports this module.
os.environ.setdefault("ZENML_PARAMETER_SIZE_THRESHOLD", "65536")

from zenml import log_metadata, pipeline  # noqa: E402
from zenml.enums import ExecutionMode  # noqa: E402

from pipeline import library  # noqa: E402
from pipeline.metadata import LIBRARY_KEY, RUN_KEY, TOTALS_KEY  # noqa: E402
from pipeline.schemas import (  # noqa: E402
    ApprovedPlan,
    Budget,
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
) -> None:
    """Investigate `query` over the emails in `source`, or in the library corpus `corpus_id`
    (ingested by an earlier run: `load_corpus` is skipped and the source is not read), with the
    analyst's `approved_plan` when they reviewed the plan before fan-out.

        load_corpus ──> plan_decomposition ──┬─> process_chunk [chunk_00] ─┐
             │                               ├─> process_chunk [chunk_01] ─┤
             │                               ├─> ...          (concurrent) ├─> aggregate_results
             │                               └─> process_chunk [chunk_NN] ─┘    (report, .md, .html)
             └──────── corpus artifact (each chunk reads only its own slice) ──────┘

    A chunk that still fails after its retries is reported as failed; the others are kept.
    """
    budget = budget.clamped()  # the one place max_chunks / max_iterations ranges are enforced
    _log_run_metadata(
        RUN_KEY,
        {
            "query": query,
            "source": source,
            "source_fingerprint": source_fingerprint,
            "max_chunks": budget.max_chunks,
            "max_iterations": budget.max_iterations,
            "mode": llm.mode,
            "model": llm.model if llm.mode == "llm" else "deterministic",
            "pid": os.getpid(),
            "hostname": socket.gethostname(),
            "plan_reviewed": approved_plan is not None,
            "updated_at": _now(),
        },
    )

    if corpus_id:
        corpus = library.corpus_artifact(corpus_id)
        library.record_use(corpus_id)
    else:
        corpus = load_corpus(source, source_fingerprint, max_bytes)
    _log_run_metadata(
        LIBRARY_KEY,
        {"corpus_id": str(corpus.id), "reused": bool(corpus_id), "sha256": source_fingerprint},
    )
    plan_artifact, plan_calls = plan_decomposition(
        corpus, query, budget.max_chunks, llm, approved_plan
    )
    plan = plan_artifact.load()

    per_chunk = chunk_budget(budget, len(plan.chunks), spent=plan_calls.load())
    futures = {
        spec.id: process_chunk.submit(corpus, spec, query, per_chunk, llm, id=spec.id)
        for spec in plan.chunks
    }
    results, failed = [], []
    for chunk_id, future in futures.items():
        try:
            future.wait()
            results.append(future.get_artifact("chunk_result"))
        except Exception as error:  # a chunk that failed every retry must not sink the run
            failed.append(FailedChunk(chunk_id=chunk_id, error=_error_text(error)))

    report_artifact, _, _ = aggregate_results(
        corpus, results, failed, query, llm, plan_artifact, plan_calls, budget
    )
    _log_run_totals(report_artifact.load())


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
