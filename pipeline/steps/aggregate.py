"""Step 4: merge the successful chunk results (and the names of failed chunks) into the report,
rendered three ways: the `Report` model, Markdown and HTML (shown by ZenML's dashboard too).
A thin wrapper over `pipeline.aggregate.build_report` and `pipeline.report_render`."""

from __future__ import annotations

from typing import Annotated

from zenml import log_metadata, step
from zenml.types import HTMLString, MarkdownString

from pipeline.agent.schemas import LLMCallRecord
from pipeline.aggregate import build_report
from pipeline.report_render import render_html, render_markdown
from pipeline.schemas import (
    Budget,
    ChunkResult,
    DecompositionPlan,
    FailedChunk,
    LLMSettings,
    Report,
)
from tools.models import Corpus
from tools.stored import emails_by_id


@step
def aggregate_results(
    corpus: Corpus,
    results: list[ChunkResult],
    failed: list[FailedChunk],
    query: str,
    llm: LLMSettings,
    plan: DecompositionPlan,
    plan_calls: list[LLMCallRecord],
    budget: Budget | None = None,
    context: str = "",
) -> tuple[
    Annotated[Report, "report"],
    Annotated[MarkdownString, "report_markdown"],
    Annotated[HTMLString, "report_html"],
]:
    report = build_report(
        results,
        failed,
        query,
        llm,
        plan,
        extra_calls=plan_calls,
        corpus=corpus,
        budget=budget,
        context=context,
    )
    emails = emails_by_id(corpus, report.cited_ids)
    totals = report.totals
    log_metadata(
        metadata={
            "findings": len(report.findings),
            "cited_ids": len(report.cited_ids),
            "failed_chunks": [f.chunk_id for f in report.failed_chunks],
            "llm_calls": totals.llm_calls,
            "cost_usd": totals.cost_usd,
        }
    )
    return report, MarkdownString(render_markdown(report)), HTMLString(render_html(report, emails))
