"""Hostile patterns: catastrophic-backtracking regexes chosen by the model, or texts planted in
emails that make ordinary-looking regexes explode. Each tool call is bounded in time (and says
so with `timed_out`), and the loop carries on to a summary.
"""

from __future__ import annotations

import time

import pytest

from pipeline.agent.loop import run_chunk
from pipeline.agent.prompts import MAX_CALLS_PER_PLAN
from pipeline.schemas import Budget, LLMSettings
from tests.reliability.faults import RecordingClient, cell_settings

# Each of these takes seconds or more without a time bound on the planted texts.
CATASTROPHIC = [r"(a+)+$", r"(a|aa)+$", r"(.*)*\d", r"^(\w+\s?)*$"]
REFUSED = {
    r"a{1000}{1000}": "counted repetitions",
    r"(?r)a": "reverse-search",
    "x" * 400: "longer than",
}
WALL_BOUND_MS = 3_000  # the tools stop at 200 ms of matching; generous for a loaded CI machine


def _call(tool: str, pattern: str) -> dict:
    return {"tool": tool, "pattern": pattern, "name": None, "start": None, "end": None,
            "reason": "scripted hostile pattern"}  # fmt: skip


def _plan(patterns: list[str], tool: str = "grep") -> dict:
    return {"calls": [_call(tool, p) for p in patterns], "reason": "hostile plan"}


@pytest.mark.slow
def test_catastrophic_model_patterns_are_time_bounded_and_the_loop_summarises(
    make_llm_server, hostile_corpus
) -> None:
    server = make_llm_server(sufficient_after=3)
    server.script(
        "plan",
        [
            _plan(CATASTROPHIC),
            {
                "calls": [*(_call("grep", p) for p in REFUSED), _call("count", r"(a|aa)+$")],
                "reason": "hostile plan, round 2",
            },
        ],
    )
    settings = cell_settings(server)
    client = RecordingClient(settings, api_key="sk-test-patterns")
    started = time.perf_counter()
    result, trajectory = run_chunk(
        hostile_corpus,
        chunk_id="chunk_00",
        query="Who wrote about the valve inspection?",
        sub_question="Who wrote about the valve inspection?",
        settings=settings,
        budget=Budget(max_iterations=6),
        client=client,
    )
    elapsed = time.perf_counter() - started
    tool_events = [e for e in trajectory.events if e.kind == "tool_call"]
    by_pattern = {}
    for event in tool_events:
        by_pattern.setdefault(event.args.get("pattern"), event)

    for pattern in CATASTROPHIC:
        event = by_pattern[pattern]
        assert event.detail["timed_out"] is True, (pattern, event.detail)
        assert event.detail["elapsed_ms"] < WALL_BOUND_MS
        assert event.detail["searched"] < len(hostile_corpus)  # partial, and it says so
    for pattern, reason in REFUSED.items():
        event = by_pattern[pattern]
        assert event.error and reason in event.error, (pattern, event.error)
        assert event.detail["elapsed_ms"] < WALL_BOUND_MS
    count_event = next(e for e in tool_events if e.tool == "count")
    assert count_event.detail["timed_out"] is True

    # The loop carried on: both scripted plans ran, reflections followed, the chunk summarised.
    kinds = [e.kind for e in trajectory.events]
    assert kinds.count("plan") >= 2 and "reflect" in kinds
    assert kinds[-1] == "summarize" and result.status == "ok" and result.finding is not None
    assert all(len([e for e in tool_events if e.iteration == i]) <= MAX_CALLS_PER_PLAN
               for i in {e.iteration for e in tool_events})  # fmt: skip
    assert len(server.chat_requests("plan")) >= 2
    assert elapsed < 8 * WALL_BOUND_MS / 1000  # eight bounded calls plus fast model replies


def test_hostile_question_in_deterministic_mode_is_searched_safely(hostile_corpus) -> None:
    """Without a model, question words become escaped stems: regex syntax in the question (or
    the planted texts) can neither break nor slow a search."""
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
        assert event.detail["timed_out"] is False
        assert event.detail["searched"] == len(hostile_corpus)
    assert result.status == "ok" and trajectory.events[-1].kind == "summarize"
    assert result.matches > 0  # "valve" still finds the planted and the real valve emails
