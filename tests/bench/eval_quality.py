"""Answer quality of the deterministic (no-key) agent on the labelled sample queries.

For every query in data/queries.json the bundled Northwind sample is split into N contiguous date
chunks (default 1: the whole corpus as one chunk), each chunk runs the real agent loop
(`run_chunk`, deterministic mode), and the union of the ids the chunks cite (`Finding.relevant_ids`)
is scored against the query's `relevant_ids`. Prints per-query, per-kind and micro precision and
recall as Markdown tables.

    python -m tests.bench.eval_quality               # one chunk
    python -m tests.bench.eval_quality --chunks 4    # four date chunks, cited ids unioned
    python -m tests.bench.eval_quality --chunks 1 --chunks 4 --max-iterations 6
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from data.sample import SAMPLE_PATH, LabelledQuery, load_queries
from pipeline.agent.loop import run_chunk
from pipeline.schemas import Budget, LLMSettings
from tools.ingest.decode import html_to_text
from tools.models import Corpus, Email

TARGET_RECALL = 0.85
TARGET_PRECISION = 0.6


@dataclass
class QueryScore:
    query: LabelledQuery
    cited: list[str]
    hits: int
    seconds: float

    @property
    def precision(self) -> float:
        return self.hits / len(self.cited) if self.cited else 0.0

    @property
    def recall(self) -> float:
        return self.hits / len(self.query.relevant_ids)


def load_sample_corpus() -> Corpus:
    """The bundled sample as a Corpus (its JSON fields map one to one onto `Email`)."""
    records = json.loads(SAMPLE_PATH.read_text(encoding="utf-8"))
    emails = []
    for record in records:
        body = record.get("body") or html_to_text(record.get("body_html") or "")
        emails.append(
            Email(
                id=record["id"],
                date=datetime.fromisoformat(record["date"]),
                sender=record.get("from") or "",
                to=tuple(record.get("to") or ()),
                cc=tuple(record.get("cc") or ()),
                bcc=tuple(record.get("bcc") or ()),
                subject=record.get("subject") or "",
                body=body,
                message_id=record.get("message_id"),
                in_reply_to=record.get("in_reply_to"),
                thread_id=record.get("thread_id"),
                folder=record.get("folder"),
            )
        )
    return Corpus(emails)


def date_chunks(corpus: Corpus, n: int) -> list[Corpus]:
    size = len(corpus)
    return [corpus.slice(size * i // n, size * (i + 1) // n) for i in range(n)]


def evaluate(
    corpus: Corpus, queries: list[LabelledQuery], chunks: int, budget: Budget
) -> list[QueryScore]:
    settings = LLMSettings(mode="deterministic")
    parts = date_chunks(corpus, chunks)
    scores = []
    for query in queries:
        started = time.perf_counter()
        cited: dict[str, None] = {}
        for index, part in enumerate(parts):
            result, _ = run_chunk(
                part,
                chunk_id=f"chunk_{index:02d}",
                query=query.question,
                sub_question=query.question,
                settings=settings,
                budget=budget,
            )
            if result.finding is not None:
                cited.update(dict.fromkeys(result.finding.relevant_ids))
        relevant = set(query.relevant_ids)
        hits = sum(1 for email_id in cited if email_id in relevant)
        scores.append(QueryScore(query, list(cited), hits, time.perf_counter() - started))
    return scores


def _row(name: str, cited: int, relevant: int, hits: int) -> str:
    precision = hits / cited if cited else 0.0
    recall = hits / relevant if relevant else 0.0
    return f"| {name} | {cited} | {relevant} | {hits} | {precision:.2f} | {recall:.2f} |"


def report(scores: list[QueryScore], chunks: int) -> tuple[float, float]:
    header = "| {} | cited | relevant | hits | precision | recall |\n|---|---:|---:|---:|---:|---:|"
    print(f"\n## Deterministic mode, {chunks} chunk(s)\n")
    print(header.format("query (kind)"))
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for score in scores:
        kind = score.query.kind
        cited, relevant = len(score.cited), len(score.query.relevant_ids)
        print(_row(f"{score.query.id} ({kind})", cited, relevant, score.hits))
        for i, value in enumerate((cited, relevant, score.hits)):
            by_kind[kind][i] += value
    print()
    print(header.format("kind"))
    for kind, (cited, relevant, hits) in by_kind.items():
        print(_row(kind, cited, relevant, hits))
    cited = sum(len(s.cited) for s in scores)
    relevant = sum(len(s.query.relevant_ids) for s in scores)
    hits = sum(s.hits for s in scores)
    print(_row("**micro total**", cited, relevant, hits))
    precision, recall = (hits / cited if cited else 0.0), hits / relevant
    verdict = (
        "PASS" if recall >= TARGET_RECALL and precision >= TARGET_PRECISION else "BELOW TARGET"
    )
    seconds = sum(s.seconds for s in scores)
    print(
        f"\nmicro precision {precision:.3f}, micro recall {recall:.3f} "
        f"(target recall >= {TARGET_RECALL} at precision >= {TARGET_PRECISION}): {verdict}; "
        f"{seconds:.2f} s for {len(scores)} queries"
    )
    return precision, recall


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, action="append", help="date chunks (repeatable)")
    parser.add_argument("--max-iterations", type=int, default=6, help="decisions per chunk (2-12)")
    args = parser.parse_args(argv)
    corpus = load_sample_corpus()
    queries = load_queries()
    budget = Budget(max_iterations=args.max_iterations).clamped()
    print(
        f"{len(corpus)} sample emails, {len(queries)} labelled queries, budget {budget.max_iterations}"
    )
    for chunks in args.chunks or [1]:
        report(evaluate(corpus, queries, chunks, budget), chunks)


if __name__ == "__main__":
    main()
