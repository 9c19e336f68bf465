"""Evidence: the emails pinned in the basket for a corpus, filterable by tag, with their tags and
notes, each one click from its thread; and the basket as an evidence bundle."""

import streamlit as st

from ui import state
from ui.components.evidence_list import (
    corpus_choices,
    render_basket_bundle,
    render_items,
    tag_filter,
)
from ui.errors import page_guard

st.title("Evidence")

with page_guard("the evidence basket"):
    choices = corpus_choices()
    if not choices:
        st.info(
            "Nothing pinned yet. Open an email (from a report, a replay, People or Timeline) and "
            "press **Pin to evidence**."
        )
        st.stop()
    corpus = st.selectbox(
        "Corpus", list(choices), format_func=choices.get, key=state.EVIDENCE_CORPUS
    )
    tag = tag_filter(corpus)
    items = render_items(corpus, tag)
    render_basket_bundle(items, tag)
