"""The New analysis form: corpus choice, question, budget sliders and model settings.

Each `render_*` function draws one part of the form (widgets keyed by `ui.state` constants, kept
across page switches) and returns what it means: a corpus source, a `Budget`, `LLMSettings`.
The API key typed here stays in session state and is handed to the launcher; it is never shown
again, written to disk or put into settings.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from data.sample import SAMPLE_PATH, load_queries
from pipeline.agent.llm import resolve_settings
from pipeline.schemas import (
    MAX_CHUNKS_RANGE,
    MAX_DEPTH_RANGE,
    MAX_ITERATIONS_RANGE,
    TOTAL_CHUNKS_CAP,
    Budget,
    LLMSettings,
)
from ui import auth, state
from ui.components import corpus_library, local_source
from ui.components.corpus_preview import (
    SUPPORTED_FORMATS,
    CorpusPreview,
    preview_bytes,
    preview_file,
    save_upload,
    sha256_of,
)
from ui.errors import show_error

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CorpusChoice:
    """A readable corpus: where the pipeline will read it and its preview."""

    preview: CorpusPreview
    path: Path | None  # None for an upload not saved yet, or a library corpus
    data: bytes | None = None  # the uploaded bytes, saved at launch
    corpus_id: str | None = None  # a corpus from the library: the run reads no source

    def source_path(self) -> Path:
        if self.path is not None:
            return self.path
        assert self.data is not None
        return save_upload(self.data, self.preview.source, self.preview.format)


@st.cache_data(show_spinner=False)
def example_questions() -> list[str]:
    try:
        return [query.question for query in load_queries()]
    except (OSError, ValueError):
        logger.warning("No example questions available", exc_info=True)
        return []


CORPUS_CHOICE_LABELS = {
    state.SAMPLE: "Bundled sample (Northwind Energy)",
    state.UPLOADED: "Upload a mailbox",
    state.LOCAL: "Open from this machine",
    state.LIBRARY: "Corpus library",
}


def render_corpus_picker() -> CorpusChoice | None:
    """Bundled sample, an upload, a mailbox under the data root or a corpus from the library;
    shows the preview, or an error saying what to fix."""
    choice = st.radio(
        "Corpus",
        options=[state.SAMPLE, state.UPLOADED, state.LOCAL, state.LIBRARY],
        format_func=CORPUS_CHOICE_LABELS.get,
        horizontal=True,
        key=state.CORPUS_CHOICE,
        persist_state="session",
    )
    if choice == state.SAMPLE:
        return CorpusChoice(preview=preview_file(SAMPLE_PATH), path=SAMPLE_PATH)
    if choice == state.LOCAL:
        opened = local_source.render_local_picker()
        return None if opened is None else CorpusChoice(preview=opened[0], path=opened[1])
    if choice == state.LIBRARY:
        picked = corpus_library.render_library_picker()
        if picked is None:
            return None
        source = Path(picked.source)  # for the evaluation, which reads the file itself
        return CorpusChoice(
            preview=corpus_library.preview_of(picked),
            path=source if source.is_file() else None,
            corpus_id=picked.id,
        )

    uploaded = st.file_uploader(
        f"Drop a file: {SUPPORTED_FORMATS}",
        key=state.UPLOAD,
        help="Files stay on this machine: they are saved under .rlm/uploads for the pipeline.",
    )
    if uploaded is None:
        st.info("Drop a mailbox file above, or switch back to the bundled sample.")
        return None
    data = uploaded.getvalue()
    try:
        preview = preview_bytes(sha256_of(data), uploaded.name, data)
    except Exception as exc:  # IngestError and anything a malformed file triggers
        logger.info("Upload %s could not be ingested: %s", uploaded.name, exc)
        show_error(
            f"{uploaded.name} could not be read.",
            str(exc),
            advice=f"Upload {SUPPORTED_FORMATS} with at least one email, or pick the bundled sample.",
        )
        problems = getattr(exc, "problems", None) or []
        if problems:
            st.dataframe(
                [
                    {
                        "location": str(p.location),
                        "severity": str(p.severity),
                        "reason": str(p.reason),
                    }
                    for p in problems[:200]
                ],
                key="upload_problems",
                hide_index=True,
            )
        return None
    return CorpusChoice(preview=preview, path=None, data=data)


def _fill_query_from_example() -> None:
    example = st.session_state.get(state.EXAMPLE_QUERY)
    if example:
        st.session_state[state.QUERY] = example


def render_query_box() -> str:
    """The question, with example questions that fill the box when picked."""
    examples = example_questions()
    if examples:
        st.selectbox(
            "Example questions",
            options=examples,
            index=None,
            placeholder="Pick an example question to fill the box ...",
            key=state.EXAMPLE_QUERY,
            on_change=_fill_query_from_example,
        )
    query = st.text_area(
        "Question",
        key=state.QUERY,
        placeholder="What do you want to find out from these emails?",
        height=90,
        persist_state="session",
    )
    return (query or "").strip()


def render_budget_controls() -> Budget:
    """max_chunks / max_iterations sliders and optional USD / token caps for the run."""
    left, right = st.columns(2)
    max_chunks = left.slider(
        "Max chunks",
        *MAX_CHUNKS_RANGE,
        key=state.MAX_CHUNKS,
        help="How many slices of the corpus are investigated in parallel.",
        persist_state="session",
    )
    max_iterations = right.slider(
        "Max iterations per chunk",
        *MAX_ITERATIONS_RANGE,
        key=state.MAX_ITERATIONS,
        help="LLM calls per chunk; one is always kept for the chunk's summary.",
        persist_state="session",
    )
    max_depth = left.slider(
        "Max depth",
        *MAX_DEPTH_RANGE,
        key=state.MAX_DEPTH,
        help=(
            "1: every chunk answers on its own. 2-3: a chunk that matches far more emails than "
            f"it can read splits into a child run over its slice (at most {TOTAL_CHUNKS_CAP} "
            "chunks at all depths)."
        ),
        persist_state="session",
    )
    left, right = st.columns(2)
    max_usd = left.number_input(
        "Cost cap for the run (USD, optional)",
        min_value=0.0,
        step=0.05,
        format="%.2f",
        key=state.CAP_USD,
        persist_state="session",
    )
    max_tokens = right.number_input(
        "Token cap for the run (optional)",
        min_value=0,
        step=10_000,
        key=state.CAP_TOKENS,
        persist_state="session",
    )
    return Budget(
        max_chunks=max_chunks,
        max_iterations=max_iterations,
        max_depth=max_depth,
        max_usd_total=max_usd or None,
        max_tokens_total=int(max_tokens) if max_tokens else None,
    ).clamped()


def render_model_settings() -> tuple[LLMSettings, str | None]:
    """Model name, base URL and API key; returns the settings the run will use and the key."""
    with st.expander("Model and endpoint", expanded=False):
        st.text_input("Model name", key=state.MODEL_NAME, persist_state="session")
        st.text_input(
            "Base URL (OpenAI-compatible endpoint; empty for api.openai.com)",
            key=state.BASE_URL,
            placeholder="http://localhost:8000/v1",
            persist_state="session",
        )
        st.text_input(
            "API key",
            key=state.API_KEY_INPUT,
            type="password",
            placeholder="kept in this browser session only",
            help="Never written to disk, to a run or to a log; passed to the run's process only.",
            on_change=_take_api_key,
        )
        if st.session_state.get(state.API_KEY):
            st.caption("An API key is set for this browser session.")
            st.button("Forget the key", key="forget_api_key", on_click=_forget_api_key)
        elif os.environ.get("OPENAI_API_KEY") and not auth.server_key_shared():
            st.caption(
                "This workbench is shared, so the server's API key is not used for your runs: "
                "enter your own key (the operator can share theirs with RLM_SHARE_SERVER_KEY=1)."
            )
    api_key = (st.session_state.get(state.API_KEY) or "").strip() or None
    return settings_from_form(api_key), api_key


def _take_api_key() -> None:
    """Move a typed key out of the widget, so it is never sent back to the browser."""
    typed = (st.session_state.get(state.API_KEY_INPUT) or "").strip()
    if typed:
        st.session_state[state.API_KEY] = typed
    st.session_state[state.API_KEY_INPUT] = ""


def _forget_api_key() -> None:
    st.session_state[state.API_KEY] = ""


def settings_from_form(api_key: str | None) -> LLMSettings:
    """The environment's settings with the form's model and endpoint laid over them."""
    overrides: dict[str, object] = {}
    model = (st.session_state.get(state.MODEL_NAME) or "").strip()
    base_url = (st.session_state.get(state.BASE_URL) or "").strip()
    if model:
        overrides["model"] = model
    if base_url:
        overrides["base_url"] = base_url
    if api_key or base_url:
        overrides["mode"] = "llm"
    return resolve_settings(LLMSettings(**overrides), environ=auth.model_environment())


def mode_line(settings: LLMSettings) -> str:
    if settings.mode == "deterministic":
        return (
            "Mode: **deterministic** (no API key or endpoint configured): BM25 ranking and the "
            "same tools, no model calls, zero cost."
        )
    where = settings.base_url or "https://api.openai.com/v1"
    return f"Mode: **model** {_code(settings.model)} at {_code(where)}"


def _code(text: str) -> str:
    """An inline code span (its content is never interpreted); backticks cannot close it."""
    return "`" + text.replace("`", "'") + "`"
