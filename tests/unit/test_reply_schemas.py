"""Reply schemas: every string and list a model writes is bounded, the bounds reach the server in
the JSON schema and are validated on our side, and a tool call carries only its tool's arguments.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from pipeline.agent.deterministic import grep_pattern
from pipeline.agent.llm import LLMClient
from pipeline.agent.loop import run_chunk
from pipeline.agent.schemas import (
    ANSWER_CHARS,
    DecompositionProposal,
    Finding,
    Plan,
    Reflection,
    Synthesis,
    tool_args,
    tool_call,
)
from pipeline.eval.schemas import AnswerJudgement, CitedAnswer
from pipeline.schemas import Budget, LLMSettings
from tests.bench.eval_model import TOOL_ARGS
from tests.fakes.llm_server import FakeLLMServer
from tools.models import Corpus, Email
from tools.patterns import MAX_PATTERN_LENGTH

REPLY_SCHEMAS: list[type[BaseModel]] = [
    Plan,
    Reflection,
    Finding,
    DecompositionProposal,
    Synthesis,
    CitedAnswer,
    AnswerJudgement,
]


def _unbounded(node: Any, path: str = "") -> list[str]:
    """Paths of string nodes without maxLength and array nodes without maxItems."""
    found = []
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "string" and "maxLength" not in node and not {"const", "enum"} & set(node):
            found.append(path or "(root)")
        if kind == "array" and "maxItems" not in node:
            found.append(path or "(root)")
        for key, value in node.items():
            found.extend(_unbounded(value, f"{path}.{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_unbounded(value, f"{path}[{index}]"))
    return found


def _client(server: FakeLLMServer) -> LLMClient:
    settings = LLMSettings(mode="llm", base_url=server.base_url, max_retries=0)
    return LLMClient(settings, api_key="sk-test-schemas")


def _messages(task: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"<task>{task}</task>\n<question>valves?</question>"}]


TASKS = {
    Plan: "plan",
    Reflection: "reflect",
    Finding: "summarize",
    DecompositionProposal: "decompose",
    Synthesis: "synthesize",
    CitedAnswer: "answer",
    AnswerJudgement: "judge",
}


@pytest.mark.parametrize("schema", REPLY_SCHEMAS, ids=lambda s: s.__name__)
def test_the_schema_the_server_receives_bounds_every_string_and_list(llm_server, schema) -> None:
    reply = _client(llm_server).parse(_messages(TASKS[schema]), schema, purpose="test")
    assert reply.ok, reply.record.error
    [request] = llm_server.chat_requests()
    sent = request.body["response_format"]["json_schema"]
    assert sent["strict"] is True
    assert _unbounded(sent["schema"]) == []
    assert '"maxLength"' in str(sent["schema"]).replace("'", '"')


def test_an_over_long_field_is_a_schema_error(llm_server) -> None:
    llm_server.script(
        "summarize",
        [
            {
                "answer": "x" * (ANSWER_CHARS + 1),
                "confidence": "low",
                "evidence": [],
                "relevant_ids": [],
            }
        ],  # fmt: skip
    )
    reply = _client(llm_server).parse(_messages("summarize"), Finding, purpose="summarize")
    assert reply.parsed is None
    assert reply.record.error.startswith("reply did not match schema Finding: answer: String")
    assert "at most 2000 characters" in reply.record.error


def test_a_server_refusing_length_keywords_gets_them_stripped_and_we_still_validate(
    make_llm_server,
) -> None:
    server = make_llm_server(length_limits=False)
    client = _client(server)
    first = client.parse(_messages("plan"), Plan, purpose="plan")
    assert first.ok, first.record.error
    statuses = [r.status for r in server.chat_requests()]
    assert statuses == [400, 200]  # refused once, then sent without maxLength/maxItems
    resent = server.chat_requests()[1].body["response_format"]["json_schema"]
    assert resent["strict"] is True and "maxLength" not in str(resent["schema"])
    server.script("plan", [{"calls": [], "reason": "r" * 1_000}])
    second = client.parse(_messages("plan"), Plan, purpose="plan")
    assert second.parsed is None and "at most 400 characters" in second.record.error
    assert [r.status for r in server.chat_requests()] == [400, 200, 200]  # remembered


def test_a_tool_call_holds_only_its_own_arguments() -> None:
    call = tool_call("date", "the question names a period", start="2023-01-01", end="2023-03-31")
    assert tool_args(call) == {"start": "2023-01-01", "end": "2023-03-31"}
    with pytest.raises(ValidationError, match="start\n  Extra inputs are not permitted"):
        tool_call("grep", "junk", pattern="valve", start="2001")
    # the older one-shape call (other tools' arguments null) still reads, without the nulls
    plan = Plan.model_validate(
        {
            "calls": [
                {
                    "tool": "sender",
                    "pattern": None,
                    "name": "Ibarra",
                    "start": None,
                    "end": None,
                    "reason": "r",
                }
            ],
            "reason": "r",
        }  # fmt: skip
    )
    assert tool_args(plan.calls[0]) == {"name": "Ibarra"}
    with pytest.raises(ValidationError, match="too_long|at most"):
        tool_call("grep", "long", pattern="x" * (MAX_PATTERN_LENGTH + 1))


def test_junk_arguments_never_reach_the_trajectory(make_llm_server) -> None:
    """A model on a server without strict output sends a grep with start/end/name: the call is
    refused (a schema error, the deterministic plan runs), and no trajectory shows junk."""
    llm_server = make_llm_server(sufficient_after=99)
    llm_server.script(
        "plan",
        [
            {
                "calls": [
                    {
                        "tool": "grep",
                        "pattern": "valve",
                        "start": "2001-01-01",
                        "end": "2001-12-31",
                        "name": "x",
                        "reason": "r",
                    }
                ],
                "reason": "r",
            },  # fmt: skip
            {
                "calls": [
                    {"tool": "grep", "pattern": "valve", "reason": "r"},
                    {"tool": "date", "start": "2023-01-01", "end": "2023-12-31", "reason": "r"},
                ],
                "reason": "r",
            },
        ],  # fmt: skip
    )
    corpus = Corpus(
        [Email(id=f"e{i}", subject="valve check", body=f"valve note {i}") for i in range(6)]
    )
    settings = LLMSettings(mode="llm", base_url=llm_server.base_url, max_retries=0)
    _, trajectory = run_chunk(corpus, chunk_id="chunk_00", query="valve?", sub_question="valve?",
                              settings=settings, budget=Budget(max_iterations=6),
                              client=LLMClient(settings, api_key="sk-test"))  # fmt: skip
    errors = [e for e in trajectory.events if e.kind == "error"]
    assert errors and "calls.0.grep.start: Extra inputs are not permitted" in errors[0].error
    calls = [e for e in trajectory.events if e.kind == "tool_call"]
    assert {e.tool for e in calls} >= {"grep", "date"}
    assert all(set(e.args) == TOOL_ARGS[e.tool] for e in calls), [(e.tool, e.args) for e in calls]


def test_deterministic_patterns_fit_the_schema_whatever_the_question() -> None:
    words = [f"{chr(97 + i % 26)}word{'x' * 40}{i}" for i in range(40)]
    pattern = grep_pattern(words)
    assert len(pattern) <= MAX_PATTERN_LENGTH and pattern.startswith(r"\b(?:")
    tool_call("grep", "fits", pattern=pattern)
