"""Tests of the typed search tools (tools.search) and pattern handling (tools.patterns)."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
import re2
import regex

from tools.models import Corpus, Email
from tools.patterns import MAX_REPEAT_EXPANSION, prepare_pattern, repeat_expansion
from tools.search import (
    Preview,
    SearchIndex,
    ToolResult,
    count,
    date_range,
    grep,
    preview,
    recipient,
    run_tool,
    sender,
)

START = datetime(2023, 1, 1, tzinfo=UTC)


def _email(position: int, **fields) -> Email:
    defaults = {
        "id": f"m{position:03d}",
        "date": START + timedelta(hours=12 * position),
        "sender": f"Person {position % 3} <person{position % 3}@corp.example>",
        "to": (f"team{position % 2}@corp.example",),
        "subject": f"Weekly update {position}",
        "body": "Nothing special this week.\nRegards",
    }
    return Email(**(defaults | fields))


@pytest.fixture
def corpus() -> Corpus:
    emails = [_email(i) for i in range(12)]
    emails[2] = _email(2, subject="Budget review", body="The BUDGET for Q3 is approved.")
    emails[5] = _email(5, body="Please review the budget numbers.\nThanks")
    emails[7] = _email(7, subject="Lunch", body="see you at noon", cc=("Dana.Lee@corp.example",))
    emails[9] = _email(9, body="Fwd: budget (draft)", bcc=("auditor@outside.example",))
    emails[11] = _email(
        11, date=None, sender="Anon <anon@corp.example>", body="undated budget note"
    )
    return Corpus(emails)


# --- grep / count ------------------------------------------------------------------------------


def test_grep_finds_case_insensitive_matches_in_corpus_order(corpus: Corpus) -> None:
    result = grep(corpus, "BuDgEt")
    assert result.matched_ids == ["m002", "m005", "m009", "m011"]
    assert (result.match_count, result.searched, result.truncated) == (4, 12, False)
    assert result.tool == "grep" and result.args == {"pattern": "BuDgEt"} and result.error is None


def test_grep_regex_matches_subject_and_body_per_line(corpus: Corpus) -> None:
    assert grep(corpus, r"^budget\s+review$").matched_ids == ["m002"]  # the subject line
    assert grep(corpus, r"budget numbers\.$").matched_ids == ["m005"]  # a body line
    assert grep(corpus, r"q[0-9] is").matched_ids == ["m002"]
    assert grep(corpus, r"Denver|noon|approved").matched_ids == ["m002", "m007"]


def test_grep_caps_ids_and_reports_truncation(corpus: Corpus) -> None:
    result = grep(corpus, "week", limit=3)
    assert result.matched_ids == ["m000", "m001", "m003"]
    assert result.match_count == 10 and result.truncated


def test_count_returns_the_number_without_ids(corpus: Corpus) -> None:
    result = count(corpus, "budget")
    assert result.tool == "count" and result.match_count == 4 and result.matched_ids == []
    assert count(corpus, "no-such-word").match_count == 0


def test_invalid_regex_is_searched_literally(corpus: Corpus) -> None:
    result = grep(corpus, "budget (draft")
    assert result.literal_fallback and result.error is None
    assert result.matched_ids == ["m009"]  # "Fwd: budget (draft)"
    assert grep(corpus, "(draft]").matched_ids == []


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("", "empty"), ("   ", "empty"), ("a" * 301, "longer than 300"), ("(?r)budget", "reverse")],
)
def test_bad_patterns_give_error_results(corpus: Corpus, pattern: str, message: str) -> None:
    result = grep(corpus, pattern)
    assert result.error is not None and message in result.error
    assert result.matched_ids == [] and result.match_count == 0


def test_a_300_character_pattern_is_accepted(corpus: Corpus) -> None:
    assert grep(corpus, "x" * 300).error is None


def test_huge_counted_repetitions_are_refused_before_compiling(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert repeat_expansion(r"((a{100}){100}){100}") == 1_000_000
    assert repeat_expansion(r"a{3}[bc]{2}") == 5

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("the pattern reached a regex compiler")

    monkeypatch.setattr(re2, "compile", no_compiling)
    monkeypatch.setattr(regex, "compile", no_compiling)
    result = grep(corpus, r"((a{100}){100}){100}")
    assert result.error is not None and "repetitions" in result.error
    assert repeat_expansion(r"(ab){10}") < MAX_REPEAT_EXPANSION


RANDOM_WORDS = [
    "Budget",
    "budget",
    "Denver",
    "houston",
    "meeting",
    "Re:",
    "FW:",
    "re:",
    "price",
    "prices",
    "$1,000",
    "713-5555",
    "aaa",
    "Q3",
    "end\n",
    "start\n",
    "tab\t",
    "x",
]
AGREEMENT_PATTERNS = [
    "budget", "Denver|Houston|meeting", "^(?:re|fw):", r"price[sd]?\b", r"\$\d+(?:,\d{3})*",
    r"[A-Z]{4,}", r"[a-z]{4,}$", r"end\n", r"\W\d{3}-\d{4}", r"[^a-z ]+", r"\s+",
    r"(?s)end.start", r"(?-i:BUDGET)", r"[A-z]+", r"x*", "$", r"\Astart", r"q3\Z",
    r"(budget|price)s?", r"\bend\b", r"(?m:^start$)", r"tab\t|end\n\s*start",
]  # fmt: skip


@pytest.mark.parametrize("pattern", AGREEMENT_PATTERNS)
def test_grep_agrees_with_searching_each_email_alone(pattern: str) -> None:
    """The one-pass haystack scan must give what Python's `re.search` gives email by email."""
    rng = random.Random(11)
    emails = [
        Email(
            id=f"r{i:03d}",
            subject=" ".join(rng.choices(RANDOM_WORDS, k=3)),
            body=" ".join(rng.choices(RANDOM_WORDS, k=rng.randint(0, 25))),
        )
        for i in range(300)
    ]
    corpus = Corpus(emails)
    compiled = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    expected = [email.id for email in corpus if compiled.search(email.search_text())]
    assert grep(corpus, pattern, limit=1000).matched_ids == expected


def test_literal_and_lowercased_fast_paths_are_chosen() -> None:
    assert prepare_pattern("quarterly report").literal == "quarterly report"
    assert prepare_pattern("(?i)Denver").literal == "denver"
    assert prepare_pattern("Denver|Houston").program is not None
    assert prepare_pattern(r"[A-Z]{3}").on_lowered
    assert not prepare_pattern(r"\x41").on_lowered


# --- sender / recipient / date -----------------------------------------------------------------


def test_sender_matches_name_or_address_substring(corpus: Corpus) -> None:
    assert sender(corpus, "PERSON 1").matched_ids == ["m001", "m004", "m007", "m010"]
    assert sender(corpus, "anon@corp").matched_ids == ["m011"]
    assert sender(corpus, "  ").error == "name is empty"


def test_recipient_searches_to_cc_and_bcc(corpus: Corpus) -> None:
    assert recipient(corpus, "dana.lee").matched_ids == ["m007"]  # cc
    assert recipient(corpus, "AUDITOR").matched_ids == ["m009"]  # bcc
    assert recipient(corpus, "team1@").match_count == 6  # to
    assert recipient(corpus, "team", limit=2).truncated


def test_date_range_is_inclusive_and_skips_undated(corpus: Corpus) -> None:
    result = date_range(corpus, "2023-01-02", "2023-01-03")  # whole days, UTC
    assert result.matched_ids == ["m002", "m003", "m004", "m005"]
    assert date_range(corpus, "2023-01-01T12:00", "2023-01-01T12:00").matched_ids == ["m001"]
    assert date_range(corpus, "2020-01-01", "2030-01-01").match_count == 11  # m011 is undated


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2023-13-01", "2023-12-31", "start is not an ISO date"),
        ("2023-01-01", "yesterday", "end is not an ISO date"),
        ("2023-02-01", "2023-01-01", "is after end"),
        ("", "2023-01-01", "start must be an ISO date"),
    ],
)
def test_bad_dates_give_error_results(corpus: Corpus, start: str, end: str, message: str) -> None:
    result = date_range(corpus, start, end)
    assert result.error is not None and message in result.error
    assert result.tool == "date" and result.matched_ids == []


# --- preview / run_tool / index ----------------------------------------------------------------


def test_preview_summarises_the_chunk(corpus: Corpus) -> None:
    summary = preview(corpus, n_subjects=3)
    assert isinstance(summary, Preview)
    assert summary.count == 12
    assert (summary.start, summary.end) == (START, START + timedelta(hours=120))
    assert summary.top_senders[0] == ("Person 0 <person0@corp.example>", 4)
    assert summary.sample_subjects == ["Weekly update 0", "Weekly update 4", "Weekly update 8"]
    assert summary.ids_head == [f"m{i:03d}" for i in range(10)]
    assert preview(Corpus([])).count == 0


def test_run_tool_dispatches_a_dumped_tool_call(corpus: Corpus) -> None:
    call = {"tool": "grep", "pattern": "budget", "name": None, "start": None, "end": None,
            "reason": "find the budget"}  # fmt: skip
    result = run_tool(corpus, "grep", call)
    assert result.matched_ids == grep(corpus, "budget").matched_ids
    assert run_tool(corpus, "date", {"start": "2023-01-02", "end": "2023-01-02"}).match_count == 2
    assert run_tool(corpus, "sender", {"name": "anon", "limit": 0}).truncated


@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        ("shell", {"cmd": "ls"}, "unknown tool 'shell'"),
        ("grep", {}, "grep needs argument 'pattern'"),
        ("grep", {"pattern": 42}, "must be a string"),
        ("sender", {"name": "x", "color": "red"}, "unexpected argument 'color'"),
        ("grep", {"pattern": "x", "limit": -1}, "limit"),
        ("count", {"pattern": "x", "timeout_s": 60}, "unexpected argument 'timeout_s'"),
        ("date", {"start": "2023-01-01"}, "needs argument 'end'"),
        ("grep", ["budget"], "must be an object"),
    ],
)
def test_run_tool_turns_bad_calls_into_error_results(
    corpus: Corpus, tool: str, args: dict, message: str
) -> None:
    result = run_tool(corpus, tool, args)
    assert isinstance(result, ToolResult)
    assert result.error is not None and message in result.error
    assert result.matched_ids == []


def test_direct_calls_reject_a_negative_limit(corpus: Corpus) -> None:
    with pytest.raises(ValueError, match="limit"):
        grep(corpus, "budget", limit=-1)


def test_index_is_built_once_per_corpus_and_reused(corpus: Corpus) -> None:
    index = SearchIndex.for_corpus(corpus)
    assert SearchIndex.for_corpus(corpus) is index
    assert SearchIndex.for_corpus(index) is index
    assert grep(index, "budget").matched_ids == grep(corpus, "budget").matched_ids
    assert grep(list(corpus), "budget").match_count == 4  # plain sequences work, uncached


def test_results_are_deterministic_and_serialisable(corpus: Corpus) -> None:
    first, second = grep(corpus, r"budget|week"), grep(corpus, r"budget|week")
    assert first.matched_ids == second.matched_ids
    restored = ToolResult.model_validate_json(first.model_dump_json())
    assert restored.matched_ids == first.matched_ids
    with pytest.raises(ValueError):
        ToolResult.model_validate({**first.model_dump(), "surprise": 1})


def test_cached_index_does_not_keep_its_corpus_alive():
    import gc
    import weakref

    corpus = Corpus([Email(id=f"m{i}", subject="valve report", body="x") for i in range(3)])
    index = SearchIndex.for_corpus(corpus)
    assert SearchIndex.for_corpus(corpus) is index and index.corpus is corpus
    gone = weakref.ref(corpus)
    del corpus, index
    gc.collect()
    assert gone() is None
