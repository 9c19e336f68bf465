"""Outlook and Thunderbird exports: real .msg files (msg_parser's test data, see
tests/fixtures/outlook/README.md), Outlook "Export to CSV" files, ImportExportTools CSV files,
and the refusal of .pst mailboxes."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tools.ingest import IngestError, ingest_bytes, ingest_path
from tools.ingest.detect import detect_format

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "outlook"


# .msg -------------------------------------------------------------------------------------------
def test_real_msg_file_with_an_attached_email():
    result = ingest_path(FIXTURES / "other.msg")
    assert result.format == "msg"
    email = result.corpus[0]
    assert email.subject == "投递状态通知 (Failure Notice)"
    assert email.sender == "Mail Delivery Subsystem <mailer-daemon@tjdpf.org.cn>"
    assert email.to == ("yosipnps@model.com",)
    assert email.date == datetime(2017, 11, 27, 9, 44, 30, tzinfo=UTC)
    assert email.id == "99d78a$k8gjl@esa2.mentor.iphmx.com"
    assert email.body.startswith("Hi. This is an automatically generated Delivery Status")
    [attached] = email.attachments
    assert (attached.name, attached.content_type) == ("default_attachment.eml", "message/rfc822")
    assert attached.size > 0 and "转发" in attached.text  # the attached email's subject


def test_real_msg_without_sender_or_date_is_kept():
    email = ingest_path(FIXTURES / "outer.msg").corpus[0]
    assert (email.subject, email.sender, email.date) == ("outer subject", "", None)
    assert email.body.strip() == "Outer body"
    assert [(a.name, a.text) for a in email.attachments] == [("test", "test\nbody")]


def test_folder_and_zip_of_msg_files(tmp_path):
    (tmp_path / "Inbox").mkdir()
    for name in ("other.msg", "outer.msg"):
        (tmp_path / "Inbox" / name).write_bytes((FIXTURES / name).read_bytes())
    assert {e.folder for e in ingest_path(tmp_path).corpus} == {"Inbox"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(FIXTURES / "other.msg", "Sent/other.msg")
    assert ingest_bytes(buffer.getvalue(), "msgs.zip").corpus[0].folder == "Sent"


def test_damaged_msg_is_refused_and_other_ole_files_too():
    data = (FIXTURES / "other.msg").read_bytes()
    with pytest.raises(IngestError, match="not a readable Outlook .msg file"):
        ingest_bytes(data[:4096], "cut.msg")
    with pytest.raises(IngestError, match="not a readable Outlook .msg file"):
        ingest_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "word.doc")


def test_pst_is_recognised_and_refused_with_what_to_do():
    with pytest.raises(IngestError, match=r"Outlook \.pst/\.ost mailbox, which is not supported"):
        ingest_bytes(b"!BDN" + b"\x00" * 600, "archive.pst")


# Outlook CSV ------------------------------------------------------------------------------------
OUTLOOK_HEADER = [
    "Subject", "Body", "From: (Name)", "From: (Address)", "From: (Type)", "To: (Name)",
    "To: (Address)", "To: (Type)", "CC: (Name)", "CC: (Address)", "CC: (Type)", "BCC: (Name)",
    "BCC: (Address)", "BCC: (Type)", "Billing Information", "Categories", "Importance",
    "Mileage", "Sensitivity", "Date Sent", "Time Sent",
]  # fmt: skip


def outlook_csv(rows: list[list[str]], encoding: str = "cp1252") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(OUTLOOK_HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def test_outlook_export_is_detected_and_its_split_columns_merged():
    data = outlook_csv(
        [
            [
                "Valve MV-7",
                "The valve failed again.\r\nSee attached.",
                "Dana Ruiz",
                "dana@northwind.com",
                "SMTP",
                "Lee Park;Sam Ode",
                "lee@northwind.com;sam@northwind.com",
                "SMTP;SMTP",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "Normal",
                "",
                "Normal",
                "3/14/2024",
                "9:05:00 AM",
            ],
            [
                "Café menu",
                "Lunch?",
                "Ana",
                "ana@northwind.com",
                "SMTP",
                "Dana Ruiz",
                "dana@northwind.com",
                "SMTP",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "Normal",
                "",
                "Normal",
                "",
                "",
            ],
        ]  # fmt: skip
    )
    assert detect_format(data, "export.CSV") == "csv"
    assert detect_format(data, "no-extension") == "csv"  # content alone, not a raw message
    result = ingest_bytes(data, "export.CSV")
    assert result.format == "csv-outlook"
    valve, cafe = sorted(result.corpus, key=lambda e: e.subject, reverse=True)
    assert valve.sender == "Dana Ruiz <dana@northwind.com>"
    assert valve.to == ("Lee Park <lee@northwind.com>", "Sam Ode <sam@northwind.com>")
    assert valve.date == datetime(2024, 3, 14, 9, 5, tzinfo=UTC)
    assert valve.body == "The valve failed again.\nSee attached."
    assert cafe.subject == "Café menu" and cafe.date is None  # cp1252 "é" repaired
    assert {p.reason for p in result.problems} == {
        "date '3/14/2024 9:05:00 AM' has no time zone; assumed UTC",
        "undecodable bytes in subject (decoded as cp1252)",
    }


def test_outlook_row_with_a_missing_column_is_rejected_with_its_row():
    data = outlook_csv([["Only", "two"]])
    with pytest.raises(IngestError, match="row 1 .*row has 2 fields; the header has 21"):
        ingest_bytes(data, "short.csv")


# Thunderbird ImportExportTools CSV --------------------------------------------------------------
def thunderbird_csv(rows: list[list[str]]) -> bytes:
    """Rows as ImportExportTools writes them: subject, author and recipients (and the optional
    folder before them) quoted, date, attachment flag and size bare, then the body."""
    lines = []
    for row in rows:
        quoted = 4 if len(row) == 8 else 3
        cells = [f'"{c}"' for c in row[:quoted]] + row[quoted:-1]
        body = io.StringIO()
        csv.writer(body, lineterminator="").writerow(row[-1:])
        lines.append(",".join([*cells, body.getvalue()]))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def test_thunderbird_export_without_header_row():
    data = thunderbird_csv(
        [
            [
                "Re: lunch",
                "Ana <ana@x.org>",
                "bo@x.org",
                "11/30/2026 9:05",
                "*",
                "2048",
                "See you at noon",
            ],
            ["Budget", "bo@x.org", "Ana <ana@x.org>", "12/01/2026 14:30", " ", "512", ""],
        ]  # fmt: skip
    )
    assert detect_format(data, "messages.csv") == "csv"
    assert detect_format(data, "messages") == "csv"
    result = ingest_bytes(data, "messages.csv")
    assert result.format == "csv-thunderbird"
    lunch = next(e for e in result.corpus if e.subject == "Re: lunch")
    assert (lunch.sender, lunch.to, lunch.body) == (
        "Ana <ana@x.org>",
        ("bo@x.org",),
        "See you at noon",
    )
    assert lunch.date == datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
    assert len(result.corpus) == 2


def test_thunderbird_export_with_folder_column_and_a_bad_row():
    good = [
        "Local Folders/Inbox",
        "Hello",
        "a@x.org",
        "b@x.org",
        "30.11.2026 9:05",
        "",
        "100",
        "hi",
    ]
    data = thunderbird_csv([good]) + b'"Local Folders/Inbox","broken row"\r\n'
    result = ingest_bytes(data, "messages.csv")
    assert [e.folder for e in result.corpus] == ["Local Folders/Inbox"]
    assert [(p.location, p.reason) for p in result.problems if p.severity == "rejected"] == [
        ("row 2 (line 2)", "row has 2 fields; a Thunderbird export row has 7 or 8")
    ]
