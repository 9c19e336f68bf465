"""People: who emails whom in the run's corpus (or among the run's cited emails); click a person to
list their emails in the corpus and in the run's evidence."""

import streamlit as st

from ui import run_store, state
from ui.components.email_viewer import email_buttons
from ui.components.people_graph import clicked_person, follow_click, graph_figure
from ui.components.run_context import require_run
from ui.components.safe_text import md_escape
from ui.errors import page_guard

st.title("People")

with page_guard("the people graph"):
    run = require_run()
    index = run_store.corpus_index(run)
    report = run_store.report(run)
    if index is None:
        st.info("The run's corpus is not stored yet; the graph appears once the run has loaded it.")
        st.stop()
    cited = set(report.cited_ids) if report else set()
    scope_row = st.columns([2, 1], vertical_alignment="bottom")
    scope = scope_row[0].segmented_control(
        "Emails", ["corpus", "run"], key=state.PEOPLE_SCOPE, required=True,
        format_func=lambda s: "Whole corpus" if s == "corpus" else "This run's cited emails",
    )  # fmt: skip
    top_n = scope_row[1].slider("Top people by volume", 5, 60, key=state.PEOPLE_TOP_N)
    counts = index.message_counts(cited if scope == "run" else None)
    if not counts:
        st.info("No sender-to-recipient messages in this selection.")
        st.stop()
    figure, nodes = graph_figure(counts, top_n)
    event = st.plotly_chart(figure, key="people_graph", on_select="rerun", selection_mode="points")
    follow_click(clicked_person(event, nodes, node_trace=len(figure.data) - 1))
    st.caption("Node size: messages sent and received. Line width: messages between two people.")

    if st.session_state.get(state.PEOPLE_PERSON) not in nodes:
        st.session_state[state.PEOPLE_PERSON] = None
    person = st.selectbox(
        "Person", nodes, key=state.PEOPLE_PERSON, index=None, placeholder="Click a person"
    )
    if person:
        corpus_ids = index.emails_of(person)
        evidence_ids = [i for i in corpus_ids if i in cited]
        st.subheader(md_escape(person))
        left, right = st.columns(2)
        with left:
            st.markdown(f"**In the corpus:** {len(corpus_ids)} emails")
            email_buttons(run, corpus_ids, key_prefix="person_corpus")
        with right:
            st.markdown(f"**In this run's evidence:** {len(evidence_ids)} emails")
            email_buttons(run, evidence_ids, key_prefix="person_evidence")
