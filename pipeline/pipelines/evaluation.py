"""The `rlm_evaluation` dynamic pipeline: labelled questions x strategies, scored side by side.

Call `pipeline.zenml_env.configure()` before importing this module (the CLI does).
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections import deque
from datetime import UTC, datetime
from typing import Any

from zenml import log_metadata, pipeline, save_artifact
from zenml.client import Client
from zenml.enums import ExecutionMode
from zenml.execution.pipeline.dynamic.run_context import DynamicPipelineRunContext

from pipeline.eval.cells import failed_cell
from pipeline.eval.questions import Question
from pipeline.eval.schemas import PIPELINE_STRATEGIES, EvalSettings, Strategy
from pipeline.pipelines.rlm import rlm_analysis
from pipeline.schemas import Budget, LLMSettings
from pipeline.steps import load_corpus
from pipeline.steps.evaluation import (
    EVAL_KEY,
    ChildRun,
    baseline_cell_step,
    check_questions,
    embed_corpus,
    pipeline_cell_step,
    summarize_evaluation,
)

logger = logging.getLogger(__name__)

PIPELINE_NAME = "rlm_evaluation"
CONCURRENT_RUNS_ENV = "RLM_EVAL_CONCURRENT_RUNS"
DEFAULT_CONCURRENT_RUNS = 4
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@pipeline(name=PIPELINE_NAME, dynamic=True, execution_mode=ExecutionMode.CONTINUE_ON_FAILURE)
def rlm_evaluation(
    source: str,
    source_fingerprint: str,
    questions: list[Question],
    strategies: list[Strategy],
    budget: Budget,
    llm: LLMSettings,
    settings: EvalSettings,
    max_bytes: int,
    question_set: str = "",
) -> None:
    """Answer every question with every strategy and score the cited ids.

        load_corpus ─> check_questions ─┬─> embed_corpus (rag only, cached per corpus)
                                        ├─> direct / rag cell steps            (concurrent)
                                        ├─> rlm_analysis child runs ─> cell steps (4 at once)
                                        └────────────────────────────────────> summarize_evaluation

    A cell that fails is scored as citing nothing and keeps its error; the others are kept.
    """
    budget = budget.clamped()
    cells = [(q, s, cell_name(s, q.id, n)) for n, q in enumerate(questions) for s in strategies]
    _log({"source": source, "question_set": question_set, "strategies": list(strategies),
          "questions": len(questions), "cells": [name for _, _, name in cells],
          "model": llm.model if llm.mode == "llm" else "deterministic", "mode": llm.mode,
          "max_chunks": budget.max_chunks, "max_iterations": budget.max_iterations,
          "context_tokens": settings.context_tokens, "top_k": settings.top_k,
          "pid": os.getpid(), "hostname": socket.gethostname(), "started_at": _now()})  # fmt: skip

    corpus = load_corpus(source, source_fingerprint, max_bytes)
    check_questions(corpus, questions).load()  # raises, listing unknown ids, before any cell
    index = embed_corpus(corpus, llm, settings) if "rag" in strategies else None

    futures: dict[str, Any] = {}
    for question, strategy, name in cells:
        if strategy not in PIPELINE_STRATEGIES:
            futures[name] = baseline_cell_step.submit(
                corpus, question, strategy, llm, settings, index if strategy == "rag" else None,
                id=name,
            )  # fmt: skip
    # rlm_analysis child runs, at most `concurrent_runs()` at once: each fans out its own chunk
    # steps, and dozens at once would make every run's wall time mostly waiting
    running: deque[tuple[Question, Strategy, str, Any]] = deque()
    window = concurrent_runs()
    for question, strategy, name in cells:
        if strategy not in PIPELINE_STRATEGIES:
            continue
        if len(running) >= window:
            done = running.popleft()
            futures[done[2]] = _score_child(*done, llm)
        child = rlm_analysis.submit(
            source=source,
            source_fingerprint=source_fingerprint,
            query=question.question,
            budget=budget,
            llm=llm if strategy == "rlm" else LLMSettings(mode="deterministic"),
            max_bytes=max_bytes,
        )
        running.append((question, strategy, name, child))
    while running:
        done = running.popleft()
        futures[done[2]] = _score_child(*done, llm)

    results = []
    for question, strategy, name in cells:
        try:
            futures[name].wait()
            results.append(futures[name].get_artifact("cell"))
        except Exception as error:  # one failed cell must not sink the evaluation
            logger.warning("cell %s failed: %s", name, error)
            run_id = getattr(futures[name], "run_id", None)
            failed = failed_cell(question, strategy, _text(error), run_id)
            results.append(save_artifact(failed, f"{name}_failed"))
    summarize_evaluation(results, llm.model if llm.mode == "llm" else "deterministic", llm.mode)


class _FailedChild:
    """Stands in for a cell step whose rlm_analysis child run failed."""

    def __init__(self, error: BaseException, run_id: str | None) -> None:
        self.error, self.run_id = error, run_id

    def wait(self) -> None:
        raise self.error


def _score_child(question: Question, strategy: Strategy, name: str, child: Any, llm: LLMSettings):
    """Wait for an rlm_analysis child run and submit the step that scores its report."""
    error: BaseException | None = None
    try:
        child.wait()
    except Exception as failure:  # the cell records it; the evaluation goes on
        error = failure
    run = _child_run(child.invocation_id)
    run_id = str(run.id) if run is not None else None
    aggregate = run.steps.get("aggregate_results") if run is not None else None
    reports = aggregate.outputs.get("report") if aggregate is not None else None
    if error is not None or not reports:
        return _FailedChild(error or RuntimeError("the run wrote no report"), run_id)
    worker = _producing_run(reports[0], run)
    started, ended = worker.start_time, worker.end_time
    latency = (ended - started).total_seconds() if started and ended else 0.0
    record = save_artifact(ChildRun(run_id=str(worker.id), latency_s=latency), f"{name}_child_run")
    return pipeline_cell_step.submit(question, strategy, reports[0], record, llm, id=name)


def _producing_run(report: Any, run: Any) -> Any:
    """The run that computed `report`: `run` itself, or, when its steps all came from the
    cache, the earlier run that did the work (whose wall time is the real latency)."""
    producer = report.producer_pipeline_run_id
    if producer is None or producer == run.id:
        return run
    try:
        return Client().get_pipeline_run(producer)
    except KeyError:
        return run


def _child_run(child_key: str) -> Any:
    context = DynamicPipelineRunContext.get()
    page = Client().list_pipeline_runs(parent_run_id=context.run.id, size=200, hydrate=True)
    for run in page.items:
        if run.child_key == child_key:
            return Client().get_pipeline_run(run.id)
    return None


def concurrent_runs() -> int:
    """How many rlm_analysis child runs an evaluation keeps going at once
    (RLM_EVAL_CONCURRENT_RUNS, default 4)."""
    text = os.environ.get(CONCURRENT_RUNS_ENV, "").strip()
    try:
        value = int(text) if text else DEFAULT_CONCURRENT_RUNS
    except ValueError:
        raise ValueError(f"{CONCURRENT_RUNS_ENV}={text!r} is not a whole number") from None
    if value < 1:
        raise ValueError(f"{CONCURRENT_RUNS_ENV}={text!r} must be at least 1")
    return value


def cell_name(strategy: str, question_id: str, position: int) -> str:
    """A step name for a cell: `rag__q01` (ids with other characters get their position)."""
    safe = _UNSAFE.sub("_", question_id).strip("_")[:40]
    return f"{strategy}__{safe}" if safe == question_id else f"{strategy}__{position:03d}_{safe}"


def _log(values: dict[str, Any]) -> None:
    context = DynamicPipelineRunContext.get()
    if context is not None:
        log_metadata(metadata={EVAL_KEY: values}, run_id_name_or_prefix=context.run.id)


def _text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".strip()


def _now() -> str:
    return datetime.now(UTC).isoformat()
