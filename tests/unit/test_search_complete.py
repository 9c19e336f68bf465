"""grep/count on RE2: complete results at chunk scale, equal to Python's `re` email by email;
unsupported syntax refused with a rephrasing hint; the safety stop reported, never silent."""

from __future__ import annotations

import random
import re

import pytest

from tools.models import Corpus, Email
from tools.patterns import Haystack, prepare_pattern, scan_records
from tools.search import SearchIndex, count, grep

# 60,000 emails of ~900 characters (54 MB of text): the old 200 ms time bound stopped a
# three-word alternation after about 30,000 of 51,700 such emails.
BIG_CHUNK_EMAILS = 60_000
WORDS = [
    "budget",
    "forecast",
    "meeting",
    "call",
    "conference",
    "contract",
    "deal",
    "gas",
    "power",
    "price",
    "trading",
    "desk",
    "report",
    "quarterly",
    "review",
    "legal",
    "risk",
    "position",
    "schedule",
    "invoice",
    "pipeline",
    "storage",
    "market",
    "credit",
    "houston",
    "denver",
    "portland",
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "for",
    "on",
    "with",
    "that",
    "is",
    "this",
    "we",
    "will",
    "be",
    "please",
]
RARE = ["amber", "sextant", "approval", "approved", "Re:", "FW:", "713-5551", "ZEBRA"]
COMPLETENESS_PATTERNS = [
    r"\b(?:amber|approv|sextant)",
    r"budget|meeting|conference",
    r"deal\s+\w+\s+price",
    r"^(?:re|fw):",
    r"(?s)amber.{0,40}sextant",
    r"\d{3}-\d{4}$",
    r"[A-Z]{5}",
]


@pytest.fixture(scope="module")
def big_chunk() -> Corpus:
    rng = random.Random(5)
    emails = []
    for position in range(BIG_CHUNK_EMAILS):
        words = rng.choices(WORDS, k=150)
        if position % 97 == 0:
            words[rng.randrange(150)] = rng.choice(RARE)
        subject = " ".join(rng.choices(WORDS, k=3))
        if position % 13 == 0:
            subject = f"{rng.choice(RARE)} {subject}"
        emails.append(
            Email.model_construct(
                id=f"big-{position:06d}", date=None, sender="a@corp.example", to=(), cc=(),
                bcc=(), subject=subject, body=" ".join(words).replace(" in ", " in\n"),
                message_id=None, in_reply_to=None, thread_id=None, folder=None, source=None,
            )
        )  # fmt: skip
    return Corpus(emails, presorted=True)


@pytest.mark.slow
@pytest.mark.parametrize("pattern", COMPLETENESS_PATTERNS)
def test_grep_is_complete_on_a_chunk_the_old_time_bound_cut(big_chunk: Corpus, pattern) -> None:
    index = SearchIndex.for_corpus(big_chunk)
    reference = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    expected = [email.id for email in big_chunk if reference.search(email.search_text())]
    result = grep(index, pattern, limit=BIG_CHUNK_EMAILS)
    assert result.error is None and result.stopped is None
    assert result.searched == BIG_CHUNK_EMAILS
    assert result.matched_ids == expected
    assert count(index, pattern).match_count == len(expected)


UNSUPPORTED = {
    r"budget(?=\s+approved)": "look-around",
    r"(?<!pre)approved": "look-around",
    r"(?<=amber )sextant": "look-around",
    r"(\w+) \1": "back-reference",
    r"(?P<w>\w+) (?P=w)": "back-reference",
    r"a++b": "possessive",
    r"(?>amber|am)ber": "atomic group",
    r"(a)?(?(1)b|c)": "conditional",
    r"(?r)budget": "reverse-search",
    r"(?x) budget # comment": "verbose",
    r"(.*){1,32000}[bc]": "above 1000",
}


@pytest.mark.parametrize(("pattern", "construct"), UNSUPPORTED.items())
def test_unsupported_syntax_is_a_clear_error_saying_how_to_rephrase(pattern, construct) -> None:
    corpus = Corpus([Email(id="x1", subject="budget approved", body="amber sextant aab")])
    result = grep(corpus, pattern)
    assert result.error is not None, pattern
    assert "unsupported regex syntax" in result.error and construct in result.error
    assert "Rephrase" in result.error
    assert result.matched_ids == [] and result.match_count == 0 and not result.literal_fallback


def test_an_invalid_regex_is_still_searched_literally() -> None:
    corpus = Corpus([Email(id="x1", subject="budget (draft", body="")])
    result = grep(corpus, "budget (draft")
    assert result.literal_fallback and result.matched_ids == ["x1"] and result.error is None


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\Abudget", ["a", "c"]),  # the start of each email, not of the whole chunk
        (r"done\z", ["a"]),
        (r"done\Z", ["a"]),
        (r"(?-m)^budget", ["a", "c"]),
        (r"^budget", ["a", "b", "c"]),  # per line
        (r"(?s)plan.final", ["b"]),  # (?s) lets "." match a newline, inside one email only
        (r"done\s+budget", []),  # never across two emails
    ],
)
def test_anchors_and_dotall_apply_to_each_email_alone(pattern, expected) -> None:
    corpus = Corpus(
        [
            Email(id="a", subject="Budget", body="all done"),
            Email(id="b", subject="x", body="budget plan\nfinal"),
            Email(id="c", subject="budget", body="notes"),
        ],
        presorted=True,
    )
    assert grep(corpus, pattern).matched_ids == expected


def test_non_ascii_text_maps_matches_to_the_right_email() -> None:
    emails = [
        Email(id=f"u{i}", subject="Zürich – café", body="naïve 😀 " * (i % 5) + f"tag{i % 3}")
        for i in range(40)
    ]
    corpus = Corpus(emails, presorted=True)
    for pattern in [r"tag1$", r"café\s", r"ZÜRICH", r"😀\s+tag2"]:
        reference = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
        expected = [email.id for email in corpus if reference.search(email.search_text())]
        assert grep(corpus, pattern, limit=100).matched_ids == expected, pattern


def test_a_match_running_across_emails_is_rechecked_against_each_email_alone() -> None:
    texts = ["budget", "approved later", "x budget", "approved"]
    haystack = Haystack.build([text.lower() for text in texts])
    prepared = prepare_pattern(r"budget\s+approved")
    outcome = scan_records(prepared, haystack, original=lambda: haystack)
    assert outcome.positions == [] and outcome.searched == 4 and outcome.stopped is None


def test_the_safety_stop_is_reported_with_how_much_was_searched() -> None:
    """Only the CPU limit is forced here (a real stop needs a pathological pattern and seconds)."""
    texts = [("word " * 200) + "a" for _ in range(20_000)]  # about 20 MB: several scan windows
    haystack = Haystack.build(texts)
    outcome = scan_records(
        prepare_pattern(r"\ba$"), haystack, original=lambda: haystack, cpu_limit_s=0.0
    )
    assert outcome.stopped is not None and "searched" in outcome.stopped
    assert 0 < outcome.searched < len(texts)
    assert outcome.positions == list(range(outcome.searched))
