"""Reading an email inside its thread: every message of the conversation in date order, the
opened one highlighted, quoted text collapsed, attachments listed, each pinnable.

The thread comes from the corpus index (`tools.corpus_index`, built once per corpus and stored);
only the thread's emails are read from the corpus. Every field is untrusted: headers go through
`md_escape`, bodies through `st.text`.
"""

from __future__ import annotations

import streamlit as st

from pipeline.views import RunView
from tools.models import Email
from tools.threads import split_quoted
from ui import run_store
from ui.components.pin_controls import key_id, render_pin_controls
from ui.components.safe_text import md_escape

MAX_MESSAGES = 30  # a longer thread shows the messages around the opened one


def render_headers(email: Email) -> None:
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


def render_attachments(email: Email) -> None:
    """Each attachment's name, type and size; its text (searched with the email) when it has some."""
    if not email.attachments:
        return
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


def render_message(email: Email) -> None:
    """Headers, the email's own text, its quoted text collapsed, and its attachments."""
    render_headers(email)
    own, quoted = split_quoted(email.body)
    st.text(own or "(empty body)")
    if quoted:
        with st.expander(f"Quoted text ({len(quoted.splitlines())} lines)", expanded=False):
            st.text(quoted)
    render_attachments(email)


def thread_window(ids: list[str], email_id: str) -> list[str]:
    if len(ids) <= MAX_MESSAGES or email_id not in ids:
        return ids[:MAX_MESSAGES]
    at = ids.index(email_id)
    start = max(0, min(at - MAX_MESSAGES // 2, len(ids) - MAX_MESSAGES))
    return ids[start : start + MAX_MESSAGES]


def render_thread(run: RunView, email_id: str) -> None:
    """The thread holding `email_id` in the run's corpus."""
    index = run_store.corpus_index(run)
    ids = (index.thread_ids(email_id) if index is not None else []) or [email_id]
    shown = thread_window(ids, email_id)
    emails = run_store.emails(run, shown)
    if email_id not in emails:
        st.warning(
            f"Email {md_escape(email_id)} is not in this run's corpus; the model may have cited "
            "an id that does not exist."
        )
        return
    corpus = run_store.corpus(run)
    fingerprint = corpus.fingerprint() if corpus is not None else ""
    hidden = len(ids) - len(shown)
    st.caption(
        f"Thread of {len(ids)} email{'s' if len(ids) != 1 else ''}, oldest first"
        + (f" ({hidden} further away from the opened email not shown)" if hidden else "")
    )
    for message_id in shown:
        email = emails.get(message_id)
        if email is None:
            continue
        opened = message_id == email_id
        tag = "opened" if opened else "message"
        with st.container(border=True, key=f"thread_{tag}_{key_id(message_id)}"):
            if opened:
                st.badge("opened", color="blue", icon=":material/mail:")
            render_message(email)
            if fingerprint:
                render_pin_controls(fingerprint, email, run.run_id, key_prefix="thread")
