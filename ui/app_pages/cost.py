"""Cost dashboard: per-chunk cost and calls with p95, tokens, durations, budget usage, and the
heavy tail of per-chunk cost across all past runs."""

import streamlit as st

from pipeline import cost_text
from ui import run_store, state
from ui.components import cost_charts, run_tree
from ui.components.run_context import require_run
from ui.components.safe_text import md_escape
from ui.errors import page_guard

st.title("Cost dashboard")

with page_guard("the cost dashboard"):
    run = require_run()
    if run.mode == "deterministic":
        st.info("No model was called: deterministic mode, so every cost and token count is zero.")
    totals = st.columns(5)
    known = cost_text.run_cost_known(run)
    run_cost = cost_text.short_cost_text(cost_text.run_cost_usd(run), known)
    whole_run = "Planning and synthesis included"
    totals[0].metric("Total cost", run_cost, help=whole_run)
    totals[1].metric("LLM calls", run.llm_calls, help=whole_run)
    totals[2].metric("Tokens in", f"{run.input_tokens:,}", help=whole_run)
    totals[3].metric("Tokens out", f"{run.output_tokens:,}", help=whole_run)
    totals[4].metric(
        "Duration",
        f"{run.wall_s:.1f} s" if run.wall_s is not None else "…",
        help="From launch to the end of the run"
        + (f"; the chunks ran within {run.totals.duration_s:.1f} s of it" if run.totals else ""),
    )

    if not known:
        st.warning(f"Cost {md_escape(cost_text.run_cost_text(run))}. Token counts are exact.")
    frame = cost_charts.chunk_frame(run)
    left, right = st.columns(2)
    left.plotly_chart(
        cost_charts.bar_with_p95(frame, "cost_usd", "Cost per chunk", "USD"), key="cost_per_chunk"
    )
    if note := cost_text.left_out_note(len(cost_text.unpriced(run.chunks))):
        left.caption(f"{note} (bars and p95).")
    right.plotly_chart(
        cost_charts.bar_with_p95(frame, "llm_calls", "LLM calls per chunk", "calls"),
        key="calls_per_chunk",
    )
    left.plotly_chart(cost_charts.tokens_figure(frame), key="tokens_per_chunk")
    right.plotly_chart(cost_charts.duration_figure(frame), key="duration_per_chunk")

    run_tree.render_depth_summary(run)

    st.subheader("Budget usage")
    budget = st.session_state.get(state.LAUNCH_BUDGETS, {}).get(run.name)
    cost_charts.render_budget_usage(run, budget)

    st.subheader("Heavy tail across all runs")
    costs = cost_charts.history_costs(run_store.recent_finished_runs())
    if note := cost_text.left_out_note(int(costs["cost_usd"].isna().sum())):
        st.caption(f"{note} (histogram, ECDF, p50/p95/p99).")
    if costs.empty or not costs["cost_usd"].max() > 0:
        st.caption("No run has spent anything yet (deterministic runs cost nothing).")
    if not costs.empty:
        histogram, ecdf = cost_charts.heavy_tail_figures(costs)
        left, right = st.columns(2)
        left.plotly_chart(histogram, key="cost_histogram")
        right.plotly_chart(ecdf, key="cost_ecdf")
