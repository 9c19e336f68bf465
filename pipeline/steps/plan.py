"""Step 2: decide the chunks (ranges of the date-sorted corpus, each with a sub-question).
A thin wrapper over `pipeline.decompose.make_plan`; cached on the corpus content, the query,
max_chunks and the model settings, so a rerun makes no decomposition call. A plan the analyst
approved before the run (`approved`) is checked and used instead (source "edited" if changed)."""

from __future__ import annotations

from typing import Annotated

from zenml import log_metadata, step

from pipeline.agent.schemas import LLMCallRecord
from pipeline.approved_plan import plan_from_approved
from pipeline.decompose import make_plan
from pipeline.schemas import ApprovedPlan, DecompositionPlan, LLMSettings
from tools.models import Corpus


@step
def plan_decomposition(
    corpus: Corpus,
    query: str,
    max_chunks: int,
    llm: LLMSettings,
    approved: ApprovedPlan | None = None,
    span: list[int] | None = None,
    id_prefix: str = "chunk_",
    context: str = "",
) -> tuple[Annotated[DecompositionPlan, "plan"], Annotated[list[LLMCallRecord], "plan_llm_calls"]]:
    """`approved`: the analyst's reviewed plan for the root run. `span` and `id_prefix`: a child
    run plans its parent chunk's slice (pipeline.recursion). `context`: a follow-up's previous
    question and answer (pipeline.steering), for the model."""
    if approved is not None:  # reviewed (maybe edited) by the analyst before the run
        plan, calls = plan_from_approved(approved, corpus, query, max_chunks), []
    else:
        plan, calls = make_plan(
            corpus, query, max_chunks, llm, span=span, id_prefix=id_prefix, context=context
        )
    log_metadata(
        metadata={
            "chunks": len(plan.chunks),
            "plan_source": plan.source,
            "notes": plan.notes,
            "llm_calls": len(calls),
            "input_tokens": sum(c.input_tokens for c in calls),
            "output_tokens": sum(c.output_tokens for c in calls),
            "cost_usd": sum(c.cost_usd or 0.0 for c in calls),
        }
    )
    return plan, calls
