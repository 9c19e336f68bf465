"""The no-model planner: Plan, Reflection and Finding decisions from BM25 relevance and rules.

Used for deterministic mode (no API key) and as the fallback whenever a model call fails, so it
returns exactly the schemas the model would. Its rules are general, not tuned per question:

- plan, round 1: grep for the question's terms (rarest in this chunk first, as escaped word
  stems OR-combined, a few terms per call; a term in more than half the chunk is left to the
  ranking), plus sender/recipient calls when the question names a person who appears in the chunk
  and a date call when it names a date or month;
- plan, round 2 (feedback): follow the threads of the best candidates by grepping their subjects,
  so replies and forwards that barely repeat the question's words join the evidence; later
  rounds search any terms still unsearched;
- reflect: enough when every term and the thread follow-up have been searched, or a round found
  nothing new;
- summarize: cite as many top candidates as the question's breadth asks for (pipeline.agent.
  citation), with confidence from how much of the question the best email covers and how clearly
  the cited set stands out, and sentences built from their subjects, senders and dates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from pipeline.agent.citation import chunk_confidence, question_breadth, select_citations
from pipeline.agent.dates import question_date_range
from pipeline.agent.evidence import EvidencePool, base_subject
from pipeline.agent.prompts import MAX_CALLS_PER_PLAN, clip, neutralise
from pipeline.agent.schemas import (
    ANSWER_CHARS,
    CLAIM_CHARS,
    EMAIL_ID_CHARS,
    FOCUS_CHARS,
    MAX_EVIDENCE_ITEMS,
    MAX_RELEVANT_IDS,
    NAME_CHARS,
    REASON_CHARS,
    EvidenceItem,
    Finding,
    Plan,
    Reflection,
    ToolCall,
    tool_call,
)
from tools.models import Corpus, Email
from tools.patterns import MAX_PATTERN_LENGTH

TERMS_PER_GREP = 4
FIRST_ROUND_GREPS = 2  # grep calls for question terms in round 1 (the rest come later)
COMMON_TERM_SHARE = 0.5  # a term in more than this share of the chunk is not grepped
THREADS_FOLLOWED = 3  # best candidates whose threads round 2 follows
MIN_FOLLOWED_SUBJECT = 8  # shorter subjects ("lunch") are too generic to follow
FOLLOWED_SUBJECT_CHARS = 80

_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ions", "ion", "ies", "ied",
             "ers", "er", "ed", "es", "ly", "s")  # fmt: skip
_NAME_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\-]+")


def word_prefix(word: str) -> str:
    """A light suffix-stripping stem for grep prefixes: 'inspections' -> 'inspect'."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def grep_pattern(terms: Sequence[str]) -> str:
    """An OR of escaped word-start stems: ['valves', 'inspection'] -> r'\\b(?:valv|inspect)',
    as many stems as fit in a pattern (MAX_PATTERN_LENGTH)."""
    stems = sorted({re.escape(word_prefix(term)) for term in terms})
    return r"\b(?:" + fitting_alternation(stems, MAX_PATTERN_LENGTH - len(r"\b(?:)")) + ")"


def fitting_alternation(parts: Sequence[str], limit: int) -> str:
    """`parts` joined with |, keeping the leading ones that fit in `limit` characters."""
    kept: list[str] = []
    for part in parts:
        if len("|".join([*kept, part])) > limit:
            break
        kept.append(part)
    return "|".join(kept) or (parts[0][:limit].rstrip("\\") if parts else "")


class DeterministicPlanner:
    """Makes the loop's decisions for one chunk without a model."""

    def __init__(self, chunk: Corpus, pool: EvidencePool, question: str):
        self.chunk = chunk
        self.pool = pool
        self.question = question
        self.terms_by_strength = _terms_by_idf(pool, len(chunk))
        self.searched_terms: set[str] = set()
        self.people = _people_named(question, chunk)
        self.date_range = question_date_range(question)
        self.breadth = question_breadth(question)
        self._extra_calls_done = False
        self._threads_followed = False

    # --- plan ----------------------------------------------------------------------------------
    def plan(self, iteration: int, focus: str | None = None) -> Plan:
        calls: list[ToolCall] = []
        if not self._extra_calls_done:
            self._extra_calls_done = True
            extra = self._person_and_date_calls()
            for _ in range(max(1, min(FIRST_ROUND_GREPS, MAX_CALLS_PER_PLAN - len(extra)))):
                calls.extend(self._term_grep(focus))
            calls.extend(extra)
            reason = "round 1: the question's rarest terms, and the people/dates it names"
        elif not self._threads_followed:
            self._threads_followed = True
            calls.extend(self._thread_follow_up())
            calls.extend(self._term_grep(focus))
            reason = (
                f"round {iteration}: follow the best candidates' threads, then unsearched terms"
            )
        else:
            calls.extend(self._term_grep(focus))
            reason = f"round {iteration}: question terms not searched yet"
        if not calls:
            # Nothing left to try: a broad sweep over every term keeps the shape identical.
            everything = list(self.terms_by_strength) or ["."]
            calls.append(_call("grep", "all question terms", pattern=grep_pattern(everything)))
            reason = f"round {iteration}: nothing new to search, sweep all question terms"
        return Plan(calls=calls[:MAX_CALLS_PER_PLAN], reason=reason)

    def _term_grep(self, focus: str | None) -> list[ToolCall]:
        terms = self._next_terms(focus)
        if not terms:
            return []
        self.searched_terms.update(terms)
        reason = f"strongest unsearched question terms: {', '.join(terms)}"
        return [_call("grep", reason, pattern=grep_pattern(terms))]

    def _next_terms(self, focus: str | None) -> list[str]:
        remaining = [t for t in self.terms_by_strength if t not in self.searched_terms]
        if focus:
            focus_words = {word_prefix(w) for w in _NAME_TOKEN.findall(focus)}
            remaining.sort(
                key=lambda t: word_prefix(t) not in focus_words
            )  # stable: focus terms first
        return remaining[:TERMS_PER_GREP]

    def _thread_follow_up(self) -> list[ToolCall]:
        """One grep for the subjects of the best candidates' threads (replies and forwards)."""
        subjects: dict[str, None] = {}
        scored = [email_id for email_id, score in self.pool.ranked() if score > 0]
        for email_id in scored[:THREADS_FOLLOWED]:
            email = self.chunk.get(email_id)
            subject = base_subject(email.subject) if email is not None else ""
            if len(subject) >= MIN_FOLLOWED_SUBJECT:
                subjects.setdefault(subject[:FOLLOWED_SUBJECT_CHARS], None)
        if not subjects:
            return []
        escaped = [re.escape(subject) for subject in subjects]
        pattern = fitting_alternation(escaped, MAX_PATTERN_LENGTH)
        shown = "; ".join(subjects)
        return [_call("grep", f"threads of the best candidates: {shown}", pattern=pattern)]

    def _person_and_date_calls(self) -> list[ToolCall]:
        calls = []
        for name in self.people[:1]:
            name = name[:NAME_CHARS]
            calls.append(_call("sender", f"the question names {name}", name=name))
            calls.append(_call("recipient", f"the question names {name}", name=name))
        if self.date_range is not None:
            start, end = self.date_range
            calls.append(_call("date", "the question names a period", start=start, end=end))
        return calls

    # --- reflect -------------------------------------------------------------------------------
    def reflect(self, iteration: int, new_matches: int) -> Reflection:
        remaining = [t for t in self.terms_by_strength if t not in self.searched_terms]
        if new_matches == 0 and self._threads_followed:
            return Reflection(
                sufficient=True,
                reason="the last round found no new emails",
                next_focus=None,
                split=False,
            )
        if not any(score > 0 for _, score in self.pool.ranked()[:1]):
            return Reflection(
                sufficient=True,
                reason="no email matched the question's terms",
                next_focus=None,
                split=False,
            )
        if not remaining and self._threads_followed:
            return Reflection(
                sufficient=True,
                reason="every question term and the best candidates' threads searched",
                next_focus=None,
                split=False,
            )
        if not self._threads_followed:
            reason = "follow the threads of the best candidates"
            if remaining:
                reason += f"; {len(remaining)} question terms not searched yet"
        else:
            reason = f"{len(remaining)} question terms not searched yet"
        return Reflection(
            sufficient=False,
            reason=reason,
            next_focus=clip(", ".join(remaining[:TERMS_PER_GREP]), FOCUS_CHARS) or None,
            split=False,
        )

    # --- summarize -----------------------------------------------------------------------------
    def summarize(self) -> Finding:
        ranked = [(i, score) for i, score in self.pool.ranked() if len(i) <= EMAIL_ID_CHARS]
        cited = select_citations(
            ranked, self.breadth, coverage=self.pool.coverage, thread_of=self.pool.thread_of
        )
        if not cited:
            searched = ", ".join(sorted(self.searched_terms)) or "the question's terms"
            return Finding(
                answer=(
                    f"No email in this chunk matched the question ({searched} searched); "
                    "nothing here bears on it."
                ),
                confidence="low",
                evidence=[],
                relevant_ids=[],
            )
        emails = [e for e in (self.chunk.get(i) for i in cited) if e is not None]
        return Finding(
            answer=clip(_answer_text(emails, len(self.pool)), ANSWER_CHARS),
            confidence=chunk_confidence(
                ranked, cited, max(self.pool.coverage(email_id) for email_id in cited)
            ),
            evidence=[EvidenceItem(claim=_claim(e), email_ids=[e.id]) for e in emails],
            relevant_ids=[e.id for e in emails],
        )


def validate_finding(finding: Finding, chunk: Corpus) -> tuple[Finding, list[str]]:
    """Drop cited ids that are not in the chunk (returned), empty evidence items, and excess text."""
    dropped: dict[str, None] = {}

    def keep(ids: Sequence[str]) -> list[str]:
        kept: dict[str, None] = {}
        for email_id in ids:
            if email_id in chunk:
                kept[email_id] = None
            else:
                dropped[email_id] = None
        return list(kept)

    evidence = []
    for item in finding.evidence:
        ids = keep(item.email_ids)
        if ids:
            evidence.append(EvidenceItem(claim=clip(item.claim, CLAIM_CHARS), email_ids=ids))
    relevant = keep(finding.relevant_ids)[:MAX_RELEVANT_IDS]
    cleaned = Finding(
        answer=clip(finding.answer.strip(), ANSWER_CHARS),
        confidence=finding.confidence,
        evidence=evidence[:MAX_EVIDENCE_ITEMS],
        relevant_ids=relevant,
    )
    return cleaned, list(dropped)


# --- helpers -------------------------------------------------------------------------------------


def _call(tool: str, reason: str, **args: str) -> ToolCall:
    return tool_call(tool, clip(reason, REASON_CHARS), **args)


def _terms_by_idf(pool: EvidencePool, chunk_size: int) -> list[str]:
    """The question's terms worth grepping in the chunk, rarest (most telling) first.

    Terms absent from the chunk are dropped, and so are terms in more than COMMON_TERM_SHARE of
    it (grepping them would flood the evidence; the ranking still weighs them) unless every
    present term is that common.
    """
    frequency = {term: pool.index.document_frequency(term) for term in dict.fromkeys(pool.terms)}
    present = [term for term, df in frequency.items() if df > 0]
    telling = [term for term in present if frequency[term] <= COMMON_TERM_SHARE * chunk_size]
    return sorted(telling or present, key=lambda term: (frequency[term], term))


def _people_named(question: str, chunk: Corpus) -> list[str]:
    """Display names of chunk correspondents whose first or last name the question mentions."""
    words = {w.lower() for w in _NAME_TOKEN.findall(question) if w[:1].isupper()}
    if not words:
        return []
    found: dict[str, int] = {}
    for email in chunk:
        for who in (email.sender, *email.recipients):
            name, count, parts = _display_name(who)
            if count >= 2 and words & parts:
                found[name] = found.get(name, 0) + len(words & parts)
    return sorted(found, key=lambda n: (-found[n], n))


@lru_cache(maxsize=1 << 16)
def _display_name(address: str) -> tuple[str, int, frozenset[str]]:
    """The display name of `"Jane Doe" <jd@x>`, how many words it has and those words
    lowercased (remembered: a chunk names the same correspondents thousands of times)."""
    name = address.split("<", 1)[0].strip().strip('"') if "<" in address else ""
    parts = [p.lower() for p in _NAME_TOKEN.findall(name)]
    return name, len(parts), frozenset(parts)


def _describe(email: Email) -> str:
    subject = clip(neutralise(email.subject), 120) or "(no subject)"
    sender = _short_sender(email.sender)
    date = email.date.date().isoformat() if email.date else "an unknown date"
    return f"'{subject}' from {sender} on {date}"


def _short_sender(sender: str) -> str:
    name = sender.split("<", 1)[0].strip().strip('"')
    return neutralise(name or sender) or "an unknown sender"


def _answer_text(emails: Sequence[Email], candidates: int) -> str:
    first, others = emails[0], emails[1:]
    sentences = [f"The strongest evidence is {_describe(first)}."]
    if others:
        listed = "; ".join(_describe(e) for e in others[:3])
        sentences.append(f"Related emails: {listed}.")
    sentences.append(
        f"These {len(emails)} of {candidates} matched emails rank highest for the question "
        "(deterministic BM25 ranking, no model)."
    )
    return " ".join(sentences)


def _claim(email: Email) -> str:
    excerpt = clip(neutralise(email.body), 220)
    return f"{_describe(email)}: {excerpt}" if excerpt else _describe(email)
