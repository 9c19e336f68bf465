"""The who-emails-whom graph (Plotly over `tools.people`) and the emails of a chosen person.

Clicking a person on the chart selects them (Streamlit's point-selection event); the person
picker below the chart does the same from the keyboard. Names come from emails, so every label
and hover text goes through `html_escape`.
"""

from __future__ import annotations

import math
from collections import Counter

import plotly.graph_objects as go
import streamlit as st

from tools import people
from ui import state
from ui.components.safe_text import html_escape

EDGE_WIDTHS = (1.0, 2.5, 5.0)  # light, medium, heavy (by message count)


def graph_figure(counts: Counter[people.Edge], top_n: int) -> tuple[go.Figure, list[str]]:
    """The figure and its people in the order of the node trace's points (the last trace)."""
    graph = people.top_graph(counts, top_n)
    positions = people.layout(graph)
    heaviest = max((w for _, _, w in graph.edges(data="weight")), default=1)
    figure = go.Figure()
    for level, width in enumerate(EDGE_WIDTHS):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for source, target, weight in graph.edges(data="weight"):
            if min(int(3 * weight / (heaviest + 1)), 2) != level:
                continue
            (x0, y0), (x1, y1) = positions[source], positions[target]
            xs += [x0, x1, None]
            ys += [y0, y1, None]
        figure.add_trace(
            go.Scatter(
                x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                line={"width": width, "color": "#9AA5B1"},
            )
        )  # fmt: skip
    nodes = sorted(graph.nodes)
    volume = [graph.nodes[n]["volume"] for n in nodes]
    biggest = max(volume, default=1)
    hover = [
        f"{html_escape(n)}<br>{graph.nodes[n]['volume']} messages · "
        f"{graph.out_degree(n)} people written to · {graph.in_degree(n)} written from"
        for n in nodes
    ]
    figure.add_trace(
        go.Scatter(
            x=[positions[n][0] for n in nodes],
            y=[positions[n][1] for n in nodes],
            mode="markers+text",
            text=[html_escape(n.split("@")[0], max_chars=24) for n in nodes],
            textposition="top center",
            hovertext=hover,
            hoverinfo="text",
            customdata=nodes,
            marker={
                "size": [12 + 30 * math.sqrt(v / biggest) for v in volume],
                "color": "#2F5D8C",
                "line": {"width": 1, "color": "white"},
            },
            textfont={"color": "#1F2933"},
            unselected={"marker": {"opacity": 0.5}, "textfont": {"color": "#52606D"}},
            showlegend=False,
        )
    )
    figure.update_layout(
        height=520,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={"visible": False},
        yaxis={"visible": False},
        clickmode="event+select",
        dragmode="pan",
    )
    return figure, nodes


def clicked_person(event: object, nodes: list[str], node_trace: int) -> str | None:
    """The person a chart selection event points at, if any."""
    selection = getattr(event, "selection", None) or {}
    for point in selection.get("points", []) if isinstance(selection, dict) else []:
        if point.get("curve_number") == node_trace:
            index = point.get("point_index", point.get("point_number"))
            if isinstance(index, int) and 0 <= index < len(nodes):
                return nodes[index]
    return None


def follow_click(person: str | None) -> None:
    """Make a newly clicked person the picked one (a click seen before changes nothing, so the
    picker still works after a click)."""
    if person is not None and person != st.session_state.get(state.PEOPLE_LAST_CLICK):
        st.session_state[state.PEOPLE_LAST_CLICK] = person
        st.session_state[state.PEOPLE_PERSON] = person
