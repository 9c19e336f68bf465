"""Tests of BM25 ranking, tokenizing, stopwords and stemming (tools.ranking)."""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict

import pytest

from tools.models import Corpus, Email
from tools.ranking import (
    STOPWORDS,
    SUBJECT_WEIGHT,
    BM25Index,
    analyze,
    count_index_terms,
    has_term,
    query_terms,
    stem,
    term_heads,
    tokenize,
)


def _corpus() -> Corpus:
    texts = [
        ("Lunch on Friday", "Shall we get lunch on Friday at the usual place?"),
        (
            "Pipeline expansion budget",
            "The budget for the pipeline expansion was approved by Dana.",
        ),
        ("Re: weekly numbers", "Numbers look fine. The budget is mentioned only in passing."),
        ("Gas prices", "Gas prices rose again; the trading desk is watching closely."),
        ("Holiday party", "The party will be held in the atrium, bring your family."),
        ("Meeting notes", "Notes from the meetings: schedule, staffing, parking."),
    ]
    return Corpus(
        [Email(id=f"d{i}", subject=subject, body=body) for i, (subject, body) in enumerate(texts)]
    )


def test_tokenize_lowercases_and_splits_on_non_alphanumerics() -> None:
    assert tokenize("Q3-budget, v2_final!  Don't") == ["q3", "budget", "v2", "final", "don", "t"]


def test_stopword_list_covers_common_words() -> None:
    assert 150 <= len(STOPWORDS) <= 250
    assert {"the", "and", "of", "was", "which", "would"} <= STOPWORDS
    assert "budget" not in STOPWORDS


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("meetings", "meet"),
        ("meeting", "meet"),
        ("prices", "pric"),
        ("priced", "pric"),
        ("price", "pric"),
        ("policies", "policy"),
        ("applied", "apply"),
        ("shipped", "ship"),
        ("calls", "call"),
        ("business", "business"),  # -ss is not a plural
        ("status", "status"),  # neither is -us
        ("gas", "gas"),  # short words are left alone
        ("q3", "q3"),  # so are tokens with digits
        ("thing", "thing"),  # -ing needs a stem of 3+ letters
        ("found", "find"),  # irregular verb forms take their base form's stem
        ("findings", "find"),
        ("left", "leav"),
        ("leaving", "leav"),
        ("founded", "found"),  # only the bare irregular form is mapped
    ],
)
def test_stem_strips_common_suffixes(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_analyze_drops_stopwords_and_stems() -> None:
    assert analyze("The meetings were about the prices") == ["meet", "pric"]


def test_query_terms_drop_question_words_and_stopwords() -> None:
    question = "Who approved the budget for the pipeline expansion, and when did it happen?"
    assert query_terms(question) == ["approved", "budget", "pipeline", "expansion", "happen"]
    assert query_terms("What did they say? Which emails mention it?") == []
    assert query_terms("budget BUDGET Budget") == ["budget"]


def test_bm25_ranks_the_obviously_relevant_email_first() -> None:
    index = BM25Index(_corpus())
    ranked = index.score(query_terms("Who approved the budget for the pipeline expansion?"))
    assert ranked[0][0] == "d1"
    assert [email_id for email_id, _ in ranked] == ["d1", "d2"]  # only emails with a term
    assert ranked[0][1] > ranked[1][1] > 0


def test_bm25_matches_word_forms_through_stemming() -> None:
    index = BM25Index(_corpus())
    assert index.top(["meeting"], 1)[0][0] == "d5"  # the email says "meetings"
    assert index.top(["price"], 1)[0][0] == "d3"  # "prices"


def test_bm25_matches_irregular_verb_forms() -> None:
    corpus = Corpus(
        [
            Email(id="audit", subject="Preliminary findings", body="What the review turned up."),
            Email(id="said", subject="Note", body="Audit found an undisclosed side letter."),
            Email(id="other", subject="Lunch", body="The founder of the cafe left early."),
        ]
    )
    index = BM25Index(corpus)
    assert [email_id for email_id, _ in index.score(["found"])] == ["audit", "said"]
    assert index.document_frequency("finding") == 2
    assert [email_id for email_id, _ in index.score(["leaving"])] == ["other"]


@pytest.mark.parametrize(
    ("text", "term", "expected"),
    [
        ("The policies changed", "policy", True),  # -ies -> y: the head is "polic"
        ("Audit found it", "find", True),  # an irregular form
        ("the founder", "find", False),  # starts like a form, stems elsewhere
        ("meetings held", "meet", True),
        ("a meter reading", "meet", False),
        ("", "meet", False),
    ],
)
def test_has_term_finds_a_term_among_tokens(text: str, term: str, expected: bool) -> None:
    assert has_term(set(tokenize(text)), term) is expected
    assert all(head for head in term_heads(term))


def test_subject_terms_weigh_more_than_body_terms() -> None:
    corpus = Corpus(
        [
            Email(id="body", subject="Note", body="party planning details here"),
            Email(id="subject", subject="party", body="planning details here note"),
        ]
    )
    assert BM25Index(corpus).top(["party"], 2)[0][0] == "subject"


def test_scores_follow_the_okapi_formula() -> None:
    corpus = Corpus([Email(id="a", body="gas gas storage"), Email(id="b", body="power desk")])
    index = BM25Index(corpus)
    n, df, tf, length, average = 2, 1, 2, 3, 2.5
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    expected = idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * length / average))
    ((email_id, value),) = index.score(["gas"])
    assert email_id == "a" and value == pytest.approx(expected)


def test_score_among_restricts_candidates_and_rejects_unknown_ids() -> None:
    index = BM25Index(_corpus())
    assert [email_id for email_id, _ in index.score(["budget"], among=["d2", "d4"])] == ["d2"]
    assert index.score(["budget"], among=[]) == []
    with pytest.raises(ValueError, match="not in this corpus"):
        index.score(["budget"], among=["d1", "nope"])


def test_ties_keep_corpus_order_and_unknown_terms_score_nothing() -> None:
    corpus = Corpus([Email(id=f"t{i}", body="identical words here") for i in range(3)])
    index = BM25Index(corpus)
    assert [email_id for email_id, _ in index.score(["identical"])] == ["t0", "t1", "t2"]
    assert index.score(["zeppelin"]) == []
    assert index.top(["identical"], 2) == index.score(["identical"])[:2]
    assert BM25Index(Corpus([])).score(["anything"]) == []


def test_index_is_cached_per_corpus_and_reports_its_vocabulary() -> None:
    corpus = _corpus()
    index = BM25Index.for_corpus(corpus)
    assert BM25Index.for_corpus(corpus) is index
    assert index.document_frequency("Budgets") == 2
    assert index.vocabulary_size > 20 and len(index) == 6


# --- the lazy index against a plain full inverted index -----------------------------------------

_WORD_TEXT = """
    budget budgets budgeted pipeline pipelines policy policies applied apply shipping shipped
    meeting meetings meet price prices priced gas vegas gasoline q3 q3-report v2_final café
    naïve ΣΟΦΙΑ σοφίας 日本 İstanbul the and of themselves yourselves ourselves a an don't
    press calls status business thing things running runn y ies ied flies flied
    found find findings founder took take takes taken left leave leaving sent send
"""
_WORDS = _WORD_TEXT.split()


def _random_corpus(seed: int, size: int) -> Corpus:
    rng = random.Random(seed)

    def text(words: int) -> str:
        separators = [" ", " ", " ", ", ", "\n", "-", "_", "'", ". "]
        picks = [rng.choice(_WORDS) for _ in range(words)]
        return "".join(word + rng.choice(separators) for word in picks).strip()

    return Corpus(
        [
            Email(id=f"r{i:04d}", subject=text(rng.randint(0, 4)), body=text(rng.randint(0, 40)))
            for i in range(size)
        ]
    )


class _ReferenceBM25:
    """Textbook BM25 over a full inverted index, built eagerly: what the lazy index must equal."""

    def __init__(self, corpus: Corpus, k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.ids = [email.id for email in corpus]
        self.postings: defaultdict[str, dict[int, int]] = defaultdict(dict)
        self.lengths: list[int] = []
        for position, email in enumerate(corpus):
            counts = Counter(analyze(email.body))
            for term in analyze(email.subject):
                counts[term] += SUBJECT_WEIGHT
            self.lengths.append(sum(counts.values()))
            for term, frequency in counts.items():
                self.postings[term][position] = frequency
        self.average = sum(self.lengths) / len(self.lengths)

    def score(self, words: list[str], among: list[str] | None = None) -> list[tuple[str, float]]:
        allowed = {self.ids.index(i) for i in among} if among is not None else None
        scores: defaultdict[int, float] = defaultdict(float)
        for term in dict.fromkeys(t for word in words for t in analyze(word)):
            docs = self.postings.get(term, {})
            idf = math.log(1 + (len(self.ids) - len(docs) + 0.5) / (len(docs) + 0.5))
            for position, tf in docs.items():
                if allowed is None or position in allowed:
                    norm = 1 - self.b + self.b * self.lengths[position] / self.average
                    scores[position] += idf * tf * (self.k1 + 1) / (tf + self.k1 * norm)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [(self.ids[position], value) for position, value in ranked]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lazy_index_scores_equal_a_full_inverted_index(seed: int) -> None:
    corpus = _random_corpus(seed, 300)
    lazy, reference = BM25Index(corpus), _ReferenceBM25(corpus)
    assert lazy.average_length == pytest.approx(reference.average, abs=1e-12)
    for word in _WORDS + ["Budgets", "POLICIES", "zeppelin", "amber sextant"]:
        expected = len(reference.postings.get(stem(word.lower()), {}))
        assert lazy.document_frequency(word) == expected, word
    rng = random.Random(seed)
    ids = [email.id for email in corpus]
    term_sets = [["policies", "gas"], ["meeting", "prices", "q3"], ["café", "σοφίας"], ["budget"]]
    term_sets += [rng.sample(_WORDS, 4) for _ in range(6)]
    for number, terms in enumerate(term_sets):
        among = rng.sample(ids, 40) if number % 2 else None
        got, expected = lazy.score(terms, among=among), reference.score(terms, among=among)
        assert expected, terms  # every term set matches something
        assert [email_id for email_id, _ in got] == [email_id for email_id, _ in expected]
        for (_, value), (_, wanted) in zip(got, expected, strict=True):
            assert value == pytest.approx(wanted, rel=1e-9, abs=1e-9)


def test_count_index_terms_equals_the_length_of_analyze() -> None:
    rng = random.Random(5)
    pieces = _WORDS + ["_", " ", "\n", "\x1e", "\udcff", "ǅ", "½", "٣", "xthe", "the_", "yourself"]
    for _ in range(500):
        text = "".join(
            rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(0, 30))
        )
        assert count_index_terms(text.lower()) == len(analyze(text)), text
    assert count_index_terms("") == 0


def test_term_counts_are_the_same_whatever_the_block_size() -> None:
    from tools.patterns import Haystack
    from tools.ranking import index_term_counts

    texts = [
        f"Récapitulatif {n}: the valves were inspected; İstanbul office ☃ {'word ' * (n % 7)}"
        for n in range(25)
    ]
    lowered = Haystack.build([t.lower() for t in texts])
    whole = index_term_counts(lowered, block=1_000).tolist()
    assert whole == [len(analyze(t)) for t in texts]
    assert index_term_counts(lowered, block=4).tolist() == whole
    assert index_term_counts(lowered, block=1).tolist() == whole


def test_a_stored_corpus_ranks_from_its_stored_lengths_exactly_as_from_counted_ones(
    tmp_path, monkeypatch
) -> None:
    """The BM25 lengths written with a corpus (once per content) are the ones a chunk would
    count, and a chunk read back from Parquet uses them instead of counting."""
    import tools.ranking as ranking
    from tools.models import TERMS_FIELD

    rng = random.Random(5)
    words = [
        "budget",
        "pipeline",
        "approved",
        "valve",
        "inspection",
        "the",
        "of",
        "meeting",
        "prices",
        "Récap",
        "naïve",
    ]
    emails = [
        Email(
            id=f"e{n:03d}",
            subject=" ".join(rng.choices(words, k=rng.randint(0, 4))),
            body=" ".join(rng.choices(words, k=rng.randint(0, 40))),
        )
        for n in range(60)
    ]
    corpus = Corpus(emails)
    path = tmp_path / "c.parquet"
    corpus.write_parquet(str(path), row_group_size=7)
    import pyarrow.parquet as pq

    assert TERMS_FIELD.name in pq.ParquetFile(str(path)).schema_arrow.names
    counted = {q: BM25Index(corpus.slice(10, 50)).score([q]) for q in ("budget", "valve prices")}

    chunk = Corpus.read_parquet(str(path), 10, 50)
    assert list(chunk.index_terms) == ranking.document_lengths(chunk).tolist()
    assert chunk.slice(5, 9).index_terms == chunk.index_terms[5:9]

    def no_counting(*args, **kwargs):
        raise AssertionError("the stored lengths should have been used")

    monkeypatch.setattr(ranking, "index_term_counts", no_counting)
    stored = {q: BM25Index(chunk).score([q]) for q in counted}
    assert stored == counted and all(stored.values())
