"""Which emails a deterministic finding cites, how sure it is, and which cited ids a report keeps.

Four rules, all general (nothing here knows a particular question):

- breadth: a question asking for a sequence or a whole ("trace", "in what order", "each",
  "in total", "month by month", "escalate") needs many emails; one with several wh-parts
  ("who ..., and what ...") needs a few; a plain question needs one or two. `question_breadth`
  reads that from the wording and `CUT_OFFS` turns it into a cap and a relative score floor;
- thread-mates: a sequence question's answer often runs along a thread (a warning, the replies
  deferring it, the escalation), so an email in the thread of a cited email that itself matches
  `THREAD_MATE_COVERAGE` of the best cited coverage is cited too, up to `MAX_THREAD_MATES` more;
- a chunk's confidence comes from absolute strength: how much of the question its best email
  covers (a ratio, so it compares across chunks whose BM25 scales differ) and how clearly the
  cited emails stand above the rest;
- a run's report keeps only evidence that is strong relative to the whole run:
  `select_report_citations` re-ranks the union of the chunks' citations with the whole corpus's
  statistics (the same ranking and cut-off a single chunk uses, so a weak chunk's best guess
  loses to another chunk's real evidence). Without the corpus, or above
  `GLOBAL_RERANK_MAX_EMAILS`, it falls back to chunk confidence and rank order: citations of
  chunks weaker than the run's best are dropped and the survivors interleaved by rank.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from pipeline.agent.evidence import EvidencePool
from pipeline.agent.schemas import ChunkFinding, Confidence
from tools.models import Corpus

Breadth = Literal["single", "several", "sequence"]


@dataclass(frozen=True)
class CutOff:
    max_cited: int  # never cite more than this many emails
    relative_floor: float  # cite only emails scoring at least this fraction of the best


CUT_OFFS: dict[Breadth, CutOff] = {
    "single": CutOff(max_cited=5, relative_floor=0.3),
    "several": CutOff(max_cited=8, relative_floor=0.5),
    "sequence": CutOff(max_cited=8, relative_floor=0.2),
}
TIE_COVERAGE = 1.0  # an email matching as much of the question as the best is cited ...
TIE_FLOOR = 0.1  # ... if it scores this share of the best score ...
MAX_TIED_CITED = 12  # ... up to this many citations in all
THREAD_MATE_COVERAGE = 0.3  # a sequence question also cites cited emails' thread-mates ...
MAX_THREAD_MATES = 4  # ... matching this share of the best cited coverage, this many at most
STRONG_COVERAGE = 0.5  # the best email matches half the question's weight or more
WEAK_COVERAGE = 0.25  # below this the best email matches little of the question
SEPARATION_FOR_HIGH = 1.5  # weakest cited score / best uncited score
GLOBAL_RERANK_MAX_EMAILS = (
    60_000  # above this, indexing the whole corpus at report time costs too much
)

_SEQUENCE_CUES = re.compile(
    r"\b(?:trace[sd]?|timeline|chronolog\w*|sequence|in what order|order of|history|"
    r"escalat\w*|evolv\w*|over time|month by month|week by week|year by year|each|every|"
    r"in total|total|altogether|all the|following days|step by step|steps|what happened|unfold\w*|"
    r"develop(?:s|ed|ments?)?|progress(?:ed)?|throughout|over the (?:years?|months?|weeks?|course)|"
    r"who were|list|what actions|what steps|how often|how many times)\b",
    re.IGNORECASE,
)
_WH_WORD = re.compile(r"\b(?:who|whom|what|when|where|which|why|how)\b", re.IGNORECASE)

CONFIDENCE_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


def question_breadth(question: str) -> Breadth:
    """How many emails the question's wording asks for: a sequence, several parts, or one fact."""
    if _SEQUENCE_CUES.search(question):
        return "sequence"
    if len(_WH_WORD.findall(question)) >= 2:
        return "several"
    return "single"


def select_citations(
    ranked: Sequence[tuple[str, float]],
    breadth: Breadth,
    coverage: Callable[[str], float] | None = None,
    thread_of: Callable[[str], str] | None = None,
) -> list[str]:
    """The ids to cite from a best-first (id, score) ranking: within the breadth's cap, scoring
    at least its relative floor of the best score. Nothing when nothing scored.

    With `coverage` (id -> share of the question's weight the email itself matches), an email
    that matches nearly as much of the question as the best-covering email within the cap
    (`TIE_COVERAGE` of it) is cited even below the floor or past the cap, as long as it scores
    `TIE_FLOOR` of the best, up to `MAX_TIED_CITED` citations in all. BM25 rewards length and
    repetition, so an answer spread over many short emails that each match the whole question
    would otherwise be cut to the one long email that repeats its words.

    With `coverage` and `thread_of` (id -> thread key) as well, a "sequence" question also cites
    up to `MAX_THREAD_MATES` emails from the threads of the cited ones that themselves match
    `THREAD_MATE_COVERAGE` of the best cited email's coverage, best scoring first, never more
    than `MAX_TIED_CITED` citations in all.
    """
    if not ranked or ranked[0][1] <= 0:
        return []
    cut = CUT_OFFS[breadth]
    top = ranked[0][1]
    cap = cut.max_cited
    scored = [(email_id, score) for email_id, score in ranked if score > 0]
    if coverage is None:
        return [email_id for email_id, score in scored[:cap] if score >= top * cut.relative_floor]
    best = max(coverage(email_id) for email_id, _ in scored[:cap])
    chosen: list[str] = []
    for rank, (email_id, score) in enumerate(scored):
        if score < top * TIE_FLOOR or len(chosen) >= max(cap, MAX_TIED_CITED):
            break
        tied = best > 0 and coverage(email_id) >= TIE_COVERAGE * best
        if tied or (rank < cap and score >= top * cut.relative_floor):
            chosen.append(email_id)
    room = min(MAX_THREAD_MATES, max(cap, MAX_TIED_CITED) - len(chosen))
    if breadth == "sequence" and thread_of is not None and chosen and room > 0:
        chosen += _thread_mates(scored, chosen, coverage, thread_of)[:room]
    return chosen


def _thread_mates(
    scored: Sequence[tuple[str, float]],
    chosen: Sequence[str],
    coverage: Callable[[str], float],
    thread_of: Callable[[str], str],
) -> list[str]:
    """Scored emails outside `chosen` in the threads of `chosen` that match at least
    `THREAD_MATE_COVERAGE` of the best chosen coverage: the rest of a sequence told in a thread."""
    threads = {thread_of(email_id) for email_id in chosen}
    floor = THREAD_MATE_COVERAGE * max(coverage(email_id) for email_id in chosen)
    taken = set(chosen)
    mates = [
        email_id
        for email_id, _ in scored
        if email_id not in taken and thread_of(email_id) in threads and coverage(email_id) >= floor
    ]
    return mates


def chunk_confidence(
    ranked: Sequence[tuple[str, float]], cited: Sequence[str], best_coverage: float
) -> Confidence:
    """high: the best email covers much of the question and the cited set stands clear of the
    rest; low: the best email covers little of it; medium otherwise."""
    if not cited or best_coverage < WEAK_COVERAGE:
        return "low"
    scores = dict(ranked)
    weakest_cited = min(scores.get(email_id, 0.0) for email_id in cited)
    rest = [score for email_id, score in ranked if email_id not in set(cited) and score > 0]
    separated = not rest or weakest_cited >= SEPARATION_FOR_HIGH * rest[0]
    if best_coverage >= STRONG_COVERAGE and separated:
        return "high"
    return "medium"


def select_report_citations(
    findings: Sequence[tuple[str, ChunkFinding | None]],
    question: str = "",
    corpus: Corpus | None = None,
) -> list[str]:
    """The cited ids a run's report keeps, strongest first, from (chunk_id, ChunkFinding) pairs.

    With `corpus` (the run's whole corpus, at most GLOBAL_RERANK_MAX_EMAILS emails) the union of
    the chunks' `relevant_ids` is ranked against `question` with corpus-wide BM25 statistics,
    priors and thread propagation (`EvidencePool`) and cut off by the question's breadth, exactly
    as one chunk cites from its own evidence. Otherwise `merge_by_confidence` decides.
    """
    usable = [(chunk_id, f) for chunk_id, f in findings if f is not None and f.relevant_ids]
    if not usable:
        return []
    if corpus is None or not question.strip() or len(corpus) > GLOBAL_RERANK_MAX_EMAILS:
        return merge_by_confidence(usable, question)
    candidates = [i for _, f in sorted(usable, key=lambda p: p[0]) for i in f.relevant_ids]
    pool = EvidencePool(corpus, question)
    pool.add(candidates)
    ranked = pool.ranked()
    return select_citations(ranked, question_breadth(question), pool.coverage, pool.thread_of)


def merge_by_confidence(
    findings: Sequence[tuple[str, ChunkFinding]], question: str = ""
) -> list[str]:
    """The corpus-free merge: chunk confidence and rank order only.

    Only chunks at the run's best confidence level count; if that level is "high", "medium"
    chunks count too (a timeline spreads over chunks, and a chunk holding only its tail may be
    less sure). When the best level is "low", each chunk contributes only its top email. The
    survivors are interleaved by their rank inside their chunk (every chunk's best first, in
    the order the findings are given: chunk order, or the strongest chunk first), duplicates
    dropped, and capped at the question's breadth cap plus one per
    extra contributing chunk. `question` may be "" (breadth then counts as "several").
    """
    usable = [(chunk_id, f) for chunk_id, f in findings if f.relevant_ids]
    if not usable:
        return []
    best = max(CONFIDENCE_RANK[f.confidence] for _, f in usable)
    threshold = 1 if best == 2 else best
    lists: list[list[str]] = []
    for _, finding in usable:  # in the order given: chunk order, or strongest chunk first
        if CONFIDENCE_RANK[finding.confidence] < threshold:
            continue
        lists.append(finding.relevant_ids[:1] if best == 0 else list(finding.relevant_ids))
    breadth = question_breadth(question) if question.strip() else "several"
    cap = CUT_OFFS[breadth].max_cited + max(0, len(lists) - 1)
    chosen: dict[str, None] = {}
    depth = max(len(ids) for ids in lists)
    for position in range(depth):
        for ids in lists:
            if position < len(ids):
                chosen.setdefault(ids[position], None)
    return list(chosen)[:cap]
