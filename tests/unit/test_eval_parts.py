"""The evaluation's plain parts: question sets (JSON, CSV, refusal of unknown ids), metrics, the
direct baseline's context packing, RAG retrieval (embeddings from the fake, BM25 fallback), the
lexical judge, and the fake server's embeddings."""

from __future__ import annotations

import json

import pytest

from pipeline.eval.metrics import figures, score_cell, summarize
from pipeline.eval.questions import (
    QuestionSetError,
    check_against_corpus,
    load_question_set,
    parse_question_set,
)
from pipeline.eval.schemas import CellResult
from tools.models import Corpus, Email

QUESTIONS = [
    {"id": "a1", "kind": "needle", "question": "Who?", "answer": "Ann", "relevant_ids": ["e1"]},
    {"id": "a2", "kind": "timeline", "question": "When?", "relevant_ids": ["e2", "e3"]},
]


def _corpus(n: int = 6) -> Corpus:
    return Corpus(
        Email(id=f"e{i}", subject=f"Valve report {i}" if i % 2 else f"Lunch {i}",
              body=("The valve corrosion was bad. " if i % 2 else "Pizza on Friday. ") * 20)
        for i in range(1, n + 1)
    )  # fmt: skip


def test_json_and_csv_question_sets_read_the_same(tmp_path):
    (tmp_path / "q.json").write_text(json.dumps(QUESTIONS))
    (tmp_path / "q.csv").write_text(
        "id,kind,question,answer,relevant_ids\na1,needle,Who?,Ann,e1\na2,timeline,When?,,e2; e3\n"
    )
    assert load_question_set(tmp_path / "q.json") == load_question_set(tmp_path / "q.csv")
    spaces = parse_question_set("id,kind,question,relevant_ids\nx,k,Q?,e1 e2  e3\n", "s.csv")
    assert spaces[0].relevant_ids == ["e1", "e2", "e3"] and spaces[0].answer is None


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("{not json", "bad.json", "bad.json: invalid JSON at line 1"),
        ('{"id": "a"}', "obj.json", "expected a JSON list of questions, got a JSON object"),
        ("[]", "empty.json", "empty.json: the question set is empty"),
        ('[{"id": "a", "kind": "k", "question": "Q", "relevant_ids": []}]', "n.json",
         "n.json, question 1: relevant_ids"),
        ("id,question\n1,Q\n", "h.csv", "the CSV header lacks kind, relevant_ids"),
        ("id,kind,question,relevant_ids\na,k,Q,e1\na,k,Q2,e2\n", "d.csv", "used twice: a"),
    ],
)  # fmt: skip
def test_bad_question_sets_say_what_and_where(text, name, expected):
    with pytest.raises(QuestionSetError, match=expected.replace("?", r"\?")):
        parse_question_set(text, name)


def test_a_set_citing_ids_outside_the_corpus_is_refused_with_every_offending_id():
    questions = parse_question_set(json.dumps(QUESTIONS), "q.json")
    check_against_corpus(questions, ["e1", "e2", "e3"])
    with pytest.raises(QuestionSetError) as error:
        check_against_corpus(questions, ["e2"])
    assert "2 relevant id(s)" in str(error.value)
    assert "a1: e1" in str(error.value) and "a2: e3" in str(error.value)


def _cell(strategy, qid, relevant, cited, cost=0.01, latency=1.0, calls=1, kind="needle"):
    return CellResult(question_id=qid, kind=kind, strategy=strategy, question="?",
                      relevant_ids=relevant, cited_ids=cited, cost_usd=cost,
                      latency_s=latency, llm_calls=calls)  # fmt: skip


def test_metrics_micro_and_macro_by_hand():
    cells = [
        _cell("rag", "q1", ["a", "b"], ["a", "x", "a"]),  # cited counted once: 1 hit of 2 cited
        _cell("rag", "q2", ["c", "d", "e", "f"], ["c", "d", "e"], latency=3.0, kind="timeline"),
        _cell("rag", "q3", ["g"], [], latency=2.0),
    ]
    assert score_cell(cells[0]).cited_ids == ["a", "x"]
    result = figures(cells)
    assert result.micro_recall == pytest.approx(4 / 7)
    assert result.micro_precision == pytest.approx(4 / 5)
    assert result.macro_recall == pytest.approx((1 / 2 + 3 / 4 + 0) / 3)
    assert result.macro_precision == pytest.approx((1 / 2 + 1 + 0) / 3)
    assert result.f1 == pytest.approx(2 * (4 / 7) * (4 / 5) / (4 / 7 + 4 / 5))
    assert result.cost_usd == pytest.approx(0.03) and result.p50_latency_s == 2.0
    assert result.p95_latency_s == pytest.approx(2.9) and result.llm_calls == 3
    summary = summarize(cells, model="m", mode="llm")
    assert set(summary.by_kind["rag"]) == {"needle", "timeline"}
    assert summary.by_kind["rag"]["timeline"].micro_recall == pytest.approx(3 / 4)


def test_an_unknown_price_makes_the_cost_unknown_not_zero():
    cells = [_cell("rlm", "q1", ["a"], ["a"]), _cell("rlm", "q2", ["b"], ["b"], cost=None)]
    result = figures(cells)
    assert result.cost_usd is None and not result.cost_known and result.p95_cost_usd is None
    failed = _cell("rlm", "q3", ["c"], ["c"]).model_copy(update={"status": "failed"})
    assert score_cell(failed).recall == 0.0 and figures([failed]).failed == 1


def test_direct_context_keeps_whole_emails_in_date_order_and_records_what_was_left_out():
    from pipeline.strategies.direct import pack_context

    corpus = _corpus(6)
    everything = pack_context(corpus, "valve?", 100_000)
    assert everything.shown_ids == corpus.ids and everything.left_out_ids == []
    small = pack_context(corpus, "valve?", 2_000)
    assert small.shown_ids == corpus.ids[: len(small.shown_ids)]
    assert small.shown_ids and small.left_out_ids == corpus.ids[len(small.shown_ids) :]
    assert all(line.endswith("bad." if "Valve" in line else "Friday.") for line in small.lines)


def test_rag_retrieves_by_fake_embeddings_and_falls_back_to_bm25(make_llm_server):
    from pipeline.agent.llm import LLMClient
    from pipeline.schemas import LLMSettings
    from pipeline.strategies.embeddings import build_embedding_index
    from pipeline.strategies.rag import retrieve

    corpus = _corpus(6)
    for embeddings in (True, False):
        server = make_llm_server(embeddings=embeddings)
        client = LLMClient(LLMSettings(mode="llm", base_url=server.base_url))
        index = build_embedding_index(corpus, client, "fake-embedding")
        ids, method, calls, why = retrieve(corpus, "valve corrosion", 3, index, client)
        assert set(ids) == {"e1", "e3", "e5"}, method
        if embeddings:
            assert index.available and index.matrix().shape == (6, 256)
            assert method == "embeddings" and len(calls) == 1 and why == ""
            # an index built when the endpoint's model had other dimensions is not trusted
            stale = index.model_copy(update={"dimensions": 64})
            assert retrieve(corpus, "valve corrosion", 3, stale, client)[1] == "bm25"
        else:
            assert not index.available and "404" in index.reason
            assert method == "bm25" and calls == [] and "404" in why


def test_the_fake_embedding_is_stable_and_lexical():
    from tests.fakes.eval_replies import embeddings_payload, hash_embedding

    assert hash_embedding("valve corrosion report") == hash_embedding("valve corrosion report")

    def cosine(a: str, b: str) -> float:
        return sum(x * y for x, y in zip(hash_embedding(a), hash_embedding(b), strict=True))

    assert cosine("valve corrosion", "the valve corrosion survey") > cosine("valve", "pizza")
    status, payload = embeddings_payload({"input": 3})
    assert status == 400 and "input" in payload["error"]["message"]


def test_the_lexical_judge_checks_the_reference_facts():
    from pipeline.eval.judge import judge_answer, key_facts

    reference = "38% wall loss found by Carlos Ibarra on March 14, 2023."
    assert key_facts(reference) == ["38%", "carlos", "ibarra", "march", "14", "2023"]
    right = judge_answer("q", reference, "Ibarra found 38% loss on March 14, 2023", None)
    assert right[:2] == (True, "lexical")
    assert judge_answer("q", reference, "Nobody found anything.", None)[0] is False
    assert judge_answer("q", None, "anything", None)[:2] == (None, "none")
