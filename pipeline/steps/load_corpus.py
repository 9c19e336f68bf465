"""Step 1: ingest the source file into a `Corpus` artifact (stored as Parquet by
`CorpusMaterializer`). Never cached: the file is always re-read, but the artifact's content hash
is the corpus fingerprint, so an unchanged corpus keeps every downstream cache valid.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Annotated

from zenml import log_metadata, step
from zenml.io import fileio

from pipeline.materializers import CorpusMaterializer
from tools.ingest import ingest_path
from tools.models import Corpus

logger = logging.getLogger(__name__)

PROBLEMS_SHOWN = 5


@contextlib.contextmanager
def local_path(source: str) -> Iterator[str]:
    """A local path for `source`: itself when local, else a temporary copy fetched through the
    artifact store's filesystem (s3://, gs://, ... on remote stacks). The copy keeps the file
    name, since ingestion picks the format from the extension."""
    if os.path.exists(source) or "://" not in source:
        yield source
        return
    with tempfile.TemporaryDirectory(prefix="rlm-source-") as folder:
        target = os.path.join(folder, os.path.basename(source.rstrip("/")) or "source")
        with fileio.open(source, "rb") as remote, open(target, "wb") as local:
            shutil.copyfileobj(remote, local)
        yield target


@step(enable_cache=False, output_materializers=CorpusMaterializer)
def load_corpus(
    source: str, source_fingerprint: str, max_bytes: int
) -> Annotated[Corpus, "corpus"]:
    """Ingest `source`; `source_fingerprint` (sha256 of the file) is recorded for provenance."""
    with local_path(source) as path:
        result = ingest_path(path, max_bytes=max_bytes)
    corpus = result.corpus
    dates = corpus.date_range()
    problems = [str(p) for p in result.problems]
    log_metadata(
        metadata={
            "source": source,
            "source_fingerprint": source_fingerprint,
            "format": str(result.format),
            "emails": len(corpus),
            "first_date": dates[0].isoformat() if dates else "",
            "last_date": dates[1].isoformat() if dates else "",
            "problems": result.rejected_count + result.repaired_count,
            "rejected": result.rejected_count,
            "repaired": result.repaired_count,
            "first_problems": problems[:PROBLEMS_SHOWN],
        }
    )
    logger.info("loaded %d emails from %s (%d problems)", len(corpus), source, len(problems))
    return corpus
