"""One reader per input format. Each takes the file's bytes and its display name, feeds records
to the shared `EmailAssembler`, and returns the name of the format it read ("csv-rfc822" when a
CSV turned out to be a `file,message` export). Readers raise `IngestError` only when the file
as a whole cannot be read; a bad record becomes a problem and reading goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tools.ingest.assemble import EmailAssembler
from tools.ingest.problems import IngestError, ProblemLog


@dataclass
class ReadContext:
    """What every reader shares during one ingestion."""

    assembler: EmailAssembler
    log: ProblemLog
    max_bytes: int


Reader = Callable[[bytes, str, ReadContext], str]


def reader_for(format_name: str) -> Reader:
    """The reader function of a format from `tools.ingest.detect.FORMATS`."""
    from tools.ingest.readers import csv_reader, json_reader, mail_reader, zip_reader

    readers: dict[str, Reader] = {
        "json": json_reader.read_json,
        "jsonl": json_reader.read_jsonl,
        "csv": csv_reader.read_csv,
        "mbox": mail_reader.read_mbox,
        "eml": mail_reader.read_eml,
        "zip": zip_reader.read_zip,
    }
    try:
        return readers[format_name]
    except KeyError:
        raise IngestError(f"no reader for format {format_name!r}") from None
