"""The value factor of the no-key ranking on small synthetic corpora.

Evidence states things (an amount, a percentage, a date) where a look-alike email talks about
the same topic with the question's words. Each corpus here is written for the property it checks
(never the bundled sample's ids).
"""

from __future__ import annotations

import pytest

from pipeline.agent import answer_types, evidence
from pipeline.agent.answer_types import VALUE_CAP, concrete_values, value_factor
from pipeline.agent.citation import CUT_OFFS, select_citations
from pipeline.agent.evidence import EvidencePool
from tools.models import Corpus, Email


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("We will repurchase it at cost plus 12% on or after March 31, 2025.", 2),
        ("Paid $4.9M on 2024-06-28 and $4.9M again on 07/01/2024.", 3),
        ("Let's talk about the buyback terms sometime.", 0),
        ("Revenue: 48 million in Q2, 23 million in Q4, 40% then 20%.", 4),
    ],
)
def test_concrete_values_counts_distinct_amounts_percentages_and_dates(text, values):
    assert concrete_values(text) == values


def test_header_lines_of_quoted_mail_are_not_values():
    quoted = (
        "Sounds good.\n\n-----Original Message-----\nFrom: Ann\n"
        "Sent: Monday, May 14, 2001 3:45 PM\nTo: Bob\nDate: 05/14/2001\n"
        "Subject: Re: terms\n\n> The buyback terms are still open."
    )
    assert concrete_values(quoted) == 0
    assert value_factor(quoted) == 1.0
    stated = "Agreed at 12% above cost, on June 28."
    assert value_factor(quoted + "\n> " + stated) > 1.0  # a quoted body's values still count


def test_value_factor_grows_with_the_values_stated_up_to_its_cap():
    factors = [value_factor(" ".join(f"${n}M" for n in range(1, k + 1))) for k in range(7)]
    assert factors[0] == 1.0
    assert all(a < b for a, b in zip(factors[:VALUE_CAP], factors[1 : VALUE_CAP + 1], strict=True))
    assert factors[VALUE_CAP] == factors[-1] == 1.0 + answer_types.VALUE_BOOST


def test_only_the_part_holding_a_question_term_counts():
    terms = frozenset({"harbor", "stak"})
    reply = (
        "Our exposure is $34 million; numbers moved 56% since May 2.\n\n"
        "-----Original Message-----\nFrom: Ann\n> The Harbor stake wire goes to account X-12."
    )
    assert value_factor(reply) > 1.0  # the reply's own figures, read without the question
    assert value_factor(reply, terms) == 1.0  # ... are not about the quoted Harbor stake
    own = "We sold the Harbor stake for $40M on June 28.\n\n> Any news on lunch?"
    assert value_factor(own, terms) == value_factor("$40M on June 28.") > 1.0


def _decoy_and_evidence() -> Corpus:
    """A decoy repeating the question's words without stating anything, and the evidence that
    uses other words for most of it but states the terms; filler gives the terms their idf."""
    decoy = Email(
        id="decoy",
        subject="An idea",
        body="Should we ever buy back the stake? Let's talk about it later.",
        thread_id="decoy",
    )
    evidence = Email(
        id="evidence",
        subject="Harbor stake - side letter",
        body="Signed. We will repurchase the Harbor stake at cost plus 12%, exercisable on or "
        "after March 31, 2025, for $40M, on the terms of June 28. Keep this between us.",
        thread_id="evidence",
    )
    filler = [
        Email(id=f"f{n}", subject=f"Lunch {n}", body="Pizza on Friday?", thread_id=f"f{n}")
        for n in range(8)
    ]
    return Corpus([decoy, evidence, *filler])


def test_an_email_stating_the_terms_outranks_a_decoy_repeating_the_question(monkeypatch):
    corpus = _decoy_and_evidence()
    question = "On what terms did they promise to buy back the Harbor stake?"

    def ranking() -> list[str]:
        pool = EvidencePool(corpus, question)
        pool.add(["decoy", "evidence"])
        return [email_id for email_id, _ in pool.ranked()]

    assert ranking() == ["evidence", "decoy"]
    monkeypatch.setattr(evidence, "specificity", lambda word: 1.0)  # plain idf weights
    assert ranking() == ["evidence", "decoy"]
    monkeypatch.setattr(answer_types, "VALUE_BOOST", 0.0)
    assert ranking() == ["decoy", "evidence"]  # without the factor the repeated words win


def test_a_one_fact_question_cites_a_runner_up_at_a_third_of_the_best():
    cut = CUT_OFFS["single"]
    ranked = [("best", 10.0), ("runner-up", 10.0 * cut.relative_floor), ("weak", 1.0)]
    assert select_citations(ranked, "single") == ["best", "runner-up"]
    flat = [(f"e{n}", 10.0) for n in range(10)]
    assert len(select_citations(flat, "single")) == cut.max_cited
