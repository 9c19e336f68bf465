"""The evidence a chunk has gathered: every email a tool matched, ranked against the question.

Both the model prompts and the deterministic planner read evidence from here, so "best evidence"
means the same thing in both modes: BM25 relevance (tools.ranking) of the matched emails to the
sub-question, scaled by coverage (the share of the question's idf weight the email matches, so
an email that mentions several of the question's rare terms beats one that repeats a single term),
highest first; unscored matches after in date order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from tools.models import Corpus, Email
from tools.ranking import BM25Index, analyze, query_terms


class EvidencePool:
    """An ordered set of matched email ids with cached relevance ranking."""

    def __init__(self, chunk: Corpus, question: str, index: BM25Index | None = None):
        self.chunk = chunk
        self.question = question
        self.index = index if index is not None else BM25Index.for_corpus(chunk)
        self.terms = query_terms(question)
        self._ids: dict[str, None] = {}
        self._ranked: list[tuple[str, float]] | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, email_id: object) -> bool:
        return email_id in self._ids

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    def add(self, email_ids: Iterable[str]) -> int:
        """Add ids that belong to the chunk; returns how many were new."""
        new = 0
        for email_id in email_ids:
            if email_id not in self._ids and email_id in self.chunk:
                self._ids[email_id] = None
                new += 1
        if new:
            self._ranked = None
        return new

    def ranked(self) -> list[tuple[str, float]]:
        """All matched ids as (id, score), most relevant first; unscored ones last (score 0)."""
        if self._ranked is None:
            scores = self._coverage_scores() if self._ids else {}
            ordered = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
            ordered += [(email_id, 0.0) for email_id in self._ids if email_id not in scores]
            self._ranked = ordered
        return self._ranked

    def _coverage_scores(self) -> dict[str, float]:
        """BM25 of the question x the fraction of the question's idf weight each email matches."""
        bm25: defaultdict[str, float] = defaultdict(float)
        matched_weight: defaultdict[str, float] = defaultdict(float)
        total_weight = 0.0
        index_terms = dict.fromkeys(term for word in self.terms for term in analyze(word))
        among = list(self._ids)
        for term in index_terms:
            weight = self.index.idf(term)
            total_weight += weight
            for email_id, score in self.index.score([term], among=among):
                bm25[email_id] += score
                matched_weight[email_id] += weight
        if total_weight <= 0:
            return {}
        return {
            email_id: score * matched_weight[email_id] / total_weight
            for email_id, score in bm25.items()
            if score > 0
        }

    def top_emails(self, k: int) -> list[Email]:
        emails = (self.chunk.get(email_id) for email_id, _ in self.ranked()[:k])
        return [email for email in emails if email is not None]
