"""Session state of the workbench, initialised in one place.

Every key the pages read is created here with `setdefault`, so a page never has to guess whether a
key exists. Widget keys double as state keys (the widgets use `persist_state="session"` so their
values survive page switches). Nothing here is module-level mutable state: it all lives in
`st.session_state`, which is per browser session.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from pipeline.agent.llm import resolve_settings
from pipeline.eval.schemas import DEFAULT_CONTEXT_TOKENS, DEFAULT_TOP_K
from pipeline.schemas import Budget

# Sign-in (ui.auth)
SIGNED_IN = "signed_in"  # True once this session gave the right access token
ACCESS_TOKEN_INPUT = "access_token_input"  # the sign-in form's password field

# Run selection (shared by every page and the sidebar)
SELECTED_RUN = "selected_run"  # run id (or name right after a launch) or None
ACTIVE_LAUNCH = "active_launch"  # LaunchHandle of the run started from this session
LAUNCH_BUDGETS = "launch_budgets"  # run name -> Budget used at launch (for budget usage)
LAUNCH_ERROR = "launch_error"  # a message shown on New analysis after a failed launch

# New analysis widgets
CORPUS_CHOICE = "corpus_choice"  # "sample" | "upload" | "local" | "library"
UPLOAD = "upload_file"
LOCAL_PICK = "local_pick"  # an entry of the data root (RLM_DATA_DIR)
LOCAL_PATH = "local_path"  # a path typed instead
LIBRARY_CORPUS = "library_corpus"  # id of the corpus picked from the library
QUERY = "query"
EXAMPLE_QUERY = "example_query"
MAX_CHUNKS = "max_chunks"
MAX_ITERATIONS = "max_iterations"
MAX_DEPTH = "max_depth"
CAP_USD = "cap_usd_total"
CAP_TOKENS = "cap_tokens_total"
MODEL_NAME = "model_name"
BASE_URL = "base_url"
API_KEY = "api_key"  # only ever in session state; passed to launch_run, never stored
API_KEY_INPUT = "api_key_input"  # the password field; emptied as soon as a key is typed

# Trajectories
TRAJECTORY_CHUNK = "trajectory_chunk"
REPLAY_STEP = "replay_step"
REPLAY_JUMP = "replay_jump"  # the "Jump to a step" list; emptied again after each jump

# Runs
RUN_PICKER = "run_picker"
RUN_OPENED = "run_opened"  # "Open this run" was just clicked: say so once
COMPARE_A = "compare_a"
COMPARE_B = "compare_b"

# Evaluate
EVAL_LAUNCH = "eval_launch"  # LaunchHandle of the evaluation started from this session
EVAL_SELECTED = "eval_selected"  # evaluation run id or name shown in the results
EVAL_QSET_CHOICE = "eval_qset_choice"  # "bundled" | "upload"
EVAL_QSET_UPLOAD = "eval_qset_upload"
EVAL_QUESTIONS = "eval_questions"  # question ids to run
EVAL_STRATEGIES = "eval_strategies"
EVAL_CONTEXT_TOKENS = "eval_context_tokens"
EVAL_TOP_K = "eval_top_k"
EVAL_CELL = "eval_cell"
EVAL_COMPARE_A = "eval_compare_a"
EVAL_COMPARE_B = "eval_compare_b"
BUNDLED = "bundled"
# The analyst's desk
CURRENT_PAGE = "current_page"  # url path of the page being drawn (set by app.py)
OPEN_EMAIL = "open_email"  # {"run", "email", "page"} of the email shown in the thread dialog
PEOPLE_SCOPE = "people_scope"  # "corpus" | "run"
PEOPLE_TOP_N = "people_top_n"
PEOPLE_PERSON = "people_person"  # the person picked (on the chart or in the picker)
PEOPLE_LAST_CLICK = "people_last_click"  # the last person clicked on the chart
TIMELINE_LAST_CLICK = "timeline_last_click"  # the last cited email clicked on the timeline
EVIDENCE_CORPUS = "evidence_corpus"  # corpus fingerprint shown on Evidence
EVIDENCE_TAG = "evidence_tag"
REVIEW_PLAN = "review_plan"  # New analysis: review the plan before fan-out
PLAN_DRAFT = "plan_draft"  # the plan being reviewed (see ui.components.plan_review)

SAMPLE = "sample"
UPLOADED = "upload"
LOCAL = "local"
LIBRARY = "library"

_DEFAULT_BUDGET = Budget()


def _defaults() -> dict[str, Any]:
    env_settings = resolve_settings()  # model and endpoint from the environment, never the key
    return {
        SIGNED_IN: False,
        SELECTED_RUN: None,
        ACTIVE_LAUNCH: None,
        LAUNCH_BUDGETS: {},
        LAUNCH_ERROR: None,
        CORPUS_CHOICE: SAMPLE,
        LIBRARY_CORPUS: None,
        QUERY: "",
        MAX_CHUNKS: _DEFAULT_BUDGET.max_chunks,
        MAX_ITERATIONS: _DEFAULT_BUDGET.max_iterations,
        MAX_DEPTH: _DEFAULT_BUDGET.max_depth,
        CAP_USD: None,
        CAP_TOKENS: None,
        MODEL_NAME: env_settings.model,
        BASE_URL: env_settings.base_url or "",
        API_KEY: "",
        REPLAY_STEP: 1,
        EVAL_LAUNCH: None,
        EVAL_SELECTED: None,
        EVAL_QSET_CHOICE: BUNDLED,
        EVAL_CONTEXT_TOKENS: DEFAULT_CONTEXT_TOKENS,
        EVAL_TOP_K: DEFAULT_TOP_K,
        CURRENT_PAGE: None,
        OPEN_EMAIL: None,
        PEOPLE_SCOPE: "corpus",
        PEOPLE_TOP_N: 25,
        PEOPLE_PERSON: None,
        PEOPLE_LAST_CLICK: None,
        TIMELINE_LAST_CLICK: None,
        EVIDENCE_TAG: "",
        REVIEW_PLAN: False,
        PLAN_DRAFT: None,
    }


def init_state() -> None:
    """Create every session key the pages use (existing values are kept)."""
    for key, value in _defaults().items():
        st.session_state.setdefault(key, value)


def selected_run_id() -> str | None:
    return st.session_state.get(SELECTED_RUN)


def select_run(run_id: str | None) -> None:
    """Make `run_id` the run every page shows; resets the per-run view state."""
    if st.session_state.get(SELECTED_RUN) != run_id:
        st.session_state[SELECTED_RUN] = run_id
        st.session_state[REPLAY_STEP] = 1
        st.session_state.pop(TRAJECTORY_CHUNK, None)
        st.session_state[PEOPLE_PERSON] = None
        st.session_state[OPEN_EMAIL] = None
