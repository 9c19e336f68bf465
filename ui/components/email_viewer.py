"""Reading a cited email: clickable email ids that open the email in a dialog.

Every field of the email is untrusted: headers and attachment names go through `md_escape`, the
body and the text of attachments through `st.text`, which renders characters and never HTML or
Markdown.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from pipeline.views import RunView
from tools.models import Email
from ui import run_store
from ui.components.safe_text import md_escape

MAX_BUTTONS = 40


def render_email(email: Email) -> None:
    """Headers and body of one email, as text."""
    st.markdown(f"#### {md_escape(email.subject or '(no subject)')}")
    header_lines = [
        ("From", email.sender),
        ("To", ", ".join(email.to)),
        ("Cc", ", ".join(email.cc)),
        ("Date", email.date.isoformat(sep=" ") if email.date else "undated"),
        ("Email id", email.id),
        ("Folder", email.folder or ""),
    ]
    st.markdown(
        "  \n".join(f"**{name}:** {md_escape(value)}" for name, value in header_lines if value)
    )
    st.divider()
    st.text(email.body or "(empty body)")
    render_attachments(email)


def render_attachments(email: Email) -> None:
    """Each attachment's name, type and size; its text (searched with the email) when it has some."""
    if not email.attachments:
        return
    st.divider()
    st.markdown(f"**Attachments ({len(email.attachments)})**")
    for number, attachment in enumerate(email.attachments):
        label = (
            f"{md_escape(attachment.name or '(no name)')} · {md_escape(attachment.content_type)} · "
            f"{_size(attachment.size)}"
        )
        if not attachment.text:
            st.markdown(f"- {label} (no text)")
            continue
        with st.expander(f"{label} · text from the attachment", expanded=number == 0):
            st.text(attachment.text)


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{size / 1024:.1f} KB" if size >= 1024 else f"{size} bytes"


@st.dialog("Email", width="large")
def email_dialog(run: RunView, email_id: str) -> None:
    email = run_store.email(run, email_id)
    if email is None:
        st.warning(
            f"Email {md_escape(email_id)} is not in this run's corpus; the model may have cited "
            "an id that does not exist."
        )
        return
    render_email(email)


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
