"""Markdown and HTML renderings of a `Report`, safe to show whatever the emails or model said.

HTML: every piece of email or model text goes through `html.escape`; the only links are to
`#email-...` anchors inside the same document (see `anchor_id`). Markdown: `&`, `<` and `>` are
turned into entities (no raw HTML survives), Markdown punctuation that could build links or
images is backslash-escaped, and `javascript:`/`data:`/`vbscript:` schemes are defanged.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping

from pipeline.cost_text import cost_text, usd
from pipeline.schemas import Report
from tools.models import Email

EXCERPT_CHARS = 400
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")
_DANGEROUS_SCHEME = re.compile(r"(?i)\b(javascript|vbscript|data)\s*:")
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def anchor_id(email_id: str) -> str:
    """The HTML element id for an email: `email-<safe id>` (a short hash keeps it unique when
    characters had to be replaced)."""
    safe = _ANCHOR_UNSAFE.sub("-", email_id).strip("-")[:80]
    if safe != email_id:
        safe = f"{safe}-{hashlib.sha1(email_id.encode()).hexdigest()[:8]}"
    return f"email-{safe}"


# --- Markdown ----------------------------------------------------------------------------------


def md_text(text: str) -> str:
    """Untrusted text as inert Markdown: no HTML, no links, no dangerous schemes."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _DANGEROUS_SCHEME.sub(lambda m: f"{m.group(1)}&#58;", text)
    return _MD_SPECIAL.sub(r"\\\1", text)


def render_markdown(report: Report) -> str:
    lines = [f"# Report: {md_text(report.query)}", "", md_text(report.summary), ""]
    lines.append("## Key findings")
    if not report.findings:
        lines.append("No findings.")
    for number, finding in enumerate(report.findings, 1):
        ids = ", ".join(md_text(i) for i in finding.evidence_ids)
        lines.append(f"{number}. {md_text(finding.text)} ({finding.confidence}; emails: {ids})")
    if report.evidence_gaps:
        lines += ["", "## Evidence gaps"]
        lines += [f"- {md_text(gap)}" for gap in report.evidence_gaps]
    if report.failed_chunks:
        lines += ["", "## Failed chunks"]
        lines += [f"- {md_text(f.chunk_id)}: {md_text(f.error)}" for f in report.failed_chunks]
    t = report.totals
    cost = md_text(cost_text(t.cost_usd, t.cost_known, report.model))
    left_out = "" if t.cost_known else " (chunks with unknown cost left out)"
    lines += [
        "",
        "## Run",
        f"- Mode: {report.mode} ({md_text(report.model)}), plan: {report.plan_source or 'n/a'}",
        f"- Chunks: {t.chunks} ({t.chunks_ok} ok, {t.chunks_failed} failed)",
        f"- LLM calls: {t.llm_calls}; tokens in/out: {t.input_tokens}/{t.output_tokens}; cost: {cost}",
        f"- Per chunk: cost p50 {usd(t.p50_cost_usd)}, p95 {usd(t.p95_cost_usd)}{left_out}; "
        f"calls p50 {t.p50_llm_calls:g}, p95 {t.p95_llm_calls:g}",
    ]
    return "\n".join(lines) + "\n"


# --- HTML --------------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _email_link(email_id: str) -> str:
    return f'<a href="#{_e(anchor_id(email_id))}">{_e(email_id)}</a>'


def render_html(report: Report, emails: Mapping[str, Email] | None = None) -> str:
    """A self-contained HTML page; `emails` (cited ids -> Email) adds an evidence appendix that
    the finding links point to."""
    emails = emails or {}
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>Report: {_e(report.query)}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem}"
        ".conf{font-size:.8em;padding:0 .3em;border:1px solid #888;border-radius:3px}"
        ".email{border-top:1px solid #ddd;padding:.4em 0}.meta{color:#555;font-size:.9em}</style>",
        "</head><body>",
        f"<h1>Report: {_e(report.query)}</h1>",
        f"<p class='summary'>{_e(report.summary)}</p>",
        "<h2>Key findings</h2>",
    ]
    if report.findings:
        parts.append("<ol class='findings'>")
        for finding in report.findings:
            links = ", ".join(_email_link(i) for i in finding.evidence_ids)
            parts.append(
                f"<li>{_e(finding.text)} <span class='conf'>{_e(finding.confidence)}</span> "
                f"<span class='meta'>emails: {links}</span></li>"
            )
        parts.append("</ol>")
    else:
        parts.append("<p>No findings.</p>")
    if report.evidence_gaps:
        parts.append("<h2>Evidence gaps</h2><ul>")
        parts += [f"<li>{_e(gap)}</li>" for gap in report.evidence_gaps]
        parts.append("</ul>")
    if report.failed_chunks:
        parts.append("<h2>Failed chunks</h2><ul class='failed'>")
        parts += [f"<li><b>{_e(f.chunk_id)}</b>: {_e(f.error)}</li>" for f in report.failed_chunks]
        parts.append("</ul>")
    t = report.totals
    parts.append(
        f"<h2>Run</h2><p class='meta'>Mode {_e(report.mode)} ({_e(report.model)}); "
        f"{t.chunks} chunks ({t.chunks_ok} ok, {t.chunks_failed} failed); {t.llm_calls} LLM calls; "
        f"{t.input_tokens}/{t.output_tokens} tokens; "
        f"{_e(cost_text(t.cost_usd, t.cost_known, report.model))}</p>"
    )
    cited = [i for i in report.cited_ids if i in emails]
    if cited:
        parts.append("<h2>Cited emails</h2>")
        for email_id in cited:
            parts.append(_email_block(emails[email_id]))
    parts.append("</body></html>")
    return "\n".join(parts)


def _email_block(email: Email) -> str:
    date = email.date.isoformat() if email.date else "undated"
    body = email.body if len(email.body) <= EXCERPT_CHARS else email.body[:EXCERPT_CHARS] + "…"
    return (
        f"<div class='email' id='{_e(anchor_id(email.id))}'>"
        f"<div class='meta'>{_e(email.id)} · {_e(date)} · {_e(email.sender)}</div>"
        f"<div><b>{_e(email.subject)}</b></div><div>{_e(body)}</div></div>"
    )
