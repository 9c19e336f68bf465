"""Run and step metadata, each write packed under one key.

ZenML stores one row per metadata key, so the cost of a `log_metadata` call grows with its keys:
on the local SQLite store a 20-key write takes about 160 ms and a one-key write about 10 ms
(measured with zenml 0.98), and concurrent chunk steps queue behind each other's writes. Every
write here therefore puts its fields in one dictionary under one key: the dashboard shows it as
one entry holding the same fields. `unpack` reads them back, also from runs recorded with flat
keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RUN_KEY = "rlm_run"  # written when the run starts: query, source, budget, model, process
TOTALS_KEY = "rlm_totals"  # written when it ends: totals and p50/p95 per chunk
CHUNK_KEY = "rlm_chunk"  # every chunk step: range, sub-question, progress, status
CORPUS_KEY = "rlm_corpus"  # load_corpus: source, emails, date range, problems
LIBRARY_KEY = "rlm_library"  # the corpus a run used: library id, reused or ingested, sha256
LINKS_KEY = "rlm_links"  # on an original run: the reruns and follow-ups started from it
STALE_KEY = "rlm_stale"  # a dead run marked failed: why it was judged dead, and when


def unpack(metadata: Mapping[str, Any] | None, *keys: str) -> dict[str, Any]:
    """The fields of `metadata`, the dictionaries under `keys` merged over any flat keys."""
    fields = dict(metadata or {})
    for key in keys:
        nested = fields.get(key)
        if isinstance(nested, Mapping):
            fields.update(nested)
    return fields
