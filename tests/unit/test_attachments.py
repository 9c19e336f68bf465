"""Attachments: names, types and sizes kept; text of text, HTML, PDF (written by fpdf2) and DOCX
(written by python-docx) attachments read; broken attachments reported, never losing the email;
stored corpora keep attachments and old ones stay readable."""

from __future__ import annotations

import io
from email.message import EmailMessage

import docx
import pyarrow.parquet as pq
from fpdf import FPDF

from tools.attachments import describe_attachment
from tools.ingest import ingest_bytes
from tools.models import Attachment, Corpus, Email, email_digest


def pdf_bytes(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 10, text)
    return bytes(pdf.output())


def docx_bytes(paragraph: str, cell: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(paragraph)
    document.add_table(rows=1, cols=1).cell(0, 0).text = cell
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def email_with(*attachments: tuple[bytes, str, str, str]) -> bytes:
    msg = EmailMessage()
    msg["From"] = "dana@northwind.com"
    msg["To"] = "lee@northwind.com"
    msg["Subject"] = "Inspection papers"
    msg["Date"] = "Thu, 14 Mar 2024 09:05:00 +0000"
    msg.set_content("Papers attached.")
    for data, maintype, subtype, name in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def test_every_attachment_kept_and_text_read_from_pdf_docx_html_and_text():
    pdf = pdf_bytes("Valve MV-7 corrosion found at the Lakeside plant.")
    word = docx_bytes("Decision: defer the replacement.", "Budget line 42")
    raw = email_with(
        (pdf, "application", "pdf", "inspection.pdf"),
        (word, "application", "vnd.openxmlformats-officedocument.wordprocessingml.document",
         "minutes.docx"),
        (b"<html><body><p>Board <b>approved</b></p></body></html>", "text", "html", "note.html"),
        (b"plain notes", "text", "plain", "notes.txt"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image", "png", "photo.png"),
    )  # fmt: skip
    result = ingest_bytes(raw, "papers.eml")
    email = result.corpus[0]
    assert email.body.strip() == "Papers attached."
    found = {a.name: a for a in email.attachments}
    assert list(found) == ["inspection.pdf", "minutes.docx", "note.html", "notes.txt", "photo.png"]
    assert found["inspection.pdf"].content_type == "application/pdf"
    assert found["inspection.pdf"].size == len(pdf)
    assert "Valve MV-7 corrosion" in found["inspection.pdf"].text
    assert "Decision: defer the replacement." in found["minutes.docx"].text
    assert "Budget line 42" in found["minutes.docx"].text
    assert "Board approved" in found["note.html"].text
    assert found["notes.txt"].text == "plain notes"
    assert (found["photo.png"].text, found["photo.png"].size) == ("", 48)
    assert "Valve MV-7" in email.attachment_text() and "Valve" not in email.search_text()
    assert result.problems == []


def test_broken_attachments_are_reported_and_the_email_kept():
    raw = email_with(
        (b"%PDF-1.4 this is not really a pdf", "application", "pdf", "broken.pdf"),
        (b"PK\x03\x04 not a docx", "application",
         "vnd.openxmlformats-officedocument.wordprocessingml.document", "broken.docx"),
        (b"fine", "text", "plain", "ok.txt"),
    )  # fmt: skip
    result = ingest_bytes(raw, "broken.eml")
    email = result.corpus[0]
    assert [(a.name, a.text) for a in email.attachments] == [
        ("broken.pdf", ""),
        ("broken.docx", ""),
        ("ok.txt", "fine"),
    ]
    reasons = [p.reason for p in result.problems]
    assert len(reasons) == 2 and all(p.severity == "repaired" for p in result.problems)
    assert reasons[0].startswith("attachment 'broken.pdf' unreadable (")
    assert reasons[1].startswith("attachment 'broken.docx' unreadable (")
    assert all(r.endswith("kept without its text") for r in reasons)


def test_generic_type_uses_the_extension_and_encrypted_pdf_is_reported():
    attachment, problem = describe_attachment(
        "memo.pdf", "application/octet-stream", pdf_bytes("octet memo")
    )
    assert problem is None and "octet memo" in attachment.text
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    attachment, problem = describe_attachment("locked.pdf", "application/pdf", buffer.getvalue())
    assert (attachment.text, problem) == ("", "the PDF is encrypted")


def test_attachments_survive_parquet_and_old_corpora_stay_readable(tmp_path):
    with_attachment = Email(
        id="a",
        subject="s",
        body="b",
        attachments=(Attachment(name="x.pdf", content_type="application/pdf", size=3, text="t"),),
    )
    plain = Email(id="b", subject="s2", body="b2")
    path = tmp_path / "corpus.parquet"
    Corpus([with_attachment, plain]).write_parquet(str(path))
    read = Corpus.read_parquet(str(path))
    assert [e.attachments for e in read] == [with_attachment.attachments, ()]
    # a corpus written before attachments existed: no such column, same digests as before
    old = tmp_path / "old.parquet"
    table = pq.read_table(path).drop_columns(["attachments"]).slice(1, 1)
    pq.write_table(table, old)
    [old_email] = Corpus.read_parquet(str(old))
    assert old_email.attachments == () and email_digest(old_email) == table["digest"][0].as_py()
