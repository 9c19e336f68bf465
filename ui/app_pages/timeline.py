"""Timeline: the corpus's email volume over time, the run's cited emails marked on it (click one to
read it in its thread), and each chunk's date range as a band."""

import streamlit as st

from ui import run_store, state
from ui.components.corpus_timeline import clicked_email, timeline_figure
from ui.components.email_viewer import email_buttons, open_email
from ui.components.run_context import require_run
from ui.errors import page_guard

st.title("Timeline")

with page_guard("the timeline"):
    run = require_run()
    index = run_store.corpus_index(run)
    if index is None:
        st.info("The run's corpus is not stored yet; the timeline appears once it is loaded.")
        st.stop()
    report = run_store.report(run)
    cited = list(report.cited_ids) if report else []
    figure = timeline_figure(run, index, cited)
    event = st.plotly_chart(
        figure, key="corpus_timeline", on_select="rerun", selection_mode="points"
    )
    st.caption(
        f"{len(index):,} emails. Red diamonds: the {len(cited)} emails the report cites. "
        "Shaded bands: the date range each chunk read."
    )
    st.subheader("Cited emails")
    email_buttons(run, cited, key_prefix="timeline_cited")
    picked = clicked_email(event, trace=len(figure.data) - 1)
    if picked is not None and picked != st.session_state.get(state.TIMELINE_LAST_CLICK):
        st.session_state[state.TIMELINE_LAST_CLICK] = picked  # open once per click
        open_email(run.run_id, picked)
