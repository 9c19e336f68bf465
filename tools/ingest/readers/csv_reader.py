"""CSV reader: named columns (any of the accepted field names, Outlook's `From: (Name)` /
`From: (Address)` pairs and split `Date Sent` / `Time Sent` included), Thunderbird
ImportExportTools exports without a header row (see `csv_layouts`), or the two-column
`file,message` export where `message` is a raw RFC 822 email (the Enron Kaggle format).

The export is recognised by its header: a `message` column and no other email field. Its `file`
column ("allen-p/_sent_mail/1.") becomes the email's source, and its directory the email's folder
("allen-p/_sent_mail"). Rows are counted from 1 after the header; the location also gives the
line the row starts on, since one row of an export spans many lines.
"""

from __future__ import annotations

import csv
import io
import posixpath
import sys
from collections.abc import Iterator
from typing import Any

from tools.ingest.decode import text_encoding
from tools.ingest.detect import csv_delimiter
from tools.ingest.fields import canonical_field, normalise_key
from tools.ingest.problems import IngestError
from tools.ingest.readers import ReadContext
from tools.ingest.readers.csv_layouts import OutlookLayout, thunderbird_offset, thunderbird_record
from tools.ingest.readers.mail_reader import add_raw_message

_FIELD_SIZE_LIMIT = min(sys.maxsize, 2**31 - 1)
_RFC822_COLUMNS = {"file", "message", "id", "filename", "path"}


def read_csv(data: bytes, source: str, context: ReadContext) -> str:
    # csv's default 128 KiB field limit would reject long emails; the upload cap bounds fields.
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_SIZE_LIMIT))
    encoding, skip = text_encoding(data)
    stream = io.TextIOWrapper(
        io.BytesIO(data[skip:] if skip else data),
        encoding=encoding,
        errors="surrogateescape" if encoding == "utf-8" else "replace",
        newline="",
    )
    first_line = stream.readline()
    if not first_line.strip():
        raise IngestError(f"{source} has no CSV header row on line 1")
    delimiter = csv_delimiter(first_line, source)
    stream.seek(0)
    rows = csv.reader(stream, delimiter=delimiter)
    try:
        first_row = next(rows)
    except csv.Error as error:
        raise IngestError(f"{source} has an unreadable CSV header: {error}") from None
    header = [normalise_key(name) for name in first_row]
    outlook = OutlookLayout.from_header(header)
    if not (outlook or any(canonical_field(name) for name in header)):
        offset = thunderbird_offset(first_row)
        if offset is None:
            raise IngestError(
                f"{source}: no email columns in the CSV header ({', '.join(header[:10])}); "
                f"expected e.g. from, to, subject, body, date, or a file,message export"
            )
        _read_thunderbird(first_row, rows, offset, source, context)
        return "csv-thunderbird"
    is_export = "message" in header and set(header) <= _RFC822_COLUMNS
    _read_rows(rows, header, is_export, source, context, outlook)
    _report_unbalanced_quotes(data, source, context)
    return "csv-rfc822" if is_export else ("csv-outlook" if outlook else "csv")


def _report_unbalanced_quotes(data: bytes, source: str, context: ReadContext) -> None:
    if data.count(b'"') % 2:
        context.log.repair(
            source,
            "end of file",
            "the file ends inside a quoted field (truncated?); the last row was kept as read",
        )


def _numbered_rows(
    rows: Any, source: str, context: ReadContext, number: int = 0
) -> Iterator[tuple[list[str], str]]:
    """The non-blank rows of a csv reader with their location ("row N (line L)"), counting on
    from `number`; a row the csv module cannot parse is rejected with its place and skipped."""
    next_line = rows.line_num + 1
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            number += 1
            context.log.reject(
                source,
                f"row {number} (line {next_line})",
                f"unreadable CSV: {error}",
                kind="csv error",
            )
            next_line = rows.line_num + 1
            continue
        first_line, next_line = next_line, rows.line_num + 1
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        number += 1
        yield row, f"row {number} (line {first_line})"


def _read_thunderbird(
    first_row: list[str], rows: Any, offset: int, source: str, context: ReadContext
) -> None:
    """ImportExportTools rows: no header, six or seven cells after the optional folder cell."""
    context.assembler.add_record(thunderbird_record(first_row, offset), source, "row 1 (line 1)")
    for row, location in _numbered_rows(rows, source, context, number=1):
        if not 6 <= len(row) - offset <= 7:
            context.log.reject(
                source,
                location,
                f"row has {len(row)} fields; a Thunderbird export row has {6 + offset} or {7 + offset}",
                kind="column count",
            )
            continue
        context.assembler.add_record(thunderbird_record(row, offset), source, location)


def _read_rows(
    rows: Any,
    header: list[str],
    is_export: bool,
    source: str,
    context: ReadContext,
    outlook: OutlookLayout | None = None,
) -> None:
    width = len(header)
    for row, location in _numbered_rows(rows, source, context):
        if len(row) != width:
            context.log.reject(
                source,
                location,
                f"row has {len(row)} fields; the header has {width}",
                kind="column count",
            )
            continue
        record = dict(zip(header, row, strict=True))
        if outlook is not None:
            record = outlook.record(record)
        if is_export:
            _add_export_row(record, source, location, context)
        else:
            context.assembler.add_record(record, source, location)


def _add_export_row(
    record: dict[str, str], source: str, location: str, context: ReadContext
) -> None:
    file_name = record.get("file") or record.get("filename") or record.get("path") or ""
    extra: dict[str, str] = {}
    if file_name:
        extra["file"] = file_name
        extra["folder"] = posixpath.dirname(file_name.replace("\\", "/"))
    if record.get("id"):
        extra["id"] = record["id"]
    add_raw_message(record["message"], source, location, context, overrides=extra)
