"""Turning untrusted text (emails, model output, file names) into inert Markdown.

Streamlit renders Markdown in `st.markdown`, widget labels, captions and alerts. Text that comes
from an email or from the model must show as the characters it contains: no HTML, no links
(`javascript:` or otherwise), no emphasis, no LaTeX, no colour directives, no emoji shortcodes.
`md_escape` backslash-escapes every ASCII punctuation character (CommonMark allows that for all of
them) and turns `<`, `>` and `&` into HTML entities, so the renderer has nothing left to interpret.
For plots, `html_escape` does the same for Plotly's HTML-ish labels.
"""

from __future__ import annotations

import html
import string

_MD_SPECIALS = frozenset(string.punctuation) - {"<", ">", "&"}
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def md_escape(text: object, *, max_chars: int | None = None) -> str:
    """Markdown that displays `text` literally. Newlines become Markdown line breaks."""
    value = "" if text is None else str(text)
    if max_chars is not None and len(value) > max_chars:
        value = value[: max_chars - 1] + "…"
    out: list[str] = []
    for char in value:
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char in _MD_SPECIALS:
            out.append("\\" + char)
        elif char == "\n":
            out.append("  \n")
        elif char == "\r":
            continue
        else:
            out.append(char)
    return "".join(out)


def html_escape(text: object, *, max_chars: int | None = None) -> str:
    """Text for Plotly hover labels and titles, which accept a small HTML subset."""
    value = "" if text is None else str(text)
    if max_chars is not None and len(value) > max_chars:
        value = value[: max_chars - 1] + "…"
    return html.escape(value, quote=True).replace("\n", "<br>")


def short(text: object, max_chars: int = 80) -> str:
    """One-line plain text, for places that render text as text (dataframes, plain labels)."""
    value = " ".join(("" if text is None else str(text)).split())
    return value if len(value) <= max_chars else value[: max_chars - 1] + "…"
