"""The `direct` baseline: one model call holding as much of the corpus as fits a context budget.

Emails go in date order, each whole on one line (header and full body); the first email that
would overflow the budget and every later one are left out, and what was left out is recorded:
the "context rot" baseline the RLM is compared against.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.agent import prompts
from pipeline.agent.llm import LLMClient
from pipeline.strategies.answer import REPLY_TOKENS, StrategyAnswer, ask, estimate_tokens
from tools.models import Corpus

FULL_BODY = 10**9  # no excerpt limit: the direct prompt shows whole emails
LEFT_OUT_IDS_KEPT = 2_000  # the left-out ids listed in the record (the count is always exact)


@dataclass
class ContextPack:
    lines: list[str]
    shown_ids: list[str]
    left_out_ids: list[str]
    tokens: int


def pack_context(corpus: Corpus, question: str, context_tokens: int) -> ContextPack:
    """The date-ordered emails that fit `context_tokens` with the prompt and the reply."""
    frame = prompts.prompt_text(
        prompts.direct_messages(question=question, lines=[], total=len(corpus), left_out=0)
    )
    budget = context_tokens - estimate_tokens(frame) - REPLY_TOKENS
    lines: list[str] = []
    shown: list[str] = []
    used = 0
    for position, email in enumerate(corpus):
        line = prompts.email_line(email, FULL_BODY)
        cost = estimate_tokens(line)
        if used + cost > budget:
            return ContextPack(lines, shown, corpus.column("id")[position:], used)
        lines.append(line)
        shown.append(email.id)
        used += cost
    return ContextPack(lines, shown, [], used)


def answer_direct(
    corpus: Corpus, question: str, client: LLMClient, context_tokens: int
) -> StrategyAnswer:
    pack = pack_context(corpus, question, context_tokens)
    detail = {
        "context_tokens": context_tokens,
        "emails_shown": len(pack.shown_ids),
        "emails_left_out": len(pack.left_out_ids),
        "estimated_email_tokens": pack.tokens,
        "left_out_ids": pack.left_out_ids[:LEFT_OUT_IDS_KEPT],
    }
    if pack.left_out_ids:
        first = corpus.get(pack.left_out_ids[0])
        detail["left_out_from"] = first.date.isoformat() if first and first.date else None
    messages = prompts.direct_messages(
        question=question, lines=pack.lines, total=len(corpus), left_out=len(pack.left_out_ids)
    )
    return ask(client, messages, pack.shown_ids, detail)
