"""Step 3 (one per chunk, run concurrently): the bounded agent loop over one slice of the corpus.

The corpus artifact is an input so the lineage is recorded, but the cache policy ignores it:
the cache key is the `ChunkSpec` (whose fingerprint is the hash of this chunk's emails), the
query, the budget and the model settings. Rerunning the same question on the same corpus is
therefore a cache hit for every chunk, and changing one chunk's emails recomputes only it.

Progress is written as step metadata while the loop runs (throttled), which is what the UI polls.
Before loading its slice a chunk reserves its estimated memory (`pipeline.memory`): on the local
orchestrator, where chunk steps share one process, big chunks take turns instead of all holding
their slices at once.
A chunk of at least 20,000 emails runs its loop in a worker process (`pipeline.chunk_processes`),
so concurrent chunks use every core instead of sharing one through the GIL.
Fault injection for tests: `RLM_FAIL_CHUNKS=chunk_01,chunk_03` makes those chunks raise on every
attempt (retries included).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from zenml import log_metadata, step
from zenml.config import CachePolicy, StepRetryConfig

from pipeline import chunk_processes
from pipeline.agent.budget import ChunkProgress
from pipeline.agent.loop import run_chunk
from pipeline.agent.schemas import Trajectory, TrajectoryEvent
from pipeline.memory import CHUNK_MEMORY, estimate_chunk_bytes
from pipeline.metadata import CHUNK_KEY
from pipeline.schemas import Budget, ChunkResult, ChunkSpec, LLMSettings
from tools.env import MEGABYTE
from tools.models import Corpus

logger = logging.getLogger(__name__)

FAIL_CHUNKS_ENV = "RLM_FAIL_CHUNKS"
PROGRESS_INTERVAL_S = 2.0  # each write is a store commit: ~70% of a chunk step at 0.5 s


class InjectedChunkFailure(RuntimeError):
    """Raised for chunks listed in RLM_FAIL_CHUNKS (a test-only fault-injection switch)."""


class ProgressReporter:
    """`on_event` callback: writes the chunk's running totals as step metadata, at most every
    PROGRESS_INTERVAL_S seconds, plus a final write from `finish`."""

    def __init__(
        self, spec: ChunkSpec, llm: LLMSettings, depth: int = 1, parent: str | None = None
    ):
        self.spec = spec
        self.llm = llm
        self.tree = {"depth": depth, "parent": parent}
        self.started = time.monotonic()
        # the step's own status says "running" and the plan gives the range: the first write
        # can wait a full interval, so a short chunk costs one store commit, not three
        self.last_write = self.started

    def __call__(self, event: TrajectoryEvent, progress: ChunkProgress) -> None:
        self.progress(progress)

    def progress(self, progress: ChunkProgress) -> None:
        now = time.monotonic()
        if now - self.last_write < PROGRESS_INTERVAL_S:
            return
        self.last_write = now
        self._write(
            **asdict(progress) | {"status": "running"},
            duration_s=now - self.started,
            mode=self.llm.mode,
            model=self.llm.model if self.llm.mode == "llm" else "deterministic",
        )

    def waiting(self, needed_bytes: int, held_bytes: int) -> None:
        """The chunk waits for memory held by running chunks (see pipeline.memory): one write,
        which the run view shows as "queued"."""
        logger.info(
            "%s waits for memory: needs ~%d MB, running chunks hold %d of %d MB",
            self.spec.id, needed_bytes // MEGABYTE, held_bytes // MEGABYTE,
            CHUNK_MEMORY.capacity_bytes // MEGABYTE,
        )  # fmt: skip
        self._write(status="queued", waiting_for="memory")

    def finish(self, result: ChunkResult) -> None:
        fields = ChunkProgress.__dataclass_fields__
        self._write(
            **result.model_dump(include=set(fields) - {"status"}),
            status="done",
            mode=result.mode,
            model=result.model,
            duration_s=result.duration_s,
            confidence=result.finding.confidence if result.finding else "",
            split_reason=result.split_reason or "",
        )

    def _write(self, **values: Any) -> None:
        spec = self.spec
        base = {
            "chunk_id": spec.id,
            "start": spec.start,
            "end": spec.end,
            "size": spec.size,
            "label": spec.label,
            "sub_question": spec.sub_question,
            **self.tree,
            "model": self.llm.model,
            "updated_at": datetime.now(UTC).isoformat(),
        }
        log_metadata(metadata={CHUNK_KEY: {**base, **values}})


def injected_failures() -> set[str]:
    return {name.strip() for name in os.environ.get(FAIL_CHUNKS_ENV, "").split(",") if name.strip()}


@step(
    cache_policy=CachePolicy(ignored_inputs=["corpus"]),
    # chunk artifacts are read by the UI, not previewed in ZenML's dashboard: skip that work
    enable_artifact_visualization=False,
    enable_artifact_metadata=False,
    retry=StepRetryConfig(max_retries=2, delay=1, backoff=2),
)
def process_chunk(
    corpus: Corpus,
    spec: ChunkSpec,
    query: str,
    budget: Budget,
    llm: LLMSettings,
    depth: int = 1,
    parent: str | None = None,
    may_split: bool = False,
) -> tuple[Annotated[ChunkResult, "chunk_result"], Annotated[Trajectory, "trajectory"]]:
    """`depth`, `parent`: the chunk's place in the run tree; `may_split`: it may ask to be split
    into a child run (pipeline.recursion)."""
    reporter = ProgressReporter(spec, llm, depth, parent)
    if spec.id in injected_failures():
        raise InjectedChunkFailure(f"{spec.id} failed on purpose ({FAIL_CHUNKS_ENV} is set)")
    if spec.fingerprint and corpus.range_fingerprint(spec.start, spec.end) != spec.fingerprint:
        raise RuntimeError(
            f"{spec.id}: emails {spec.start}..{spec.end} no longer match the plan's fingerprint"
        )
    needed = estimate_chunk_bytes(corpus, spec.start, spec.end)
    loop_args: dict[str, Any] = {
        "chunk_id": spec.id,
        "query": query,
        "sub_question": spec.sub_question,
        "settings": llm,
        "budget": budget,
        "may_split": may_split,
    }
    with CHUNK_MEMORY.reserve(needed, on_wait=lambda held: reporter.waiting(needed, held)):
        if chunk_processes.should_use(corpus, spec.start, spec.end):
            result, trajectory = chunk_processes.pool().run(
                chunk_processes.local_parquet(corpus) or "",
                spec.start,
                spec.end,
                on_progress=reporter.progress,
                **loop_args,
            )
        else:
            result, trajectory = run_chunk(
                corpus.slice(spec.start, spec.end), on_event=reporter, **loop_args
            )
    result = result.model_copy(update={"depth": depth, "parent": parent})
    reporter.finish(result)
    return result, trajectory
