"""Pinning an email to the evidence basket, tagging it and writing a note, from any view.

The basket is `tools.basket.Basket` (SQLite in the state folder); a widget change is written at
once, so nothing is lost when the tab closes or the workbench restarts.
"""

from __future__ import annotations

import hashlib
import re

import streamlit as st

from pipeline import desk
from tools.basket import DEFAULT_TAGS, Basket, BasketItem
from tools.models import Email
from ui.components.safe_text import md_escape

_UNSAFE_KEY = re.compile(r"[^A-Za-z0-9_-]+")


def key_id(email_id: str) -> str:
    """An email id as a widget-key part (a short hash keeps it unique when characters were
    replaced); the page's CSS class `st-key-...` is then predictable for the browser tests."""
    safe = _UNSAFE_KEY.sub("_", email_id)[:60]
    if safe != email_id:
        safe = f"{safe}_{hashlib.sha1(email_id.encode()).hexdigest()[:6]}"
    return safe


def basket() -> Basket:
    return desk.basket()


def render_pin_controls(corpus: str, email: Email, run_id: str, key_prefix: str) -> None:
    """A pin button; once pinned, tags (defaults plus free tags), a note, and unpin."""
    key = f"{key_prefix}_{key_id(email.id)}"
    store = basket()
    item = store.get(corpus, email.id)
    # The pin button sits in a slot that stays (empty) once pinned, so the editor's widgets keep
    # their places from the run that pinned to every later one: a widget that moves when an
    # element above it disappears can lose a value typed during that rerun.
    slot = st.empty()
    if item is None:
        if not slot.button("Pin to evidence", key=f"pin_{key}", icon=":material/push_pin:"):
            return
        slot.empty()
        item = store.pin(corpus, email, run_id)
        st.toast("Pinned to the evidence basket.")
    render_item_editor(store, item, key)


def render_item_editor(store: Basket, item: BasketItem, key: str) -> None:
    tags_key, note_key = f"tags_{key}", f"note_{key}"

    def save_tags() -> None:
        store.set_tags(item.corpus, item.email_id, list(st.session_state[tags_key]))

    def save_note() -> None:
        store.set_note(item.corpus, item.email_id, str(st.session_state[note_key]))

    if st.button("Unpin", key=f"unpin_{key}", icon=":material/close:"):
        store.unpin(item.corpus, item.email_id)
        st.session_state.pop(tags_key, None)
        st.session_state.pop(note_key, None)
        st.caption("Removed from the evidence basket.")
        return
    # the stored values seed the widgets once; afterwards the widgets own them (a changing
    # `default` would reset a widget while the analyst is typing)
    st.session_state.setdefault(tags_key, item.tags)
    st.session_state.setdefault(note_key, item.note)
    st.multiselect(
        "Tags",
        options=list(dict.fromkeys([*DEFAULT_TAGS, *item.tags])),
        key=tags_key,
        accept_new_options=True,
        on_change=save_tags,
        placeholder="key, relevant, privileged, follow-up, or type a new tag",
    )
    st.text_area("Note", key=note_key, on_change=save_note, height=80)
    st.caption(
        f"Saved: tags {md_escape(', '.join(item.tags) or 'none')} · note of {len(item.note)} "
        "characters",
        help="What the evidence basket holds for this email",
    )
