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
