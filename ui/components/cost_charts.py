"""Cost figures: per-chunk USD and LLM calls with the run's p95, tokens, durations, the heavy
tail of per-chunk cost across past runs, and budget usage.

The figure builders are plain functions of views (testable without Streamlit); `render_*`
functions place them on the page. A chunk whose cost is unknown (a model without a price) has
NaN as its cost: it is left out of the cost bars, the p95 line and the heavy-tail figures, never
drawn as zero, and the page says how many were left out (`pipeline.cost_text`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from pipeline.cost_text import run_cost_known, short_cost_text
from pipeline.schemas import Budget
from pipeline.views import RunView

BAR_COLOR = "#2F5D8C"
P95_COLOR = "#D1495B"
USD_TICKS = "$.3~r"  # three significant digits ($0.00032, $0.0004, $1.25), not four decimals
_LAYOUT = {"height": 300, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}}
# costs, calls, tokens and seconds are never negative: an all-zero run (no model) gets a 0-1
# axis, not Plotly's default -1..1 around zero
_COUNT_AXIS = {"rangemode": "nonnegative"}


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else 0.0


def chunk_frame(run: RunView) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "chunk": c.id,
                "cost_usd": np.nan if c.cost_usd is None else c.cost_usd,
                "llm_calls": c.llm_calls,
                "input_tokens": c.input_tokens,
                "output_tokens": c.output_tokens,
                "duration_s": c.duration_s,
                "status": c.status,
            }
            for c in run.chunks
        ],
        columns=[
            "chunk",
            "cost_usd",
            "llm_calls",
            "input_tokens",
            "output_tokens",
            "duration_s",
            "status",
        ],
    )


def bar_with_p95(frame: pd.DataFrame, column: str, title: str, axis_title: str) -> go.Figure:
    """Per-chunk bars of `column` with the run's p95 as a dashed horizontal line; rows where
    `column` is NaN (unknown cost) are left out of both."""
    frame = frame.dropna(subset=[column])
    figure = px.bar(frame, x="chunk", y=column, title=title, color_discrete_sequence=[BAR_COLOR])
    p95 = percentile(frame[column].tolist(), 95)
    figure.add_hline(
        y=p95,
        line_dash="dash",
        line_color=P95_COLOR,
        annotation_text=f"p95 {p95:.4g}",
        annotation_position="top left",
    )
    figure.update_layout(**_LAYOUT, yaxis_title=axis_title, xaxis_title=None)
    figure.update_yaxes(**_COUNT_AXIS)
    if axis_title == "USD":
        figure.update_yaxes(tickformat=USD_TICKS)
    return figure


def tokens_figure(frame: pd.DataFrame) -> go.Figure:
    long = frame.melt(
        id_vars="chunk",
        value_vars=["input_tokens", "output_tokens"],
        var_name="direction",
        value_name="tokens",
    )
    long["direction"] = long["direction"].str.replace("_tokens", "", regex=False)
    figure = px.bar(
        long, x="chunk", y="tokens", color="direction", barmode="group", title="Tokens in / out"
    )
    figure.update_layout(**_LAYOUT, xaxis_title=None)
    figure.update_yaxes(**_COUNT_AXIS)
    return figure


def duration_figure(frame: pd.DataFrame) -> go.Figure:
    # the agent loop's own time; the Trajectories Gantt bars also hold ZenML's step bookkeeping
    figure = px.bar(
        frame, x="chunk", y="duration_s", title="Agent loop time per chunk", color="status"
    )
    figure.update_layout(**_LAYOUT, yaxis_title="seconds", xaxis_title=None)
    figure.update_yaxes(**_COUNT_AXIS)
    return figure


def history_costs(runs: Sequence[RunView]) -> pd.DataFrame:
    """Per-chunk cost of every finished chunk of every run (the heavy-tail sample); NaN where
    the cost is unknown."""
    rows = [
        {
            "run": run.name,
            "chunk": chunk.id,
            "cost_usd": np.nan if chunk.cost_usd is None else chunk.cost_usd,
            "mode": run.mode,
        }
        for run in runs
        for chunk in run.chunks
        if chunk.status in ("done", "cached", "failed")
    ]
    return pd.DataFrame(rows, columns=["run", "chunk", "cost_usd", "mode"])


def heavy_tail_figures(costs: pd.DataFrame) -> tuple[go.Figure, go.Figure]:
    """Histogram and ECDF of per-chunk cost, both with p50 / p95 / p99 marked (chunks with an
    unknown cost left out)."""
    costs = costs.dropna(subset=["cost_usd"])
    values = costs["cost_usd"].tolist()
    marks = {name: percentile(values, q) for name, q in (("p50", 50), ("p95", 95), ("p99", 99))}
    histogram = px.histogram(costs, x="cost_usd", nbins=40, title="Per-chunk cost, all runs")
    ecdf = px.ecdf(costs, x="cost_usd", title="ECDF of per-chunk cost")
    colours = {"p50": "#3FA796", "p95": "#E0A458", "p99": P95_COLOR}
    for figure in (histogram, ecdf):
        for index, (names, value) in enumerate(_merged_marks(marks)):
            figure.add_vline(
                x=value,
                line_dash="dot",
                line_color=colours[names[-1]],
                annotation_text=f"{' = '.join(names)} ${value:.4g}",
                annotation_position="top right" if index % 2 else "top left",
            )
        figure.update_layout(**_LAYOUT, xaxis_title="USD per chunk")
        figure.update_xaxes(tickformat=USD_TICKS)
    return histogram, ecdf


def _merged_marks(marks: dict[str, float]) -> list[tuple[list[str], float]]:
    """Percentile marks with equal values drawn once, named together ("p95 = p99"), so their
    labels do not print over each other."""
    merged: list[tuple[list[str], float]] = []
    for name, value in marks.items():
        if merged and f"{merged[-1][1]:.4g}" == f"{value:.4g}":
            merged[-1][0].append(name)
        else:
            merged.append(([name], value))
    return merged


def render_budget_usage(run: RunView, budget: Budget | None) -> None:
    """Calls per chunk against max_iterations, and totals against the run's caps when known."""
    max_iterations = run.max_iterations or (budget.max_iterations if budget else None)
    if max_iterations:
        worst = max((c.llm_calls for c in run.chunks), default=0)
        st.progress(
            min(worst / max_iterations, 1.0),
            text=f"Busiest chunk used {worst} of {max_iterations} LLM calls (max_iterations)",
        )
    if run.max_chunks:
        st.progress(
            min(len(run.chunks) / run.max_chunks, 1.0),
            text=f"{len(run.chunks)} of {run.max_chunks} chunks (max_chunks)",
        )
    if budget is not None and budget.max_usd_total:
        spent = short_cost_text(run.total_cost_usd, run_cost_known(run))
        st.progress(
            min(run.total_cost_usd / budget.max_usd_total, 1.0),
            text=f"{spent} of the ${budget.max_usd_total:.2f} cost cap",
        )
    if budget is None or not (budget.max_usd_total or budget.max_tokens_total):
        st.caption(
            "No USD or token cap is known for this run (none was set, or it was launched from "
            "another session)."
        )
    if budget is not None and budget.max_tokens_total:
        used = sum(c.input_tokens + c.output_tokens for c in run.chunks)
        st.progress(
            min(used / budget.max_tokens_total, 1.0),
            text=f"{used:,} of the {budget.max_tokens_total:,} token cap",
        )
