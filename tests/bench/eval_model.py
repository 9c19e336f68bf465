"""Answer quality and failure kinds of LLM mode against a real OpenAI-compatible endpoint.

Every labelled question in data/queries.json (or a subset) runs the way a pipeline run does, at
loop level and without ZenML: the model decomposes the bundled sample into `--chunks` chunks
(`pipeline.decompose.make_plan`), every chunk runs the real agent loop (`run_chunk`) with the
model (chunks concurrently, as the pipeline does), and the report is the model's synthesis
(`pipeline.aggregate.build_report`). The report's cited ids are scored against the labels.

Printed per question and in total: recall, precision, model calls, call latency (p50 / p95 /
max), wall time, and the failure kinds seen:

- `schema_error`: a reply that did not validate against its schema (including over-long fields);
- `truncated`: a reply cut at `max_tokens` (runaway output);
- `call_error`: timeouts, HTTP and connection errors, refusals;
- `fallback`: a decision the deterministic planner made because the model's failed (plan,
  reflection, summary, synthesis) or a decomposition repaired or replaced;
- `dropped_ids`: ids the model cited that were not in its chunk (or in any chunk's findings);
- `ignored_args`: tool-call arguments the tool does not use (junk in the trajectory).

It needs a running endpoint and is never part of the test suite. The local model is slow, so
`--queries` picks a subset and the budgets default small:

    python -m tests.bench.eval_model --base-url http://127.0.0.1:8080/v1 --model local \
        --queries q01,q06,q11,q15 --chunks 2 --max-iterations 3
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from data.sample import LabelledQuery, load_queries
from pipeline.agent.llm import LLMClient
from pipeline.agent.loop import run_chunk
from pipeline.agent.schemas import LLMCallRecord, Trajectory
from pipeline.aggregate import build_report
from pipeline.decompose import make_plan
from pipeline.schemas import Budget, ChunkResult, LLMSettings, Report
from tests.bench.common import load_average, percentile
from tests.bench.eval_quality import HELD_OUT, load_sample_corpus
from tools.models import Corpus

FAILURE_KINDS = (
    "schema_error",
    "truncated",
    "call_error",
    "fallback",
    "dropped_ids",
    "ignored_args",
)
# Which argument each tool reads; anything else in a tool call's args is junk.
TOOL_ARGS = {
    "grep": {"pattern"},
    "count": {"pattern"},
    "sender": {"name"},
    "recipient": {"name"},
    "date": {"start", "end"},
}


class RecordingClient(LLMClient):
    """An LLMClient that keeps the record of every call it makes (all threads)."""

    def __init__(self, settings: LLMSettings) -> None:
        super().__init__(settings)
        self.records: list[LLMCallRecord] = []

    def parse(self, messages, schema, *, purpose, max_tokens=None):  # type: ignore[override]
        reply = super().parse(messages, schema, purpose=purpose, max_tokens=max_tokens)
        self.records.append(reply.record)  # list.append is atomic under the GIL
        return reply


@dataclass
class ModelScore:
    """One question's outcome through the model."""

    query_id: str
    kind: str
    relevant: int
    cited: int
    hits: int
    calls: int
    latencies_s: list[float]
    seconds: float
    failures: Counter = field(default_factory=Counter)
    plan_source: str = ""


def call_failure(record: LLMCallRecord) -> str | None:
    """The failure kind of one model call record, None when it worked."""
    if not record.error:
        return None
    if "did not match schema" in record.error or "reply was empty" in record.error:
        return "schema_error"
    if "truncated" in record.error:
        return "truncated"
    return "call_error"


def trajectory_failures(trajectory: Trajectory) -> Counter:
    """Fallbacks, dropped ids and ignored tool arguments a chunk's trajectory shows."""
    found: Counter = Counter()
    for event in trajectory.events:
        if event.kind == "ids_dropped":
            found["dropped_ids"] += len(event.matched_ids)
        if event.kind in ("plan", "reflect") and "fallback" in event.detail:
            found["fallback"] += 1
        if event.kind == "summarize" and (event.reason or "").startswith("model summary failed"):
            found["fallback"] += 1
        if event.kind == "tool_call" and event.tool in TOOL_ARGS:
            found["ignored_args"] += len(set(event.args) - TOOL_ARGS[event.tool])
    return found


def report_failures(report: Report) -> Counter:
    found: Counter = Counter()
    for gap in report.evidence_gaps:
        if gap.startswith("model synthesis unavailable"):
            found["fallback"] += 1
        elif "cited by the synthesis but by no chunk were dropped" in gap:
            found["dropped_ids"] += int(gap.split(" ", 1)[0])
    if report.plan_source in ("repaired", "deterministic"):
        found["fallback"] += 1
    return found


def evaluate_query(
    corpus: Corpus, query: LabelledQuery, settings: LLMSettings, budget: Budget
) -> ModelScore:
    """One question through decomposition, concurrent chunk loops and the synthesis."""
    started = time.perf_counter()
    client = RecordingClient(settings)
    plan, plan_calls = make_plan(corpus, query.question, budget.max_chunks, settings, client)

    def run(spec) -> tuple[ChunkResult, Trajectory]:
        return run_chunk(
            corpus.slice(spec.start, spec.end),
            chunk_id=spec.id,
            query=query.question,
            sub_question=spec.sub_question,
            settings=settings,
            budget=budget,
            client=client,
        )

    with ThreadPoolExecutor(max_workers=len(plan.chunks)) as pool:
        outcomes = list(pool.map(run, plan.chunks))
    results = [result for result, _ in outcomes]
    report = build_report(
        results, [], query.question, settings, plan, plan_calls, client, corpus, budget
    )
    records = client.records
    failures = Counter(kind for r in records if (kind := call_failure(r)))
    for _, trajectory in outcomes:
        failures.update(trajectory_failures(trajectory))
    failures.update(report_failures(report))
    relevant = set(query.relevant_ids)
    return ModelScore(
        query_id=query.id,
        kind=query.kind,
        relevant=len(relevant),
        cited=len(report.cited_ids),
        hits=sum(1 for email_id in report.cited_ids if email_id in relevant),
        calls=len(records),
        latencies_s=[r.latency_s for r in records],
        seconds=time.perf_counter() - started,
        failures=failures,
        plan_source=plan.source,
    )


def _row(name: str, scores: list[ModelScore]) -> str:
    cited = sum(s.cited for s in scores)
    relevant = sum(s.relevant for s in scores)
    hits = sum(s.hits for s in scores)
    latencies = [x for s in scores for x in s.latencies_s] or [0.0]
    failures: Counter = sum((s.failures for s in scores), Counter())
    shown = ", ".join(f"{k} {failures[k]}" for k in FAILURE_KINDS if failures[k]) or "none"
    return (
        f"| {name} | {hits / relevant if relevant else 0:.2f} | {hits / cited if cited else 0:.2f}"
        f" | {sum(s.calls for s in scores)} | {percentile(latencies, 50):.1f} / "
        f"{percentile(latencies, 95):.1f} / {max(latencies):.1f} | "
        f"{sum(s.seconds for s in scores):.0f} | {shown} |"
    )


def print_table(scores: list[ModelScore], settings: LLMSettings, budget: Budget) -> None:
    print(
        f"\n## LLM mode, model {settings.model} at {settings.base_url}, "
        f"{budget.max_chunks} chunk(s), {budget.max_iterations} calls per chunk\n"
    )
    print(
        "| question | recall | precision | calls | call latency p50 / p95 / max (s) "
        "| wall (s) | failures |\n|---|---:|---:|---:|---|---:|---|"
    )
    for score in scores:
        print(_row(f"{score.query_id} ({score.kind}, plan {score.plan_source})", [score]))
    tuning = [s for s in scores if s.query_id not in HELD_OUT]
    held_out = [s for s in scores if s.query_id in HELD_OUT]
    if tuning and held_out:
        print(_row("tuning half", tuning))
        print(_row("held-out half", held_out))
    print(_row("**total**", scores))
    print(f"\nload average {load_average()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="OpenAI-compatible endpoint (.../v1)")
    parser.add_argument("--model", required=True, help="model name the endpoint serves")
    parser.add_argument("--queries", default="", help="comma-separated ids (default: all 18)")
    parser.add_argument("--chunks", type=int, default=2, help="max chunks per question (1-10)")
    parser.add_argument("--max-iterations", type=int, default=3, help="model calls per chunk")
    parser.add_argument("--timeout-s", type=float, default=300.0, help="per HTTP attempt")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON too")
    args = parser.parse_args(argv)
    wanted = [q.strip() for q in args.queries.split(",") if q.strip()]
    queries = [q for q in load_queries() if not wanted or q.id in wanted]
    missing = sorted(set(wanted) - {q.id for q in queries})
    if missing:
        parser.error(f"unknown query ids: {', '.join(missing)}")
    settings = LLMSettings(
        mode="llm",
        model=args.model,
        base_url=args.base_url,
        timeout_s=args.timeout_s,
        max_retries=0,
    )
    budget = Budget(max_chunks=args.chunks, max_iterations=args.max_iterations).clamped()
    corpus = load_sample_corpus()
    scores = []
    for query in queries:
        score = evaluate_query(corpus, query, settings, budget)
        print(_row(score.query_id, [score]), flush=True)
        scores.append(score)
    print_table(scores, settings, budget)
    if args.json:
        print(json.dumps([asdict(s) for s in scores], default=str))


if __name__ == "__main__":
    main()
