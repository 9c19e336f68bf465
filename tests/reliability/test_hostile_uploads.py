"""Hostile uploads: property-based fuzzing of every reader, plus exact checks of the guards.

Each format gets at least `EXAMPLES_PER_FORMAT` generated malformed files (random bytes,
truncations, byte mutations, wrong encodings, deep nesting, big fields, broken separators, NUL
bytes, unbalanced quotes, corrupt archives, zip bombs). None may escape as anything but
`IngestError`; see `hostile_uploads.check_ingest` for the whole contract. Generation is
derandomized, so a failure reproduces on every machine.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability import hostile_uploads as hostile
from tests.reliability.samples import (
    VALID_FILES,
    csv_file,
    jsonl_file,
    mbox_file,
    sample_records,
)
from tools.ingest import IngestError, ingest_bytes

EXAMPLES_PER_FORMAT = 1_000
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_FORMAT,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example, HealthCheck.filter_too_much],
)  # fmt: skip
FUZZ_TOTALS: dict[str, int] = {}


@pytest.mark.slow
@pytest.mark.parametrize("format_name", list(VALID_FILES))
def test_reader_survives_hostile_uploads(format_name: str) -> None:
    stats = hostile.FuzzStats()

    @FUZZ_SETTINGS
    @given(upload=hostile.uploads(format_name))
    def ingest_one(upload: hostile.Upload) -> None:
        outcome, _ = hostile.check_ingest(upload)
        stats.record(upload, outcome)

    ingest_one()
    FUZZ_TOTALS[format_name] = stats.tried
    print(stats.line(format_name))
    assert stats.tried >= EXAMPLES_PER_FORMAT
    # The mix really exercised both answers: some damaged files still yield emails, some are refused.
    assert stats.outcomes["ok"] > 0 and stats.outcomes["error"] > 0, stats.outcomes
    assert len(stats.kinds) >= 5, stats.kinds


# --- Truncation keeps every complete record ------------------------------------------------------


def _prefix_ends(builder, trailing: int = 0) -> list[int]:
    """Where each email's bytes end: builder(records[:k]) is a prefix of builder(records)."""
    records = sample_records()
    return [len(builder(records[: k + 1])) - trailing for k in range(len(records))]


def _compact_json_array(records: list[dict] | None = None) -> bytes:
    return b"[" + b",\n".join(json.dumps(r).encode() for r in records or sample_records())


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(cut=st.integers(1, 10_000))
def test_truncated_json_array_keeps_every_complete_record(cut: int) -> None:
    data = _compact_json_array() + b"]"
    cut = cut % (len(data) + 1)
    complete = sum(end <= cut for end in _prefix_ends(_compact_json_array))
    if complete == 0:
        with pytest.raises(IngestError):
            ingest_bytes(data[:cut], "cut.json")
        return
    result = ingest_bytes(data[:cut], "cut.json")
    assert [e.id for e in result.corpus] == [f"fz-{n:03d}" for n in range(complete)]
    if cut < len(data):  # the cut is reported, never silent
        assert result.problems and all(p.location.startswith("record") for p in result.problems)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(cut=st.integers(1, 10_000))
def test_truncated_jsonl_keeps_every_complete_line(cut: int) -> None:
    data = jsonl_file()
    cut = cut % (len(data) + 1)
    ends = _prefix_ends(jsonl_file, trailing=1)  # a line is complete at its closing brace
    complete = sum(end <= cut for end in ends)
    if complete == 0:
        with pytest.raises(IngestError):
            ingest_bytes(data[:cut], "cut.jsonl")
        return
    result = ingest_bytes(data[:cut], "cut.jsonl")
    assert [e.id for e in result.corpus] == [f"fz-{n:03d}" for n in range(complete)]
    partial_line = cut not in ends and cut not in [end + 1 for end in ends]
    if partial_line:
        assert [p.location for p in result.problems] == [f"line {complete + 1}"]


@pytest.mark.parametrize("builder", [csv_file, mbox_file], ids=["csv", "mbox"])
def test_truncated_rows_and_messages_keep_every_complete_one(builder) -> None:
    data = builder()
    ends = _prefix_ends(builder)
    name = "cut.csv" if builder is csv_file else "cut.mbox"
    answered = 0
    for cut in range(1, len(data) + 1, 5):
        complete = sum(end <= cut for end in ends)
        try:
            result = ingest_bytes(data[:cut], name)
        except IngestError:
            assert complete == 0, f"cut at byte {cut} lost {complete} complete emails"
            continue
        answered += 1
        kept = [e.id.split("@")[0] for e in result.corpus]  # mbox ids come from Message-ID
        # every complete email is kept; at most the one the cut went through is kept partially
        assert kept[:complete] == [f"fz-{n:03d}" for n in range(complete)], (cut, kept)
        assert len(kept) <= complete + 1, (cut, kept)
    assert answered > len(data) // 10


# --- Exact guards ------------------------------------------------------------------------------


@pytest.mark.parametrize("opener, closer", [("[", "]"), ('{"a":', "}")])
def test_json_nested_100k_levels_is_refused_with_a_reason(opener: str, closer: str) -> None:
    data = (opener * 100_000 + closer * 100_000).encode()
    with pytest.raises(IngestError) as caught:
        ingest_bytes(data, "deep.json")
    text = " ".join([str(caught.value), *(p.reason for p in caught.value.problems)])
    assert "nested too deeply" in text


def test_jsonl_deep_line_is_rejected_and_other_lines_kept() -> None:
    good = jsonl_file(sample_records(2))
    data = good + b"[" * 100_000 + b"\n" + jsonl_file(sample_records(3)[2:])
    result = ingest_bytes(data, "deep.jsonl")
    assert len(result.corpus) == 3
    deep = [p for p in result.problems if p.location == "line 3"]
    assert deep and deep[0].severity == "rejected" and "nested too deeply" in deep[0].reason


def test_huge_json_body_is_capped_and_reported() -> None:
    upload = hostile.Upload(hostile._huge_body_json(1_200_000, html=False), "huge.json")
    outcome, result = hostile.check_ingest(upload)
    assert outcome == "ok"
    assert len(result.corpus[0].body) == 1_000_000
    assert any("truncated from 1,200,000" in p.reason for p in result.problems)


def test_huge_csv_cell_is_read_not_refused() -> None:
    records = sample_records(2)
    records[1]["body"] = "z" * 1_100_000
    result = ingest_bytes(csv_file(records), "huge.csv")
    assert [len(e.body) for e in result.corpus] == [len(records[0]["body"]), 1_000_000]


@pytest.mark.slow
def test_deeply_nested_html_body_is_converted() -> None:
    upload = hostile.Upload(hostile._nested_html_json(20_000), "html.json")
    outcome, result = hostile.check_ingest(upload)
    assert outcome == "ok"
    assert "deep" in result.corpus[0].body and "<div>" not in result.corpus[0].body


@pytest.mark.parametrize("with_valid_member", [True, False])
def test_zip_bomb_within_upload_limit_is_stopped(with_valid_member: bool) -> None:
    bomb = hostile.zip_bomb(with_valid_member)
    assert len(bomb.data) < bomb.max_bytes  # the archive itself is allowed in
    with zipfile.ZipFile(__import__("io").BytesIO(bomb.data)) as archive:
        assert sum(i.file_size for i in archive.infolist()) > 50 * bomb.max_bytes
    if not with_valid_member:
        with pytest.raises(IngestError) as caught:
            ingest_bytes(bomb.data, bomb.filename, max_bytes=bomb.max_bytes)
        assert any("limit" in p.reason for p in caught.value.problems), caught.value.problems
        return
    result = ingest_bytes(bomb.data, bomb.filename, max_bytes=bomb.max_bytes)
    assert len(result.corpus) == len(sample_records())
    assert any(p.source.endswith("!bomb.jsonl") and "limit" in p.reason for p in result.problems)


def test_csv_with_nul_bytes_and_unbalanced_quote_keeps_good_rows() -> None:
    records = sample_records(3)
    data = csv_file(records).replace(b"part 1", b"pa\x00rt 1") + b'fz-x,2023-01-01,a@b,c@d,"open'
    result = ingest_bytes(data, "nul.csv")
    ids = [e.id for e in result.corpus]
    assert ids[:3] == ["fz-000", "fz-001", "fz-002"]
    assert any("quoted field" in p.reason for p in result.problems)


def test_mbox_with_unescaped_from_lines_keeps_message_count() -> None:
    records = sample_records(3)
    records[1]["body"] = "Before\nFrom here on, the plan changes.\nAfter"
    result = ingest_bytes(mbox_file(records), "broken.mbox")
    assert len(result.corpus) == 3
    body = next(e.body for e in result.corpus if e.id.startswith("fz-001"))
    assert "From here on" in body and "After" in body


def test_fuzz_totals_reach_the_promised_volume() -> None:
    """Summary line for the report (runs after the parametrized fuzz tests in file order)."""
    if len(FUZZ_TOTALS) < len(VALID_FILES):
        pytest.skip("not every fuzz test ran to the end (deselected or failed)")
    print("hostile uploads tried:", FUZZ_TOTALS, "total", sum(FUZZ_TOTALS.values()))
    assert all(count >= EXAMPLES_PER_FORMAT for count in FUZZ_TOTALS.values())


# --- Regressions found by the fuzzer -------------------------------------------------------------


def test_corrupt_deflate_stream_in_zip_member_is_a_problem_not_a_crash() -> None:
    """A member whose compressed bytes are damaged raises zlib.error inside zipfile; that must
    become a rejected member (the other members still read), not an unhandled exception."""
    archive = bytearray(hostile._zip([("a.json", VALID_FILES["json"]()),
                                      ("b.jsonl", jsonl_file())], zipfile.ZIP_DEFLATED))  # fmt: skip
    header = archive.index(b"a.json") + len(b"a.json")
    archive[header + 10 : header + 14] = b"\xff\xff\xff\xff"  # inside a.json's deflate stream
    result = ingest_bytes(bytes(archive), "damaged.zip")
    assert len(result.corpus) == len(sample_records())  # every email of b.jsonl
    damaged = [p for p in result.problems if p.source == "damaged.zip!a.json"]
    assert damaged and damaged[0].severity == "rejected"


def test_undecodable_bytes_in_export_file_column_survive_parquet() -> None:
    """In a `file,message` export the `file` cell becomes the email's source; a non-UTF-8 byte
    there must be repaired like every other field, or the corpus cannot be stored as Parquet."""
    data = VALID_FILES["csv-rfc822"]().replace(b"person-1/inbox", b"person-\xff/inbox")
    outcome, result = hostile.check_ingest(hostile.Upload(data, "export.csv"))
    assert outcome == "ok" and len(result.corpus) == len(sample_records())
    sources = [e.source for e in result.corpus]
    assert "person-\u00ff/inbox/1." in sources  # cp1252 repair of 0xFF, as for other fields


def test_zip_member_without_a_name_is_skipped_and_reported() -> None:
    """A central-directory entry with an empty name (zipfile's own `is_dir()` raises IndexError on
    it; found by the fuzz suite) is a reported skip: the named members still read."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("export/mail.jsonl", jsonl_file())
        archive.writestr(zipfile.ZipInfo(""), b"x")
    result = ingest_bytes(buffer.getvalue(), "nameless.zip")
    assert len(result.corpus) == len(sample_records())
    skipped = [p for p in result.problems if "without a name" in p.reason]
    assert skipped and skipped[0].location == "central directory"
