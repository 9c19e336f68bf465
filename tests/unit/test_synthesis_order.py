"""The synthesis prompt lists the chunks whose evidence covers most of the question first, so a
needle found by the last chunk is not the last thing the model reads."""

from __future__ import annotations

from pipeline.agent.schemas import EvidenceItem, Finding
from pipeline.aggregate import strongest_first, synthesis_messages
from pipeline.schemas import ChunkResult

QUESTION = "On what date does the Amber Sextant option expire?"


def _result(chunk_id: str, claim: str, email_id: str) -> ChunkResult:
    finding = Finding(
        answer=f"answer of {chunk_id}",
        confidence="high",
        evidence=[EvidenceItem(claim=claim, email_ids=[email_id])],
        relevant_ids=[email_id],
    )
    return ChunkResult(chunk_id=chunk_id, start=0, end=10, sub_question="q", status="ok",
                       mode="llm", model="m", finding=finding)  # fmt: skip


def test_the_chunk_covering_most_of_the_question_comes_first() -> None:
    results = [
        _result("chunk_00", "Amber Sextant data room access code.", "a1"),
        _result("chunk_01", "Weekly option pricing update.", "b1"),
        _result("chunk_07", "The Amber Sextant option expires on September 18, 2001.", "needle"),
        ChunkResult(
            chunk_id="chunk_08",
            start=0,
            end=1,
            sub_question="q",
            status="ok",
            mode="llm",
            model="m",
            finding=None,
        ),  # fmt: skip
    ]
    ordered = [r.chunk_id for r in strongest_first(results, QUESTION)]
    assert ordered == ["chunk_07", "chunk_00", "chunk_01", "chunk_08"]
    prompt = synthesis_messages(results, [], QUESTION)[1]["content"]
    assert prompt.index("[id: needle]") < prompt.index("[id: a1]") < prompt.index("[id: b1]")


def test_ties_keep_chunk_order() -> None:
    results = [_result(f"chunk_0{n}", "nothing relevant here", f"x{n}") for n in (2, 0, 1)]
    assert [r.chunk_id for r in strongest_first(results, QUESTION)] == [
        "chunk_00", "chunk_01", "chunk_02",
    ]  # fmt: skip


def test_with_the_corpus_the_cited_emails_own_text_decides() -> None:
    from tools.models import Corpus, Email

    corpus = Corpus(
        [
            Email(id="a1", subject="Amber Sextant", body="The data room code is R9."),
            Email(
                id="needle",
                subject="logistics",
                body="The Amber Sextant option expires on September 18, 2001.",
            ),  # fmt: skip
        ]
    )
    results = [  # claims cut short, as a model's or the fake's snippets may be
        _result("chunk_00", "Amber Sextant ...", "a1"),
        _result("chunk_09", "logistics ...", "needle"),
    ]
    assert [r.chunk_id for r in strongest_first(results, QUESTION)][0] == "chunk_00"
    assert [r.chunk_id for r in strongest_first(results, QUESTION, corpus)][0] == "chunk_09"


class _BigCorpus:
    """Stands in for a corpus too large for the report's corpus-wide re-rank."""

    def __init__(self, emails) -> None:
        self._emails = {email.id: email for email in emails}

    def __len__(self) -> int:
        return 517_000

    def get(self, email_id):
        return self._emails.get(email_id)


def test_without_a_corpus_wide_rerank_the_strongest_chunk_leads_the_no_key_report() -> None:
    from pipeline.aggregate import deterministic_merge
    from pipeline.schemas import LLMSettings
    from tools.models import Email

    question = "Who approved the Amber Sextant side payment?"
    emails = [
        Email(id="a1", subject="Amber Sextant", body="The data room code is R9."),
        Email(id="b1", subject="Amber Sextant wire", body="The wire goes to Harbor Trust."),
        Email(
            id="needle",
            subject="re: payments",
            body="The Amber Sextant side payment was approved by Joyce James.",
        ),  # fmt: skip
    ]
    results = [
        _result("chunk_00", "Amber Sextant ...", "a1"),
        _result("chunk_03", "Amber Sextant ...", "b1"),
        _result("chunk_09", "re: payments ...", "needle"),
    ]
    report = deterministic_merge(results, [], question, LLMSettings(), corpus=_BigCorpus(emails))
    assert report.cited_ids[0] == "needle"
    assert deterministic_merge(results, [], question, LLMSettings()).cited_ids[0] == "a1"
