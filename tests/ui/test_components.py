"""UI components against hand-made run views: escaping, figures, frames, replay, citations."""

from __future__ import annotations

import string
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st_h
from streamlit.testing.v1 import AppTest

from tests.ui.factories import T0, XSS, make_run, make_trajectory
from ui.components import cost_charts, progress_table, runs_table, timeline
from ui.components.safe_text import html_escape, md_escape

# --- Escaping ----------------------------------------------------------------------------------


def test_md_escape_neutralises_html_links_and_markdown():
    escaped = md_escape(XSS + " **bold** $x$ :red[hi] `code`")
    assert "<" not in escaped and ">" not in escaped
    assert "&lt;script&gt;" in escaped
    assert "\\[click\\]\\(javascript\\:" in escaped
    assert "\\*\\*bold\\*\\*" in escaped and "\\$x\\$" in escaped and "\\:red\\[hi\\]" in escaped


@given(st_h.text(alphabet=string.printable, max_size=80))
def test_md_escape_leaves_no_bare_punctuation(text: str):
    escaped = md_escape(text)
    i = 0
    while i < len(escaped):
        char = escaped[i]
        if char == "\\":
            assert escaped[i + 1] in string.punctuation
            i += 2
            continue
        if char == "&":
            assert escaped[i:].startswith(("&lt;", "&gt;", "&amp;"))
        assert char not in "<>[]()*_`$:#|~!"
        i += 1


def test_html_escape_for_plotly_labels():
    assert html_escape("<b>x</b>\ny") == "&lt;b&gt;x&lt;/b&gt;<br>y"
    assert html_escape("a" * 50, max_chars=10).endswith("…")


# --- Figures and frames -----------------------------------------------------------------------


def test_trajectory_figure_has_one_trace_per_kind_and_escaped_hover():
    trajectory = make_trajectory()
    figure = timeline.trajectory_figure(trajectory, current_seq=2)
    kinds = {trace.name for trace in figure.data}
    assert kinds == {"preview", "plan", "tool_call", "reflect", "summarize"}
    payload = figure.to_json()
    assert "<script>" not in payload and "&lt;script&gt;" in payload
    assert len(figure.layout.shapes) == 1  # the replayed event is marked


def test_gantt_figure_shows_every_started_chunk():
    run = make_run()
    run.chunks[3].started_at = None
    figure = timeline.gantt_figure(run)
    plotted = {y for trace in figure.data for y in trace.y}
    assert plotted == {"chunk_00", "chunk_01", "chunk_02"}
    # a bar spans the chunk's step; its hover also names the agent loop's own time
    loops = sorted(row[3] for trace in figure.data for row in trace.customdata)  # 4th hover field
    assert loops == [chunk.duration_s for chunk in run.chunks[:3]]
    assert "agent loop (s)=%{customdata[3]}" in figure.data[0].hovertemplate
    for chunk in run.chunks:
        chunk.started_at = None
    assert timeline.gantt_figure(run) is None


def test_cost_bars_draw_the_runs_p95():
    frame = cost_charts.chunk_frame(make_run(chunk_costs=(0.001, 0.002, 0.003, 0.1)))
    figure = cost_charts.bar_with_p95(frame, "cost_usd", "Cost", "USD")
    (line,) = figure.layout.shapes
    assert line.y0 == pytest.approx(np.percentile([0.001, 0.002, 0.003, 0.1], 95))
    assert list(figure.data[0].y) == [0.001, 0.002, 0.003, 0.1]


def test_a_run_without_model_calls_draws_no_negative_axis():
    frame = cost_charts.chunk_frame(make_run(chunk_costs=(0.0, 0.0, 0.0, 0.0)))
    figures = [
        cost_charts.bar_with_p95(frame, "cost_usd", "Cost", "USD"),
        cost_charts.bar_with_p95(frame, "llm_calls", "Calls", "calls"),
        cost_charts.tokens_figure(frame),
        cost_charts.duration_figure(frame),
    ]
    for figure in figures:  # Plotly's default for all-zero bars is an axis from -1 to 1
        assert figure.layout.yaxis.rangemode == "nonnegative", figure.layout.title.text


def test_heavy_tail_marks_p50_p95_p99_across_runs():
    runs = [make_run(run_id=f"r{i}", chunk_costs=(0.001 * i, 0.01 * i)) for i in range(1, 6)]
    costs = cost_charts.history_costs(runs)
    assert len(costs) == 10
    histogram, ecdf = cost_charts.heavy_tail_figures(costs)
    for figure in (histogram, ecdf):
        marked = sorted(shape.x0 for shape in figure.layout.shapes)
        expected = sorted(np.percentile(costs["cost_usd"], q) for q in (50, 95, 99))
        assert marked == pytest.approx(expected)
        assert figure.layout.xaxis.tickformat == "$.3~r"


def test_heavy_tail_draws_equal_percentiles_once_with_both_names():
    runs = [
        make_run(run_id=f"r{i}", chunk_costs=(0.0003, 0.0003, 0.00036, 0.00036)) for i in (1, 2)
    ]
    histogram, _ = cost_charts.heavy_tail_figures(cost_charts.history_costs(runs))
    labels = [a.text for a in histogram.layout.annotations]
    assert len(histogram.layout.shapes) == 2 and len(labels) == 2, labels
    assert labels[1] == "p95 = p99 $0.00036", labels


def test_progress_frame_counts_elapsed_time_of_running_chunks():
    run = make_run(status="running")
    run.chunks[0].status = "running"
    run.chunks[0].started_at = T0
    frame = progress_table.progress_frame(run, now=T0 + timedelta(seconds=7))
    assert frame.loc[0, "elapsed (s)"] == 7.0
    assert frame.loc[1, "elapsed (s)"] == run.chunks[1].duration_s
    assert frame.loc[0, "status"] == "running"


def test_history_frame_flags_stale_runs():
    frame = runs_table.history_frame([make_run(), make_run(run_id="r2", status="stale")])
    assert list(frame["status"]) == ["completed", "stale (process gone)"]
    assert list(frame.columns[:4]) == ["run", "status", "started", "query"]  # long query after
    assert frame.loc[0, "total cost"] == "$0.0000"  # run totals win (none spent)
    without_totals = make_run().model_copy(update={"totals": None})
    assert runs_table.history_frame([without_totals]).loc[0, "total cost"] == "$0.0135"


# --- Rendered components (AppTest with hand-made objects) -------------------------------------


def _report_app() -> None:
    from tests.ui.factories import make_report, make_run, stub_thread_reads
    from ui import run_store, state
    from ui.components.email_viewer import render_open_email
    from ui.components.report_view import render_downloads, render_report

    stub_thread_reads()
    run_store.report_markdown = lambda run: "# report"
    run_store.report_html = lambda run: "<html></html>"
    state.init_state()
    run, report = make_run(), make_report()
    render_downloads(run, report)
    render_report(run, report)
    render_open_email()


STUBBED = ("emails", "corpus", "corpus_index", "find_run", "report_markdown", "report_html")


def _dialogs(at: AppTest) -> list:
    found = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", "") == "dialog":
                found.append(child)
            walk(child)

    walk(at._tree)
    return found


def test_report_view_escapes_text_and_opens_a_cited_email(monkeypatch):
    from ui import run_store

    for name in STUBBED:
        monkeypatch.setattr(run_store, name, getattr(run_store, name))  # restored after the test
    at = AppTest.from_function(_report_app, default_timeout=30).run()
    assert not at.exception
    rendered = "\n".join(m.value for m in at.markdown)
    assert "Finding one &lt;script&gt;" in rendered and "<script>" not in rendered
    assert "javascript\\:" in rendered and "](javascript:" not in rendered
    assert not _dialogs(at)

    at.button(key="finding_0_0").click().run()
    (dialog,) = _dialogs(at)
    body = [t.value for t in at.text]
    assert any("<script>window.__xss=1</script>" in value for value in body)  # shown as text
    downloads = at.get("download_button")
    assert [d.proto.label for d in downloads] == [
        "Download Markdown",
        "Download HTML",
        "Download JSON",
    ]


def _replay_app() -> None:
    from tests.ui.factories import make_run, make_trajectory, stub_thread_reads
    from ui import state
    from ui.components.replay import render_event, replay_controls

    stub_thread_reads()
    state.init_state()
    trajectory = make_trajectory()
    event = replay_controls(trajectory)
    render_event(make_run(), trajectory, event)


def _step_indicator(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Step"))


def test_replay_steps_forward_and_back(monkeypatch):
    from ui import run_store

    for name in STUBBED:
        monkeypatch.setattr(run_store, name, getattr(run_store, name))
    at = AppTest.from_function(_replay_app, default_timeout=30).run()
    assert _step_indicator(at) == "**Step 1 of 6**"
    assert at.button(key="replay_back").disabled
    at.button(key="replay_forward").click().run()
    at.button(key="replay_forward").click().run()
    assert _step_indicator(at) == "**Step 3 of 6**"
    assert at.slider(key="replay_step").value == 3
    assert any("tool\\_call grep" in m.value for m in at.markdown)
    at.button(key="replay_back").click().run()
    assert _step_indicator(at) == "**Step 2 of 6**"
    (calls,) = at.dataframe  # the plan's decided tool calls, as plain cells
    assert calls.value.loc[0, "pattern"] == "cedar " + XSS
    at.slider(key="replay_step").set_value(5).run()
    assert any(
        m.value.startswith("**Enough evidence:** no · next focus: the memo &lt;script&gt;")
        for m in at.markdown
    )
    at.slider(key="replay_step").set_value(6).run()
    assert _step_indicator(at) == "**Step 6 of 6**"
    assert at.button(key="replay_forward").disabled


def test_replay_jumps_to_a_step_named_by_what_happened(monkeypatch):
    from ui import run_store

    for name in STUBBED:
        monkeypatch.setattr(run_store, name, getattr(run_store, name))
    at = AppTest.from_function(_replay_app, default_timeout=30).run()
    jump = at.selectbox(key="replay_jump")
    assert jump.value is None
    labels = list(jump.options)  # as the list shows them
    assert len(labels) == 6 and labels[2] == "3: tool_call grep", labels
    jump.select_index(4).run()
    assert _step_indicator(at) == "**Step 5 of 6**"
    assert at.slider(key="replay_step").value == 5
    assert at.selectbox(key="replay_jump").value is None  # ready for the next jump
    at.button(key="replay_back").click().run()
    assert _step_indicator(at) == "**Step 4 of 6**"


def _history_app() -> None:
    from tests.ui.factories import make_run
    from ui.components.runs_table import render_history

    render_history([make_run(), make_run(run_id="dead-1", name="rlm-dead-1", status="stale")])


def test_stale_runs_can_be_marked_failed_from_the_history(monkeypatch):
    from ui import run_store

    marked: list[str] = []
    monkeypatch.setattr(run_store, "mark_stale", lambda run_id: marked.append(run_id) or True)
    at = AppTest.from_function(_history_app, default_timeout=30).run()
    assert not at.exception and "1 stale run(s)" in at.warning[0].value
    assert marked == []  # nothing happens until asked
    at.button(key="mark_stale").click().run()
    assert marked == ["dead-1"] and "Marked 1 run(s) as failed." in at.success[0].value

    monkeypatch.setattr(run_store, "mark_stale", lambda run_id: False)
    at.button(key="mark_stale").click().run()
    assert "did not accept the change for: rlm\\-dead\\-1" in at.warning[-1].value
