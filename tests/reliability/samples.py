"""Small, valid email files in every upload format: the seeds the hostile-upload fuzzer breaks.

Each builder returns the bytes of a well-formed file holding `SAMPLE_EMAILS` emails, so a test can
cut, mutate or re-encode it and still know what a correct reader would have found before the damage.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

SAMPLE_EMAILS = 6
EXTENSIONS = {
    "json": "json",
    "jsonl": "jsonl",
    "csv": "csv",
    "csv-rfc822": "csv",
    "mbox": "mbox",
    "eml": "eml",
    "zip": "zip",
}


def sample_records(count: int = SAMPLE_EMAILS) -> list[dict[str, object]]:
    """Plain email records with every field the readers understand."""
    first = datetime(2023, 3, 1, 9, 30, tzinfo=UTC)
    return [
        {
            "id": f"fz-{n:03d}",
            "date": (first + timedelta(days=n, minutes=7 * n)).isoformat(),
            "from": f"Person {n} <person{n}@example.com>",
            "to": [f"Reader {n} <reader{n}@example.com>", "team@example.com"],
            "cc": [],
            "subject": f"Status of the valve inspection, part {n}",
            "body": f"Line one of message {n}.\nThe inspection found {n * 7}% wall loss.\n-- P{n}",
        }
        for n in range(count)
    ]


def rfc822_message(record: dict[str, object]) -> bytes:
    message = EmailMessage()
    message["Message-ID"] = f"<{record['id']}@example.com>"
    message["Date"] = format_datetime(datetime.fromisoformat(str(record["date"])))
    message["From"] = str(record["from"])
    message["To"] = ", ".join(record["to"])  # type: ignore[arg-type]
    message["Subject"] = str(record["subject"])
    message.set_content(str(record["body"]))
    return message.as_bytes()


def json_file(records: list[dict[str, object]] | None = None) -> bytes:
    return json.dumps(records or sample_records(), indent=1).encode("utf-8")


def jsonl_file(records: list[dict[str, object]] | None = None) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records or sample_records()).encode("utf-8")


def csv_file(records: list[dict[str, object]] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "date", "from", "to", "subject", "body"])
    for r in records or sample_records():
        writer.writerow(
            [r["id"], r["date"], r["from"], "; ".join(r["to"]), r["subject"], r["body"]]  # type: ignore[arg-type]
        )
    return out.getvalue().encode("utf-8")


def csv_rfc822_file(records: list[dict[str, object]] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["file", "message"])
    for n, r in enumerate(records or sample_records()):
        writer.writerow([f"person-{n}/inbox/{n}.", rfc822_message(r).decode("utf-8")])
    return out.getvalue().encode("utf-8")


def mbox_file(records: list[dict[str, object]] | None = None) -> bytes:
    parts = []
    for r in records or sample_records():
        parts.append(b"From person@example.com Wed Mar  1 09:30:00 2023\n" + rfc822_message(r))
    return b"\n".join(parts)


def eml_file(records: list[dict[str, object]] | None = None) -> bytes:
    return rfc822_message((records or sample_records())[0])


def zip_file(members: dict[str, bytes] | None = None) -> bytes:
    if members is None:
        records = sample_records()
        members = {
            "export/part1.json": json_file(records[:3]),
            "export/inbox/4.eml": eml_file(records[3:4]),
            "export/rest.mbox": mbox_file(records[4:]),
        }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


VALID_FILES = {
    "json": json_file,
    "jsonl": jsonl_file,
    "csv": csv_file,
    "csv-rfc822": csv_rfc822_file,
    "mbox": mbox_file,
    "eml": eml_file,
    "zip": zip_file,
}


def _register_more() -> None:
    """The forms added for real mailboxes (tar, Parquet, Arrow, .msg, Outlook/Thunderbird CSV,
    attachments) live in `samples_more`; every fuzz loop covers them too."""
    from tests.reliability.samples_more import MORE_EXTENSIONS, MORE_VALID_FILES

    VALID_FILES.update(MORE_VALID_FILES)
    EXTENSIONS.update(MORE_EXTENSIONS)


_register_more()
