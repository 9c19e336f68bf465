"""Tests of BM25 ranking, tokenizing, stopwords and stemming (tools.ranking)."""

from __future__ import annotations

import math

import pytest

from tools.models import Corpus, Email
from tools.ranking import STOPWORDS, BM25Index, analyze, query_terms, stem, tokenize


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
