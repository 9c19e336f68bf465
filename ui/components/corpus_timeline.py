"""The corpus over time: email volume per week or month, the run's cited emails marked on it, and
each chunk's date range as a shaded band. Built from the corpus index (dates only), so drawing it
never loads email bodies. Subjects in hover texts go through `html_escape`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import plotly.graph_objects as go

from pipeline.views import RunView
from tools.corpus_index import CorpusIndex
from ui.components.safe_text import html_escape

BAND_COLORS = ("#2F5D8C", "#3FA796", "#E0A458", "#6A4C93", "#C06C84")
WEEKLY_UP_TO_DAYS = 400  # longer corpora are binned by month
MARKER_GAP_FRACTION = 60  # cited emails closer than 1/60 of the corpus's span stack up ...
MARKER_ROW_STEP = 0.07  # ... each row this share of the tallest bar above the one below


def volume_frame(index: CorpusIndex) -> pd.DataFrame:
    """Emails per period: columns `period` (start of the week or month) and `emails`."""
    dates = pd.Series([d for d in index.dates if d is not None], dtype="datetime64[us, UTC]")
    if dates.empty:
        return pd.DataFrame({"period": [], "emails": []})
    span = (dates.max() - dates.min()).days
    freq = "W-MON" if span <= WEEKLY_UP_TO_DAYS else "MS"
    counts = dates.dt.tz_localize(None).dt.to_period(freq[0]).dt.start_time.value_counts()
    frame = counts.sort_index().rename_axis("period").reset_index(name="emails")
    return frame


def chunk_bands(run: RunView, index: CorpusIndex) -> list[tuple[str, datetime, datetime]]:
    """(chunk id, first date, last date) of every chunk whose range holds dated emails."""
    bands = []
    for chunk in run.chunks:
        if chunk.start is None or chunk.end is None:
            continue
        dated = [d for d in index.dates[chunk.start : chunk.end] if d is not None]
        if dated:
            bands.append((chunk.id, min(dated), max(dated)))
    return bands


def timeline_figure(run: RunView, index: CorpusIndex, cited: list[str]) -> go.Figure:
    """Volume bars, chunk bands, and one marker per cited email (its customdata is its id)."""
    frame = volume_frame(index)
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            x=frame["period"], y=frame["emails"], name="emails", marker_color="#CED4DA",
            hovertemplate="%{x|%Y-%m-%d}: %{y} emails<extra></extra>",
        )
    )  # fmt: skip
    for n, (chunk_id, first, last) in enumerate(chunk_bands(run, index)):
        figure.add_vrect(
            x0=first, x1=last + timedelta(hours=12), fillcolor=BAND_COLORS[n % len(BAND_COLORS)],
            opacity=0.12, line_width=0, annotation_text=chunk_id, annotation_position="top left",
        )  # fmt: skip
    top = float(frame["emails"].max()) if not frame.empty else 1.0
    marks = [(i, index.position(i)) for i in cited]
    marks = [(i, p) for i, p in marks if p is not None and index.dates[p] is not None]
    dates = [index.dates[p] for _, p in marks]
    known = [d for d in index.dates if d is not None]
    span = (max(known) - min(known)) if known else timedelta(0)
    rows = marker_rows(dates, min_gap=span / MARKER_GAP_FRACTION)
    figure.add_trace(
        go.Scatter(
            x=dates,
            y=[top * (1.08 + MARKER_ROW_STEP * row) for row in rows],
            mode="markers",
            name="cited emails",
            marker={"symbol": "diamond", "size": 11, "color": "#D1495B"},
            customdata=[i for i, _ in marks],
            hovertext=[
                f"{html_escape(i)} · {html_escape(index.subjects[p], max_chars=80)}"
                for i, p in marks
            ],
            hoverinfo="text",
        )
    )
    figure.update_layout(
        height=380,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        bargap=0.05,
        legend={"orientation": "h", "y": 1.12},
        clickmode="event+select",
        yaxis_title="emails",
    )
    return figure


def marker_rows(dates: list[datetime], min_gap: timedelta) -> list[int]:
    """A row for each cited email's marker, so that markers closer in time than `min_gap` stack
    instead of hiding one another: each takes the lowest row whose last marker is far enough."""
    rows = [0] * len(dates)
    last: list[datetime] = []  # the latest date placed in each row
    for n in sorted(range(len(dates)), key=lambda k: dates[k]):
        row = next((r for r, end in enumerate(last) if dates[n] - end >= min_gap), len(last))
        if row == len(last):
            last.append(dates[n])
        last[row] = dates[n]
        rows[n] = row
    return rows


def clicked_email(event: object, trace: int) -> str | None:
    """The cited email a chart selection points at, if any."""
    selection = getattr(event, "selection", None) or {}
    for point in selection.get("points", []) if isinstance(selection, dict) else []:
        if point.get("curve_number") == trace and point.get("customdata"):
            data = point["customdata"]
            return str(data[0] if isinstance(data, list) else data)
    return None
