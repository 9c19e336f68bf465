"""Valid files in the forms added for real mailboxes (tar, Parquet, Arrow, Outlook .msg, Outlook
and Thunderbird CSV, emails with attachments): more seeds for the hostile-upload fuzzer, each
written by the real tool or library for that form."""

from __future__ import annotations

import bz2
import csv
import functools
import gzip
import io
import tarfile
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import docx
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
from fpdf import FPDF

from tests.reliability.samples import rfc822_message, sample_records

MSG_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "outlook" / "outer.msg"


def email_table(records: list[dict[str, object]] | None = None) -> pa.Table:
    rows = records or sample_records()
    return pa.table(
        {
            "message_id": [f"<{r['id']}@example.com>" for r in rows],
            "subject": [r["subject"] for r in rows],
            "from": [r["from"] for r in rows],
            "to": [r["to"] for r in rows],
            "date": [datetime.fromisoformat(str(r["date"])) for r in rows],
            "body": [r["body"] for r in rows],
            "file_name": [f"person-{n}/inbox/{n}." for n in range(len(rows))],
        }
    )


def tar_file(members: dict[str, bytes] | None = None, compression: str = "gz") -> bytes:
    """A tar (gzip- or bzip2-compressed, or plain), byte-identical on every call (the fuzzer
    needs stable seeds: tarfile's own "w:gz" stamps the current time into the gzip header)."""
    if members is None:
        records = sample_records()
        members = {
            f"maildir/person-{n}/inbox/{n}.": rfc822_message(r) for n, r in enumerate(records)
        }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return compressed(out.getvalue(), compression)


def compressed(data: bytes, compression: str) -> bytes:
    if compression == "gz":
        return gzip.compress(data, mtime=0)
    return bz2.compress(data) if compression == "bz2" else data


def parquet_file(table: pa.Table | None = None) -> bytes:
    out = io.BytesIO()
    pq.write_table(table if table is not None else email_table(), out, row_group_size=2)
    return out.getvalue()


def arrow_file(table: pa.Table | None = None, stream: bool = False) -> bytes:
    table = table if table is not None else email_table()
    out = io.BytesIO()
    opener = ipc.new_stream if stream else ipc.new_file
    with opener(out, table.schema) as writer:
        writer.write_table(table, max_chunksize=2)
    return out.getvalue()


@functools.cache
def msg_file() -> bytes:
    return MSG_FIXTURE.read_bytes()


OUTLOOK_HEADER = ["Subject", "Body", "From: (Name)", "From: (Address)", "From: (Type)",
                  "To: (Name)", "To: (Address)", "To: (Type)", "CC: (Name)", "CC: (Address)",
                  "Categories", "Date Sent", "Time Sent"]  # fmt: skip


def outlook_csv_file(rows: list[list[str]] | None = None) -> bytes:
    if rows is None:
        rows = [
            [str(r["subject"]), str(r["body"]), f"Person {n}", f"person{n}@example.com", "SMTP",
             "Reader;Team", ";".join(r["to"]), "SMTP;SMTP", "", "", "", "3/1/2023", "9:30:00 AM"]  # type: ignore[arg-type]
            for n, r in enumerate(sample_records())
        ]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(OUTLOOK_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("cp1252", errors="replace")


def thunderbird_csv_file(rows: list[list[str]] | None = None) -> bytes:
    """Rows as ImportExportTools writes them: three quoted cells, then bare date, flag, size."""
    if rows is None:
        rows = [
            [str(r["subject"]), str(r["from"]), str(r["to"][0]), "3/1/2023 9:30", "*", "2048",  # type: ignore[index]
             str(r["body"]).replace("\n", " ")]
            for r in sample_records()
        ]  # fmt: skip
    lines = []
    for row in rows:
        quoted = [f'"{cell}"' for cell in row[:3]]
        lines.append(",".join([*quoted, *row[3:]]))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


@functools.cache
def pdf_bytes() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 10, "Inspection report: valve MV-7 wall loss 30 percent.")
    return bytes(pdf.output())


@functools.cache
def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("Minutes: the board deferred the valve replacement.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def attachments_eml_file(attachments: list[tuple[bytes, str, str]] | None = None) -> bytes:
    record = sample_records(1)[0]
    message = EmailMessage()
    message["From"] = str(record["from"])
    message["To"] = "team@example.com"
    message["Subject"] = str(record["subject"])
    message["Date"] = "Wed, 01 Mar 2023 09:30:00 +0000"
    message.set_content(str(record["body"]))
    if attachments is None:
        attachments = [
            (pdf_bytes(), "application/pdf", "report.pdf"),
            (docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "minutes.docx"),
            (b"<p>Board <b>approved</b></p>", "text/html", "note.html"),
            (b"plain notes", "text/plain", "notes.txt"),
        ]  # fmt: skip
    for data, content_type, name in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    message.set_boundary("==rlm-fuzz-boundary==")  # the default is random: seeds must be stable
    return message.as_bytes()


MORE_VALID_FILES = {
    "tar": tar_file,
    "parquet": parquet_file,
    "arrow": arrow_file,
    "msg": msg_file,
    "csv-outlook": outlook_csv_file,
    "csv-thunderbird": thunderbird_csv_file,
    "eml-attachments": attachments_eml_file,
}
MORE_EXTENSIONS = {"tar": "tar.gz", "parquet": "parquet", "arrow": "arrow", "msg": "msg",
                   "csv-outlook": "csv", "csv-thunderbird": "csv", "eml-attachments": "eml"}  # fmt: skip
