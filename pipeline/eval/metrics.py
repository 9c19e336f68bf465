"""Evaluation metrics: per question recall, precision and F1 of the cited ids against the labelled
`relevant_ids`; per group (a strategy, or a strategy's questions of one kind) micro and macro
figures, cost (total, p50, p95; unknown when any price is), latency (p50, p95) and model calls.

Micro figures pool every question's hits (`sum hits / sum relevant`, `sum hits / sum cited`);
macro figures average the per-question values. A question that cites nothing has precision 0.
A failed cell counts as citing nothing. Pure functions: no ZenML, no model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from pipeline.aggregate import percentile
from pipeline.eval.schemas import CellResult, EvaluationSummary, Figures, QuestionScore


def f1(recall: float, precision: float) -> float:
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


def score_cell(cell: CellResult) -> QuestionScore:
    """Recall, precision and F1 of one cell's cited ids (each counted once) against its labels."""
    cited = list(dict.fromkeys(cell.cited_ids)) if cell.status == "ok" else []
    relevant = set(cell.relevant_ids)
    hits = sum(1 for email_id in cited if email_id in relevant)
    recall = hits / len(relevant) if relevant else 0.0
    precision = hits / len(cited) if cited else 0.0
    return QuestionScore(
        id=cell.question_id,
        kind=cell.kind,
        strategy=cell.strategy,
        cited_ids=cited,
        hits=hits,
        recall=recall,
        precision=precision,
        f1=f1(recall, precision),
        correct=cell.correct,
        cost_usd=cell.cost_usd,
        latency_s=cell.latency_s,
        llm_calls=cell.llm_calls,
        run_id=cell.run_id,
        status=cell.status,
    )


def figures(cells: Sequence[CellResult]) -> Figures:
    """The figures of a group of cells (see the module docstring)."""
    scores = [score_cell(cell) for cell in cells]
    hits = sum(s.hits for s in scores)
    relevant = sum(len(set(c.relevant_ids)) for c in cells)
    cited = sum(len(s.cited_ids) for s in scores)
    micro_recall = hits / relevant if relevant else 0.0
    micro_precision = hits / cited if cited else 0.0
    count = len(scores)
    macro_recall = sum(s.recall for s in scores) / count if count else 0.0
    macro_precision = sum(s.precision for s in scores) / count if count else 0.0
    judged = [c.correct for c in cells if c.correct is not None]
    costs = [c.cost_usd for c in cells]
    cost_known = all(cost is not None for cost in costs)
    known_costs = [cost for cost in costs if cost is not None]
    latencies = [c.latency_s for c in cells]
    return Figures(
        questions=count,
        failed=sum(c.status == "failed" for c in cells),
        micro_recall=micro_recall,
        micro_precision=micro_precision,
        f1=f1(micro_recall, micro_precision),
        macro_recall=macro_recall,
        macro_precision=macro_precision,
        macro_f1=sum(s.f1 for s in scores) / count if count else 0.0,
        accuracy=sum(judged) / len(judged) if judged else None,
        judged=len(judged),
        cost_usd=sum(known_costs) if cost_known else None,
        cost_known=cost_known,
        p50_cost_usd=percentile(known_costs, 50) if cost_known else None,
        p95_cost_usd=percentile(known_costs, 95) if cost_known else None,
        p50_latency_s=percentile(latencies, 50),
        p95_latency_s=percentile(latencies, 95),
        llm_calls=sum(c.llm_calls for c in cells),
        input_tokens=sum(c.input_tokens for c in cells),
        output_tokens=sum(c.output_tokens for c in cells),
    )


def summarize(cells: Sequence[CellResult], *, model: str, mode: str) -> EvaluationSummary:
    """Per-question scores and the figures per strategy and per (strategy, kind)."""
    by_strategy: dict[str, list[CellResult]] = defaultdict(list)
    by_kind: dict[str, dict[str, list[CellResult]]] = defaultdict(lambda: defaultdict(list))
    for cell in cells:
        by_strategy[cell.strategy].append(cell)
        by_kind[cell.strategy][cell.kind].append(cell)
    judges = {cell.judge for cell in cells if cell.correct is not None}
    return EvaluationSummary(
        strategies={name: figures(group) for name, group in by_strategy.items()},
        by_kind={
            name: {kind: figures(group) for kind, group in kinds.items()}
            for name, kinds in by_kind.items()
        },
        questions=[score_cell(cell) for cell in cells],
        judge=judges.pop() if len(judges) == 1 else ("model" if "model" in judges else "none"),
        model=model,
        mode=mode,
    )
