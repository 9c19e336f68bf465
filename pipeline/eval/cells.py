"""One evaluation cell (a question answered by one strategy) as a plain function.

`baseline_cell` runs `direct` or `rag`; `pipeline_cell` turns the report of an `rlm_analysis`
run (the `rlm` and `deterministic` strategies) into the same `CellResult`. Every cell records
calls, tokens, USD (None when a price is unknown), latency and, when the question has a
reference answer, the judge's verdict.
"""

from __future__ import annotations

import time

from pipeline.agent.llm import make_client
from pipeline.eval.judge import judge_answer
from pipeline.eval.questions import Question
from pipeline.eval.schemas import CellResult, EvalSettings, Strategy
from pipeline.schemas import LLMSettings, Report
from pipeline.strategies.direct import answer_direct
from pipeline.strategies.embeddings import EmbeddingIndex
from pipeline.strategies.rag import answer_rag
from tools.models import Corpus

ERROR_CHARS = 500


def new_cell(question: Question, strategy: Strategy, **fields) -> CellResult:
    return CellResult(
        question_id=question.id,
        kind=question.kind,
        strategy=strategy,
        question=question.question,
        relevant_ids=question.relevant_ids,
        **fields,
    )


def failed_cell(
    question: Question, strategy: Strategy, error: str, run_id: str | None = None
) -> CellResult:
    return new_cell(question, strategy, status="failed", error=error[:ERROR_CHARS], run_id=run_id)


def baseline_cell(
    corpus: Corpus,
    question: Question,
    strategy: Strategy,
    llm: LLMSettings,
    settings: EvalSettings,
    index: EmbeddingIndex | None = None,
) -> CellResult:
    """Answer `question` with the `direct` or `rag` baseline (both need a model)."""
    client = make_client(llm)
    if client is None:
        return failed_cell(question, strategy, f"{strategy} needs a model: none is configured")
    started = time.perf_counter()
    if strategy == "direct":
        result = answer_direct(corpus, question.question, client, settings.context_tokens)
    elif strategy == "rag":
        result = answer_rag(
            corpus,
            question.question,
            client,
            settings.top_k,
            index,
            settings.embedding_usd_per_mtok,
        )
    else:
        raise ValueError(f"{strategy!r} is not a baseline: use direct or rag")
    latency = time.perf_counter() - started
    costs = [call.cost_usd for call in result.calls]
    cell = new_cell(
        question,
        strategy,
        status="failed" if result.error else "ok",
        error=result.error[:ERROR_CHARS] if result.error else None,
        answer=result.answer,
        cited_ids=result.cited_ids,
        mode="llm",
        model=llm.model,
        llm_calls=len(result.calls),
        input_tokens=sum(c.input_tokens for c in result.calls),
        output_tokens=sum(c.output_tokens for c in result.calls),
        cost_usd=None if None in costs else sum(costs),
        latency_s=latency,
        calls=result.calls,
        detail=result.detail,
    )
    return judged(cell, question, client if llm.mode == "llm" else None)


def pipeline_cell(
    question: Question,
    strategy: Strategy,
    report: Report,
    run_id: str,
    latency_s: float,
    judge_llm: LLMSettings,
) -> CellResult:
    """The cell of an `rlm_analysis` run: its report's citations, totals and wall time."""
    totals = report.totals
    findings = " ".join(f.text for f in report.findings)
    cell = new_cell(
        question,
        strategy,
        answer=f"{report.summary} {findings}".strip(),
        cited_ids=report.cited_ids,
        mode=report.mode,
        model=report.model,
        llm_calls=totals.llm_calls,
        input_tokens=totals.input_tokens,
        output_tokens=totals.output_tokens,
        cost_usd=totals.cost_usd if totals.cost_known else None,
        latency_s=latency_s,
        run_id=run_id,
        detail={
            "chunks": totals.chunks,
            "chunks_failed": totals.chunks_failed,
            "plan_source": report.plan_source,
        },
    )
    return judged(cell, question, make_client(judge_llm))


def judged(cell: CellResult, question: Question, client) -> CellResult:
    """`cell` with the judge's verdict (model judge with a client, else lexical)."""
    if cell.status != "ok":
        return cell
    correct, judge, reason, calls = judge_answer(
        question.question, question.answer, cell.answer, client
    )
    return cell.model_copy(
        update={"correct": correct, "judge": judge, "judge_reason": reason, "judge_calls": calls}
    )
