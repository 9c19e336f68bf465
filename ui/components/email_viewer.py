"""Reading a cited email: clickable email ids that open the email inside its thread in a dialog.

The thread view (`ui.components.thread_view`) shows every field as text, never HTML or Markdown.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from pipeline.views import RunView
from ui.components.safe_text import md_escape
from ui.components.thread_view import render_thread

MAX_BUTTONS = 40


@st.dialog("Email in its thread", width="large")
def email_dialog(run: RunView, email_id: str) -> None:
    render_thread(run, email_id)


def email_buttons(run: RunView, email_ids: Sequence[str], key_prefix: str) -> None:
    """One small button per email id, in a wrapping row; a click opens the email."""
    ids = list(dict.fromkeys(email_ids))
    if not ids:
        st.caption("No emails cited.")
        return
    clicked: str | None = None
    with st.container(horizontal=True, gap="small"):
        for index, email_id in enumerate(ids[:MAX_BUTTONS]):
            if st.button(md_escape(email_id), key=f"{key_prefix}_{index}", help="Open this email"):
                clicked = email_id
    if len(ids) > MAX_BUTTONS:
        st.caption(f"... and {len(ids) - MAX_BUTTONS} more (all ids are in the JSON download).")
    if clicked is not None:
        email_dialog(run, clicked)
