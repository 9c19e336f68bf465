"""The evidence basket on its page, and evidence bundles (.zip) of a run or of the basket.

Items come from `tools.basket`; a bundle is written by `pipeline.export.export_run` into memory
and offered as a download. Subjects and senders are email text: shown through `md_escape`.
"""

from __future__ import annotations

import io
from pathlib import PurePath

import streamlit as st

from pipeline.views import RunView
from tools.basket import BasketItem
from ui import auth, run_store, state
from ui.components.email_viewer import open_email
from ui.components.pin_controls import basket, key_id, render_item_editor
from ui.components.safe_text import md_escape, short


def corpus_choices() -> dict[str, str]:
    """corpus fingerprint -> label, for every corpus with pinned emails (the selected run's
    corpus first when it has some)."""
    store = basket()
    choices = {}
    for corpus, count in store.corpora():
        first = store.items(corpus)[0]
        run = run_store.find_run(first.run_id)
        source = PurePath(run.source).name if run and run.source else "corpus"
        choices[corpus] = f"{short(source, 60)} · {count} pinned · corpus {corpus[:10]}"
    return choices


def tag_filter(corpus: str) -> str:
    counts = basket().tag_counts(corpus)
    options = ["", *sorted(counts)]
    if st.session_state.get(state.EVIDENCE_TAG) not in options:
        st.session_state[state.EVIDENCE_TAG] = ""
    return st.selectbox(
        "Tag",
        options,
        key=state.EVIDENCE_TAG,
        format_func=lambda t: f"{t} ({counts[t]})" if t else "All tags",
    )


def render_items(corpus: str, tag: str) -> list[BasketItem]:
    """Every item of the corpus with `tag` (all when empty): headers, open, tags and note."""
    store = basket()
    items = store.items(corpus, tag=tag or None)
    st.caption(f"{len(items)} pinned email{'s' if len(items) != 1 else ''}, oldest first")
    for item in items:
        key = f"evidence_{key_id(item.email_id)}"
        with st.container(border=True, key=key):
            head, action = st.columns([5, 1], vertical_alignment="center")
            when = item.date[:16].replace("T", " ") or "undated"  # ISO date to the minute
            head.markdown(
                f"**{md_escape(item.subject or '(no subject)')}**  \n"
                f"{md_escape(item.email_id)} · {md_escape(when)} · {md_escape(item.sender)}"
            )
            action.button(
                "Open",
                key=f"open_{key}",
                help="Read it in its thread",
                on_click=open_email,
                args=(item.run_id, item.email_id),
            )
            render_item_editor(store, item, key)
    return items


def _bundle_bytes(run: RunView, *, pinned_only: bool, tag: str | None) -> bytes:
    from pipeline.export import export_run

    run_store.ensure_store()
    buffer = io.BytesIO()
    export_run(run.run_id, buffer, pinned_only=pinned_only, tag=tag, who=auth.who())
    return buffer.getvalue()


def render_bundle_download(
    run: RunView, key: str, *, pinned_only: bool = False, tag: str | None = None
) -> None:
    """A button that writes the bundle, then its download button."""
    if st.button("Prepare evidence bundle (.zip)", key=f"build_{key}", icon=":material/archive:"):
        data = _bundle_bytes(run, pinned_only=pinned_only, tag=tag)
        st.download_button(
            "Download evidence bundle",
            data=data,
            file_name=f"evidence-{run.name}{'-' + tag if tag else ''}.zip",
            mime="application/zip",
            key=f"download_{key}",
            on_click="ignore",
            type="primary",
        )


def render_basket_bundle(items: list[BasketItem], tag: str) -> None:
    """The shown items as a bundle, with the report of the run they were pinned from."""
    if not items:
        return
    run = run_store.find_run(items[0].run_id)
    if run is None or not run.finished:
        st.caption("The run these emails were pinned from is gone: no bundle can be written.")
        return
    st.subheader("Evidence bundle")
    st.caption(
        f"The emails above as .eml files with a manifest of their tags and notes, plus the "
        f"report and trajectories of run {md_escape(run.name)}."
    )
    render_bundle_download(run, "basket_bundle", pinned_only=True, tag=tag or None)
