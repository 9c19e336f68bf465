"""Merging chunk results into a report, and rendering it safely (no ZenML)."""

from __future__ import annotations

import pytest

from pipeline.agent.schemas import EvidenceItem, Finding, LLMCallRecord, Synthesis, SynthesisFinding
from pipeline.aggregate import build_report, compute_totals, deterministic_merge, percentile
from pipeline.report_render import anchor_id, md_text, render_html, render_markdown
from pipeline.schemas import (
    Budget,
    ChunkResult,
    FailedChunk,
    LLMSettings,
    Report,
    ReportFinding,
    chunk_budget,
)
from tools.models import Email

DETERMINISTIC = LLMSettings()
LLM = LLMSettings(mode="llm", model="gpt-4o-mini", base_url="http://127.0.0.1:9")


def chunk(
    chunk_id: str, confidence: str, claims: dict[str, list[str]], cost: float = 0.0, calls: int = 0
) -> ChunkResult:
    finding = Finding(
        answer=f"answer of {chunk_id}",
        confidence=confidence,
        evidence=[EvidenceItem(claim=c, email_ids=ids) for c, ids in claims.items()],
        relevant_ids=[i for ids in claims.values() for i in ids],
    )
    return ChunkResult(
        chunk_id=chunk_id,
        start=0,
        end=10,
        sub_question="q",
        status="ok",
        mode="deterministic",
        model="deterministic",
        finding=finding,
        cost_usd=cost,
        llm_calls=calls,
    )


class ScriptedClient:
    """Stands in for LLMClient: returns one scripted reply and remembers the prompt."""

    def __init__(self, parsed):
        self.parsed = parsed
        self.messages = None

    def parse(self, messages, schema, *, purpose, max_tokens=None):
        from pipeline.agent.llm import LLMReply

        self.messages = messages
        record = LLMCallRecord(
            model="m", purpose=purpose, input_tokens=10, output_tokens=5, cost_usd=0.01
        )
        if self.parsed is None:
            record = record.model_copy(update={"error": "HTTP 500 from server"})
        return LLMReply(parsed=self.parsed, record=record)


def test_deterministic_merge_keeps_the_runs_strongest_citations():
    results = [
        chunk("chunk_00", "low", {"weak claim": ["a1"]}),
        chunk("chunk_01", "high", {"strong claim": ["b1"], "strong, well supported": ["b2", "b3"]}),
    ]
    report = deterministic_merge(
        results, [FailedChunk(chunk_id="chunk_02", error="boom")], "who and what?", DETERMINISTIC
    )
    # a low-confidence chunk's guess loses to a high-confidence chunk's evidence
    assert [f.text for f in report.findings] == ["strong claim", "strong, well supported"]
    assert report.cited_ids == ["b1", "b2", "b3"]
    assert "a1" not in report.cited_ids
    assert "2 of 3 chunks" in report.summary and "chunk_01" in report.summary


def test_synthesis_drops_invented_ids_and_names_failed_chunks():
    results = [chunk("chunk_00", "high", {"c": ["real-1", "real-2"]})]
    synthesis = Synthesis(
        summary="It was Ann.",
        confidence="high",
        findings=[
            SynthesisFinding(
                text="Ann raised it", confidence="high", evidence_ids=["real-1", "invented-9"]
            ),
            SynthesisFinding(
                text="Only invented", confidence="medium", evidence_ids=["invented-7"]
            ),
        ],
        evidence_gaps=[],
    )
    client = ScriptedClient(synthesis)
    failed = [FailedChunk(chunk_id="chunk_01", error="RuntimeError: boom")]
    report = build_report(results, failed, "who?", LLM, client=client)
    assert [f.evidence_ids for f in report.findings] == [["real-1"]]
    assert report.cited_ids == ["real-1"]
    assert any("invented-9" in gap and "invented-7" in gap for gap in report.evidence_gaps)
    assert any("chunk_01" in gap and "boom" in gap for gap in report.evidence_gaps)
    assert report.failed_chunks == failed
    prompt = client.messages[-1]["content"]
    assert "<task>synthesize</task>" in prompt and "<question>who?</question>" in prompt
    assert "[id: real-1]" in prompt and "chunk_01" in prompt
    assert report.totals.llm_calls == 1 and report.totals.chunks == 2


def test_failed_synthesis_falls_back_to_deterministic_merge():
    results = [chunk("chunk_00", "medium", {"claim": ["x1"]})]
    report = build_report(results, [], "q", LLM, client=ScriptedClient(None))
    assert report.findings[0].evidence_ids == ["x1"]
    assert any("HTTP 500" in gap for gap in report.evidence_gaps)


def test_totals_and_percentiles():
    results = [
        chunk(f"chunk_{i:02d}", "low", {}, cost=c, calls=n)
        for i, (c, n) in enumerate([(0.1, 2), (0.2, 4), (0.3, 6), (1.0, 8)])
    ]
    totals = compute_totals(
        results,
        [FailedChunk(chunk_id="chunk_09", error="x")],
        [LLMCallRecord(model="m", cost_usd=0.5, input_tokens=7)],
    )
    assert totals.chunks == 5 and totals.chunks_ok == 4 and totals.chunks_failed == 1
    assert totals.llm_calls == 21 and totals.input_tokens == 7
    assert abs(totals.cost_usd - 2.1) < 1e-9
    assert abs(totals.p50_cost_usd - 0.25) < 1e-9
    assert totals.p95_llm_calls == percentile([2, 4, 6, 8], 95) and 7 < totals.p95_llm_calls <= 8
    assert percentile([], 50) == 0.0


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)> [click](javascript:alert(3))"


def hostile_report() -> Report:
    return Report(
        query=HOSTILE,
        summary=HOSTILE,
        findings=[
            ReportFinding(text=HOSTILE, confidence="high", evidence_ids=['id"><script>x</script>'])
        ],
        cited_ids=['id"><script>x</script>'],
        evidence_gaps=[HOSTILE],
        failed_chunks=[FailedChunk(chunk_id="chunk_01", error=HOSTILE)],
        mode="llm",
        model="m",
    )


def test_html_report_escapes_all_email_and_model_text():
    email = Email(id='id"><script>x</script>', subject=HOSTILE, body=HOSTILE, sender=HOSTILE)
    page = render_html(hostile_report(), {email.id: email})
    assert "<script" not in page.replace("&lt;script", "")
    assert "<img" not in page
    assert 'href="javascript' not in page
    hrefs = [part.split('"')[0] for part in page.split('href="')[1:]]
    assert hrefs and all(h.startswith("#email-") for h in hrefs)
    assert f"id='{anchor_id(email.id)}'" in page
    assert "chunk_01" in page


def test_markdown_report_neutralises_html_and_links():
    text = render_markdown(hostile_report())
    assert "<script" not in text and "<img" not in text
    assert "](javascript:" not in text and "javascript:" not in text
    assert "\\[click\\]" in text
    assert md_text("a & b") == "a &amp; b"
    assert "chunk\\_01" in text


def test_synthesis_is_skipped_once_the_run_cap_is_spent():
    results = [chunk("chunk_00", "high", {"c": ["real-1"]}, cost=0.02, calls=2)]
    client = ScriptedClient(
        Synthesis(summary="s", confidence="high", findings=[], evidence_gaps=[])
    )
    report = build_report(results, [], "q", LLM, client=client, budget=Budget(max_usd_total=0.01))
    assert client.messages is None  # no synthesis call was made
    assert report.cited_ids == ["real-1"]
    assert any("USD cap ($0.01) is spent" in gap for gap in report.evidence_gaps)


def test_run_cap_left_after_planning_is_shared_with_one_share_for_the_synthesis():
    plan_call = LLMCallRecord(model="m", input_tokens=900, output_tokens=100, cost_usd=0.5)
    budget = Budget(max_tokens_total=9_000, max_usd_total=2.5)
    per_chunk = chunk_budget(budget, 3, spent=[plan_call])
    assert per_chunk.max_tokens_per_chunk == (9_000 - 1_000) // 4
    assert per_chunk.max_usd_per_chunk == pytest.approx((2.5 - 0.5) / 4)
    assert chunk_budget(Budget(), 3) == Budget()  # no run caps: nothing changes
