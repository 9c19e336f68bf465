"""Is an answer right? Judged against the question's reference `answer`, when it has one.

With a model configured the model judges (`AnswerJudgement`); without one a lexical check does:
the reference's key facts (numbers, amounts, capitalised names) that the answer repeats, correct
when at least half of them are there. The cell records which judge was used.
"""

from __future__ import annotations

import re

from pipeline.agent import prompts
from pipeline.agent.llm import LLMClient
from pipeline.agent.schemas import LLMCallRecord
from pipeline.eval.schemas import AnswerJudgement, Judge

LEXICAL_PASS = 0.5
_FACT = re.compile(r"\$?\d[\d,.]*%?[kKmM]?|\b[A-Z][\w'-]{2,}")
_NOT_FACTS_TEXT = """
    The A An And But For From This That These Those After Before When Where Who What Which He She
    They It His Her Their On In At By To Of With As Yes No
"""
_NOT_FACTS = frozenset(_NOT_FACTS_TEXT.split())


def key_facts(reference: str) -> list[str]:
    """Numbers and capitalised words of the reference answer, lowercased, first occurrence order."""
    facts = [
        f.rstrip(".,").lower()
        for f in _FACT.findall(reference)
        if f not in _NOT_FACTS and f.rstrip(".,")
    ]
    return list(dict.fromkeys(facts))


def lexical_judgement(reference: str, answer: str) -> tuple[bool, str]:
    facts = key_facts(reference)
    if not facts:
        return False, "the reference answer has no checkable facts"
    text = answer.lower()
    found = [fact for fact in facts if fact in text]
    share = len(found) / len(facts)
    verdict = share >= LEXICAL_PASS and bool(answer.strip())
    return verdict, f"{len(found)} of {len(facts)} key facts of the reference found"


def judge_answer(
    question: str, reference: str | None, answer: str, client: LLMClient | None
) -> tuple[bool | None, Judge, str, list[LLMCallRecord]]:
    """(correct, judge used, reason, the judge's calls). None when there is no reference."""
    if not reference:
        return None, "none", "no reference answer", []
    if client is None:
        correct, reason = lexical_judgement(reference, answer)
        return correct, "lexical", reason, []
    messages = prompts.judge_messages(question=question, reference=reference, candidate=answer)
    reply = client.parse(messages, AnswerJudgement, purpose="judge", max_tokens=300)
    if reply.parsed is None:
        return None, "model", f"the judge failed: {reply.record.error}", [reply.record]
    return reply.parsed.correct, "model", reply.parsed.reason, [reply.record]
