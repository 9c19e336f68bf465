"""Hostile patterns: catastrophic-backtracking regexes chosen by the model, or texts planted in
emails that make ordinary-looking regexes explode on a backtracking engine. On RE2 each one
searches every email and returns exactly what an equivalent harmless regex finds; what RE2 cannot
run (a back-reference, a repetition above 1000) or what would compile to a huge program is a
clear error; and the agent loop carries on to a summary.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from pipeline.agent.loop import run_chunk
from pipeline.agent.prompts import MAX_CALLS_PER_PLAN
from pipeline.schemas import Budget, LLMSettings
from tests.reliability.conftest import planted_email
from tests.reliability.faults import RecordingClient, cell_settings
from tools.models import Corpus, Email
from tools.search import grep


def _regex(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern, re.IGNORECASE | re.MULTILINE | re.ASCII)
    return lambda text: compiled.search(text) is not None


def _line_with_20_as(text: str) -> bool:
    return any(line.lower().count("a") >= 20 for line in text.split("\n"))


# The 13 catastrophic patterns of tests/bench/bench_tools.py, each with a harmless equivalent
# (same matches, no nested quantifiers) that Python's backtracking `re` runs quickly.
EQUIVALENT: dict[str, Callable[[str], bool]] = {
    r"(a+)+$": _regex(r"a$"),
    r"(x+x+)+y": _regex(r"xxy"),
    r"(.*a){20}": _line_with_20_as,
    r"(a|aa)+$": _regex(r"a$"),
    r"(a|a)+b": _regex(r"ab"),
    r"(\w+\s?)+$": _regex(r"\w\s?$"),
    r"^(\w+\s?)*!": _regex(r"^(?:\w\s?)*!"),
    r"(?:\s*\w+\s*)+zq": _regex(r"\w\s*zq"),
    r"([a-z]+)*!": _regex(r"!"),
    r"(?:a*)*b": _regex(r"b"),
}
REFUSED = {
    r"(a+)+\1b": "back-reference",
    r"(.*){1,32000}[bc]": "above 1000",
    r"((a{100}){100}){100}": "counted repetitions",
    r"(?r)a": "reverse-search",
    "x" * 400: "longer than",
}
CATASTROPHIC_13 = [*EQUIVALENT, r"(a+)+\1b", r"(.*){1,32000}[bc]", r"((a{100}){100}){100}"]


def _adversarial_corpus(hostile_corpus: Corpus) -> Corpus:
    """The reliability suite's hostile corpus plus the bench's blobs and a few near-misses."""
    extra = [
        planted_email(20, "blob", "a" * 4_000),
        planted_email(21, "blob", "x" * 4_000),
        planted_email(22, "blob", "a" * 2_000 + "!"),
        planted_email(23, "blob", ("word " * 800).strip()),
        planted_email(24, "blob", "a" * 30 + "c"),
        planted_email(25, "near", "xxxxxxxxy and aab and word  zq"),
        planted_email(26, "near", "Wow!\n" + "a" * 19 + "\nthe end "),
    ]
    return Corpus([*hostile_corpus, *extra])


def _expected(corpus: Corpus, matches: Callable[[str], bool]) -> list[str]:
    return [email.id for email in corpus if matches(email.search_text())]


def test_the_13_catastrophic_patterns_are_complete_or_refused(hostile_corpus: Corpus) -> None:
    corpus = _adversarial_corpus(hostile_corpus)
    assert len(CATASTROPHIC_13) == 13
    for pattern, matches in EQUIVALENT.items():
        result = grep(corpus, pattern, limit=len(corpus))
        assert result.error is None and result.stopped is None, (pattern, result)
        assert result.searched == len(corpus), pattern
        assert result.matched_ids == _expected(corpus, matches), pattern
    for pattern, reason in REFUSED.items():
        result = grep(corpus, pattern)
        assert result.error and reason in result.error, (pattern, result.error)
        assert result.match_count == 0 and not result.literal_fallback


def _call(tool: str, pattern: str) -> dict:
    return {"tool": tool, "pattern": pattern, "name": None, "start": None, "end": None,
            "reason": "scripted hostile pattern"}  # fmt: skip


def _plan(patterns: list[str], tool: str = "grep") -> dict:
    return {"calls": [_call(tool, p) for p in patterns], "reason": "hostile plan"}


@pytest.mark.slow
def test_catastrophic_model_patterns_search_everything_and_the_loop_summarises(
    make_llm_server, hostile_corpus
) -> None:
    corpus = _adversarial_corpus(hostile_corpus)
    searched_fully = [r"(a+)+$", r"(a|aa)+$", r"(\w+\s?)+$", r"^(\w+\s?)*!"]
    refused = [r"(a+)+\1b", r"((a{100}){100}){100}", r"(?r)a"]
    server = make_llm_server(sufficient_after=3)
    server.script(
        "plan",
        [
            _plan(searched_fully),
            {
                "calls": [*(_call("grep", p) for p in refused), _call("count", r"(a|aa)+$")],
                "reason": "hostile plan, round 2",
            },
        ],
    )
    settings = cell_settings(server)
    result, trajectory = run_chunk(
        corpus,
        chunk_id="chunk_00",
        query="Who wrote about the valve inspection?",
        sub_question="Who wrote about the valve inspection?",
        settings=settings,
        budget=Budget(max_iterations=6),
        client=RecordingClient(settings, api_key="sk-test-patterns"),
    )
    tool_events = [e for e in trajectory.events if e.kind == "tool_call"]
    by_pattern: dict[str, object] = {}
    for event in tool_events:
        by_pattern.setdefault(event.args.get("pattern"), event)

    for pattern in searched_fully:
        event = by_pattern[pattern]
        assert event.error is None and event.detail["stopped"] is None, (pattern, event.detail)
        assert event.detail["searched"] == len(corpus)
        assert event.match_count == len(_expected(corpus, EQUIVALENT[pattern]))
    for pattern in refused:
        assert by_pattern[pattern].error, pattern
    count_event = next(e for e in tool_events if e.tool == "count")
    assert count_event.match_count == len(_expected(corpus, EQUIVALENT[r"(a|aa)+$"]))

    # The loop carried on: both scripted plans ran, reflections followed, the chunk summarised.
    kinds = [e.kind for e in trajectory.events]
    assert kinds.count("plan") >= 2 and "reflect" in kinds
    assert kinds[-1] == "summarize" and result.status == "ok" and result.finding is not None
    assert all(len([e for e in tool_events if e.iteration == i]) <= MAX_CALLS_PER_PLAN
               for i in {e.iteration for e in tool_events})  # fmt: skip
    assert len(server.chat_requests("plan")) >= 2


def test_hostile_question_in_deterministic_mode_is_searched_safely(hostile_corpus) -> None:
    """Without a model, question words become escaped stems: regex syntax in the question (or
    the planted texts) can neither break a search nor make it partial."""
    question = r"Who sent (a+)+$ or .*.*.*= or [unclosed (?r) a{1000}{1000} about the valve?"
    result, trajectory = run_chunk(
        hostile_corpus,
        chunk_id="chunk_00",
        query=question,
        sub_question=question,
        settings=LLMSettings(mode="deterministic"),
        budget=Budget(max_iterations=6),
    )
    tool_events = [e for e in trajectory.events if e.kind == "tool_call"]
    assert tool_events
    for event in tool_events:
        assert event.error is None, event.error
        assert event.detail["stopped"] is None
        assert event.detail["searched"] == len(hostile_corpus)
    assert result.status == "ok" and trajectory.events[-1].kind == "summarize"
    assert result.matches > 0  # "valve" still finds the planted and the real valve emails


def test_an_email_planted_with_separator_bytes_cannot_hide_a_match() -> None:
    """Texts holding the record separator's characters still match as themselves."""
    corpus = Corpus(
        [
            Email(id="p1", subject="valve", body="before \n\x1e\n after valve"),
            Email(id="p2", subject="other", body="\x1e\x1e"),
            Email(id="p3", subject="valve report", body="ok"),
        ],
        presorted=True,
    )
    assert grep(corpus, r"after\s+valve$").matched_ids == ["p1"]
    assert grep(corpus, r"\x1e\x1e").matched_ids == ["p2"]
    assert grep(corpus, r"^valve").matched_ids == ["p1", "p3"]
