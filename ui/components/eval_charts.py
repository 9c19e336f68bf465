"""Figures and tables of an evaluation: recall against cost per strategy, micro recall per kind,
the latency distribution, and the per-question table the CSV export writes."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from pipeline.cost_text import short_cost_text
from pipeline.eval.metrics import score_cell
from pipeline.eval.schemas import CellResult, EvaluationSummary

STRATEGY_COLUMNS = ["strategy", "questions", "failed", "micro recall", "micro precision", "F1",
                    "macro recall", "macro precision", "macro F1", "answers correct",
                    "total cost", "p50 cost", "p95 cost", "p50 latency (s)",
                    "p95 latency (s)", "LLM calls"]  # fmt: skip


def strategy_frame(summary: EvaluationSummary) -> pd.DataFrame:
    rows = []
    for name, f in summary.strategies.items():
        judged = f"{f.accuracy:.0%} of {f.judged}" if f.accuracy is not None else "not judged"
        rows.append([
            name, f.questions, f.failed, round(f.micro_recall, 3), round(f.micro_precision, 3),
            round(f.f1, 3), round(f.macro_recall, 3), round(f.macro_precision, 3),
            round(f.macro_f1, 3), judged, short_cost_text(f.cost_usd, f.cost_known),
            short_cost_text(f.p50_cost_usd, f.cost_known, 5),
            short_cost_text(f.p95_cost_usd, f.cost_known, 5),
            round(f.p50_latency_s, 2), round(f.p95_latency_s, 2), f.llm_calls,
        ])  # fmt: skip
    return pd.DataFrame(rows, columns=STRATEGY_COLUMNS)


def question_frame(cells: Sequence[CellResult]) -> pd.DataFrame:
    """One row per cell; ids joined with spaces (the CSV export)."""
    rows = []
    for cell in cells:
        score = score_cell(cell)
        rows.append({
            "question": cell.question_id, "kind": cell.kind, "strategy": cell.strategy,
            "status": cell.status, "recall": round(score.recall, 3),
            "precision": round(score.precision, 3), "f1": round(score.f1, 3),
            "correct": "" if cell.correct is None else ("yes" if cell.correct else "no"),
            "judge": cell.judge, "cited_ids": " ".join(score.cited_ids),
            "relevant_ids": " ".join(cell.relevant_ids),
            "cost_usd": "unknown" if cell.cost_usd is None else f"{cell.cost_usd:.6f}",
            "latency_s": round(cell.latency_s, 2), "llm_calls": cell.llm_calls,
            "run_id": cell.run_id or "", "error": cell.error or "",
        })  # fmt: skip
    return pd.DataFrame(rows)


def recall_cost_figure(summary: EvaluationSummary) -> go.Figure:
    """Micro recall against total cost, one point per strategy (unknown costs left out)."""
    points = [(name, f.cost_usd, f.micro_recall, f.micro_precision)
              for name, f in summary.strategies.items() if f.cost_known]  # fmt: skip
    frame = pd.DataFrame(points, columns=["strategy", "cost (USD)", "micro recall", "precision"])
    figure = px.scatter(frame, x="cost (USD)", y="micro recall", color="strategy", text="strategy",
                        hover_data=["precision"], title="Recall vs cost")  # fmt: skip
    figure.update_traces(textposition="top center", marker={"size": 14})
    figure.update_yaxes(range=[0, 1.05])
    return figure


def kind_figure(summary: EvaluationSummary) -> go.Figure:
    rows = [(strategy, kind, f.micro_recall, f.micro_precision)
            for strategy, kinds in summary.by_kind.items() for kind, f in kinds.items()]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["strategy", "kind", "micro recall", "micro precision"])
    figure = px.bar(frame, x="kind", y="micro recall", color="strategy", barmode="group",
                    hover_data=["micro precision"], title="Micro recall per kind")  # fmt: skip
    figure.update_yaxes(range=[0, 1.05])
    return figure


def latency_figure(cells: Sequence[CellResult]) -> go.Figure:
    frame = pd.DataFrame([(c.strategy, c.latency_s, c.question_id) for c in cells],
                         columns=["strategy", "latency (s)", "question"])  # fmt: skip
    return px.box(frame, x="strategy", y="latency (s)", points="all", hover_data=["question"],
                  title="Latency per question")  # fmt: skip


def comparison_frame(a: EvaluationSummary, b: EvaluationSummary) -> pd.DataFrame:
    """Strategy figures of two evaluations side by side, with B - A for the scores."""
    rows = []
    for name in dict.fromkeys([*a.strategies, *b.strategies]):
        fa, fb = a.strategies.get(name), b.strategies.get(name)
        row = {"strategy": name}
        for label, attr in (("recall", "micro_recall"), ("precision", "micro_precision"),
                            ("F1", "f1")):  # fmt: skip
            va, vb = getattr(fa, attr, None), getattr(fb, attr, None)
            row[f"{label} A"] = None if va is None else round(va, 3)
            row[f"{label} B"] = None if vb is None else round(vb, 3)
            row[f"{label} B-A"] = None if va is None or vb is None else round(vb - va, 3)
        row["cost A"] = short_cost_text(fa.cost_usd, fa.cost_known) if fa else ""
        row["cost B"] = short_cost_text(fb.cost_usd, fb.cost_known) if fb else ""
        row["p95 latency A"] = round(fa.p95_latency_s, 2) if fa else None
        row["p95 latency B"] = round(fb.p95_latency_s, 2) if fb else None
        rows.append(row)
    return pd.DataFrame(rows)
