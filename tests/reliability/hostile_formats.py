"""Hypothesis strategies for hostile files in the forms added for real mailboxes: tar archives
(traversal names, links, devices, long names, bombs), Parquet and Arrow tables (odd column types,
nulls, nested values, huge and out-of-range values), Outlook .msg files, Outlook and Thunderbird
CSV rows, and emails with broken attachments. `hostile_uploads.uploads` adds generic damage
(random bytes, truncation, mutation, wrong encodings) to each."""

from __future__ import annotations

import functools
import io
import tarfile
from collections.abc import Callable

import pyarrow as pa
from hypothesis import strategies as st

from tests.reliability import samples_more as more
from tests.reliability.hostile_uploads import SMALL_LIMIT, Upload, mutated, raw_message
from tests.reliability.samples import VALID_FILES

TAR_NAMES = ["maildir/u/inbox/1.", "../../etc/passwd", "/abs/1.", "C:\\evil\\2.eml",
             "a/" + "x" * 150 + "/3.", "cur/4:2,S", "__MACOSX/._5", "inner.tar", "x.zip",
             "box.mbox", "data.parquet", "\u00fc/6."]  # fmt: skip


@functools.cache
def valid_files() -> tuple[bytes, ...]:
    """One valid file of every form, built once (some take milliseconds to write)."""
    return tuple(build() for build in VALID_FILES.values())


@st.composite
def tar_members(draw: st.DrawFn) -> bytes:
    out = io.BytesIO()
    compression = draw(st.sampled_from(["", "gz", "bz2"]))
    with tarfile.open(fileobj=out, mode="w") as archive:
        for _ in range(draw(st.integers(1, 5))):
            info = tarfile.TarInfo(draw(st.sampled_from(TAR_NAMES)))
            kind = draw(st.sampled_from(["file"] * 6 + ["symlink", "hardlink", "dir", "fifo"]))
            if kind == "file":
                data = draw(st.one_of(st.sampled_from(valid_files()),
                                      raw_message(), st.binary(max_size=200), st.just(b"")))  # fmt: skip
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
                continue
            info.type = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                         "dir": tarfile.DIRTYPE, "fifo": tarfile.FIFOTYPE}[kind]  # fmt: skip
            info.linkname = "/etc/passwd"
            archive.addfile(info)
    return more.compressed(out.getvalue(), compression)


def tar_bomb(extra_valid: bool) -> Upload:
    """About 20 KB of .tar.gz that unpacks to 20 MB, far beyond the SMALL_LIMIT upload limit."""
    members = {"a.eml": VALID_FILES["eml"]()} if extra_valid else {}
    members["bomb.jsonl"] = b"{" + b" " * 20_000_000 + b"}"
    return Upload(more.tar_file(members), "bomb.tar.gz", SMALL_LIMIT, kind="tar bomb")


def tar_hostile() -> st.SearchStrategy[Upload]:
    return st.one_of(
        st.builds(Upload, tar_members(), st.just("h.tgz"), kind=st.just("tar members")),
        st.builds(Upload, tar_members().flatmap(mutated), st.just("h.tar"), kind=st.just("corrupt tar")),
        st.booleans().map(tar_bomb),
    )  # fmt: skip


COLUMN_NAMES = ["message_id", "subject", "from", "to", "cc", "date", "body", "file_name", "html",
                "sender", "folder", "x", "text"]  # fmt: skip
COLUMN_VALUES: list[tuple[pa.DataType, st.SearchStrategy]] = [
    (pa.string(), st.one_of(st.none(), st.text(max_size=30))),
    (pa.binary(), st.one_of(st.none(), st.binary(max_size=30))),
    (pa.int64(), st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))),
    (pa.float64(), st.one_of(st.none(), st.floats())),
    (pa.bool_(), st.one_of(st.none(), st.booleans())),
    (pa.list_(pa.string()), st.one_of(st.none(), st.lists(st.one_of(st.none(), st.text(max_size=10)), max_size=3))),
    (pa.struct([("name", pa.string()), ("email", pa.string())]),
     st.one_of(st.none(), st.fixed_dictionaries({"name": st.text(max_size=8), "email": st.text(max_size=8)}))),
    (pa.timestamp("s"), st.one_of(st.none(), st.integers(-(2**40), 2**40))),
    (pa.timestamp("ns", tz="UTC"), st.one_of(st.none(), st.integers(-(2**62), 2**62))),
    (pa.large_string(), st.sampled_from(["", "y" * 20_000])),
]  # fmt: skip


@st.composite
def email_tables(draw: st.DrawFn) -> pa.Table:
    rows = draw(st.integers(0, 5))
    names = draw(st.lists(st.sampled_from(COLUMN_NAMES), min_size=1, max_size=5, unique=True))
    columns = {}
    for name in names:
        data_type, values = draw(st.sampled_from(COLUMN_VALUES))
        columns[name] = pa.array(draw(st.lists(values, min_size=rows, max_size=rows)), data_type)
    return pa.table(columns)


def parquet_hostile() -> st.SearchStrategy[Upload]:
    return st.builds(
        Upload, email_tables().map(more.parquet_file), st.just("h.parquet"), kind=st.just("tables")
    )


def arrow_hostile() -> st.SearchStrategy[Upload]:
    return st.builds(
        lambda table, stream: Upload(more.arrow_file(table, stream), "h.arrow", kind="tables"),
        email_tables(),
        st.booleans(),
    )


def msg_hostile() -> st.SearchStrategy[Upload]:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    return st.one_of(
        st.builds(lambda tail: Upload(ole + tail, "h.msg", kind="ole header"), st.binary(max_size=3000)),
        st.builds(Upload, mutated(more.msg_file()), st.just("h.msg"), kind=st.just("mutated msg")),
    )  # fmt: skip


CELLS = st.one_of(st.text(max_size=20), st.sampled_from(
    ["", ";", "a;b;c", "x@y;", ";z@w", '"', "13/45/2023", "25:99:00 PM", "\x00", "*", "-1"]))  # fmt: skip


def outlook_hostile() -> st.SearchStrategy[Upload]:
    rows = st.lists(st.lists(CELLS, min_size=0, max_size=14), max_size=6)
    return st.builds(
        lambda r: Upload(more.outlook_csv_file(r), "export.csv", kind="outlook rows"), rows
    )


def thunderbird_hostile() -> st.SearchStrategy[Upload]:
    row = st.tuples(CELLS, st.sampled_from(["a@x.org", "Ana <a@x.org>", ""]), CELLS,
                    st.sampled_from(["3/1/2023 9:30", "30.11.2026 9:05", "never"]),
                    st.sampled_from(["*", " ", "x"]), st.sampled_from(["10", "", "-5"]),
                    CELLS).map(list)  # fmt: skip
    rows = st.lists(st.one_of(row, st.lists(CELLS, max_size=9)), min_size=1, max_size=6)
    return st.builds(
        lambda r: Upload(more.thunderbird_csv_file(r), "messages.csv", kind="tb rows"), rows
    )


ATTACHMENT_TYPES = ["application/pdf", "text/html", "text/plain", "message/rfc822",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "application/octet-stream", "image/png"]  # fmt: skip


def attachments_hostile() -> st.SearchStrategy[Upload]:
    data = st.one_of(
        st.binary(max_size=400),
        mutated(more.pdf_bytes()),
        mutated(more.docx_bytes()),
        st.builds(lambda n: more.pdf_bytes()[:n], st.integers(0, 2000)),
        raw_message(),
    )
    names = st.sampled_from(["a.pdf", "b.docx", "c.html", "", "../../x.txt", "d.eml", "e"])
    attachment = st.tuples(data, st.sampled_from(ATTACHMENT_TYPES), names)
    return st.builds(
        lambda items: Upload(more.attachments_eml_file(items), "a.eml", kind="attachments"),
        st.lists(attachment, min_size=1, max_size=4),
    )


HOSTILE: dict[str, Callable[[], st.SearchStrategy[Upload]]] = {
    "tar": tar_hostile,
    "parquet": parquet_hostile,
    "arrow": arrow_hostile,
    "msg": msg_hostile,
    "csv-outlook": outlook_hostile,
    "csv-thunderbird": thunderbird_hostile,
    "eml-attachments": attachments_hostile,
}
