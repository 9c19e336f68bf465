"""How the evidence ranking weighs question words, quoted text, forwarded bulk mail and the
period a question is about (pipeline.agent.evidence, tools.specificity)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.agent import evidence
from pipeline.agent.evidence import (
    BULK_PRIOR,
    PERIOD_PRIOR,
    QUOTED_SHARE,
    EvidencePool,
    forwarded_sender,
)
from tools.models import Corpus, Email
from tools.specificity import MIN_SPECIFICITY, specificity


@pytest.mark.parametrize("word", ["ravenwood", "phmsa", "ultrasonic", "spreadsheet", "xq7"])
def test_rare_words_names_and_codes_keep_their_full_weight(word):
    assert specificity(word) == 1.0


@pytest.mark.parametrize("word", ["earlier", "behind", "company", "following", "first"])
def test_everyday_words_weigh_less(word):
    assert MIN_SPECIFICITY <= specificity(word) < 0.8


def test_specificity_falls_as_words_get_commoner_and_ignores_case():
    assert specificity("the") == pytest.approx(MIN_SPECIFICITY)
    assert specificity("hotline") > specificity("report") > specificity("the")
    assert specificity("Earlier") == specificity("earlier")
    assert specificity("2023") == specificity("mv7") == 1.0  # numbers and codes are specific


def _filler(count: int) -> list[Email]:
    return [Email(id=f"f{n}", subject=f"Lunch {n}", body="Pizza on Friday?") for n in range(count)]


def test_an_everyday_question_word_counts_for_less_than_a_name():
    """Both words occur in one email each, so the chunk's idf cannot tell them apart."""
    name = Email(id="name", subject="Note", body="Ravenwood signed today.")
    everyday = Email(id="everyday", subject="Note", body="We met earlier today.")
    corpus = Corpus([name, everyday, *_filler(8)])
    pool = EvidencePool(corpus, "What was Ravenwood's earlier connection?")
    pool.add(["name", "everyday"])
    assert pool.index.idf("ravenwood") == pool.index.idf("earlier")
    assert [email_id for email_id, _ in pool.ranked()] == ["name", "everyday"]
    assert specificity("earlier") < 1.0
    assert pool.coverage("everyday") == pytest.approx(
        specificity("earlier") * pool.coverage("name")
    )


_DIGEST = (
    "Top stories: midstream firms promise to buy back capacity interests.\n\n"
    "You are receiving this because you subscribed. Unsubscribe here."
)


def _forward(email_id: str, sender: str, text: str) -> Email:
    body = (
        "fyi\n\n---------- Forwarded message ----------\n"
        f"From: {sender}\nDate: Mon, Dec 25, 2023\nSubject: Capacity\n\n{text}"
    )
    return Email(id=email_id, sender="nate@corp.example", subject="FW: Capacity", body=body)


def test_a_forward_of_a_bulk_senders_message_is_bulk_mail():
    digest = Email(id="digest", sender="Wire <news@wire.example>", subject="Wire", body=_DIGEST)
    story = "Midstream firms promise to buy back capacity interests."
    news = _forward("news", "Wire Daily <news@wire.example>", story)
    memo = _forward("memo", "Diane Whit <diane@corp.example>", story)  # same words, internal sender
    corpus = Corpus([digest, news, memo, *_filler(8)])
    assert forwarded_sender(news.body) == "news@wire.example"
    assert forwarded_sender(digest.body) is None
    pool = EvidencePool(corpus, "Did they promise to buy back the capacity interests?")
    pool.add(["news", "memo"])
    scores = dict(pool.ranked())
    assert scores["news"] == pytest.approx(BULK_PRIOR * scores["memo"])
    assert pool.coverage("news") == pytest.approx(BULK_PRIOR * pool.coverage("memo"))


def test_a_forward_is_judged_by_the_senders_own_mail_in_the_chunk(monkeypatch):
    """Without the bulk sender's own footer-bearing mail in the chunk, a forward is one-off mail."""
    story = "Midstream firms promise to buy back capacity interests."
    news = _forward("news", "Wire Daily <news@wire.example>", story)
    memo = _forward("memo", "Diane Whit <diane@corp.example>", story)
    pool = EvidencePool(Corpus([news, memo, *_filler(8)]), "buy back capacity interests")
    pool.add(["news", "memo"])
    scores = dict(pool.ranked())
    assert scores["news"] == pytest.approx(scores["memo"])
    monkeypatch.setattr(evidence, "BULK_PRIOR", 1.0)  # and the prior is what separates them
    digest = Email(id="digest", sender="news@wire.example", subject="Wire", body=_DIGEST)
    pool = EvidencePool(Corpus([digest, news, memo]), "buy back capacity interests")
    pool.add(["news", "memo"])
    scores = dict(pool.ranked())
    assert scores["news"] == pytest.approx(scores["memo"])


def test_terms_an_email_only_quotes_count_for_less():
    original_text = "The valve corrosion survey found 38% wall loss."
    original = Email(id="original", subject="Results", body=original_text, thread_id="a")
    quoted = f"Thanks, noted.\n\n-----Original Message-----\nFrom: Carlos\n\n{original_text}"
    reply = Email(id="reply", subject="RE: Results", body=quoted, thread_id="b")
    echo = Email(
        id="echo",
        subject="RE: Results",
        body=f"The corrosion is worse than we thought.\n\n> {original_text}",
        thread_id="c",
    )
    corpus = Corpus([original, reply, echo, *_filler(8)])
    pool = EvidencePool(corpus, "What did the valve corrosion survey find?")
    pool.add(["original", "reply", "echo"])
    assert pool.coverage("reply") == pytest.approx(QUOTED_SHARE * pool.coverage("original"))
    assert pool.coverage("reply") < pool.coverage("echo") < pool.coverage("original")
    assert [email_id for email_id, _ in pool.ranked()][0] == "original"


def _monthly(email_id: str, day: datetime | None) -> Email:
    """The same words in every email: only the date tells them apart."""
    body = "Ricochet made $412,000 on the West desk."
    sender = f"{email_id}@corp.example"
    return Email(id=email_id, date=day, sender=sender, subject="Ricochet results", body=body)


_PERIOD_EMAILS = [
    _monthly("july", datetime(2023, 7, 31, tzinfo=UTC)),
    _monthly("reported", datetime(2023, 8, 20, tzinfo=UTC)),  # within the grace after July
    _monthly("october", datetime(2023, 10, 3, tzinfo=UTC)),
    _monthly("june", datetime(2023, 6, 28, tzinfo=UTC)),
    Email(
        id="undated", subject="Ricochet undated", body="Ricochet made $412,000 on the West desk."
    ),
]


def test_emails_outside_the_period_a_question_is_about_count_for_less():
    pool = EvidencePool(
        Corpus([*_PERIOD_EMAILS, *_filler(8)]), "What did Ricochet make in July 2023?"
    )
    pool.add([email.id for email in _PERIOD_EMAILS])
    scores = dict(pool.ranked())
    for inside in ("reported", "undated"):
        assert scores[inside] == pytest.approx(scores["july"])
    assert PERIOD_PRIOR < 1.0
    for outside in ("october", "june"):
        assert scores[outside] < scores["july"]
        assert scores[outside] == pytest.approx(PERIOD_PRIOR * scores["july"])
        assert pool.coverage(outside) == pytest.approx(PERIOD_PRIOR * pool.coverage("july"))


@pytest.mark.parametrize(
    "question",
    ["What did Ricochet make since July 2023?", "What did Ricochet make each month?"],
)
def test_a_question_with_an_open_or_no_period_weighs_every_date_alike(question):
    pool = EvidencePool(Corpus([*_PERIOD_EMAILS, *_filler(8)]), question)
    pool.add([email.id for email in _PERIOD_EMAILS])
    scores = dict(pool.ranked())
    assert len(scores) == len(_PERIOD_EMAILS)
    assert all(score == pytest.approx(scores["july"]) for score in scores.values())
