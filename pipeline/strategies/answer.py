"""One cited-answer call, shared by the direct and RAG baselines: the reply's cited ids are kept
only when they were shown to the model (others are dropped and listed)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from pipeline.agent.llm import LLMClient
from pipeline.agent.schemas import LLMCallRecord
from pipeline.eval.schemas import CitedAnswer

CHARS_PER_TOKEN = 4  # the token estimate used to fill a context budget
REPLY_TOKENS = 1_000  # kept free for the reply


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1


@dataclass
class StrategyAnswer:
    """What a baseline produced: the answer, the ids it cites, every call, and what it saw."""

    answer: str
    cited_ids: list[str]
    calls: list[LLMCallRecord]
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def ask(
    client: LLMClient, messages: list[dict], shown_ids: Collection[str], detail: dict[str, Any]
) -> StrategyAnswer:
    """Send `messages`, keep the cited ids that were among `shown_ids`."""
    reply = client.parse(messages, CitedAnswer, purpose="answer", max_tokens=REPLY_TOKENS)
    if reply.parsed is None:
        error = reply.record.error or "the reply did not match the CitedAnswer schema"
        return StrategyAnswer("", [], [reply.record], detail, error=error)
    shown = set(shown_ids)
    cited = list(dict.fromkeys(reply.parsed.cited_ids))
    dropped = [email_id for email_id in cited if email_id not in shown]
    if dropped:
        detail = {**detail, "ids_dropped": dropped}
    kept = [email_id for email_id in cited if email_id in shown]
    return StrategyAnswer(reply.parsed.answer, kept, [reply.record], detail)
