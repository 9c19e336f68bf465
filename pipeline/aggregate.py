"""Merging chunk results into the run's `Report`: model synthesis when a model is configured,
a deterministic merge otherwise (or when the synthesis call fails), plus run totals.

Every email id in the report is checked against the ids the chunks themselves cited; anything
else the model invents is dropped and noted in `evidence_gaps`. Plain functions, no ZenML.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence

from pipeline import recursion
from pipeline.agent import prompts
from pipeline.agent.citation import GLOBAL_RERANK_MAX_EMAILS, select_report_citations
from pipeline.agent.schemas import LLMCallRecord, Synthesis
from pipeline.schemas import (
    Budget,
    ChunkResult,
    DecompositionPlan,
    FailedChunk,
    LLMSettings,
    Report,
    ReportFinding,
    RunTotals,
)
from tools.models import Corpus
from tools.ranking import analyze

logger = logging.getLogger(__name__)

TEXTS_PER_CHUNK = 3  # cited emails per chunk read to order the synthesis prompt

CONFIDENCE_RANK = {"high": 2, "medium": 1, "low": 0}
MAX_FINDINGS = 12
EVIDENCE_LINES_PER_CHUNK = 12
ANSWER_CHARS = 800
CLAIM_CHARS = 300
SYNTHESIS_MAX_TOKENS = 2_000


def build_report(
    results: Sequence[ChunkResult],
    failed: Sequence[FailedChunk],
    query: str,
    llm: LLMSettings,
    plan: DecompositionPlan | None = None,
    extra_calls: Sequence[LLMCallRecord] = (),
    client=None,
    corpus: Corpus | None = None,
    budget: Budget | None = None,
    context: str = "",
) -> Report:
    """The run's report (`context`: a follow-up's previous question and answer, for the model); `extra_calls` are run-level model calls (decomposition) for the totals.
    `corpus` lets the deterministic merge re-rank the chunks' citations against the whole run;
    `budget`'s run-level caps decide whether a synthesis call is still affordable."""
    results = sorted(results, key=lambda r: r.chunk_id)
    if client is None and llm.mode == "llm":
        from pipeline.agent.llm import make_client

        client = make_client(llm)
    calls = list(extra_calls)
    gaps = [f"{f.chunk_id} was not searched: {f.error}" for f in failed]
    gaps += [
        f"{r.chunk_id} asked to split but has no child report ({r.child_error}); "
        "its own finding is kept"
        for r in results
        if r.child_error
    ]
    report = None
    over_budget = run_budget_spent(budget, results, calls)
    if client is not None and results and over_budget:
        gaps.append(f"{over_budget}; findings merged deterministically without a synthesis call")
    elif client is not None and results:
        reply = client.parse(
            prompts.with_follow_up(synthesis_messages(results, failed, query, corpus), context),
            Synthesis,
            purpose="synthesize",
            max_tokens=synthesis_token_limit(budget, results, calls),
        )
        calls.append(reply.record)
        if reply.parsed is not None:
            report = _from_synthesis(reply.parsed, results, query, llm, gaps)
        else:
            reason = reply.record.error or "reply did not match the Synthesis schema"
            logger.warning("synthesis failed, merging deterministically: %s", reason)
            gaps.append(
                f"model synthesis unavailable ({reason}); findings merged deterministically"
            )
    if report is None:
        report = deterministic_merge(results, failed, query, llm, gaps, corpus=corpus)
    return report.model_copy(
        update={
            "failed_chunks": list(failed),
            "plan_source": plan.source if plan else "",
            "totals": compute_totals(results, failed, calls),
            "chunk_ids": [leaf for r in results for leaf in (r.sub_chunks or [r.chunk_id])],
        }
    )


# --- Run-level budget ---------------------------------------------------------------------------


def _spent(results: Sequence[ChunkResult], calls: Sequence[LLMCallRecord]) -> tuple[int, float]:
    tokens = sum(r.input_tokens + r.output_tokens for r in results)
    tokens += sum(c.input_tokens + c.output_tokens for c in calls)
    usd = sum(r.cost_usd for r in results) + sum(c.cost_usd or 0.0 for c in calls)
    return tokens, usd


def run_budget_spent(
    budget: Budget | None, results: Sequence[ChunkResult], calls: Sequence[LLMCallRecord]
) -> str | None:
    """Why the run's token/USD cap leaves nothing for a synthesis call, or None."""
    if budget is None:
        return None
    tokens, usd = _spent(results, calls)
    if budget.max_tokens_total is not None and tokens >= budget.max_tokens_total:
        return f"the run's token cap ({budget.max_tokens_total:,}) is spent ({tokens:,} used)"
    if budget.max_usd_total is not None and usd >= budget.max_usd_total:
        return f"the run's USD cap (${budget.max_usd_total:g}) is spent (${usd:.4f} used)"
    return None


def synthesis_token_limit(
    budget: Budget | None, results: Sequence[ChunkResult], calls: Sequence[LLMCallRecord]
) -> int | None:
    """The reply-length cap for the synthesis: what is left of the run's token cap, if any."""
    if budget is None or budget.max_tokens_total is None:
        return None
    tokens, _ = _spent(results, calls)
    return max(1, min(SYNTHESIS_MAX_TOKENS, budget.max_tokens_total - tokens))


# --- Deterministic merge -----------------------------------------------------------------------


def deterministic_merge(
    results: Sequence[ChunkResult],
    failed: Sequence[FailedChunk],
    query: str,
    llm: LLMSettings,
    gaps: Sequence[str] = (),
    corpus: Corpus | None = None,
) -> Report:
    """Findings from the chunks' evidence items, keeping only the citations that are strong for
    the whole run (`select_report_citations`), ordered by their strongest cited email. A chunk
    that recursed brings its child report's citations, all of them: its child run chose them."""
    leaves = [r for r in results if not r.sub_chunks]
    ordered = leaves
    if corpus is not None and len(corpus) > GLOBAL_RERANK_MAX_EMAILS:  # no corpus-wide re-rank:
        ordered = strongest_first(leaves, query, corpus)  # the chunks' best cited emails decide
    keep = select_report_citations([(r.chunk_id, r.finding) for r in ordered], query, corpus)
    rank = {email_id: n for n, email_id in enumerate(keep)}
    candidates: list[tuple[int, int, ReportFinding]] = []
    children: list[ReportFinding] = []
    seen: set[str] = set()
    for order, result in enumerate(results):
        finding = result.finding
        if finding is None:
            continue
        if result.sub_chunks:
            if child := recursion.child_report_finding(result):
                children.append(child)
            continue
        for item in finding.evidence:
            text = " ".join(item.claim.split())
            ids = [i for i in _unique(item.email_ids) if i in rank]
            if not text or not ids or text.lower() in seen:
                continue
            seen.add(text.lower())
            candidates.append(
                (
                    min(rank[i] for i in ids),
                    order,
                    ReportFinding(text=text, confidence=finding.confidence, evidence_ids=ids),
                )
            )
    candidates.sort(key=lambda c: c[:2])
    findings = children + [c[2] for c in candidates[:MAX_FINDINGS]]
    answered = [r for r in results if r.finding and r.finding.evidence]
    total = len(results) + len(failed)
    if not answered:
        summary = f"None of the {total} chunks found emails that answer the question."
    else:
        # strongest confidence wins; ties go to the earliest chunk (max keeps the first maximum)
        best = max(answered, key=lambda r: CONFIDENCE_RANK[r.finding.confidence])
        summary = recursion.deterministic_summary(
            len(answered),
            total,
            best.chunk_id,
            best.finding.confidence,
            best.finding.answer,
            from_child=bool(best.sub_chunks),
        )
    return Report(
        query=query,
        summary=summary,
        findings=findings,
        cited_ids=_unique(i for f in findings for i in f.evidence_ids),
        evidence_gaps=list(gaps),
        mode=llm.mode,
        model=llm.model if llm.mode == "llm" else "deterministic",
    )


# --- Model synthesis ---------------------------------------------------------------------------


def synthesis_messages(
    results: Sequence[ChunkResult],
    failed: Sequence[FailedChunk],
    query: str,
    corpus: Corpus | None = None,
) -> list[dict[str, str]]:
    blocks = []
    for result in strongest_first(results, query, corpus):
        finding = result.finding
        head = f"chunk {result.chunk_id} (emails {result.start}..{result.end})"
        # a chunk that recursed speaks for its sub-chunks: as many lines as they would get
        line_limit = EVIDENCE_LINES_PER_CHUNK * max(1, len(result.sub_chunks))
        if finding is None:
            blocks.append(f"{head}: no finding")
            continue
        lines = [
            f"{head}, confidence {finding.confidence}: {_untrusted(finding.answer, ANSWER_CHARS)}"
        ]
        for item in finding.evidence:
            for email_id in item.email_ids:
                if len(lines) > line_limit:
                    break
                lines.append(
                    f"[id: {prompts.neutralise(email_id)}] {_untrusted(item.claim, CLAIM_CHARS)}"
                )
        blocks.append("\n".join(lines))
    failed_text = (
        "\n".join(f"- {f.chunk_id}: {_untrusted(f.error, 200)}" for f in failed) or "(none)"
    )
    user = prompts.SYNTHESIZE_PROMPT.format(
        question=_untrusted(query, prompts.QUESTION_CHARS),
        findings="\n\n".join(blocks) or "(no chunk produced a finding)",
        failed=failed_text,
    )
    return [
        {"role": "system", "content": prompts.SYNTHESIZE_SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def strongest_first(
    results: Sequence[ChunkResult], query: str, corpus: Corpus | None = None
) -> list[ChunkResult]:
    """Chunks ordered by how much of the question their best cited email covers (its share of
    the question's terms), then by chunk id: the synthesis reads the strongest chunks first
    instead of in date order, so a needle in the last chunk is not the last thing it sees.
    With `corpus` the cited emails' own text is read (their first `TEXTS_PER_CHUNK`); without
    it, the evidence claims."""
    terms = set(analyze(query))
    texts = _cited_texts(results, corpus) if terms else {}

    def coverage(result: ChunkResult) -> float:
        if not terms or result.finding is None:
            return 0.0
        finding = result.finding
        cited = _unique(i for item in finding.evidence for i in item.email_ids)
        samples = [texts[i] for i in cited[:TEXTS_PER_CHUNK] if i in texts]
        samples += [item.claim for item in finding.evidence] or [finding.answer]
        return max(len(terms & set(analyze(text))) / len(terms) for text in samples)

    return sorted(results, key=lambda result: (-coverage(result), result.chunk_id))


def _cited_texts(results: Sequence[ChunkResult], corpus: Corpus | None) -> dict[str, str]:
    if corpus is None:
        return {}
    wanted = [
        email_id
        for result in results
        if result.finding is not None
        for email_id in _unique(i for item in result.finding.evidence for i in item.email_ids)[
            :TEXTS_PER_CHUNK
        ]
    ]
    found = corpus.get_many(wanted) if hasattr(corpus, "get_many") else {
        i: email for i in wanted if (email := corpus.get(i)) is not None
    }  # fmt: skip
    return {email_id: email.search_text() for email_id, email in found.items()}


def chunk_cited_ids(results: Iterable[ChunkResult]) -> set[str]:
    """Every id a chunk cited (evidence and relevant ids): the only ids a report may cite."""
    ids: set[str] = set()
    for result in results:
        if result.finding:
            ids.update(result.finding.relevant_ids)
            for item in result.finding.evidence:
                ids.update(item.email_ids)
    return ids


def _from_synthesis(
    synthesis: Synthesis,
    results: Sequence[ChunkResult],
    query: str,
    llm: LLMSettings,
    gaps: list[str],
) -> Report:
    allowed = chunk_cited_ids(results)
    dropped: list[str] = []
    findings = []
    for item in synthesis.findings[:MAX_FINDINGS]:
        ids = _unique(item.evidence_ids)
        kept = [i for i in ids if i in allowed]
        dropped.extend(i for i in ids if i not in allowed)
        if kept and item.text.strip():
            findings.append(
                ReportFinding(text=item.text.strip(), confidence=item.confidence, evidence_ids=kept)
            )
    cited = {i for f in findings for i in f.evidence_ids}
    for result in results:  # a child report's citations stay, whatever the synthesis kept
        if child := recursion.child_report_finding(result, cited):
            findings.append(child)
            cited.update(child.evidence_ids)
    gaps = [*gaps, *(g.strip() for g in synthesis.evidence_gaps if g.strip())]
    if dropped:
        shown = ", ".join(_unique(dropped)[:5])
        gaps.append(
            f"{len(_unique(dropped))} email ids cited by the synthesis but by no chunk were dropped: {shown}"
        )
    summary = f"{synthesis.summary.strip()} (overall confidence: {synthesis.confidence})"
    return Report(
        query=query,
        summary=summary,
        findings=findings,
        cited_ids=_unique(i for f in findings for i in f.evidence_ids),
        evidence_gaps=gaps,
        mode=llm.mode,
        model=llm.model,
    )


# --- Totals ------------------------------------------------------------------------------------


def compute_totals(
    results: Sequence[ChunkResult],
    failed: Sequence[FailedChunk],
    run_calls: Sequence[LLMCallRecord] = (),
) -> RunTotals:
    """Sums over chunks plus run-level calls; p50/p95 are per chunk (successful chunks)."""
    costs = [r.cost_usd for r in results if r.cost_known]  # unknown costs: not in p50/p95
    calls = [float(r.llm_calls) for r in results]
    starts = [r.started_at for r in results if r.started_at]
    ends = [r.ended_at for r in results if r.ended_at]
    return RunTotals(
        chunks=len(results) + len(failed),
        chunks_ok=sum(r.status == "ok" for r in results),
        chunks_failed=len(failed) + sum(r.status == "failed" for r in results),
        llm_calls=sum(r.llm_calls for r in results) + len(run_calls),
        input_tokens=sum(r.input_tokens for r in results) + sum(c.input_tokens for c in run_calls),
        output_tokens=sum(r.output_tokens for r in results)
        + sum(c.output_tokens for c in run_calls),
        cost_usd=sum(r.cost_usd for r in results) + sum(c.cost_usd or 0.0 for c in run_calls),
        cost_known=all(r.cost_known for r in results)
        and all(c.cost_known and c.cost_usd is not None for c in run_calls),
        p50_cost_usd=percentile(costs, 50),
        p95_cost_usd=percentile(costs, 95),
        p50_llm_calls=percentile(calls, 50),
        p95_llm_calls=percentile(calls, 95),
        duration_s=(max(ends) - min(starts)).total_seconds() if starts and ends else 0.0,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _untrusted(text: str, limit: int) -> str:
    return prompts.clip(prompts.neutralise(text or ""), limit)
