"""BM25 relevance ranking of emails for a question: what the deterministic (no API key) mode ranks by.

Okapi BM25 (k1=1.2, b=0.75) over subject (counted `SUBJECT_WEIGHT` times) plus body. Text is
lowercased, split on anything that is not a letter or digit, stopwords dropped and words lightly
stemmed (plurals, -ing, -ed, a final -e, common irregular verbs) so that "meetings", "meeting" and
"meet" land on one term, as do "found" and "findings".
The index is lazy: a term's postings (compact arrays) are found on first use by scanning the
chunk's lowercased `SearchIndex` text for the term, and every email's length (for the average)
is counted on the first score in one numpy pass; scores equal a full inverted index's exactly.
`among=` restricts scoring to a candidate set (e.g. the ids a grep found).
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np

from tools.models import Email
from tools.patterns import Haystack
from tools.per_corpus import PerCorpus
from tools.search import SearchIndex

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


_IRREGULAR_TEXT = """
    found:find took:take taken:take made:make told:tell sent:send left:leave became:become
    gave:give given:give knew:know known:know paid:pay sold:sell bought:buy brought:bring
    thought:think met:meet kept:keep spent:spend lost:lose held:hold wrote:write written:write
    began:begin begun:begin chose:choose chosen:choose spoke:speak spoken:speak heard:hear
    felt:feel led:lead meant:mean won:win ran:run saw:see seen:see went:go gone:go came:come
    stood:stand understood:understand hid:hide hidden:hide broke:break broken:break
    fell:fall fallen:fall risen:rise drove:drive driven:drive forgot:forget forgotten:forget
    sought:seek taught:teach caught:catch dealt:deal built:build
"""
# Irregular verb forms -> their base form ("found" -> "find", "took" -> "take"), so a question's
# "what had audit found" meets an email's "findings". Forms that are also common names or nouns
# ("rose", "lent") are left out.
IRREGULAR = {form: base for form, base in (pair.split(":") for pair in _IRREGULAR_TEXT.split())}


def _irregular_forms() -> dict[str, tuple[str, ...]]:
    forms: defaultdict[str, list[str]] = defaultdict(list)
    for form in IRREGULAR:
        forms[stem(form)].append(form)
    return {term: tuple(values) for term, values in forms.items()}


def tokenize(text: str) -> list[str]:
    """Lowercased runs of letters and digits; apostrophes split words ("don't" -> "don", "t")."""
    return _TOKEN.findall(text.lower())


def stem(word: str) -> str:
    """Light suffix stripping: plurals, -ies/-ied -> y, -ing, -ed, then a final -e.

    Not a full Porter stemmer: it only needs to map a word's common forms onto one term
    ("prices", "priced", "price" -> "pric"; "meetings", "meeting" -> "meet"). Common irregular
    verb forms take their base form's stem ("found", "finding" -> "find"; "left" -> "leav").
    """
    lemma = IRREGULAR.get(word)
    if lemma is not None:
        return stem(lemma)
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


_IRREGULAR_FORMS = _irregular_forms()  # index term -> the irregular forms that stem to it


def term_heads(term: str) -> tuple[str, ...]:
    """How every token that stems to the index term `term` begins: `term` itself (minus a final
    "y", for "-ies"/"-ied"), or one of its irregular forms; longest first."""
    prefix = term[:-1] if term.endswith("y") and len(term) >= 3 else term
    return tuple(sorted({prefix, *_IRREGULAR_FORMS.get(term, ())}, key=len, reverse=True))


def has_term(tokens: Iterable[str], term: str) -> bool:
    """Whether any of `tokens` (lowercased, as `tokenize` gives them) is an index term `term`."""
    heads = term_heads(term)
    return any(
        token.startswith(heads) and token not in STOPWORDS and stem(token) == term
        for token in tokens
    )


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


def count_index_terms(lowered_text: str) -> int:
    """How many index terms `analyze` gives for `lowered_text` (already lowercased)."""
    return int(index_term_counts(Haystack.build([lowered_text])).sum())


COUNT_BLOCK_RECORDS = 2_000  # records whose words are counted in one numpy pass


def index_term_counts(lowered: Haystack, block: int = COUNT_BLOCK_RECORDS) -> np.ndarray:
    """Per record of `lowered` (lowercased texts): how many index terms `analyze` gives, fast.

    Exact: ASCII letters and digits are delimited in bulk with numpy, stopwords are recognised
    by packing each short token's bytes into integers, and only the runs of letters that hold
    non-ASCII characters are tokenized in Python. Records are counted `block` at a time, which
    bounds the temporary arrays (several 8-byte integers per word) to a few MB per block.
    """
    starts = lowered.starts
    counts = []
    for first in range(0, len(starts), block):
        last = min(first + block, len(starts))
        end = starts[last] if last < len(starts) else len(lowered.text)
        offsets = [start - starts[first] for start in starts[first:last]]
        counts.append(_term_counts(lowered.text[starts[first] : end], offsets))
    return np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)


def document_lengths(emails: Sequence[Email], lowered: Haystack | None = None) -> np.ndarray:
    """Every email's BM25 length: its index terms, those of the subject counted
    `SUBJECT_WEIGHT` times. `lowered`: the emails' lowercased search text, when already built.
    Written with the corpus as its `index_terms` column, so a chunk does not count them again."""
    if lowered is None:
        lowered = Haystack.build([email.search_text().lower() for email in emails])
    subjects = Haystack.build([email.subject.lower() for email in emails])
    lengths = index_term_counts(lowered)
    lengths += (SUBJECT_WEIGHT - 1) * index_term_counts(subjects)
    return lengths


def _term_counts(text: str, record_offsets: list[int]) -> np.ndarray:
    data = text.encode("utf-8", "surrogatepass")
    if len(data) == len(text):
        record_starts = np.asarray(record_offsets, dtype=np.int64)
    else:  # UTF-8 byte offsets of the records
        bounds = (*record_offsets, len(text))
        sizes = [len(text[a:b].encode("utf-8", "surrogatepass")) for a, b in pairwise(bounds)]
        record_starts = np.concatenate(([0], np.cumsum(sizes[:-1], dtype=np.int64)))
    buffer = np.frombuffer(b"\0" + data.translate(_TOKEN_BYTES) + b"\0" * _PADDING, np.uint8)
    edges = np.flatnonzero(np.diff((buffer != 0).view(np.int8)))  # alternating run start, end
    starts, ends = edges[0::2] + 1, edges[1::2] + 1
    weights = np.ones(len(starts), dtype=np.int64)  # index terms in each run
    wide = np.zeros(len(starts), dtype=bool)  # runs holding non-ASCII bytes: counted in Python
    non_ascii = np.flatnonzero(buffer >= 128)
    if len(non_ascii):
        runs = np.unique(np.searchsorted(starts, non_ascii, side="right") - 1)
        wide[runs] = True
        for run in runs.tolist():
            piece = buffer[starts[run] : ends[run]].tobytes().decode("utf-8", "surrogatepass")
            weights[run] = sum(1 for token in _TOKEN.findall(piece) if token not in STOPWORDS)
    lengths = ends - starts
    short = np.flatnonzero((lengths <= _STOPWORD_MAX_LENGTH) & ~wide)
    short_starts, short_lengths = starts[short], lengths[short]
    # Every position's next 8 bytes as one big-endian integer (an unaligned strided view).
    words = np.ndarray((len(buffer) - 8,), dtype=">u8", buffer=buffer.data, strides=(1,))
    head = words[short_starts].astype(np.uint64) & _MASKS[np.minimum(short_lengths, 8)]
    tail = np.zeros(len(head), dtype=np.uint64)
    long = short_lengths > 8
    tail[long] = words[short_starts[long] + 8].astype(np.uint64) & _MASKS[short_lengths[long] - 8]
    # A token of at most 16 bytes without NUL is identified by (head, tail); look both up.
    slot = np.searchsorted(_STOP_HEADS, head)
    slot[slot == len(_STOP_HEADS)] = 0
    weights[short[(_STOP_HEADS[slot] == head) & (_STOP_TAILS[slot] == tail)]] = 0
    record_of = np.searchsorted(record_starts, starts - 1, side="right") - 1
    counts = np.bincount(record_of, weights=weights, minlength=len(record_offsets))
    return np.rint(counts).astype(np.int64)


def _pack(raw: bytes) -> int:
    return int.from_bytes(raw[:8].ljust(8, b"\0"), "big")


_TOKEN_BYTES = bytes(
    byte if chr(byte).isalnum() or byte >= 128 else 0 for byte in range(256)
)  # ASCII letters and digits stay, every other ASCII byte becomes a NUL separator
_PADDING = 16
_STOPWORD_MAX_LENGTH = max(map(len, STOPWORDS))
assert _STOPWORD_MAX_LENGTH <= 16 and all(word.isascii() for word in STOPWORDS)
_MASKS = np.array([((1 << (8 * n)) - 1) << (8 * (8 - n)) for n in range(9)], dtype=np.uint64)
_STOP_KEYS = sorted((_pack(w.encode()), _pack(w.encode()[8:])) for w in STOPWORDS)
_STOP_HEADS = np.array([head for head, _ in _STOP_KEYS], dtype=np.uint64)
_STOP_TAILS = np.array([tail for _, tail in _STOP_KEYS], dtype=np.uint64)


class BM25Index:
    """BM25 over one corpus. `score(terms)` ranks every email containing a term, best first.

    Lazy: building it only takes the corpus's lowercased text from its `SearchIndex`. A term's
    postings are found on first use by scanning that text for the term, and every email's length
    (one numpy pass, `index_term_counts`) on the first score.
    """

    _cache: PerCorpus[BM25Index] = PerCorpus()

    def __init__(self, corpus: Sequence[Email], *, k1: float = K1, b: float = B):
        started = time.perf_counter()
        self.k1, self.b = k1, b
        self._emails: list[Email] = list(corpus)  # not `corpus`: the cache must not keep it alive
        self.ids: list[str] = [email.id for email in self._emails]
        self._position = {email_id: position for position, email_id in enumerate(self.ids)}
        self._lowered = SearchIndex.for_corpus(corpus).lowered  # per email: subject \n body
        self._stored_lengths: Sequence[int] | None = getattr(corpus, "index_terms", None)
        self._postings: dict[str, tuple[array, array]] = {}  # term -> (positions, frequencies)
        self._lengths: list[int] | None = None  # analysed length of every email
        self._average_length = 0.0
        self._vocabulary_size: int | None = None
        self._lock = threading.Lock()
        self.build_ms = (time.perf_counter() - started) * 1000

    @classmethod
    def for_corpus(cls, corpus: Sequence[Email]) -> BM25Index:
        """The cached index of `corpus` (built on first use) while the corpus object lives."""
        return cls._cache.get(corpus, lambda: cls(corpus))

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def average_length(self) -> float:
        """Mean analysed length (subject counted `SUBJECT_WEIGHT` times) over every email."""
        self._document_lengths()
        return self._average_length

    def _document_lengths(self) -> list[int]:
        """Every email's analysed length: stored with the corpus (`Corpus.index_terms`, counted
        once when it was written), else counted in one fast pass on first use."""
        with self._lock:
            if self._lengths is None:
                started = time.perf_counter()
                stored = self._stored_lengths
                if stored is not None and len(stored) == len(self.ids):
                    self._lengths = list(stored)
                else:
                    self._lengths = document_lengths(self._emails, self._lowered).tolist()
                total = sum(self._lengths)
                self._average_length = total / len(self._lengths) if self._lengths else 0.0
                logger.debug(
                    "BM25 lengths of %d emails in %.0f ms",
                    len(self.ids),
                    (time.perf_counter() - started) * 1000,
                )
            return self._lengths

    @property
    def vocabulary_size(self) -> int:
        """Distinct index terms in the corpus. A full tokenizing pass on first use (diagnostics)."""
        if self._vocabulary_size is None:
            tokens = set(_TOKEN.findall(self._lowered.text)) - STOPWORDS
            self._vocabulary_size = len({stem(token) for token in tokens})
        return self._vocabulary_size

    def document_frequency(self, word: str) -> int:
        """How many emails contain `word` (stemmed as the index stems it)."""
        return len(self._documents_with(stem(word.lower()))[0])

    def idf(self, term: str) -> float:
        """Inverse document frequency of an index term; never negative (the +1 inside the log)."""
        frequency = len(self._documents_with(term)[0])
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
        if not index_terms or allowed == set():
            return []
        k1, lengths = self.k1, self._document_lengths()
        length_norm = self.b / self._average_length if self._average_length else 0.0
        for term in index_terms:
            docs, frequencies = self._documents_with(term)
            if not docs:
                continue
            weight = self.idf(term) * (k1 + 1.0)
            base = k1 * (1.0 - self.b)
            for position, frequency in zip(docs, frequencies, strict=True):
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

    def _documents_with(self, term: str) -> tuple[array, array]:
        """(positions, weighted frequencies) of the emails with a token (not a stopword) that
        stems to `term`; a token in the subject counts `SUBJECT_WEIGHT` times.

        `stem` only cuts a token's end, except "-ies"/"-ied" -> "-y" and the irregular verb
        forms, so every such token starts with `term` (or with `term` minus its final "y") or is
        one of `term`'s irregular forms: a scan of the lowercased text for those heads at token
        starts finds every candidate token, and stemming it decides.
        """
        cached = self._postings.get(term)
        if cached is not None:
            return cached
        postings, frequencies = array("I"), array("I")
        if _TOKEN.fullmatch(term):
            text, starts = self._lowered.text, self._lowered.starts
            stems: dict[str, bool] = {}
            pattern = "(?:" + "|".join(map(re.escape, term_heads(term))) + r")[^\W_]*"
            for match in re.finditer(pattern, text):
                begin = match.start()
                if begin and _TOKEN.match(text, begin - 1, begin):
                    continue  # the prefix is inside a longer token, not at its start
                token = match.group()
                hit = stems.get(token)
                if hit is None:
                    hit = stems[token] = token not in STOPWORDS and stem(token) == term
                if not hit:
                    continue
                position = bisect_right(starts, begin) - 1
                subject_end = starts[position] + len(self._emails[position].subject.lower())
                weight = SUBJECT_WEIGHT if begin < subject_end else 1
                if postings and postings[-1] == position:
                    frequencies[-1] += weight
                else:
                    postings.append(position)
                    frequencies.append(weight)
        self._postings[term] = postings, frequencies
        return postings, frequencies

    def _positions_of(self, ids: Iterable[str]) -> set[int]:
        ids = list(ids)
        unknown = [email_id for email_id in ids if email_id not in self._position]
        if unknown:
            shown = ", ".join(repr(email_id) for email_id in unknown[:3])
            raise ValueError(f"{len(unknown)} id(s) not in this corpus, e.g. {shown}")
        return {self._position[email_id] for email_id in ids}
