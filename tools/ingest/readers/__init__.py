"""One reader per input format. Each takes the file's bytes (or, for the formats in
`STREAM_FORMATS`, an open binary file it reads piece by piece) and its display name, feeds records
to the shared `EmailAssembler`, and returns the name of the format it read ("csv-rfc822" when a
CSV turned out to be a `file,message` export). Readers raise `IngestError` only when the file
as a whole cannot be read; a bad record becomes a problem and reading goes on.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from tools.ingest.assemble import EmailAssembler
from tools.ingest.problems import IngestError, ProblemLog


@dataclass
class ReadContext:
    """What every reader shares during one ingestion."""

    assembler: EmailAssembler
    log: ProblemLog
    max_bytes: int
    unpacked: int = 0  # bytes taken out of archives and folders so far

    def take(self, size: int) -> bool:
        """Count `size` more bytes unpacked from an archive or read from a folder; False (and
        nothing counted) when that would pass `max_bytes`, the limit on everything read."""
        if self.unpacked + size > self.max_bytes:
            return False
        self.unpacked += size
        return True


Reader = Callable[[bytes, str, ReadContext], str]
StreamReader = Callable[[BinaryIO, str, ReadContext], str]

# Formats read from an open file (seekable for all but tar), never loaded whole.
STREAM_FORMATS = frozenset({"zip", "tar", "parquet", "arrow"})
ARCHIVE_FORMATS = frozenset({"zip", "tar"})


def stream_reader_for(format_name: str) -> StreamReader:
    """The reader of a format in `STREAM_FORMATS`."""
    from tools.ingest.readers import table_reader, tar_reader, zip_reader

    readers: dict[str, StreamReader] = {
        "zip": zip_reader.read_zip,
        "tar": tar_reader.read_tar,
        "parquet": table_reader.read_parquet,
        "arrow": table_reader.read_arrow,
    }
    try:
        return readers[format_name]
    except KeyError:
        raise IngestError(f"no stream reader for format {format_name!r}") from None


def reader_for(format_name: str) -> Reader:
    """The reader function of a format from `tools.ingest.detect.FORMATS` (bytes in memory)."""
    if format_name in STREAM_FORMATS:
        read_stream = stream_reader_for(format_name)
        return lambda data, source, context: read_stream(io.BytesIO(data), source, context)
    from tools.ingest.readers import csv_reader, json_reader, mail_reader, msg_reader

    readers: dict[str, Reader] = {
        "json": json_reader.read_json,
        "jsonl": json_reader.read_jsonl,
        "csv": csv_reader.read_csv,
        "mbox": mail_reader.read_mbox,
        "eml": mail_reader.read_eml,
        "msg": msg_reader.read_msg,
        "pst": msg_reader.refuse_pst,
    }
    try:
        return readers[format_name]
    except KeyError:
        raise IngestError(f"no reader for format {format_name!r}") from None
