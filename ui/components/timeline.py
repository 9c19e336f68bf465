"""Plotly figures of time: one chunk's trajectory events, and all chunks of a run side by side.

Labels and hover texts carry model and email text, which Plotly would read as (a subset of)
HTML, so they go through `html_escape` first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from pipeline.agent.schemas import Trajectory, TrajectoryEvent
from pipeline.cost_text import chunk_cost_text
from pipeline.views import RunView
from ui.components.run_tree import tree_label
from ui.components.safe_text import html_escape

EVENT_COLORS = {
    "preview": "#8E9AAF",
    "plan": "#2F5D8C",
    "tool_call": "#3FA796",
    "reflect": "#E0A458",
    "summarize": "#6A4C93",
    "budget_stop": "#C06C84",
    "ids_dropped": "#B5838D",
    "error": "#D1495B",
    "recurse": "#1F7A8C",
}
EVENT_ORDER = list(EVENT_COLORS)
STATUS_COLORS = {
    "done": "#3FA796",
    "cached": "#8E9AAF",
    "running": "#2F5D8C",
    "queued": "#CED4DA",
    "failed": "#D1495B",
}
_MIN_BAR_FRACTION = 0.012  # zero-length events still get a visible sliver


def event_label(event: TrajectoryEvent) -> str:
    """Short plain-text name of an event, e.g. `tool_call grep`."""
    return f"{event.kind} {event.tool}" if event.tool else event.kind


def _bars(starts: list[datetime], ends: list[datetime]) -> list[datetime]:
    if not starts:
        return ends
    span = max(ends) - min(starts)
    minimum = max(span * _MIN_BAR_FRACTION, timedelta(milliseconds=5))
    return [max(end, start + minimum) for start, end in zip(starts, ends, strict=True)]


def trajectory_figure(trajectory: Trajectory, current_seq: int | None = None) -> go.Figure:
    """Events on a time axis, one row per kind, coloured by kind; the replayed event marked."""
    events = trajectory.events
    starts = [e.started_at for e in events]
    ends = _bars(starts, [e.ended_at for e in events])
    frame = pd.DataFrame(
        {
            "start": starts,
            "end": ends,
            "kind": [e.kind for e in events],
            "step": [e.seq for e in events],
            "what": [html_escape(event_label(e)) for e in events],
            "why": [html_escape(e.reason or e.error or "", max_chars=140) for e in events],
            "matches": [e.match_count if e.match_count is not None else "" for e in events],
        }
    )
    figure = px.timeline(
        frame,
        x_start="start",
        x_end="end",
        y="kind",
        color="kind",
        color_discrete_map=EVENT_COLORS,
        category_orders={"kind": [k for k in EVENT_ORDER if k in set(frame["kind"])]},
        hover_data={"step": True, "what": True, "why": True, "matches": True, "kind": False},
    )
    if current_seq is not None:
        current = next((e for e in events if e.seq == current_seq), None)
        if current is not None:
            figure.add_vline(
                x=current.started_at, line_width=2, line_dash="dot", line_color="#1F2933"
            )
    figure.update_yaxes(title=None)
    figure.update_xaxes(title=None)
    figure.update_layout(
        height=300, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend_title_text="event"
    )
    return figure


def gantt_figure(run: RunView) -> go.Figure | None:
    """Chunk start/end bars of the whole run, coloured by status, one panel per depth when the
    run recursed; None before any chunk starts."""
    rows = []
    for chunk in run.chunks:
        if chunk.started_at is None:
            continue
        end = chunk.ended_at or chunk.started_at + timedelta(seconds=max(chunk.duration_s, 0.05))
        rows.append(
            {
                "chunk": tree_label(chunk),
                "depth": f"depth {chunk.depth}",
                "start": chunk.started_at,
                "end": end,
                "status": chunk.status,
                "emails": chunk.size,
                "LLM calls": chunk.llm_calls,
                "cost": chunk_cost_text(chunk, run.model, digits=6),
                "agent loop (s)": round(chunk.duration_s, 2),
            }
        )
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    frame["end"] = _bars(list(frame["start"]), list(frame["end"]))
    deep = frame["depth"].nunique() > 1
    figure = px.timeline(
        frame,
        x_start="start",
        x_end="end",
        y="chunk",
        color="status",
        color_discrete_map=STATUS_COLORS,
        facet_row="depth" if deep else None,
        category_orders={"depth": sorted(frame["depth"].unique())},
        hover_data={
            "emails": True,
            "LLM calls": True,
            "cost": True,
            "agent loop (s)": True,
            "status": False,
        },
    )
    figure.update_yaxes(title=None, autorange="reversed")
    if deep:  # each depth's panel lists only its own chunks
        figure.update_yaxes(matches=None, showticklabels=True)
        figure.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    figure.update_xaxes(title=None)
    figure.update_layout(height=80 + 32 * len(rows), margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return figure
