"""Every reader of tools.ingest on good, malformed, truncated, empty and oversized input."""

from __future__ import annotations

import csv
import io
import json
import struct
import zipfile

import pytest

from tools.ingest import IngestError, IngestResult, ingest_bytes, ingest_path

ENRON_MESSAGE = (
    "Message-ID: <18782981.1075855378110.JavaMail.evans@thyme>\n"
    "Date: Mon, 14 May 2001 16:39:00 -0700 (PDT)\n"
    "From: phillip.allen@enron.com\n"
    "To: tim.belden@enron.com, john.arnold@enron.com,\n\tmike.grigsby@enron.com\n"
    "Subject: Forecast\n"
    "Mime-Version: 1.0\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "Content-Transfer-Encoding: 7bit\n"
    "X-From: Phillip K Allen\n"
    "X-To: Tim Belden <Tim Belden/Enron@EnronXGate>\n"
    "X-cc: \n"
    "X-bcc: \n"
    "X-Folder: \\Phillip_Allen_Jan2002_1\\Allen, Phillip K.\\'Sent Mail\n"
    "X-Origin: Allen-P\n"
    "X-FileName: pallen (Non-Privileged).pst\n"
    "\n"
    "Here is our forecast\n\n"
)


def enron_csv(messages: list[tuple[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["file", "message"])
    writer.writerows(messages)
    return buffer.getvalue().encode("utf-8")


def reasons(result: IngestResult | IngestError) -> list[str]:
    return [p.reason for p in result.problems]


# JSON -------------------------------------------------------------------------------------------
def test_json_array_reads_every_object_and_reports_bad_records():
    records = [
        {
            "from": "a@x.com",
            "to": "b@x.com",
            "subject": "Hi",
            "body": "one",
            "date": "2001-05-14T10:00:00+00:00",
        },
        {"from": "a@x.com"},
        "not an object",
        {"from": "c@x.com", "subject": "Two", "body": "two", "date": "2001-05-15T10:00:00+00:00"},
    ]
    result = ingest_bytes(json.dumps(records).encode(), "mail.json")
    assert result.format == "json"
    assert [e.body for e in result.corpus] == ["one", "two"]
    assert {(p.location, p.severity, p.reason) for p in result.problems} == {
        ("record 2", "rejected", "missing body and subject"),
        ("record 3", "rejected", "a JSON string, not an object"),
    }


@pytest.mark.parametrize("key", ["emails", "messages", "Messages"])
def test_json_object_with_an_email_list(key):
    document = {"meta": {"exported": "today"}, key: [{"sender": "a@x", "text": "hello"}]}
    result = ingest_bytes(json.dumps(document).encode(), "export.json")
    assert [e.sender for e in result.corpus] == ["a@x"]


def test_single_json_object_is_one_email():
    result = ingest_bytes(b'{"from": "a@x", "subject": "only one"}', "one.json")
    assert len(result.corpus) == 1 and result.corpus[0].subject == "only one"


def test_truncated_json_array_keeps_the_records_before_the_cut():
    text = json.dumps([{"from": f"u{i}@x", "body": f"body {i}"} for i in range(3)])
    result = ingest_bytes(text[:-25].encode(), "cut.json")
    assert [e.body for e in result.corpus] == ["body 0", "body 1"]
    [problem] = result.problems
    assert problem.severity == "rejected" and problem.location == "record 3"
    assert "invalid JSON at line 1" in problem.reason


def test_json_array_missing_its_closing_bracket_is_repaired():
    result = ingest_bytes(b'[{"from": "a@x", "body": "b"}', "open.json")
    assert len(result.corpus) == 1
    assert result.problems[0].severity == "repaired" and "closing ']'" in result.problems[0].reason


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"from": "a", "body": ', "not valid JSON: Expecting value at line 1"),
        (b'"just a string"', "holds a JSON string"),
        (b"[" * 100_000, "could not be read"),
        (b"[]", "no usable emails in bad.json"),
        (b"[1, 2]", "2 records rejected, first: record 1: a JSON number, not an object"),
    ],
)
def test_unusable_json_raises_with_what_and_where(data, message):
    with pytest.raises(IngestError, match="bad.json") as caught:
        ingest_bytes(data, "bad.json")
    assert message in str(caught.value) or message in " ".join(reasons(caught.value))


def test_json_file_holding_json_lines_is_read_as_jsonl():
    data = b'{\n "from": "a@x", "body": "one"\n}\n{"from": "b@x", "body": "two"}\n'
    result = ingest_bytes(data, "actually-lines.json")
    assert result.format == "jsonl" and len(result.corpus) == 1
    assert result.problems[0].location == "line 1"


# JSON Lines -------------------------------------------------------------------------------------
def test_jsonl_reports_bad_lines_with_their_line_numbers():
    lines = [
        b'{"from": "a@x", "body": "one", "date": 989883540}',
        b"",
        b'{"from": "b@x", "body": ',
        b"[1, 2]",
        b'{"from": "c@x", "body": "three", "date": "Thu, 32 Foo 2001"}',
        b'{"from": "d@x", "body": "fo',
    ]
    result = ingest_bytes(b"\n".join(lines), "mail.jsonl")
    assert result.format == "jsonl"
    assert sorted(e.body for e in result.corpus) == ["one", "three"]
    by_location = {p.location: p for p in result.problems}
    assert (
        by_location["line 3"].severity == "rejected"
        and "invalid JSON" in by_location["line 3"].reason
    )
    assert by_location["line 4"].reason == "a JSON array, not an object"
    assert by_location["line 5"].reason == "unparsable date 'Thu, 32 Foo 2001'; kept without a date"
    assert by_location["line 5"].severity == "repaired"
    assert "the file may be truncated" in by_location["line 6"].reason
    assert result.corpus.get(next(e.id for e in result.corpus if e.body == "three")).date is None


def test_jsonl_with_crlf_line_endings_and_a_utf8_bom():
    data = b'\xef\xbb\xbf{"from": "a@x", "body": "one"}\r\n{"from": "b@x", "body": "two"}\r\n'
    result = ingest_bytes(data, "windows.jsonl")
    assert sorted(e.sender for e in result.corpus) == ["a@x", "b@x"] and not result.problems


def test_jsonl_integer_too_long_for_python_is_a_rejected_line():
    data = b'{"from": "a@x", "body": "ok"}\n{"date": ' + b"9" * 5000 + b"}\n"
    result = ingest_bytes(data, "digits.jsonl")
    assert len(result.corpus) == 1
    assert result.problems[0].location == "line 2"
    assert result.problems[0].reason.startswith("unusable JSON: Exceeds the limit")


def test_utf16_jsonl_is_decoded():
    text = '{"from": "ü@x", "body": "grüße"}\n{"from": "b@x", "body": "zwei"}\n'
    result = ingest_bytes(text.encode("utf-16"), "wide.jsonl")
    assert {e.body for e in result.corpus} == {"grüße", "zwei"}


# CSV --------------------------------------------------------------------------------------------
def test_csv_with_named_columns_and_wrong_column_counts():
    data = (
        b"From,To,Subject,Body,Date\n"
        b'a@x,"b@x; c@x",Hello,"multi\nline body",2001-05-14 10:00:00+02:00\n'
        b"only,two\n"
        b"d@x,e@x,Second,body,1000000000000\n"
    )
    result = ingest_bytes(data, "mail.csv")
    assert result.format == "csv"
    first = next(e for e in result.corpus if e.subject == "Hello")
    assert first.to == ("b@x", "c@x") and first.body == "multi\nline body"
    assert first.date.isoformat() == "2001-05-14T10:00:00+02:00"
    [problem] = result.problems
    assert (problem.location, problem.reason) == (
        "row 2 (line 4)",
        "row has 2 fields; the header has 5",
    )


def test_semicolon_and_tab_separated_files():
    semicolon = ingest_bytes(b"sender;subject;text\na@x;Hi;body\n", "excel.csv")
    tab = ingest_bytes(b"sender\tsubject\ttext\na@x\tHi\tbody, with comma\n", "mail.tsv")
    assert semicolon.corpus[0].subject == "Hi"
    assert tab.corpus[0].body == "body, with comma"


def test_csv_without_email_columns_is_refused():
    with pytest.raises(IngestError, match="no email columns in the CSV header"):
        ingest_bytes(b"alpha,beta\n1,2\n", "numbers.csv")


def test_long_csv_fields_are_read_and_oversized_bodies_truncated():
    body = "x" * 1_200_000
    data = f"from,subject,body\na@x,big,{body}\n".encode()
    result = ingest_bytes(data, "big.csv")
    assert len(result.corpus[0].body) == 1_000_000
    assert result.problems[0].reason == "body truncated from 1,200,000 to 1,000,000 characters"


def test_enron_file_message_export():
    second = ENRON_MESSAGE.replace("18782981", "99").replace("Forecast", "Re: Forecast")
    data = enron_csv([("allen-p/_sent_mail/1.", ENRON_MESSAGE), ("allen-p/inbox/7.", second)])
    result = ingest_bytes(data, "emails.csv")
    assert result.format == "csv-rfc822" and not result.problems
    email = result.corpus.get("18782981.1075855378110.JavaMail.evans@thyme")
    assert email is not None
    assert email.sender == "phillip.allen@enron.com"
    assert email.to == ("tim.belden@enron.com", "john.arnold@enron.com", "mike.grigsby@enron.com")
    assert email.subject == "Forecast" and email.body == "Here is our forecast\n\n"
    assert email.date.isoformat() == "2001-05-14T16:39:00-07:00"
    assert email.message_id == "<18782981.1075855378110.JavaMail.evans@thyme>"
    assert (email.folder, email.source) == ("allen-p/_sent_mail", "allen-p/_sent_mail/1.")
    assert result.corpus.get("99.1075855378110.JavaMail.evans@thyme").folder == "allen-p/inbox"


def test_enron_export_rows_without_headers_are_rejected():
    data = enron_csv([("a/1.", ENRON_MESSAGE), ("a/2.", "just some words\nno headers")])
    result = ingest_bytes(data, "emails.csv")
    assert len(result.corpus) == 1
    second_row_line = 2 + ENRON_MESSAGE.count("\n") + 1  # header, then the first row's lines
    assert [(p.location, p.reason) for p in result.problems] == [
        (f"row 2 (line {second_row_line})", "no email headers found")
    ]


def test_truncated_csv_keeps_the_partial_last_row_and_says_so():
    data = enron_csv([("a/1.", ENRON_MESSAGE), ("a/2.", ENRON_MESSAGE.replace("18782981", "2"))])
    result = ingest_bytes(data[:-12], "cut.csv")
    assert len(result.corpus) == 2
    assert any("ends inside a quoted field" in r for r in reasons(result))


# mbox and .eml ----------------------------------------------------------------------------------
MBOX = (
    b"From alice@example.com Mon May 14 16:39:00 2001\n"
    b"From: Alice <alice@example.com>\nTo: bob@example.com\nSubject: first\n"
    b"Date: Mon, 14 May 2001 16:39:00 +0000\n\n"
    b"Hello Bob.\nFrom the start this was unescaped.\nBye\n\n"
    b"From bob@example.com Tue May 15 09:00:00 2001\n"
    b"From: bob@example.com\nTo: alice@example.com\nSubject: second\n"
    b"Date: Tue, 15 May 2001 09:00:00 +0000\n\nReply\n"
)


def test_mbox_glues_unescaped_from_lines_back_into_the_body():
    result = ingest_bytes(MBOX, "mail.mbox")
    assert result.format == "mbox"
    assert [e.subject for e in result.corpus] == ["first", "second"]
    assert result.corpus[0].body == "Hello Bob.\nFrom the start this was unescaped.\nBye\n"
    [problem] = result.problems
    assert (problem.location, problem.severity) == ("message 1", "repaired")
    assert "looked like a message separator" in problem.reason


def test_mbox_with_leading_garbage_reports_the_skipped_bytes():
    result = ingest_bytes(b"garbage line\n" + MBOX, "mail.mbox")
    assert len(result.corpus) == 2
    assert (
        result.problems[0].reason == "13 bytes before the first 'From ' line belong to no message"
    )


def test_mbox_without_any_separator_is_refused():
    with pytest.raises(IngestError, match="not an mbox"):
        ingest_bytes(b"hello\nworld\n", "mail.mbox")


def test_eml_with_encoded_words_latin1_body_and_quoted_names():
    raw = (
        b"From: =?utf-8?q?Ren=C3=A9e?= <renee@x.fr>\r\n"
        b'To: "Doe, John" <jd@x.com>; k@x.com\r\n'
        b"Subject: =?iso-8859-1?q?r=E9union?=\r\n"
        b"Date: Mon, 14 May 2001 16:39:00 -0700\r\n"
        b"Message-ID: <abc@x.fr>\r\n"
        b"In-Reply-To: <parent@x.fr>\r\nReferences: <root@x.fr> <parent@x.fr>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\n"
        b"Caf\xe9 cr\xe8me\r\n"
    )
    email = ingest_bytes(raw, "message.eml").corpus[0]
    assert email.sender == "Renée <renee@x.fr>"
    assert email.to == ("Doe, John <jd@x.com>", "k@x.com")
    assert email.subject == "réunion" and email.body == "Café crème\n"
    assert (email.id, email.in_reply_to, email.thread_id) == (
        "abc@x.fr",
        "<parent@x.fr>",
        "<root@x.fr>",
    )


def test_eml_undeclared_non_utf8_body_is_repaired_and_reported():
    raw = b"From: a@x\nSubject: s\n\nna\xefve \x93quotes\x94\n"
    result = ingest_bytes(raw, "bad.eml")
    assert result.corpus[0].body == "na\u00efve \u201cquotes\u201d\n"
    assert result.problems[0].severity == "repaired"
    assert result.problems[0].reason.startswith("undecodable bytes from byte 2 (decoded as cp1252")


def test_multipart_eml_prefers_plain_text_and_converts_html_only_mail():
    alternative = (
        b"From: a@x\nSubject: alt\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/alternative; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        b"plain =C3=A9t=C3=A9\n--B\nContent-Type: text/html\n\n<p>html version</p>\n--B--\n"
    )
    html_only = (
        b"From: a@x\nSubject: html\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
        b"--B\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        b"PHA+SGVsbG8gPGI+d29ybGQ8L2I+PC9wPg==\n--B--\n"
    )
    assert ingest_bytes(alternative, "alt.eml").corpus[0].body.strip() == "plain été"
    assert ingest_bytes(html_only, "html.eml").corpus[0].body == "Hello world"


def test_eml_with_broken_headers_falls_back_and_still_reads_the_body():
    raw = (
        b"From: a@x\nSubject: broken\nContent-Type: multipart/mixed; boundary=\n"
        b"Content-Transfer-Encoding: base64\n\nnot really base64 !!!\n"
    )
    result = ingest_bytes(raw, "broken.eml")
    assert result.corpus[0].subject == "broken"


def test_text_without_headers_is_not_an_email():
    with pytest.raises(IngestError, match="no email headers found"):
        ingest_bytes(b"Dear all,\nthis is just text.\n", "note.eml")


# zip --------------------------------------------------------------------------------------------
def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_with_mixed_members_reads_each_in_its_format():
    data = make_zip(
        {
            "inbox/1.eml": b"From: a@x\nSubject: from eml\n\nbody\n",
            "export/mail.jsonl": b'{"from": "b@x", "body": "from jsonl"}\n',
            "export/mail.csv": enron_csv([("c/1.", ENRON_MESSAGE)]),
            "box.mbox": MBOX,
            "notes/readme.bin": b"\x00\x01\x02",
            "nested.zip": make_zip({"x.eml": b"From: a@x\nSubject: s\n\nb"}),
            "__MACOSX/inbox/._1.eml": b"\x00\x05\x16\x07",
            "empty/": b"",
        }
    )
    result = ingest_bytes(data, "archive.zip")
    assert result.format == "zip"
    assert len(result.corpus) == 5
    by_source = {e.source: e for e in result.corpus}
    assert by_source["archive.zip!inbox/1.eml"].folder == "inbox"
    assert "archive.zip!export/mail.jsonl" in by_source and "c/1." in by_source
    assert {(p.source, p.reason) for p in result.problems} == {
        ("archive.zip!notes/readme.bin", "not an email file (unknown format)"),
        ("archive.zip!nested.zip", "archive inside the archive not opened (one level only)"),
        (
            "archive.zip!box.mbox",
            "body line 'From the start this was unescaped.' looked like a message separator; "
            "kept in the body",
        ),
    }


def test_zip_bomb_stops_at_the_uncompressed_limit():
    filler = b"From: a@x\nSubject: s\n\n" + b"0" * 3_000_000
    data = make_zip(
        {"a.eml": b"From: a@x\nSubject: first\n\nsmall", "bomb.eml": filler, "c.eml": filler}
    )
    assert len(data) < 100_000
    result = ingest_bytes(data, "bomb.zip", max_bytes=1_000_000)
    assert [e.subject for e in result.corpus] == ["first"]
    [problem] = result.problems
    assert problem.source == "bomb.zip!bomb.eml"
    assert "skipped with 1 later members" in problem.reason and "limit" in problem.reason


def test_zip_member_that_lies_about_its_size_is_rejected_not_inflated():
    data = bytearray(make_zip({"big.eml": b"From: a@x\nSubject: s\n\n" + b"0" * 500_000}))
    central = data.find(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 10)  # central directory: 10 bytes
    data[22:26] = struct.pack("<I", 10)  # local header: 10 bytes
    with pytest.raises(IngestError, match="no usable emails in liar.zip") as caught:
        ingest_bytes(bytes(data), "liar.zip", max_bytes=100_000)
    assert caught.value.problems[0].reason.startswith("unreadable member: Bad CRC-32")


def test_zip_member_count_is_capped(monkeypatch):
    import tools.ingest.readers.zip_reader as zip_reader

    monkeypatch.setattr(zip_reader, "MAX_MEMBERS", 2)
    data = make_zip({f"{i}.eml": f"From: a@x\nSubject: s{i}\n\nb".encode() for i in range(5)})
    result = ingest_bytes(data, "many.zip")
    assert len(result.corpus) == 2
    assert result.problems[0].reason == "3 members skipped: at most 2 are read"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04" + b"\x00" * 40, "not a readable zip archive"),
        (make_zip({}), "not a readable zip archive|empty zip archive"),
        (make_zip({"a.txt": b"hello"}), "no usable emails in x.zip"),
    ],
)
def test_unusable_zip_raises(data, message):
    with pytest.raises(IngestError, match=message):
        ingest_bytes(data, "x.zip")


def test_truncated_zip_is_refused():
    data = make_zip({"a.eml": b"From: a@x\nSubject: s\n\nbody"})
    with pytest.raises(IngestError, match="cut.zip is not a readable zip archive"):
        ingest_bytes(data[: len(data) // 2], "cut.zip")


# whole-file errors ------------------------------------------------------------------------------
def test_oversized_input_is_refused_before_reading(tmp_path):
    path = tmp_path / "upload.json"
    path.write_bytes(b"[" + b" " * (3 * 1024 * 1024) + b"]")
    with pytest.raises(IngestError) as caught:
        ingest_path(path, max_bytes=2 * 1024 * 1024)
    assert str(caught.value) == "upload.json is 3.0 MB; the limit is 2 MB (set RLM_MAX_UPLOAD_MB)"


@pytest.mark.parametrize("data", [b"", b"   \n\n"])
def test_empty_input_is_refused(data):
    with pytest.raises(IngestError, match="empty.jsonl is empty"):
        ingest_bytes(data, "empty.jsonl")


def test_unknown_format_is_refused():
    with pytest.raises(IngestError, match="blob.bin: unknown format"):
        ingest_bytes(b"\x00\x01binary\x02", "blob.bin")


def test_missing_file_and_empty_directory_are_refused(tmp_path):
    with pytest.raises(IngestError, match="cannot read"):
        ingest_path(tmp_path / "nope.json")
    with pytest.raises(IngestError, match="is an empty folder"):
        ingest_path(tmp_path)


def test_content_wins_over_a_misleading_extension(tmp_path):
    path = tmp_path / "mail.txt"
    path.write_bytes(b'{"from": "a@x", "body": "1"}\n{"from": "b@x", "body": "2"}\n')
    assert ingest_path(path).format == "jsonl"
    assert ingest_bytes(MBOX, "export.json").format == "mbox"


def test_zip_claiming_an_unsupported_version_is_an_error_not_a_crash():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.eml", "From: a@example.com\nSubject: hi\n\nbody\n")
    data = bytearray(buffer.getvalue())
    header = data.index(b"PK\x01\x02")  # central directory: "version needed" at offset 6
    data[header + 6 : header + 8] = struct.pack("<H", 91)
    with pytest.raises(IngestError, match="not a readable zip archive.*version 9.1"):
        ingest_bytes(bytes(data), "forged.zip")
