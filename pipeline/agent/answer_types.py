"""What kind of answer a question asks for, and whether an email's text holds one.

A question that asks "how much" wants an amount of money, "how many <things>" wants a count of
those things, "what percentage" wants a percentage. An email that matches the question's words
*and* states such a value is more likely to be the evidence than one that only talks about the
subject (a classic question-answering cue; nothing here knows a particular corpus).
`EvidencePool` multiplies the relevance of such emails by `1 + ANSWER_BOOST`.

Whatever the question asks, evidence states things (an amount, a percentage, a date) where a
look-alike email talks about the same topic in general terms: `concrete_values` counts the
distinct values an email states (header lines of quoted or forwarded mail, such as "Sent: May
14, 2001", do not count) and `EvidencePool` multiplies relevance by up to `1 + VALUE_BOOST`,
reached at `VALUE_CAP` values, counting only the part of the email (its own text, or the text
it quotes) that holds a question term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.ranking import STOPWORDS, analyze, stem, tokenize
from tools.threads import split_quoted

ANSWER_BOOST = 1.0  # an email stating the asked-for kind of value counts (1 + this) times
VALUE_BOOST = 1.0  # an email stating VALUE_CAP or more distinct values counts (1 + this) times
VALUE_CAP = 4

_MONEY_QUESTION = re.compile(
    r"\bhow much\b|\bwhat (?:was |were |is |are )?(?:the )?"
    r"(?:price|amount|cost|revenue|profit|loss|fee|value|payment)s?\b",
    re.IGNORECASE,
)
_PERCENT_QUESTION = re.compile(r"\b(?:percentage|percent|what share)\b", re.IGNORECASE)
_COUNT_QUESTION = re.compile(r"\bhow many ((?:[a-z][a-z'-]* ?){1,3})", re.IGNORECASE)
_MONEY = re.compile(
    r"[$€£]\s?\d|\b\d[\d,.]*\s?(?:million|billion|thousand|bn|mm|k)\b|"
    r"\b\d[\d,.]*\s?[MB]\b|\b\d[\d,.]*\s?(?:usd|eur|gbp|dollars)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\d\s?%|\d\s?percent\b", re.IGNORECASE)
_DATE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|"
    r"\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|"
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b",
    re.IGNORECASE,
)
_VALUES = (  # whole values, so that "$4.9M" and "$4.1M" or "40%" and "20%" count apart
    re.compile(
        r"[$€£]\s?\d[\d,.]*(?:\s?(?:million|billion|thousand|bn|mm|[kmb])\b)?|"
        r"\b\d[\d,.]*\s?(?:million|billion|thousand|bn|mm|usd|eur|gbp|dollars)\b|"
        r"\b\d[\d,.]*\s?[MB]\b",
        re.IGNORECASE,
    ),
    re.compile(r"\b\d[\d,.]*\s?(?:%|percent\b)", re.IGNORECASE),
    _DATE,
)
_HEADER_LINE = re.compile(r"^[ \t>]*(?:sent|date|from|to|cc|bcc|subject)\s*:.*$", re.I | re.M)
_NUMBER_THEN_WORDS = re.compile(r"\b\d[\d,]*\s+((?:[a-z][a-z'-]*\s+){0,2}[a-z][a-z'-]*)")


@dataclass(frozen=True)
class AnswerType:
    """The kinds of value a question asks for (any of them counts) and what is counted."""

    money: bool = False
    percent: bool = False
    counted: frozenset[str] = frozenset()  # stems of the thing "how many" asks about

    def __bool__(self) -> bool:
        return self.money or self.percent or bool(self.counted)


def answer_type(question: str) -> AnswerType:
    """The value kinds `question` asks for; falsy when it asks for none of them."""
    counted: set[str] = set()
    for match in _COUNT_QUESTION.finditer(question):
        words = [w for w in tokenize(match.group(1)) if w not in STOPWORDS]
        counted.update(stem(word) for word in words[:2])
    return AnswerType(
        money=bool(_MONEY_QUESTION.search(question)),
        percent=bool(_PERCENT_QUESTION.search(question)),
        counted=frozenset(counted),
    )


def states_answer(text: str, wanted: AnswerType) -> bool:
    """Whether `text` states a value of a kind `wanted` asks for: an amount of money, a
    percentage, or a number followed (within three words) by the thing being counted."""
    if wanted.money and _MONEY.search(text):
        return True
    if wanted.percent and _PERCENT.search(text):
        return True
    if wanted.counted:
        for match in _NUMBER_THEN_WORDS.finditer(text.lower()):
            if wanted.counted & {stem(word) for word in tokenize(match.group(1))}:
                return True
    return False


def concrete_values(text: str) -> int:
    """How many distinct amounts of money, percentages and dates `text` states, not counting
    the header lines of quoted or forwarded mail ("Sent: Monday, May 14, 2001")."""
    text = _HEADER_LINE.sub("", text)
    found = {
        " ".join(match.group().lower().split())
        for pattern in _VALUES
        for match in pattern.finditer(text)
    }
    return len(found)


def value_factor(text: str, terms: frozenset[str] | None = None) -> float:
    """1 + `VALUE_BOOST` x min(values stated, `VALUE_CAP`) / `VALUE_CAP`. With `terms` (index
    terms, as `tools.ranking.analyze` gives them) only the parts of `text` holding one of them
    count: its own text and the quoted or forwarded text after it (`tools.threads.split_quoted`)
    are read apart, so a reply's own figures do not count for the question its quote answers."""
    if terms is not None:
        text = "\n".join(part for part in split_quoted(text) if not terms.isdisjoint(analyze(part)))
    return 1.0 + VALUE_BOOST * min(concrete_values(text), VALUE_CAP) / VALUE_CAP
