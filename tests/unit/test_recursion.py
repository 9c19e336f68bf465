"""Recursion without ZenML: the split rule, how budgets divide down the tree, planning a slice,
a child's report as its parent chunk's finding, and the storyline generator."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from data.generate import generate
from pipeline.agent.schemas import (
    MAX_IDS_PER_CLAIM,
    MAX_RELEVANT_IDS,
    EvidenceItem,
    Finding,
    Reflection,
)
from pipeline.agent.split import MIN_SPLIT_EMAILS, SPLIT_CANDIDATES_FACTOR, split_reason
from pipeline.aggregate import build_report
from pipeline.decompose import make_plan
from pipeline.recursion import (
    MIN_CHILD_CHUNKS,
    Scope,
    budget_spent,
    child_allowances,
    child_budget,
    chunks_to_plan,
    may_split,
    model_call_cap,
    with_child_report,
    without_child,
)
from pipeline.schemas import (
    TOTAL_CHUNKS_CAP,
    Budget,
    ChunkResult,
    LLMSettings,
    Report,
    ReportFinding,
    RunTotals,
)
from tools.models import Corpus, Email
from tools.stored import StoredCorpus, corpus_summary

LIMIT = SPLIT_CANDIDATES_FACTOR * 12


def _reflection(split: bool) -> Reflection:
    return Reflection(sufficient=False, reason="too many to read", next_focus=None, split=split)


def _result(chunk_id: str, matches: int = 10, **update) -> ChunkResult:
    fields = dict(chunk_id=chunk_id, start=0, end=100, sub_question="q", status="ok",
                  mode="deterministic", model="deterministic", matches=matches)  # fmt: skip
    return ChunkResult(**{**fields, **update})


@pytest.mark.parametrize(
    ("candidates", "size", "splits"),
    [
        (LIMIT + 1, MIN_SPLIT_EMAILS, True),
        (LIMIT, MIN_SPLIT_EMAILS, False),  # not more than several times what a summary reads
        (LIMIT + 1, MIN_SPLIT_EMAILS - 1, False),  # too small a chunk to be worth a child
    ],
)
def test_the_no_model_rule(candidates: int, size: int, splits: bool) -> None:
    reason = split_reason(_reflection(False), with_model=False, candidates=candidates,
                          chunk_size=size)  # fmt: skip
    assert (reason is not None) == splits
    if splits:
        assert str(candidates) in reason and str(size) in reason


def test_with_a_model_its_split_answer_decides() -> None:
    assert split_reason(_reflection(True), with_model=True, candidates=0, chunk_size=50)
    assert split_reason(_reflection(False), with_model=True, candidates=10**6,
                        chunk_size=10**6) is None  # fmt: skip


def test_max_depth_and_chunk_cap_are_clamped_in_one_place() -> None:
    assert Budget().clamped().max_depth == 1
    assert Budget(max_depth=9).clamped().max_depth == 3
    assert Budget(max_depth=0).clamped().max_depth == 1
    assert Budget().clamped().max_total_chunks == TOTAL_CHUNKS_CAP
    assert Budget(max_total_chunks=10**6).clamped().max_total_chunks == TOTAL_CHUNKS_CAP


def test_depth_one_never_splits_and_plans_max_chunks() -> None:
    budget = Budget(max_chunks=10)
    assert chunks_to_plan(budget, Scope()) == 10
    assert not may_split(budget, Scope(), 10)


def test_chunk_allowance_divides_down_the_tree() -> None:
    budget = Budget(max_chunks=10, max_depth=3).clamped()
    planned = chunks_to_plan(budget, Scope())
    assert planned == 10 and may_split(budget, Scope(), planned)
    splitting = [_result(f"chunk_{i:02d}", matches=i) for i in range(planned)]
    shares = child_allowances(budget, planned, splitting)
    assert sum(shares.values()) <= TOTAL_CHUNKS_CAP - planned
    assert all(share >= MIN_CHILD_CHUNKS for share in shares.values())
    # a depth-2 child that may recurse again keeps half of its share for its own children
    child = Budget(max_chunks=10, max_depth=3, max_total_chunks=shares["chunk_09"])
    child_planned = chunks_to_plan(child, Scope(depth=2))
    assert child_planned <= shares["chunk_09"]
    # when the allowance cannot pay for every split, the chunks with most matches go first
    tight = Budget(max_chunks=10, max_depth=2, max_total_chunks=14)
    shares = child_allowances(tight, 10, splitting)
    assert set(shares) == {"chunk_09", "chunk_08"} and set(shares.values()) == {2}


def test_token_and_usd_shares_go_to_the_child_minus_what_the_chunk_spent() -> None:
    budget = Budget(max_depth=2, max_tokens_total=10_000, max_usd_total=1.0)
    per_chunk = budget.model_copy(update={"max_tokens_per_chunk": 2_000, "max_usd_per_chunk": 0.2})
    spent = _result("chunk_00", input_tokens=900, output_tokens=100, cost_usd=0.05)
    child = child_budget(budget, per_chunk, spent, allowance=4)
    assert child.max_tokens_total == 1_000 and child.max_usd_total == pytest.approx(0.15)
    assert child.max_total_chunks == 4 and child.max_tokens_per_chunk is None
    assert budget_spent(child) is None
    broke = _result("chunk_00", input_tokens=2_500)
    assert "token" in budget_spent(child_budget(budget, per_chunk, broke, allowance=4))


def test_model_call_cap_counts_every_chunk_and_run() -> None:
    flat = Budget(max_chunks=4, max_iterations=6, max_total_chunks=4)
    assert model_call_cap(flat) == 4 * 6 + 2
    deep = Budget(max_depth=2, max_iterations=6)
    assert model_call_cap(deep) == TOTAL_CHUNKS_CAP * 6 + 2 * (1 + TOTAL_CHUNKS_CAP // 2)


def _corpus(count: int) -> Corpus:
    from datetime import UTC, datetime, timedelta

    start = datetime(2001, 1, 1, tzinfo=UTC)
    return Corpus(
        Email(
            id=f"e{n:04d}",
            sender="a@x.example",
            subject=f"s{n}",
            body="b",
            date=start + timedelta(hours=n),
        )  # fmt: skip
        for n in range(count)
    )


def test_a_child_plans_its_slice_with_tree_ids_and_whole_corpus_positions() -> None:
    corpus = _corpus(400)
    plan, calls = make_plan(corpus, "q", 3, LLMSettings(), span=[100, 250], id_prefix="chunk_01_")
    assert calls == []
    assert [c.id for c in plan.chunks] == ["chunk_01_00", "chunk_01_01", "chunk_01_02"]
    assert plan.chunks[0].start == 100 and plan.chunks[-1].end == 250
    for spec in plan.chunks:
        assert spec.fingerprint == corpus.range_fingerprint(spec.start, spec.end)


def test_a_child_plans_a_stored_corpus_from_its_own_rows_read_once(tmp_path) -> None:
    corpus = _corpus(400)
    corpus.write_parquet(str(tmp_path / "c.parquet"), row_group_size=64)
    stored = StoredCorpus.from_file(tmp_path / "c.parquet", corpus_summary(corpus))
    assert stored.column_range("date", 100, 250) == corpus.column("date")[100:250]
    assert stored.column_range("id", 390, 500) == corpus.column("id")[390:]
    reads: list[tuple[str, int, int]] = []
    read = stored.column_range

    def counted(name: str, start: int, end: int) -> list:
        reads.append((name, start, end))
        return read(name, start, end)

    stored.column_range = counted  # type: ignore[method-assign]
    stored.column = None  # type: ignore[assignment]  # a child never reads a whole column
    plan, _ = make_plan(stored, "q", 3, LLMSettings(), span=[100, 250], id_prefix="chunk_01_")
    expected, _ = make_plan(corpus, "q", 3, LLMSettings(), span=[100, 250], id_prefix="chunk_01_")
    assert plan == expected
    assert reads and len(reads) == len(set(reads)) and all(r[1:] == (100, 250) for r in reads)


def _child_report() -> Report:
    return Report(
        query="q", summary="Three emails.", mode="deterministic", model="deterministic",
        findings=[ReportFinding(text="one", confidence="high", evidence_ids=["e1", "e2"]),
                  ReportFinding(text="two", confidence="medium", evidence_ids=["e3"])],
        cited_ids=["e1", "e2", "e3"], chunk_ids=["chunk_00_00", "chunk_00_01"],
        totals=RunTotals(llm_calls=7, input_tokens=100, output_tokens=10, cost_usd=0.5),
    )  # fmt: skip


def test_the_child_report_becomes_the_chunk_finding_with_costs_added() -> None:
    parent = _result("chunk_00", llm_calls=3, input_tokens=50, cost_usd=0.25,
                     split_reason="many matches")  # fmt: skip
    merged = with_child_report(parent, _child_report(), "run-id", "run-name")
    assert merged.finding.relevant_ids == ["e1", "e2", "e3"]
    assert [item.email_ids for item in merged.finding.evidence] == [["e1", "e2"], ["e3"]]
    assert merged.finding.confidence == "high"
    assert (merged.llm_calls, merged.input_tokens, merged.cost_usd) == (10, 150, 0.75)
    assert merged.child_run_id == "run-id" and merged.sub_chunks == ["chunk_00_00", "chunk_00_01"]


def _wide_child_report(ids: list[str]) -> Report:
    """A child report citing more ids than any model reply may hold (`Finding`, `Synthesis`)."""
    findings = [ReportFinding(text="x" * 900, confidence="medium", evidence_ids=ids[n::3])
                for n in range(3)]  # fmt: skip
    return _child_report().model_copy(update={"findings": findings, "cited_ids": ids})


def test_a_child_citing_more_than_a_model_reply_holds_keeps_every_citation() -> None:
    ids = [f"e{n}" for n in range(90)]
    assert len(ids) > MAX_RELEVANT_IDS and len(ids) // 3 > MAX_IDS_PER_CLAIM
    merged = with_child_report(_result("chunk_00"), _wide_child_report(ids), "r", "n")
    stored = ChunkResult.model_validate_json(merged.model_dump_json())  # as an artifact
    assert stored.finding.relevant_ids == ids
    assert sorted(i for item in stored.finding.evidence for i in item.email_ids) == sorted(ids)
    with pytest.raises(ValidationError):  # the model's reply schema stays bounded
        Finding.model_validate(stored.finding.model_dump())


def test_the_report_keeps_every_citation_of_a_child_in_both_merges(llm_server, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-recursion")
    ids = [f"e{n}" for n in range(90)]
    child = with_child_report(_result("chunk_00", split_reason="x"), _wide_child_report(ids),
                              "r", "n")  # fmt: skip
    leaf = _result("chunk_01", finding=Finding(
        answer="a", confidence="high", relevant_ids=["f1"],
        evidence=[EvidenceItem(claim="leaf claim", email_ids=["f1"])]))  # fmt: skip
    merged = build_report([child, leaf], [], "list every email", LLMSettings())
    assert set(ids) | {"f1"} <= set(merged.cited_ids)
    # the fake model's synthesis cites only what its prompt shows and what its reply may hold
    llm = LLMSettings(mode="llm", model="gpt-4o-mini", base_url=llm_server.base_url)
    synthesized = build_report([child, leaf], [], "list every email", llm)
    assert llm_server.chat_requests("synthesize")  # a real synthesis call was made
    assert set(ids) <= set(synthesized.cited_ids)
    assert len(synthesized.cited_ids) == len(set(synthesized.cited_ids))


def test_report_keeps_child_citations_names_sub_chunks_and_a_failed_child() -> None:
    merged = with_child_report(_result("chunk_00", split_reason="x"), _child_report(), "r", "n")
    failed = without_child(_result("chunk_01", split_reason="x"), "RuntimeError: boom", "child")
    report = build_report([merged, failed], [], "q", LLMSettings())
    assert {"e1", "e2", "e3"} <= set(report.cited_ids)
    assert report.chunk_ids == ["chunk_00_00", "chunk_00_01", "chunk_01"]
    assert any("chunk_01" in gap and "boom" in gap for gap in report.evidence_gaps)
    assert any(f.text.startswith("chunk_00 (split into 2 sub-chunks)") for f in report.findings)


def test_no_model_summaries_name_the_sub_chunk_that_answered_instead_of_nesting() -> None:
    """A depth-3 tree without a model: each child report's summary becomes its parent chunk's
    answer, yet the top report reads like a one-level one, naming the deepest answering chunk."""
    leaf_answer = "The strongest evidence is 'Katy easement' from Carol Reyes on 2000-06-14."
    grandchild = _child_report().model_copy(update={"summary": (
        "2 of 2 chunks found relevant emails. Strongest answer (chunk_00_01_01, high "
        f"confidence): {leaf_answer}")})  # fmt: skip
    child = with_child_report(_result("chunk_00_01", split_reason="x"), grandchild, "r2", "n2")
    child_report = build_report([child, _result("chunk_00_00")], [], "q", LLMSettings())
    assert child_report.summary == (
        "1 of 2 chunks found relevant emails. Strongest answer (chunk_00_01_01, high "
        f"confidence): {leaf_answer}"
    )
    top = with_child_report(_result("chunk_00", split_reason="x"), child_report, "r1", "n1")
    report = build_report([top], [], "q", LLMSettings())
    assert report.summary.count("chunks found relevant emails") == 1, report.summary
    assert report.summary.endswith(f"(chunk_00_01_01, high confidence): {leaf_answer}")
    (finding,) = report.findings
    assert (
        finding.text
        == f"chunk_00 (split into {len(top.sub_chunks)} sub-chunks; strongest chunk_00_01_01): "
        f"{leaf_answer}"
    )
    # a model's summary is kept as it is
    llm_child = _child_report().model_copy(update={"summary": "Carol Reyes raised it first."})
    llm_top = with_child_report(_result("chunk_00", split_reason="x"), llm_child, "r", "n")
    (llm_finding,) = build_report([llm_top], [], "q", LLMSettings()).findings
    assert llm_finding.text == "chunk_00 (split into 2 sub-chunks): Carol Reyes raised it first."


def test_generator_plants_a_storyline_spread_over_the_corpus(tmp_path) -> None:
    out = tmp_path / "mail.jsonl"
    plain = tmp_path / "plain.jsonl"
    sidecar = generate(out, 3_000, storyline=150)
    generate(plain, 3_000)
    ids = sidecar["storyline"]["ids"]
    assert len(ids) == 150 and len(set(ids)) == 150
    positions = sorted(int(i.split("-")[1]) for i in ids)
    assert positions[0] < 100 and positions[-1] > 2_900  # spread over the whole corpus
    records = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert all("Katy storage expansion easement" in records[i]["body"] for i in ids)
    others = [json.loads(line) for line in plain.read_text().splitlines()]
    unchanged = [r for r in others if r["id"] not in set(ids)]
    assert all(records[r["id"]] == r for r in unchanged)  # only the storyline emails differ
