"""Hypothesis strategies for hostile uploads, one family per format, and the ingestion contract.

The contract every generated file is held to (`check_ingest`): `ingest_bytes` either returns a
result whose emails are valid `Email`s with unique ids, that survives the Parquet round trip the
pipeline makes next, and whose every problem names a location and a reason; or it raises
`IngestError` with a message. Any other exception is a bug.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import strategies as st

from tests.reliability.samples import EXTENSIONS, VALID_FILES, sample_records
from tools.ingest import DEFAULT_MAX_BYTES, IngestError, IngestResult, ingest_bytes
from tools.models import Corpus, Email

# Bytes that tend to break parsers: delimiters, quotes, NUL, CR/LF, invalid UTF-8, BOM pieces.
NASTY_BYTES = [b"\x00", b'"', b"'", b",", b";", b"\t", b"\n", b"\r", b"\r\n", b"[", b"]", b"{",
               b"}", b":", b"\\", b"\xff", b"\xfe", b"\x80", b"\xc3", b"\xed\xa0\x80", b"From ",
               b">From ", b"=?utf-8?b?", b"--", b"<", b">", b"\x1e", b"\u2028".decode().encode()]  # fmt: skip
WEIRD_NAMES = ["upload", "x.txt", "../../etc/passwd", "C:\\evil\\a.json", "noext.", "\u202e.json"]
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252", "utf-8-sig"]
SMALL_LIMIT = 256 * 1024  # the upload limit used for zip bombs (compressed file well under it)


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str
    max_bytes: int = DEFAULT_MAX_BYTES
    kind: str = ""  # which generator made it, for the statistics


@dataclass
class FuzzStats:
    """What the fuzzer tried and how ingestion answered."""

    tried: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)

    def record(self, upload: Upload, outcome: str) -> None:
        self.tried += 1
        self.outcomes[outcome] += 1
        self.kinds[upload.kind] += 1

    def line(self, name: str) -> str:
        kinds = ", ".join(f"{k}={v}" for k, v in sorted(self.kinds.items()))
        return (
            f"{name}: {self.tried} inputs, {self.outcomes['ok']} ingested, "
            f"{self.outcomes['error']} IngestError ({kinds})"
        )


def check_ingest(upload: Upload) -> tuple[str, IngestResult | IngestError]:
    """Run ingestion on `upload` and assert the contract; returns ("ok"|"error", outcome)."""
    return check_call(
        lambda: ingest_bytes(upload.data, upload.filename, max_bytes=upload.max_bytes), upload.kind
    )


def check_call(
    ingest: Callable[[], IngestResult], kind: str
) -> tuple[str, IngestResult | IngestError]:
    """The contract of `check_ingest` for any ingestion call (a file's bytes, a folder)."""
    try:
        result = ingest()
    except IngestError as error:
        assert str(error).strip(), f"IngestError without a message for {kind}"
        for problem in error.problems:
            assert problem.reason.strip() and problem.location.strip(), problem
        return "error", error
    assert isinstance(result, IngestResult)
    assert len(result.corpus) > 0, "a result must hold at least one email"
    for problem in result.problems:
        assert problem.reason.strip(), f"problem without a reason: {problem}"
        assert problem.location.strip(), f"problem without a location: {problem}"
        assert problem.source.strip(), f"problem without a source: {problem}"
    assert len(result.problems) <= result.rejected_count + result.repaired_count
    ids = [email.id for email in result.corpus]
    assert len(ids) == len(set(ids)), "email ids must be unique"
    for email in result.corpus:
        Email.model_validate(email.model_dump())  # the assembler builds with model_construct
    sink = io.BytesIO()
    result.corpus.write_parquet(sink)  # what load_corpus's materializer does next
    assert len(Corpus.read_parquet(sink.getvalue())) == len(result.corpus)
    return "ok", result


# --- Generic damage ------------------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with a few byte-level edits: replace, insert or delete, often with nasty bytes."""
    buffer = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(buffer)))
        piece = draw(st.one_of(st.sampled_from(NASTY_BYTES), st.binary(min_size=1, max_size=4)))
        action = draw(st.sampled_from(["replace", "insert", "delete"]))
        if action == "insert" or not buffer:
            buffer[position:position] = piece
        elif action == "replace":
            buffer[position : position + len(piece)] = piece
        else:
            del buffer[position : position + draw(st.integers(1, 16))]
    return bytes(buffer)


def reencoded(data: bytes) -> st.SearchStrategy[bytes]:
    """The text re-encoded (wrongly or with a BOM), with some non-ASCII text mixed in."""
    text = data.decode("utf-8", errors="replace").replace("part", "Teil \u00fc\u00e9\u20ac")
    return st.sampled_from(ENCODINGS).map(lambda enc: text.encode(enc, errors="replace"))


def damaged(format_name: str) -> st.SearchStrategy[Upload]:
    """Random bytes, truncations, mutations and re-encodings of a valid file of this format."""
    valid = VALID_FILES[format_name]()
    extension = EXTENSIONS[format_name]
    names = st.sampled_from([f"upload.{extension}"] * 4 + WEIRD_NAMES)
    truncated = st.integers(0, len(valid)).map(lambda n: valid[:n])
    return st.one_of(
        st.builds(Upload, st.binary(max_size=2_000), names, kind=st.just("random bytes")),
        st.builds(Upload, truncated, names, kind=st.just("truncated")),
        st.builds(Upload, mutated(valid), names, kind=st.just("mutated")),
        st.builds(Upload, reencoded(valid).flatmap(mutated), names, kind=st.just("wrong encoding")),
    )


# --- Format-specific hostility -------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)  # fmt: skip
FIELD_NAMES = ["id", "from", "to", "cc", "subject", "body", "date", "html", "message_id",
               "thread_id", "references", "folder", "in_reply_to", "x_from", "text"]  # fmt: skip
hostile_records = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=6)
DEPTHS = [1_000, 100_000]
BIG_CHARS = [20_000, 200_000]  # large fields inside the fuzz loop; the caps have their own tests


def _nested(depth: int, opener: str, closer: str) -> bytes:
    return (opener * depth + closer * depth).encode()


def _huge_body_json(chars: int, html: bool) -> bytes:
    record = sample_records(1)[0]
    record["html" if html else "body"] = ("<p>x</p>" if html else "x") * (
        chars // (8 if html else 1)
    )
    if html:
        del record["body"]
    return json.dumps([record]).encode()


def _nested_html_json(depth: int) -> bytes:
    record = sample_records(1)[0]
    record["body"] = "<div>" * depth + "deep" + "</div>" * depth
    return json.dumps([record]).encode()


def json_hostile() -> st.SearchStrategy[Upload]:
    as_json = lambda value: Upload(json.dumps(value).encode(), "hostile.json", kind="json values")  # noqa: E731
    return st.one_of(
        st.lists(hostile_records, max_size=6).map(as_json),
        st.dictionaries(st.sampled_from(["emails", "messages", "data", "x"]), json_values).map(as_json),
        json_values.map(as_json),
        st.builds(lambda d, o: Upload(_nested(d, *o), "deep.json", kind="deep nesting"),
                  st.sampled_from(DEPTHS), st.sampled_from([("[", "]"), ('{"a":', "}")])),
        st.builds(lambda n: Upload(_huge_body_json(n, False), "big.json", kind="big field"),
                  st.sampled_from(BIG_CHARS)),
        st.sampled_from([50, 500]).map(lambda d: Upload(_nested_html_json(d), "html.json", kind="nested html")),
    )  # fmt: skip


def jsonl_hostile() -> st.SearchStrategy[Upload]:
    line = st.one_of(
        hostile_records.map(json.dumps),
        json_values.map(json.dumps),
        st.text(max_size=60),
        st.sampled_from(DEPTHS).map(lambda d: "[" * d),
        st.just(json.dumps(sample_records(1)[0])),
    )
    newline = st.sampled_from(["\n", "\r\n", "\r", "\u2028"])
    return st.builds(
        lambda lines, nl: Upload(nl.join(lines).encode("utf-8", "surrogatepass"), "h.jsonl",
                                 kind="jsonl lines"),
        st.lists(line, min_size=1, max_size=8), newline,
    )  # fmt: skip


def csv_hostile() -> st.SearchStrategy[Upload]:
    header = st.sampled_from(["from,to,subject,body,date", "id;from;subject;body",
                              "subject\tbody", "from,body,body,body", '"from,"body'])  # fmt: skip
    cell = st.one_of(
        st.text(max_size=30),
        st.sampled_from(
            ['"', '""', '"unbalanced', "a\x00b", "\x00", "x\r\ny", "=cmd|' /C calc'!A0"]
        ),
        st.sampled_from(BIG_CHARS).map(lambda n: "y" * n),
    )
    row = st.lists(cell, max_size=7).map(lambda cells: ",".join(cells))
    return st.builds(
        lambda h, rows: Upload("\n".join([h, *rows]).encode("utf-8", "surrogatepass"), "h.csv",
                               kind="csv rows"),
        header, st.lists(row, max_size=8),
    )  # fmt: skip


HEADER_LINES = [
    "From: Alice <alice@example.com>",
    "From: " + "(" * 5_000 + "alice@example.com",
    "To: " + ", ".join(f"r{n}@example.com" for n in range(3_000)),
    "Subject: =?utf-8?b?" + "////" * 50 + "?=",
    "Subject: =?x-unknown-charset?q?caf=E9?=",
    "Subject: " + "=?utf-8?q?a?=" * 2_000,
    "Date: Thu, 31 Feb 99999 25:61:61 +9999",
    "Date: yesterday",
    "Content-Type: multipart/mixed; boundary=",
    'Content-Type: multipart/alternative; boundary="b1"',
    "Content-Type: text/html; charset=klingon",
    "Content-Transfer-Encoding: base64",
    "Content-Transfer-Encoding: quoted-printable",
    "Message-ID: <" + "x" * 20_000 + ">",
    "X-Folder: \x00\x01",
    " folded continuation without a header",
    "NoColonHeader",
]
BODIES = ["Hello.", "--b1\nContent-Type: text/plain\n\npart\n--b1--", "=ZZ=\n=", "!!!notbase64***",
          "<div>" * 500, "\x00" * 50, "From me to you", ">From the archive"]  # fmt: skip


@st.composite
def raw_message(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.sampled_from(HEADER_LINES), min_size=0, max_size=6))
    separator = draw(st.sampled_from(["\n\n", "\r\n\r\n", "\n", ""]))
    body = draw(st.one_of(st.sampled_from(BODIES), st.text(max_size=80)))
    return ("\n".join(headers) + separator + body).encode("utf-8", "surrogatepass")


def eml_hostile() -> st.SearchStrategy[Upload]:
    return st.builds(Upload, raw_message(), st.just("hostile.eml"), kind=st.just("eml headers"))


def mbox_hostile() -> st.SearchStrategy[Upload]:
    separator = st.sampled_from([
        b"From a@b Mon Jan  1 00:00:00 2001\n", b"From \n", b"From", b"From:x\n", b">From x\n",
        b"From a@b\r\n", b"\nFrom ", b"",
    ])  # fmt: skip
    piece = st.tuples(separator, raw_message()).map(lambda p: p[0] + p[1])
    return st.builds(
        lambda lead, pieces: Upload(lead + b"\n".join(pieces), "hostile.mbox", kind="mbox pieces"),
        st.sampled_from([b"", b"garbage before\n", b"\n\n"]),
        st.lists(piece, min_size=1, max_size=6),
    )


def csv_rfc822_hostile() -> st.SearchStrategy[Upload]:
    def build(messages: list[bytes], quote: bool) -> Upload:
        rows = ["file,message"]
        for n, message in enumerate(messages):
            text = message.decode("utf-8", "surrogatepass")
            cell = '"' + text.replace('"', '""') + '"' if quote else text
            rows.append(f"u/inbox/{n}.,{cell}")
        return Upload("\n".join(rows).encode("utf-8", "surrogatepass"), "export.csv",
                      kind="export rows")  # fmt: skip

    return st.builds(build, st.lists(raw_message(), min_size=1, max_size=5), st.booleans())


def _zip(members: list[tuple[str, bytes]], compression: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def zip_bomb(extra_valid: bool) -> Upload:
    """A small file (about 20 KB) that unpacks to 20 MB, far beyond the SMALL_LIMIT upload limit."""
    members = [("a.json", VALID_FILES["json"]())] if extra_valid else []
    members.append(("bomb.jsonl", b"{" + b" " * 20_000_000 + b"}"))
    return Upload(_zip(members, zipfile.ZIP_DEFLATED), "bomb.zip", SMALL_LIMIT, kind="zip bomb")


def zip_hostile() -> st.SearchStrategy[Upload]:
    member_names = st.sampled_from(["a.json", "b.jsonl", "c.csv", "../../escape.eml", "/abs.mbox",
                                    "__MACOSX/._a.json", "d/", "inner.zip", "e.bin", "\u00fc.eml"])  # fmt: skip
    member_data = st.one_of(
        st.sampled_from([f() for f in VALID_FILES.values()]),
        st.binary(max_size=300),
        raw_message(),
        st.just(b""),
    )
    members = st.lists(
        st.tuples(member_names, member_data),
        min_size=1,
        max_size=6,
        unique_by=lambda member: member[0],
    )
    compression = st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
    archives = st.builds(_zip, members, compression)
    return st.one_of(
        st.builds(Upload, archives, st.just("h.zip"), kind=st.just("zip members")),
        st.builds(Upload, archives.flatmap(mutated), st.just("h.zip"), kind=st.just("corrupt zip")),
        st.booleans().map(zip_bomb),
    )


HOSTILE = {
    "json": json_hostile,
    "jsonl": jsonl_hostile,
    "csv": csv_hostile,
    "csv-rfc822": csv_rfc822_hostile,
    "mbox": mbox_hostile,
    "eml": eml_hostile,
    "zip": zip_hostile,
}


def uploads(format_name: str) -> st.SearchStrategy[Upload]:
    """Everything the fuzzer throws at one format: generic damage and its own hostile files
    (the forms added for real mailboxes have theirs in `hostile_formats`)."""
    from tests.reliability.hostile_formats import HOSTILE as MORE_HOSTILE

    return st.one_of(damaged(format_name), {**HOSTILE, **MORE_HOSTILE}[format_name]())
