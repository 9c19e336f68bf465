"""Reading an email: clickable email ids that open the email inside its thread in a dialog.

A click records the email to open (`state.OPEN_EMAIL`: run, email, page) instead of drawing the
dialog on the spot, and `render_open_email` (called once by `ui/app.py` after the page) draws it:
so the dialog stays open while the analyst pins, tags and writes notes in it, whatever reruns
they cause, and closes when dismissed or when the analyst moves to another page. The thread view
(`ui.components.thread_view`) shows every field as text, never HTML or Markdown.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from pipeline.views import RunView
from ui import run_store, state
from ui.components.safe_text import md_escape, short
from ui.components.thread_view import render_thread

MAX_BUTTONS = 40
OPEN_HELP = "Open this email in its thread"


def button_headers(run: RunView, email_ids: Sequence[str]) -> dict[str, str]:
    """The "date · sender · subject" (escaped) of each email, for the buttons' tooltips. Only for a
    finished run, whose headers are cached: a live page redraws every few seconds."""
    if not run.finished or not email_ids:
        return {}
    headers = {}
    for email_id, fields in run_store.email_headers(run, list(email_ids)).items():
        date = fields["date"]
        when = date.strftime("%Y-%m-%d %H:%M") if date else "undated"
        parts = [when, short(fields["sender"], 60), short(fields["subject"] or "(no subject)", 90)]
        headers[email_id] = md_escape(" · ".join(parts))
    return headers


def open_email(run_id: str, email_id: str) -> None:
    """Open `email_id` of run `run_id` in the dialog (on this page)."""
    st.session_state[state.OPEN_EMAIL] = {
        "run": run_id,
        "email": email_id,
        "page": st.session_state.get(state.CURRENT_PAGE),
    }


def _close() -> None:
    st.session_state[state.OPEN_EMAIL] = None


@st.dialog("Email in its thread", width="large", on_dismiss=_close)
def email_dialog(run: RunView, email_id: str) -> None:
    render_thread(run, email_id)


def render_open_email() -> None:
    """Draw the dialog of the email opened on this page, if any."""
    opened = st.session_state.get(state.OPEN_EMAIL)
    if not opened:
        return
    if opened.get("page") != st.session_state.get(state.CURRENT_PAGE):
        _close()  # opened on another page
        return
    run = run_store.find_run(opened["run"])
    if run is None:
        _close()
        return
    email_dialog(run, opened["email"])


def email_buttons(run: RunView, email_ids: Sequence[str], key_prefix: str) -> None:
    """One small button per email id, in a wrapping row; a click opens the email. Hovering one
    of a finished run shows the email's date, sender and subject."""
    ids = list(dict.fromkeys(email_ids))
    if not ids:
        st.caption("No emails cited.")
        return
    shown = ids[:MAX_BUTTONS]
    headers = button_headers(run, shown)
    with st.container(horizontal=True, gap="small"):
        for index, email_id in enumerate(shown):
            header = headers.get(email_id)
            st.button(
                md_escape(email_id),
                key=f"{key_prefix}_{index}",
                help=f"{header}  \n{OPEN_HELP}" if header else OPEN_HELP,
                on_click=open_email,
                args=(run.run_id, email_id),
            )
    if len(ids) > MAX_BUTTONS:
        st.caption(f"... and {len(ids) - MAX_BUTTONS} more (all ids are in the JSON download).")
