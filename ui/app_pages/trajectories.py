"""Trajectories: every chunk of the run on one Gantt chart, and a step-by-step replay of one."""

import streamlit as st

from ui import run_store, state
from ui.components.dashboard_links import render_chunk_link
from ui.components.replay import render_event, replay_controls
from ui.components.run_context import require_run
from ui.components.safe_text import md_escape
from ui.components.timeline import gantt_figure, trajectory_figure
from ui.errors import page_guard

st.title("Trajectories")

with page_guard("the trajectories"):
    run = require_run()
    gantt = gantt_figure(run)
    if gantt is not None:
        st.subheader("All chunks")
        st.plotly_chart(gantt, key="chunks_gantt")
    trajectories = run_store.trajectories(run)
    if not trajectories:
        st.info("No chunk has recorded a trajectory yet.")
        st.stop()

    chunk_ids = sorted(trajectories)
    if st.session_state.get(state.TRAJECTORY_CHUNK) not in chunk_ids:
        st.session_state[state.TRAJECTORY_CHUNK] = chunk_ids[0]
    chunk_id = st.selectbox(
        "Chunk",
        chunk_ids,
        key=state.TRAJECTORY_CHUNK,
        on_change=lambda: st.session_state.update({state.REPLAY_STEP: 1}),
    )
    trajectory = trajectories[chunk_id]
    st.caption(md_escape(trajectory.sub_question))
    render_chunk_link(run, chunk_id, key="dashboard_chunk_link")
    event = replay_controls(trajectory)
    if event is not None:
        st.plotly_chart(trajectory_figure(trajectory, event.seq), key="trajectory_timeline")
        render_event(run, trajectory, event)
