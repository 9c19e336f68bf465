"""Turning failures into messages an analyst can act on.

Pages wrap their body in `page_guard(...)`: any exception is logged with its traceback on the
server and shown on the page as one `st.error` that says what went wrong and what to do next,
never as a Python traceback. `explain_error` maps the error text of a failed launch or run
(endpoint unreachable, key rejected, bad upload, ...) to the same kind of advice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from ui.components.safe_text import md_escape

logger = logging.getLogger(__name__)

_ADVICE: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"401|403|unauthori[sz]ed|invalid[ _-]?api[ _-]?key|incorrect api key|authentication",
            re.I,
        ),
        "The model endpoint rejected the API key. Check the key under **Model and endpoint** "
        "on New analysis (or OPENAI_API_KEY on the server) and launch again.",
    ),
    (
        re.compile(
            r"connect|unreachable|refused|timed? ?out|name or service|resolve|network", re.I
        ),
        "The model endpoint could not be reached. Check the base URL under **Model and "
        "endpoint** and that the server is running, or clear the URL and key to run in "
        "deterministic mode.",
    ),
    (
        re.compile(r"404|model.*(not found|does not exist)|unknown model", re.I),
        "The endpoint does not know this model. Check the model name under **Model and endpoint**.",
    ),
    (
        re.compile(r"429|rate.?limit|quota", re.I),
        "The endpoint is rate limiting or out of quota. Wait a minute, lower max chunks, or "
        "check the account's quota.",
    ),
    (
        re.compile(r"ingest|parse|decode|format|no usable|too large|oversized|corpus", re.I),
        "The corpus could not be read. Check that the file is JSON, JSONL, CSV, mbox, .eml or "
        ".zip and under the upload limit, or pick the bundled sample.",
    ),
]

_GENERIC_ADVICE = (
    "Try again; if it keeps failing, look at the server log for the traceback or start a "
    "new analysis."
)


def advice_for(error_text: str) -> str:
    """What to do next, given the text of an error."""
    for pattern, advice in _ADVICE:
        if pattern.search(error_text or ""):
            return advice
    return _GENERIC_ADVICE


def show_error(headline: str, error_text: str | None = None, *, advice: str | None = None) -> None:
    """One error box: the headline, the (escaped) error text, and what to do next."""
    parts = [f"**{md_escape(headline)}**"]
    if error_text:
        parts.append(md_escape(error_text, max_chars=600))
    parts.append(advice or advice_for(error_text or ""))
    st.error("\n\n".join(parts))


@contextmanager
def page_guard(what: str) -> Iterator[None]:
    """Show any exception raised while rendering `what` as a message; log the traceback.

    Streamlit's own control flow (st.rerun, st.stop, st.switch_page) raises BaseExceptions
    that are not caught here.
    """
    try:
        yield
    except Exception as exc:  # the page boundary: everything becomes a message
        logger.exception("Error while showing %s", what)
        show_error(f"Could not show {what}.", f"{type(exc).__name__}: {exc}")
