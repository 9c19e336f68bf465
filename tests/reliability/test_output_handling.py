"""Output handling: HTML, `<script>`, `<img onerror>` and `javascript:` links in emails and in model
output are inert in the report downloads (Markdown and HTML) and in a real browser.

The HTML report is parsed with `html.parser`: the only elements and attributes allowed are the
ones the renderer itself writes (no script, no event handlers, no javascript: URLs, no iframes).
Then headless Chromium loads the file and a `window.__xss` marker, which every payload would set,
must stay undefined.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.report_render import render_html, render_markdown
from pipeline.schemas import FailedChunk, Report, ReportFinding, RunTotals
from tests.browser import launch_chromium
from tools.models import Email

PAYLOADS = [
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss='img'\">",
    "<svg onload=\"window.__xss='svg'\"></svg>",
    "[click me](javascript:window.__xss='mdlink')",
    "<a href=\"javascript:window.__xss='href'\">link</a>",
    "<iframe src=\"javascript:parent.__xss='iframe'\"></iframe>",
    "\"><script>window.__xss='attr'</script>",
    "' onmouseover='window.__xss=1' x='",
    "<style>body{background:url(javascript:window.__xss=1)}</style>",
    '![img](x "onerror=window.__xss=1")',
]
HOSTILE = " ".join(PAYLOADS)
EMAIL_ID = "<x-1@evil>\"><script>window.__xss='id'</script>"
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "ol", "ul",
                "li", "span", "a", "b", "div"}  # fmt: skip
ALLOWED_ATTRIBUTES = {"charset", "class", "href", "id"}


def hostile_report() -> tuple[Report, dict[str, Email]]:
    email = Email(
        id=EMAIL_ID,
        date=datetime(2023, 3, 14, tzinfo=UTC),
        sender=f"Mallory {PAYLOADS[1]} <m@evil.example>",
        subject=PAYLOADS[0],
        body=HOSTILE,
    )
    report = Report(
        query=f"Who wrote {PAYLOADS[0]}?",
        summary=f"The model says: {HOSTILE}",
        findings=[ReportFinding(text=HOSTILE, confidence="high", evidence_ids=[EMAIL_ID])],
        cited_ids=[EMAIL_ID],
        evidence_gaps=[PAYLOADS[3], PAYLOADS[4]],
        failed_chunks=[FailedChunk(chunk_id="chunk_01", error=PAYLOADS[2])],
        mode="llm",
        model=f"gpt {PAYLOADS[5]}",
        totals=RunTotals(chunks=2, chunks_ok=1, chunks_failed=1),
    )
    return report, {EMAIL_ID: email}


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"element <{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES or name.startswith("on"):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "href" and not (value or "").startswith("#"):
                self.problems.append(f"link to {value!r}")


def test_html_report_has_no_active_content() -> None:
    report, emails = hostile_report()
    page = render_html(report, emails)
    audit = _Audit()
    audit.feed(page)
    assert audit.problems == []
    assert audit.tags.count("style") == 1  # the renderer's own stylesheet, not the payload's
    assert "Mallory" in page and "window.__xss" in page  # the text is shown, as text


def test_markdown_report_has_no_html_or_live_links() -> None:
    report, _ = hostile_report()
    text = render_markdown(report)
    assert "<" not in text and ">" not in text  # every angle bracket became an entity
    assert not re.search(r"(?i)javascript\s*:", text)
    assert not re.search(r"(?<!\\)\]\(", text)  # no unescaped "](" that would start a link
    assert r"window.\_\_xss" in text  # shown as (escaped) text


@pytest.mark.browser
@pytest.mark.slow
def test_html_report_stays_inert_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    report, emails = hostile_report()
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(report, emails), encoding="utf-8")
    control = tmp_path / "control.html"
    control.write_text("<html><body><script>window.__xss = 'control'</script></body></html>")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.goto(control.as_uri())
            assert page.evaluate("window.__xss") == "control"  # the marker does work
            page.goto(page_file.as_uri())
            page.wait_for_load_state("load")
            for link in page.locator("a").all():
                link.hover()
                link.click()
            page.mouse.move(5, 5)
            page.wait_for_timeout(300)
            assert page.evaluate("typeof window.__xss") == "undefined"
            assert page.locator("script").count() == 0
            assert "window.__xss" in page.inner_text("body")  # shown as text
        finally:
            browser.close()
