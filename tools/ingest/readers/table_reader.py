"""Parquet and Arrow (IPC file or stream, Feather) readers: one email per row, columns matched
like JSON fields (`tools.ingest.fields`), so the Hugging Face Enron layout (`message_id,
subject, from, to, cc, bcc, date, body, file_name`) and our own stored corpora both read.

Only the columns that name an email field are read, a row group (Parquet) or record batch
(Arrow) at a time, and turned into records `BATCH_ROWS` at a time: memory stays bounded by one
group whatever the file's size. A row group that cannot be decoded is reported with its rows
and the next one is read. Locations are row numbers counted from 1. Arrow IPC data is used
as it lies in the file, so every batch is fully validated first: a damaged or forged file must
be an error, never an out-of-bounds read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import BinaryIO

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from tools.ingest.fields import canonical_field
from tools.ingest.problems import IngestError
from tools.ingest.readers import ReadContext

logger = logging.getLogger(__name__)

BATCH_ROWS = 2_000
_ARROW_ERRORS = (
    pa.ArrowException,
    OSError,
    ValueError,
    TypeError,
    IndexError,
    MemoryError,
    OverflowError,
)


def email_columns(schema: pa.Schema, source: str) -> list[str]:
    """The columns that name an email field; IngestError listing the columns when none does."""
    names = [name for name in schema.names if canonical_field(name) is not None]
    if not names:
        shown = ", ".join(schema.names[:10]) or "none"
        raise IngestError(
            f"{source}: no email columns ({shown}); expected e.g. from, to, subject, body, date"
        )
    return names


def read_parquet(handle: BinaryIO, source: str, context: ReadContext) -> str:
    try:
        pfile = pq.ParquetFile(handle)
        columns = email_columns(pfile.schema_arrow, source)
    except _ARROW_ERRORS as error:
        raise IngestError(f"{source} is not a readable Parquet file: {error}") from None
    row = 0
    for group in range(pfile.num_row_groups):
        rows = pfile.metadata.row_group(group).num_rows
        try:
            table = pfile.read_row_group(group, columns=columns)
            table.validate(full=True)
        except _ARROW_ERRORS as error:
            context.log.reject(
                source,
                f"rows {row + 1:,}-{row + rows:,}",
                f"row group {group + 1} unreadable ({error}); the other row groups were read",
            )
            row += rows
            continue
        row = _add_batches(table.to_batches(BATCH_ROWS), row, source, context)
    return "parquet"


def read_arrow(handle: BinaryIO, source: str, context: ReadContext) -> str:
    """An Arrow IPC file (Feather v2 too), an IPC stream, or a Feather v1 file."""
    head = handle.read(8)
    handle.seek(0)
    try:
        if head.startswith(b"FEA1"):
            table = feather.read_table(handle)
            batches: Iterator[pa.RecordBatch] = iter(table.to_batches(BATCH_ROWS))
            columns = email_columns(table.schema, source)
        elif head.startswith(b"ARROW1"):
            reader = ipc.open_file(handle)
            columns = email_columns(reader.schema, source)
            batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
        else:
            stream = ipc.open_stream(handle)
            columns = email_columns(stream.schema, source)
            batches = iter(stream)
    except _ARROW_ERRORS as error:
        raise IngestError(f"{source} is not a readable Arrow file: {error}") from None
    row = 0
    while True:
        try:
            batch = next(batches)
            batch.validate(full=True)
        except StopIteration:
            break
        except _ARROW_ERRORS as error:
            context.log.reject(
                source,
                f"after row {row:,}",
                f"record batch unreadable ({error}); the rows before were read",
            )
            break
        table = pa.Table.from_batches([batch]).select(columns)
        row = _add_batches(table.to_batches(BATCH_ROWS), row, source, context)
    return "arrow"


def _add_batches(batches: list[pa.RecordBatch], row: int, source: str, context: ReadContext) -> int:
    add_record = context.assembler.add_record
    for batch in batches:
        try:
            records = batch.to_pylist()
        except _ARROW_ERRORS:  # e.g. a timestamp out of Python's range: find the bad rows
            records = [_row_or_none(batch, index) for index in range(batch.num_rows)]
        for record in records:
            row += 1
            if record is None:
                context.log.reject(source, f"row {row:,}", "values unreadable", kind="bad row")
            else:
                add_record(record, source, f"row {row:,}")
    return row


def _row_or_none(batch: pa.RecordBatch, index: int) -> dict[str, object] | None:
    try:
        return batch.slice(index, 1).to_pylist()[0]
    except _ARROW_ERRORS as error:
        logger.debug("row %d unreadable: %s", index, error)
        return None
