"""BM25 relevance ranking of emails for a question: what the deterministic (no API key) mode ranks by.

Okapi BM25 (k1=1.2, b=0.75) over subject (counted `SUBJECT_WEIGHT` times) plus body. Text is
lowercased, split on anything that is not a letter or digit, stopwords dropped and words lightly
stemmed (plurals, -ing, -ed, a final -e) so that "meetings", "meeting" and "meet" land on one term.
Postings are compact arrays per term; scoring touches only the postings of the query's terms, and
`among=` restricts scoring to a candidate set (e.g. the ids a grep found). Pure Python.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from tools.models import Email

logger = logging.getLogger(__name__)

K1 = 1.2
B = 0.75
SUBJECT_WEIGHT = 2

_TOKEN = re.compile(r"[^\W_]+")

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can cannot could did do does doing down during each either
    else ever every few for from further get gets got had has have having he her here hers
    herself him himself his how however i if in into is it its itself just let me more most much
    must my myself no nor not now of off often on once only or other our ours ourselves out over
    own per please re same shall she should since so some such than that the their theirs them
    themselves then there these they this those though through thus to too under until up upon
    us very via was we were what when where whether which while who whom whose why will with
    within without would yet you your yours yourself yourselves fw fwd cc s t d ll m ve don
    doesn didn isn wasn aren weren hasn haven hadn couldn wouldn shouldn
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Words that frame a question rather than say what it is about.
_QUESTION_WORD_TEXT = """
    who whom whose when what which where why how did does do was were is are anyone someone
    anybody somebody tell show find list give know mention mentioned mentions mentioning
    discuss discussed discusses discussing say said says email emails message messages
"""
QUESTION_WORDS = frozenset(_QUESTION_WORD_TEXT.split())


def tokenize(text: str) -> list[str]:
    """Lowercased runs of letters and digits; apostrophes split words ("don't" -> "don", "t")."""
    return _TOKEN.findall(text.lower())


def stem(word: str) -> str:
    """Light suffix stripping: plurals, -ies/-ied -> y, -ing, -ed, then a final -e.

    Not a full Porter stemmer: it only needs to map a word's common forms onto one term
    ("prices", "priced", "price" -> "pric"; "meetings", "meeting" -> "meet").
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) >= 6:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) >= 5:
        word = _undouble(word[:-2])
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    """ "shipp" -> "ship", "runn" -> "run"; keeps "ll", "ss", "zz" ("call", "press")."""
    if len(word) >= 3 and word[-1] == word[-2] and word[-1] not in "lsz" and word[-1].isalpha():
        return word[:-1]
    return word


def analyze(text: str) -> list[str]:
    """Index terms of `text`: tokens without stopwords, stemmed, in order (repeats kept)."""
    return [stem(token) for token in tokenize(text) if token not in STOPWORDS]


def query_terms(question: str) -> list[str]:
    """The content words of a question, lowercased, unstemmed, first occurrence order.

    Stopwords and question-framing words ("who", "when", "did", "mention", "emails") are dropped;
    a question made only of such words gives []. `BM25Index.score` stems the terms itself, and the
    unstemmed words stay readable in a trajectory and usable as grep patterns.
    """
    seen: dict[str, None] = {}
    for token in tokenize(question):
        if token not in STOPWORDS and token not in QUESTION_WORDS and len(token) > 1:
            seen.setdefault(token, None)
    return list(seen)


class _TermCache(dict):
    """token -> index term ("" for a stopword); filled on first sight of each token."""

    def __missing__(self, token: str) -> str:
        term = "" if token in STOPWORDS else stem(token)
        self[token] = term
        return term


class BM25Index:
    """BM25 over one corpus. `score(terms)` ranks every email containing a term, best first."""

    _cache: WeakKeyDictionary[Any, BM25Index] = WeakKeyDictionary()
    _cache_lock = threading.Lock()

    def __init__(self, corpus: Sequence[Email], *, k1: float = K1, b: float = B):
        started = time.perf_counter()
        self.k1, self.b = k1, b
        self.ids: list[str] = [email.id for email in corpus]
        self._position = {email_id: position for position, email_id in enumerate(self.ids)}
        self._docs: dict[str, array] = {}  # term -> positions of emails containing it
        self._freqs: dict[str, array] = {}  # term -> weighted term frequency, parallel to _docs
        lengths = array("I")
        terms = _TermCache()
        for position, email in enumerate(corpus):
            counts = Counter(map(terms.__getitem__, _TOKEN.findall(email.body.lower())))
            subject_terms = list(map(terms.__getitem__, _TOKEN.findall(email.subject.lower())))
            for _ in range(SUBJECT_WEIGHT):
                counts.update(subject_terms)
            counts.pop("", None)
            lengths.append(sum(counts.values()))
            for term, frequency in counts.items():
                docs = self._docs.get(term)
                if docs is None:
                    docs = self._docs[term] = array("I")
                    self._freqs[term] = array("I")
                docs.append(position)
                self._freqs[term].append(frequency)
        self._lengths = lengths
        self.average_length = (sum(lengths) / len(lengths)) if lengths else 0.0
        self.build_ms = (time.perf_counter() - started) * 1000
        logger.debug(
            "BM25 indexed %d emails, %d terms in %.0f ms",
            len(self.ids),
            len(self._docs),
            self.build_ms,
        )

    @classmethod
    def for_corpus(cls, corpus: Sequence[Email]) -> BM25Index:
        """The cached index of `corpus` (built on first use) while the corpus object lives."""
        try:
            with cls._cache_lock:
                cached = cls._cache.get(corpus)
        except TypeError:  # not weak-referenceable (e.g. a plain list)
            return cls(corpus)
        if cached is not None:
            return cached
        index = cls(corpus)
        with cls._cache_lock:
            return cls._cache.setdefault(corpus, index)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def vocabulary_size(self) -> int:
        return len(self._docs)

    def document_frequency(self, word: str) -> int:
        """How many emails contain `word` (stemmed as the index stems it)."""
        docs = self._docs.get(stem(word.lower()))
        return len(docs) if docs is not None else 0

    def idf(self, term: str) -> float:
        """Inverse document frequency of an index term; never negative (the +1 inside the log)."""
        frequency = len(self._docs.get(term, ()))
        return math.log(1.0 + (len(self.ids) - frequency + 0.5) / (frequency + 0.5))

    def score(
        self, terms: Iterable[str], among: Iterable[str] | None = None
    ) -> list[tuple[str, float]]:
        """(email id, BM25 score) for every email matching at least one term, best first.

        `terms` are words or phrases (they are tokenized, stopword-filtered and stemmed here).
        `among` restricts scoring to those email ids (unknown ids raise ValueError). Ties keep
        corpus order, so the ranking is deterministic.
        """
        index_terms = list(dict.fromkeys(term for text in terms for term in analyze(text)))
        allowed = self._positions_of(among) if among is not None else None
        scores: defaultdict[int, float] = defaultdict(float)
        k1, lengths = self.k1, self._lengths
        length_norm = self.b / self.average_length if self.average_length else 0.0
        for term in index_terms:
            docs = self._docs.get(term)
            if docs is None:
                continue
            weight = self.idf(term) * (k1 + 1.0)
            base = k1 * (1.0 - self.b)
            for position, frequency in zip(docs, self._freqs[term], strict=True):
                if allowed is not None and position not in allowed:
                    continue
                saturation = base + k1 * length_norm * lengths[position]
                scores[position] += weight * frequency / (frequency + saturation)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [(self.ids[position], value) for position, value in ranked]

    def top(
        self, terms: Iterable[str], k: int, among: Iterable[str] | None = None
    ) -> list[tuple[str, float]]:
        """The `k` best (email id, score) pairs for `terms`."""
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        return self.score(terms, among=among)[:k]

    def _positions_of(self, ids: Iterable[str]) -> set[int]:
        ids = list(ids)
        unknown = [email_id for email_id in ids if email_id not in self._position]
        if unknown:
            shown = ", ".join(repr(email_id) for email_id in unknown[:3])
            raise ValueError(f"{len(unknown)} id(s) not in this corpus, e.g. {shown}")
        return {self._position[email_id] for email_id in ids}
