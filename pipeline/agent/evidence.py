"""The evidence a chunk has gathered: every email a tool matched, ranked against the question.

Both the model prompts and the deterministic planner read evidence from here, so "best evidence"
means the same thing in both modes. An email's relevance is, in order:

1. BM25 (tools.ranking) of the question's terms, scaled by coverage: the share of the question's
   weight the email matches, so an email that mentions several of the question's rare terms
   beats one that repeats a single term. A term's weight is its idf times its specificity in
   English at large (`tools.specificity`), so an everyday word of the question ("earlier",
   "company") counts for less than a name or a technical word even where the chunk is too small
   for idf to tell them apart;
2. times an answer-type factor: `1 + ANSWER_BOOST` for an email that states the kind of value
   the question asks for ("how much" -> an amount of money, "how many records" -> a number of
   records; `answer_types`), and a value factor of up to `1 + VALUE_BOOST` for an email that
   states concrete values at all (amounts, percentages, dates: evidence states things where a
   look-alike talks about the topic) in the part (own text or quote) holding the question's
   terms, both checked on the `ANSWER_CHECK_DEPTH` best-scoring emails;
3. times a document prior: routine bulk mail (a newsletter with an unsubscribe footer, a forward
   of a message from a sender whose own mail in the chunk carries such a footer, or one of a
   long series of same-sender, same-subject-head emails such as "Revenue flash - May") is
   worth `BULK_PRIOR` / `SERIES_PRIOR` of a one-off email, because such mail repeats the
   vocabulary of every topic without being evidence of any. Its coverage is scaled by the same
   prior, so a newsletter matching every word of the question is not cited as a coverage tie;
   and a period prior: when the question is about a closed period ("in July 2023", "from
   December 2000 through March 2001"; `dates.question_period`), an email dated outside it is
   worth `PERIOD_PRIOR` of one inside it. The period is stretched by `PERIOD_GRACE_DAYS` after
   its end, as a month's or a year's results are reported in the weeks after it closes;
4. thread propagation: a matched email in the same thread as a stronger one scores at least
   `THREAD_SHARE` of that thread's best (a terse "Keep it quiet." reply belongs with its parent).

Highest first; unscored matches after, in date order. Only the matched emails are scored (BM25
statistics come from the chunk's cached index), so ranking cost follows the pool, not the chunk.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import lru_cache

from pipeline.agent.answer_types import ANSWER_BOOST, answer_type, states_answer, value_factor
from pipeline.agent.dates import question_period
from tools.models import Corpus, Email
from tools.ranking import BM25Index, analyze, has_term, query_terms, tokenize
from tools.specificity import specificity
from tools.threads import person_key, split_quoted

BULK_PRIOR = 0.5
SERIES_PRIOR = 0.5
SERIES_MIN_THREADS = 4  # same sender + subject head in this many threads = a routine series
THREAD_SHARE = 0.7
QUOTED_SHARE = 0.7  # a question term an email has only in the text it quotes counts this much
ANSWER_CHECK_DEPTH = 200  # emails (best own scores first) checked for the asked-for value
PERIOD_PRIOR = 0.5  # an email dated outside the period the question is about counts this much
PERIOD_GRACE_DAYS = 31  # days after the period's end that still count as inside it

_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|sv|tr)\s*:\s*)+", re.IGNORECASE)
_SUBJECT_HEAD = re.compile(r"\s[-:|]\s|:\s")
_DIGITS = re.compile(r"\d+")
SUBJECTS_REMEMBERED = 1 << 16
_BULK_MARKERS = ("unsubscribe", "you are receiving this because")
_FORWARDED_FROM = re.compile(r"^\s*from:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
FORWARD_HEADER_CHARS = 2_000  # where a forwarded message's From: line is looked for
SENDER_SAMPLES = 3  # a sender is a bulk sender when one of its first emails has a bulk footer


def base_subject(subject: str) -> str:
    """The subject without its reply/forward prefixes: "RE: FW: Budget" -> "Budget"."""
    return _REPLY_PREFIX.sub("", subject).strip()


def series_key(email: Email) -> tuple[str, str]:
    """(sender, subject head with digits blanked): equal for the issues of one routine series."""
    return email.sender.lower(), _series_head(email.subject)


@lru_cache(maxsize=SUBJECTS_REMEMBERED)
def _series_head(subject: str) -> str:
    """Remembered: a chunk of 50K emails has about a thousand distinct subjects."""
    head = _SUBJECT_HEAD.split(base_subject(subject).lower(), maxsplit=1)[0]
    return _DIGITS.sub("#", head).strip()


def thread_keys(emails: Sequence[Email]) -> dict[str, str]:
    """email id -> thread key: `thread_id` when known, else the root of its in_reply_to chain
    within `emails`, else the email's own id."""
    by_message = {e.message_id: e for e in emails if e.message_id}
    keys: dict[str, str] = {}
    for email in emails:
        if email.thread_id:
            keys[email.id] = f"t:{email.thread_id}"
            continue
        root, hops = email, 0
        while root.in_reply_to and root.in_reply_to in by_message and hops < 100:
            root, hops = by_message[root.in_reply_to], hops + 1
        keys[email.id] = f"m:{root.message_id}" if root.message_id else f"e:{email.id}"
    return keys


def has_bulk_footer(body: str) -> bool:
    """True when the end of a body reads like a newsletter's ("unsubscribe", ...)."""
    tail = body[-600:].lower()
    return any(marker in tail for marker in _BULK_MARKERS)


def forwarded_sender(body: str) -> str | None:
    """The address (`person_key`) on the From: line of the message a body forwards or quotes."""
    _, quoted = split_quoted(body)
    match = _FORWARDED_FROM.search(quoted[:FORWARD_HEADER_CHARS]) if quoted else None
    return person_key(match.group(1)) if match else None


class ChunkContext:
    """Per-chunk facts the ranking needs besides BM25: thread of each email, series sizes, and
    which senders send bulk mail."""

    def __init__(self, chunk: Sequence[Email]):
        emails = list(chunk)
        self.thread_of = thread_keys(emails)
        threads: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
        by_sender: defaultdict[str, list[Email]] = defaultdict(list)
        for email in emails:
            threads[series_key(email)].add(self.thread_of[email.id])
            sent = by_sender[person_key(email.sender)]
            if len(sent) < SENDER_SAMPLES:
                sent.append(email)
        self._series_threads = {key: len(value) for key, value in threads.items()}
        self._sender_samples = dict(by_sender)
        self._bulk_sender: dict[str, bool] = {}

    def prior(self, email: Email) -> float:
        """How much an email's text counts as evidence: 1 for one-off mail, less for bulk."""
        weight = 1.0
        if self._series_threads.get(series_key(email), 0) >= SERIES_MIN_THREADS:
            weight *= SERIES_PRIOR
        if has_bulk_footer(email.body) or self.is_bulk_sender(forwarded_sender(email.body)):
            weight *= BULK_PRIOR
        return weight

    def is_bulk_sender(self, address: str | None) -> bool:
        """True when one of `address`'s first emails in the chunk has a bulk footer."""
        if not address:
            return False
        known = self._bulk_sender.get(address)
        if known is None:
            samples = self._sender_samples.get(address, ())
            known = self._bulk_sender[address] = any(has_bulk_footer(e.body) for e in samples)
        return known


class EvidencePool:
    """An ordered set of matched email ids with cached relevance ranking."""

    def __init__(self, chunk: Corpus, question: str, index: BM25Index | None = None):
        self.chunk = chunk
        self.question = question
        self.index = index if index is not None else BM25Index.for_corpus(chunk)
        self.terms = query_terms(question)
        period = question_period(question)
        self.period = period and (period[0], period[1] + timedelta(days=PERIOD_GRACE_DAYS))
        self._context: ChunkContext | None = None
        self._ids: dict[str, None] = {}
        self._ranked: list[tuple[str, float]] | None = None
        self._coverage: dict[str, float] = {}
        self._own_tokens: dict[str, frozenset[str] | None] = {}  # emails that quote: own words

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, email_id: object) -> bool:
        return email_id in self._ids

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    @property
    def context(self) -> ChunkContext:
        if self._context is None:
            self._context = ChunkContext(self.chunk)
        return self._context

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

    def most_relevant(self, email_ids: Sequence[str], k: int) -> list[str]:
        """The `k` of `email_ids` (chunk ids) that best match the question by BM25, in their
        given order; ids matching no question term fill up the rest in order."""
        if len(email_ids) <= k:
            return list(email_ids)
        best = {email_id for email_id, _ in self.index.top(self.terms, k, among=email_ids)}
        for email_id in email_ids:
            if len(best) >= k:
                break
            best.add(email_id)
        return [email_id for email_id in email_ids if email_id in best]

    def ranked(self) -> list[tuple[str, float]]:
        """All matched ids as (id, score), most relevant first; unscored ones last (score 0)."""
        if self._ranked is None:
            scores = self._scores() if self._ids else {}
            ordered = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
            ordered += [(email_id, 0.0) for email_id in self._ids if email_id not in scores]
            self._ranked = ordered
        return self._ranked

    def coverage(self, email_id: str) -> float:
        """Share (0..1) of the question's weight that the email's own text matches, times its
        document prior (bulk mail counts for less)."""
        self.ranked()
        return self._coverage.get(email_id, 0.0)

    def thread_of(self, email_id: str) -> str:
        return self.context.thread_of.get(email_id, email_id)

    def period_prior(self, email: Email) -> float:
        """`PERIOD_PRIOR` for an email dated outside the question's period (grace included), else
        1: also 1 when the question names no closed period or the email has no date."""
        if self.period is None or email.date is None:
            return 1.0
        start, end = self.period
        return 1.0 if start <= email.date.date() <= end else PERIOD_PRIOR

    def _scores(self) -> dict[str, float]:
        own = self._coverage_scores()
        self._boost_answers(own)
        context = self.context
        for email_id in own:
            email = self.chunk.get(email_id)
            if email is not None:
                prior = context.prior(email) * self.period_prior(email)
                own[email_id] *= prior
                self._coverage[email_id] *= prior
        best_in_thread: defaultdict[str, float] = defaultdict(float)
        for email_id, score in own.items():
            thread = self.thread_of(email_id)
            best_in_thread[thread] = max(best_in_thread[thread], score)
        scores = dict(own)
        for email_id in self._ids:
            inherited = THREAD_SHARE * best_in_thread.get(self.thread_of(email_id), 0.0)
            if inherited > scores.get(email_id, 0.0):
                scores[email_id] = inherited
        return {email_id: score for email_id, score in scores.items() if score > 0}

    def _boost_answers(self, scores: dict[str, float]) -> None:
        """Scale up (in place) the best-scoring emails that state the asked-for kind of value,
        and those that state concrete values at all (`value_factor`)."""
        wanted = answer_type(self.question)
        terms = frozenset(term for word in self.terms for term in analyze(word))
        best = sorted(scores, key=lambda email_id: -scores[email_id])[:ANSWER_CHECK_DEPTH]
        for email_id in best:
            email = self.chunk.get(email_id)
            if email is None:
                continue
            text = f"{email.subject}\n{email.body}"
            scores[email_id] *= value_factor(text, terms)
            if wanted and states_answer(text, wanted):
                scores[email_id] *= 1.0 + ANSWER_BOOST

    def _coverage_scores(self) -> dict[str, float]:
        """BM25 of the question x the fraction of the question's weight each email matches; a
        term's BM25 and weight are both scaled by its word's `specificity`, and by
        `QUOTED_SHARE` in an email that has the term only in the text it quotes."""
        bm25: defaultdict[str, float] = defaultdict(float)
        matched_weight: defaultdict[str, float] = defaultdict(float)
        total_weight = 0.0
        index_terms: dict[str, float] = {}  # index term -> specificity of its question word
        for word in self.terms:
            for term in analyze(word):
                index_terms.setdefault(term, specificity(word))
        among = list(self._ids)
        matches: defaultdict[str, list[tuple[str, float, float]]] = defaultdict(list)
        for term, term_specificity in index_terms.items():
            weight = self.index.idf(term) * term_specificity
            total_weight += weight
            for email_id, score in self.index.score([term], among=among):
                matches[email_id].append((term, score * term_specificity, weight))
        for email_id, matched in matches.items():
            quoted_only = self._quoted_only(email_id, [term for term, _, _ in matched])
            for term, score, weight in matched:
                share = QUOTED_SHARE if term in quoted_only else 1.0
                bm25[email_id] += share * score
                matched_weight[email_id] += share * weight
        if total_weight <= 0:
            self._coverage = {}
            return {}
        self._coverage = {
            email_id: weight / total_weight for email_id, weight in matched_weight.items()
        }
        return {
            email_id: score * self._coverage[email_id]
            for email_id, score in bm25.items()
            if score > 0
        }

    def _quoted_only(self, email_id: str, terms: Sequence[str]) -> set[str]:
        """Those of `terms` (index terms the email matches) that the email's subject and own
        text lack: it has them only in the message it quotes or forwards."""
        if email_id not in self._own_tokens:
            email = self.chunk.get(email_id)
            own, quoted = split_quoted(email.body) if email is not None else ("", "")
            tokens = frozenset(tokenize(f"{email.subject}\n{own}")) if quoted else None
            self._own_tokens[email_id] = tokens  # None: nothing quoted, all its text is its own
        tokens = self._own_tokens[email_id]
        if tokens is None:
            return set()
        return {term for term in terms if not has_term(tokens, term)}

    def top_emails(self, k: int) -> list[Email]:
        emails = (self.chunk.get(email_id) for email_id, _ in self.ranked()[:k])
        return [email for email in emails if email is not None]
