"""Admission control for chunk steps that share one process.

ZenML's local orchestrator runs every chunk step as a thread of one process, so ten chunks of a
half-million-email corpus would hold ten slices and ten search indexes at once (about 370 MB per
50K emails). A chunk step therefore reserves an estimate of its memory from a process-wide
`MemoryBudget` before it loads its slice, and waits while the chunks already running hold too
much. A chunk is always admitted when nothing else is reserved, so one chunk larger than the
whole budget still runs (alone). Small corpora never wait: their chunks fit many times over.

On a stack that runs each step in its own process or pod (Kubernetes), each process holds one
chunk and the budget never binds. `RLM_CHUNK_MEMORY_MB` sets the budget (default 1536; 0 turns
the control off).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pyarrow.parquet as pq

from tools.env import megabytes_from_env
from tools.models import Corpus, row_group_spans
from tools.stored import StoredCorpus

BUDGET_ENV = "RLM_CHUNK_MEMORY_MB"
DEFAULT_BUDGET_MB = 1536
# Resident memory of a running chunk per byte of its uncompressed Parquet data (emails, search
# index, ranking), measured at 6.0 on a 51,700-email chunk of generated mail; a chunk with no
# stored data is estimated per email.
BYTES_PER_STORED_BYTE = 6.0
BYTES_PER_EMAIL = 7_500


class MemoryBudget:
    """A weighted semaphore over bytes: `reserve(n)` blocks until n more bytes fit."""

    def __init__(self, capacity_bytes: int):
        self.capacity_bytes = capacity_bytes
        self._reserved = 0
        self._condition = threading.Condition()

    @property
    def reserved_bytes(self) -> int:
        with self._condition:
            return self._reserved

    @contextmanager
    def reserve(self, n_bytes: int, on_wait: Callable[[int], None] | None = None) -> Iterator[None]:
        """Hold `n_bytes` of the budget for the block. `on_wait(reserved_bytes)` is called once,
        before waiting, if the reservation has to wait."""
        n_bytes = max(int(n_bytes), 0)
        with self._condition:
            if self._must_wait(n_bytes) and on_wait is not None:
                on_wait(self._reserved)
            self._condition.wait_for(lambda: not self._must_wait(n_bytes))
            self._reserved += n_bytes
        try:
            yield
        finally:
            with self._condition:
                self._reserved -= n_bytes
                self._condition.notify_all()

    def _must_wait(self, n_bytes: int) -> bool:
        limited = self.capacity_bytes > 0
        return limited and self._reserved > 0 and self._reserved + n_bytes > self.capacity_bytes


CHUNK_MEMORY = MemoryBudget(megabytes_from_env(BUDGET_ENV, DEFAULT_BUDGET_MB, zero_allowed=True))


def estimate_chunk_bytes(corpus: Corpus, start: int, end: int) -> int:
    """Resident memory a chunk over positions [start, end) is expected to need while it runs:
    for a stored corpus from the uncompressed size of those rows, pro rata within each group."""
    if not isinstance(corpus, StoredCorpus):
        return max(end - start, 0) * BYTES_PER_EMAIL
    with corpus.open_parquet() as handle:
        metadata = pq.ParquetFile(handle).metadata
    stored = sum(
        metadata.row_group(span.index).total_byte_size * span.count / span.rows
        for span in row_group_spans(metadata, start, end)
    )
    return int(stored * BYTES_PER_STORED_BYTE)
