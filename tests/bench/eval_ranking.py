"""Ranking quality of the deterministic (no-key) agent over the evidence each question gathers.

`eval_quality` scores the cited ids, which mixes two things: how well the evidence is ranked and
where the cut-off falls. This benchmark scores the ranking alone: for every labelled query the
bundled sample runs through the real agent loop (`run_chunk`, deterministic mode, one chunk) and
the chunk's final evidence ranking (`EvidencePool.ranked`, the list the cut-off reads) is scored
against the query's `relevant_ids`: the rank of every relevant email, average precision, and
recall@5 / recall@8, per query and for the tuning half (q01-q12), the held-out half (q13-q18)
and all queries. No cut-off can cite more relevant emails at a precision than the ranking puts
above the wrong ones. `--set enron` ranks over the Enron-style check set instead (all of it one
held-out group, never used for tuning).

    python -m tests.bench.eval_ranking
    python -m tests.bench.eval_ranking --set enron
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from data.sample import LabelledQuery
from pipeline.agent.deterministic import DeterministicPlanner
from pipeline.agent.evidence import EvidencePool
from pipeline.agent.loop import run_chunk
from pipeline.schemas import Budget, LLMSettings
from tests.bench.eval_quality import EVAL_SETS, EvalSet

DEPTHS = (5, 8)


@dataclass
class RankingScore:
    query: LabelledQuery
    ranks: list[int]  # 0-based rank of every relevant email found in the evidence, ascending

    @property
    def average_precision(self) -> float:
        hits = sum((n + 1) / (rank + 1) for n, rank in enumerate(self.ranks))
        return hits / len(self.query.relevant_ids)

    def found_within(self, depth: int) -> int:
        return sum(1 for rank in self.ranks if rank < depth)


@contextmanager
def recorded_pools() -> Iterator[list[EvidencePool]]:
    """Every deterministic summary's evidence pool, in order (a bench-only hook)."""
    pools: list[EvidencePool] = []
    original = DeterministicPlanner.summarize

    def summarize(planner: DeterministicPlanner):  # type: ignore[no-untyped-def]
        pools.append(planner.pool)
        return original(planner)

    DeterministicPlanner.summarize = summarize  # type: ignore[method-assign]
    try:
        yield pools
    finally:
        DeterministicPlanner.summarize = original  # type: ignore[method-assign]


def evaluate(
    queries: list[LabelledQuery], budget: Budget, eval_set: EvalSet = EVAL_SETS["northwind"]
) -> list[RankingScore]:
    corpus = eval_set.corpus()
    settings = LLMSettings(mode="deterministic")
    scores = []
    for query in queries:
        with recorded_pools() as pools:
            run_chunk(
                corpus,
                chunk_id="chunk_00",
                query=query.question,
                sub_question=query.question,
                settings=settings,
                budget=budget,
            )
        ranked = [email_id for email_id, score in pools[-1].ranked() if score > 0]
        relevant = set(query.relevant_ids)
        scores.append(RankingScore(query, [n for n, i in enumerate(ranked) if i in relevant]))
    return scores


def _summary(name: str, scores: list[RankingScore]) -> str:
    relevant = sum(len(s.query.relevant_ids) for s in scores)
    recalls = [sum(s.found_within(depth) for s in scores) / relevant for depth in DEPTHS]
    mean_ap = sum(s.average_precision for s in scores) / len(scores)
    cells = " | ".join(f"{recall:.2f}" for recall in recalls)
    return f"| {name} | {relevant} | {cells} | {mean_ap:.3f} |"


def report(scores: list[RankingScore], eval_set: EvalSet = EVAL_SETS["northwind"]) -> None:
    depths = " | ".join(f"recall@{depth}" for depth in DEPTHS)
    print(f"| query (kind) | relevant | {depths} | AP / MAP |")
    print("|---|---:|" + "---:|" * len(DEPTHS) + "---:|")
    for score in scores:
        name = f"{score.query.id} ({score.query.kind}), ranks {score.ranks}"
        print(_summary(name, [score]))
    if eval_set.held_out is None:
        print(_summary(f"held-out set (all {len(scores)}, never tuned on)", scores))
    else:
        tuning = [s for s in scores if s.query.id not in eval_set.held_out]
        held_out = [s for s in scores if s.query.id in eval_set.held_out]
        print(_summary("tuning half (q01-q12)", tuning))
        print(_summary("held-out half (q13-q18)", held_out))
    print(_summary("**all**", scores))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iterations", type=int, default=6, help="decisions per chunk (2-12)")
    parser.add_argument(
        "--set", dest="eval_set", choices=EVAL_SETS, default="northwind", help="labelled set"
    )
    args = parser.parse_args(argv)
    eval_set = EVAL_SETS[args.eval_set]
    budget = Budget(max_iterations=args.max_iterations).clamped()
    report(evaluate(eval_set.queries(), budget, eval_set), eval_set)


if __name__ == "__main__":
    main()
