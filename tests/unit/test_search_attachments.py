"""grep and count search the text of attachments and say which matches came only from one;
the email viewer lists attachments and shows their text."""

from __future__ import annotations

from datetime import UTC, datetime

from streamlit.testing.v1 import AppTest

from tools.models import Attachment, Corpus, Email
from tools.search import SearchIndex, count, grep


def corpus() -> Corpus:
    when = datetime(2024, 3, 14, tzinfo=UTC)
    report = Attachment(
        name="inspection.pdf", content_type="application/pdf", size=900,
        text="Valve MV-7 shows CORROSION at the flange.",
    )  # fmt: skip
    photo = Attachment(name="photo.png", content_type="image/png", size=4000)
    return Corpus(
        [
            Email(id="body", date=when, subject="Corrosion again", body="see the flange"),
            Email(id="pdf", date=when, subject="Papers", body="attached", attachments=(report,)),
            Email(id="both", date=when, subject="corrosion", body="x", attachments=(report,)),
            Email(id="photo", date=when, subject="Photo", body="flange", attachments=(photo,)),
            Email(id="none", date=when, subject="Lunch", body="noon"),
        ]
    )


def test_grep_finds_attachment_text_and_marks_matches_found_only_there():
    emails = corpus()
    result = grep(emails, r"corrosion")
    assert result.matched_ids == ["body", "both", "pdf"]  # corpus order (date, then id)
    assert result.attachment_ids == ["pdf"]  # "both" matched in its subject already
    assert grep(emails, r"mv-\d").attachment_ids == ["both", "pdf"]
    assert count(emails, "mv-7").match_count == 2
    assert grep(emails, "flange").attachment_ids == ["both", "pdf"]
    assert grep(emails, "noon").attachment_ids == []


def test_corpus_without_attachment_text_builds_no_attachment_haystack():
    index = SearchIndex(Corpus([Email(id="a", subject="s", body="b")]))
    assert index.attachment_positions == [] and len(index.attachments_lowered) == 0


def _viewer_app() -> None:
    from tools.models import Attachment, Email
    from ui.components.thread_view import render_message

    render_message(
        Email(
            id="pdf",
            subject="Papers",
            body="attached",
            attachments=(
                Attachment(name="<b>report</b>.pdf", content_type="application/pdf",
                           size=2048, text="Valve <script>x</script> corrosion"),
                Attachment(name="photo.png", content_type="image/png", size=10),
            ),
        )
    )  # fmt: skip


def test_email_viewer_lists_attachments_and_shows_their_text_as_text():
    at = AppTest.from_function(_viewer_app, default_timeout=30).run()
    assert not at.exception
    rendered = "\n".join(m.value for m in at.markdown)
    assert "**Attachments (2)**" in rendered
    assert "photo.png · image/png · 10 bytes (no text)" in rendered.replace("\\", "")
    [expander] = at.expander
    assert "&lt;b&gt;report&lt;" in expander.label and "2.0 KB" in expander.label
    assert "Valve <script>x</script> corrosion" in [t.value for t in at.text]
