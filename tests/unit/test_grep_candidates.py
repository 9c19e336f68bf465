"""A grep that matches more emails than a tool result lists (200) keeps the emails that best
match the question, not the earliest ones: a needle dated last among thousands of matches of a
common word still reaches the evidence, in no-key mode and whatever the planner greps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.agent.evidence import EvidencePool
from pipeline.agent.loop import run_chunk
from pipeline.schemas import Budget, LLMSettings
from tools.models import Corpus, Email
from tools.search import DEFAULT_LIMIT

START = datetime(2001, 1, 1, tzinfo=UTC)
QUESTION = "Where is the Amber Sextant meeting held?"


def _chunk(size: int = 1_900) -> Corpus:
    """Every third email is about a meeting (under half the chunk, so the planner greps the
    word); the needle is dated last."""
    emails = [
        Email(id=f"f{n:04d}", date=START + timedelta(hours=n), sender="Ops <ops@corp.example>",
              subject=f"meeting {n}" if n % 3 == 0 else f"status {n}",
              body="The weekly meeting is held in the usual room." if n % 3 == 0 else "All fine.")
        for n in range(size)
    ]  # fmt: skip
    emails.append(
        Email(id="needle", date=START + timedelta(hours=size), sender="Ann <a@corp.example>",
              subject="logistics", body="The Amber Sextant meeting will be held at Waha, room 7.")
    )  # fmt: skip
    return Corpus(emails, presorted=True)


def test_most_relevant_keeps_the_best_matches_in_corpus_order() -> None:
    chunk = _chunk()
    pool = EvidencePool(chunk, QUESTION)
    ids = [email.id for email in chunk]
    best = pool.most_relevant(ids, DEFAULT_LIMIT)
    assert len(best) == DEFAULT_LIMIT and "needle" in best
    assert best == [email_id for email_id in ids if email_id in set(best)]
    assert pool.most_relevant(ids[:5], DEFAULT_LIMIT) == ids[:5]


def test_a_needle_after_hundreds_of_common_matches_is_cited_without_a_model() -> None:
    chunk = _chunk()
    result, trajectory = run_chunk(
        chunk, chunk_id="chunk_00", query=QUESTION, sub_question=QUESTION,
        settings=LLMSettings(mode="deterministic"), budget=Budget(max_iterations=4),
    )  # fmt: skip
    greps = [e for e in trajectory.events if e.kind == "tool_call" and e.tool == "grep"]
    assert any(e.match_count > DEFAULT_LIMIT for e in greps)  # the common word floods a grep
    assert result.finding is not None
    cited = [i for item in result.finding.evidence for i in item.email_ids]
    assert cited[:1] == ["needle"]
