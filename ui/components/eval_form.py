"""The Evaluate page's form: a question set (bundled or uploaded), which of its questions, the
strategies and the baselines' settings. The corpus, budget and model parts are New analysis's
own widgets (`ui.components.analysis_form`), so both pages share one model configuration.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from data.sample import QUERIES_PATH, SAMPLE_PATH
from pipeline import state_folder
from pipeline.eval.questions import (
    Question,
    QuestionSetError,
    check_against_corpus,
    load_question_set,
    parse_question_set,
)
from pipeline.eval.schemas import MODEL_STRATEGIES, STRATEGIES, EvalSettings
from pipeline.schemas import LLMSettings
from ui import state
from ui.components.analysis_form import CorpusChoice
from ui.components.corpus_preview import sha256_of
from ui.errors import show_error

logger = logging.getLogger(__name__)

QUESTIONS_DIR = ("uploads", "questions")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class QuestionSet:
    name: str
    path: Path
    questions: list[Question]


@st.cache_data(max_entries=8, show_spinner="Reading the corpus's email ids ...")
def _corpus_ids(digest: str, filename: str, _data: bytes | None, path: str | None) -> list[str]:
    from tools.ingest import ingest_bytes, ingest_path

    result = ingest_path(path) if path else ingest_bytes(_data or b"", filename)
    return result.corpus.column("id")


def corpus_ids(choice: CorpusChoice) -> list[str]:
    if choice.path is not None:
        return _corpus_ids(str(choice.path), choice.path.name, None, str(choice.path))
    data = choice.data or b""
    return _corpus_ids(sha256_of(data), choice.preview.source, data, None)


def render_question_set(choice: CorpusChoice) -> QuestionSet | None:
    """Bundled questions (for the bundled sample) or an uploaded .json/.csv set, checked against
    the corpus; an error says what to fix."""
    if choice.path is None and choice.data is None:  # a library corpus whose file is gone
        show_error(
            "This corpus cannot be evaluated.",
            "an evaluation reads the corpus's source file, and this library corpus has none here",
            advice="Pick the bundled sample, upload the mailbox, or open it from this machine.",
        )
        return None
    picked = st.radio(
        "Question set",
        [state.BUNDLED, state.UPLOADED],
        format_func=lambda v: (
            "Bundled (data/queries.json, for the sample)" if v == state.BUNDLED else "Upload"
        ),
        horizontal=True,
        key=state.EVAL_QSET_CHOICE,
        persist_state="session",
    )
    try:
        if picked == state.BUNDLED:
            qset = QuestionSet(QUERIES_PATH.name, QUERIES_PATH, load_question_set(QUERIES_PATH))
        else:
            qset = _uploaded_set()
            if qset is None:
                return None
        check_against_corpus(qset.questions, corpus_ids(choice))
    except QuestionSetError as error:
        advice = "Pick the corpus these questions were written for, or fix the file."
        if picked == state.BUNDLED and choice.path != SAMPLE_PATH:
            advice = "The bundled questions are about the bundled sample: pick it as the corpus."
        show_error("This question set cannot be used.", str(error), advice=advice)
        return None
    return qset


def _uploaded_set() -> QuestionSet | None:
    uploaded = st.file_uploader(
        "Questions (.json list or .csv with id, kind, question, answer, relevant_ids)",
        type=["json", "csv"],
        key=state.EVAL_QSET_UPLOAD,
    )
    if uploaded is None:
        st.info("Drop a question set above, or use the bundled one.")
        return None
    data = uploaded.getvalue()
    try:
        questions = parse_question_set(data, uploaded.name)
    except UnicodeDecodeError:
        raise QuestionSetError(f"{uploaded.name}: not UTF-8 text") from None
    return QuestionSet(uploaded.name, _saved(data, uploaded.name), questions)


def _saved(data: bytes, name: str) -> Path:
    """`data` under .rlm/uploads/questions, named by its hash and (a safe form of) `name`."""
    safe = _UNSAFE_NAME.sub("_", Path(name).name)[-80:] or "questions.json"
    path = state_folder.state_dir(*QUESTIONS_DIR) / f"{sha256_of(data)[:16]}-{safe}"
    if not path.exists():
        state_folder.write_private(path, data)
    return path


def render_selection(qset: QuestionSet, settings: LLMSettings) -> tuple[list[str], list[str]]:
    """(question ids, strategies) picked; strategies that need a model are offered only with one."""
    ids = [q.id for q in qset.questions]
    if st.session_state.get(state.EVAL_QUESTIONS) is None or not set(
        st.session_state[state.EVAL_QUESTIONS]
    ) <= set(ids):
        st.session_state[state.EVAL_QUESTIONS] = ids
    by_id = {q.id: q for q in qset.questions}
    chosen = st.multiselect(
        f"Questions ({len(ids)} in {qset.name})",
        ids,
        format_func=lambda i: f"{i} · {by_id[i].kind} · {by_id[i].question[:70]}",
        key=state.EVAL_QUESTIONS,
        persist_state="session",
    )
    offered = [s for s in STRATEGIES if settings.mode == "llm" or s not in MODEL_STRATEGIES]
    picked = st.session_state.get(state.EVAL_STRATEGIES)
    if picked is None or not set(picked) <= set(offered):
        st.session_state[state.EVAL_STRATEGIES] = offered
    strategies = st.multiselect(
        "Strategies", offered, key=state.EVAL_STRATEGIES, persist_state="session"
    )
    if settings.mode != "llm":
        st.caption("rlm, direct and rag need a model: set one under *Model and endpoint*.")
    return chosen, strategies


def render_baseline_settings() -> EvalSettings:
    left, right = st.columns(2)
    context = left.number_input(
        "direct: context budget (tokens)",
        min_value=1_000,
        step=10_000,
        key=state.EVAL_CONTEXT_TOKENS,
        persist_state="session",
        help="Emails go in date order, whole, until the budget is full; the rest is left out.",
    )
    top_k = right.number_input(
        "rag: emails retrieved",
        min_value=1,
        max_value=100,
        key=state.EVAL_TOP_K,
        persist_state="session",
    )
    return EvalSettings(context_tokens=int(context), top_k=int(top_k))


def subset_file(qset: QuestionSet, ids: list[str]) -> Path:
    """The question set restricted to `ids`, as a JSON file the evaluation CLI reads."""
    if ids == [q.id for q in qset.questions]:
        return qset.path
    chosen = [q.model_dump(exclude_none=True) for q in qset.questions if q.id in ids]
    name = f"{Path(qset.name).stem}-{len(chosen)}-of-{len(qset.questions)}.json"
    return _saved(json.dumps(chosen, indent=1).encode(), name)
