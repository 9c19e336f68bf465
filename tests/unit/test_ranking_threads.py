"""No-key citation of thread-mates: a sequence question also cites the thread-mates of its cited
emails that themselves match enough of the question (`citation.THREAD_MATE_COVERAGE`), so an
answer told along a thread is not cut to its loudest email.

The rankings here are synthetic, written for the property each test checks (never the bundled
sample's ids).
"""

from __future__ import annotations

from pipeline.agent.citation import (
    MAX_THREAD_MATES,
    MAX_TIED_CITED,
    THREAD_MATE_COVERAGE,
    select_citations,
)
from pipeline.agent.schemas import MAX_EVIDENCE_ITEMS

# Best email "a" in thread T; seven others in threads of their own fill the sequence cap (8).
RANKED = [("a", 10.0), *[(f"other-{n}", 9.0 - n) for n in range(7)], ("mate", 1.5), ("echo", 1.2)]
COVERAGE = {"a": 0.8, "mate": 0.5, "echo": 0.1, **{f"other-{n}": 0.3 for n in range(7)}}
THREADS = {"a": "T", "mate": "T", "echo": "T"}


def _thread_of(email_id: str) -> str:
    return THREADS.get(email_id, email_id)


def test_a_sequence_question_cites_thread_mates_that_match_the_question():
    without = select_citations(RANKED, "sequence", coverage=COVERAGE.get)
    assert "mate" not in without  # below the floor and past the cap
    cited = select_citations(RANKED, "sequence", coverage=COVERAGE.get, thread_of=_thread_of)
    assert cited == [*without, "mate"]
    assert COVERAGE["echo"] < THREAD_MATE_COVERAGE * COVERAGE["a"]  # matches too little
    # Only sequence questions read a thread as one answer.
    assert select_citations(RANKED, "several", COVERAGE.get, _thread_of) == select_citations(
        RANKED, "several", COVERAGE.get
    )


def test_thread_mates_are_capped():
    ranked = [("a", 10.0), *[(f"m{n}", 0.5 + n * 0.01) for n in range(10)]]
    coverage = {"a": 0.8, **{f"m{n}": 0.6 for n in range(10)}}
    cited = select_citations(ranked, "sequence", coverage.get, lambda _: "one thread")
    assert cited == ["a", *[f"m{n}" for n in range(MAX_THREAD_MATES)]]


def test_thread_mates_never_push_a_finding_past_its_citation_limit():
    # Twelve emails tie on coverage (all cited), and ten more share their thread.
    ranked = [(f"tie{n}", 10.0 - n * 0.1) for n in range(12)]
    ranked += [(f"m{n}", 1.5) for n in range(10)]
    coverage = {email_id: (0.8 if email_id.startswith("tie") else 0.6) for email_id, _ in ranked}
    cited = select_citations(ranked, "sequence", coverage.get, lambda _: "one thread")
    assert len(cited) == MAX_TIED_CITED <= MAX_EVIDENCE_ITEMS
