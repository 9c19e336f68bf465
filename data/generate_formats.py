"""Binary forms of a generated corpus: a CMU-style maildir `.tar.gz` and a Parquet file in the
Hugging Face Enron layout. Both stream: one email (tar) or one batch (Parquet) in memory.

- ``maildir-tgz``: ``maildir/<owner>/<folder>/<n>.`` members holding raw RFC 822 messages, the
  layout of the public CMU Enron distribution (``enron_mail_20150507.tar.gz``).
- ``parquet``: columns ``message_id, subject, from, to, cc, bcc, date, body, file_name``, the
  layout of the Enron dataset on the Hugging Face hub, in row groups of `PARQUET_BATCH` rows.

Member times and owners are fixed, so one seed always gives the same bytes.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

PARQUET_BATCH = 10_000
MEMBER_MTIME = 988_000_000  # 2001-04-23, fixed for reproducible archives
_HF_SCHEMA = pa.schema(
    [
        ("message_id", pa.string()),
        ("subject", pa.string()),
        ("from", pa.string()),
        ("to", pa.list_(pa.string())),
        ("cc", pa.list_(pa.string())),
        ("bcc", pa.list_(pa.string())),
        ("date", pa.timestamp("s", tz="UTC")),
        ("body", pa.string()),
        ("file_name", pa.string()),
    ]
)


def write_maildir_tgz(
    emails: Iterable[Any], path: Path, file_name: Callable[[Any], str], rfc822: Callable[[Any], str]
) -> None:
    """Every email as `maildir/<file_name>` in a gzip-compressed tar (level 6, no timestamp)."""
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w|", format=tarfile.GNU_FORMAT) as archive,
    ):
        for email in emails:
            data = rfc822(email).encode("utf-8")
            info = tarfile.TarInfo(f"maildir/{file_name(email)}")
            info.size, info.mtime, info.mode = len(data), MEMBER_MTIME, 0o644
            archive.addfile(info, io.BytesIO(data))


def write_parquet(emails: Iterable[Any], path: Path, file_name: Callable[[Any], str]) -> None:
    """Every email as a row of the Hugging Face Enron layout, `PARQUET_BATCH` rows per group."""
    columns: dict[str, list[Any]] = {name: [] for name in _HF_SCHEMA.names}
    with pq.ParquetWriter(path, _HF_SCHEMA, compression="zstd") as writer:
        for email in emails:
            columns["message_id"].append(email.message_id)
            columns["subject"].append(email.subject)
            columns["from"].append(email.sender.address)
            columns["to"].append([p.address for p in email.to])
            columns["cc"].append([p.address for p in email.cc])
            columns["bcc"].append([])
            columns["date"].append(email.date)
            columns["body"].append(email.body)
            columns["file_name"].append(file_name(email))
            if len(columns["body"]) >= PARQUET_BATCH:
                writer.write_table(pa.table(columns, schema=_HF_SCHEMA))
                columns = {name: [] for name in _HF_SCHEMA.names}
        if columns["body"]:
            writer.write_table(pa.table(columns, schema=_HF_SCHEMA))
