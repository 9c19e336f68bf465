"""Step 1: ingest the source file into a `Corpus` artifact (stored as Parquet by
`CorpusMaterializer`) and enter it in the corpus library (`pipeline.library`: tags and metadata
on the artifact), so later analyses of the same content skip this step altogether. Never cached
by ZenML itself; the artifact's content hash is the corpus fingerprint, so an unchanged corpus
keeps every downstream cache valid.

A file of `RLM_INGEST_ISOLATE_MB` (default 64) or more is ingested in a child process that
writes the Parquet file and exits (`tools.ingest.isolated`): the gigabytes of objects that
reading half a million emails builds are returned to the OS before the chunk steps, which run
in this process, build their indexes. Smaller files are read here, which is faster.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Annotated

from zenml import add_tags, log_metadata, step
from zenml.io import fileio

from pipeline import library
from pipeline.materializers import CorpusMaterializer
from pipeline.metadata import CORPUS_KEY
from tools.env import megabytes_from_env
from tools.ingest import IngestResult, ingest_path
from tools.ingest.isolated import ingest_isolated
from tools.models import Corpus

logger = logging.getLogger(__name__)

PROBLEMS_SHOWN = 5
ISOLATE_ENV = "RLM_INGEST_ISOLATE_MB"
DEFAULT_ISOLATE_MB = 64.0


def ingest(path: str, max_bytes: int) -> IngestResult:
    """Read `path` here, or in a child process when it is large (see the module docstring)."""
    if library.source_size(path) < megabytes_from_env(
        ISOLATE_ENV, DEFAULT_ISOLATE_MB, zero_allowed=True
    ):
        return ingest_path(path, max_bytes=max_bytes)
    folder = tempfile.TemporaryDirectory(prefix="rlm-corpus-")  # removed with the corpus
    target = os.path.join(folder.name, "corpus.parquet")
    logger.info("ingesting %s in a child process", path)
    return ingest_isolated(path, target, max_bytes=max_bytes, keep=folder)


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
        result = ingest(path, max_bytes)
    corpus = result.corpus
    dates = corpus.date_range()
    problems = [str(p) for p in result.problems]
    log_metadata(
        metadata={
            CORPUS_KEY: {
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
        }
    )
    add_tags(
        tags=[library.LIBRARY_TAG, library.source_tag(source_fingerprint)], infer_artifact=True
    )
    size = library.source_size(source)
    log_metadata(
        metadata=library.entry_metadata(source, source_fingerprint, size), infer_artifact=True
    )
    logger.info("loaded %d emails from %s (%d problems)", len(corpus), source, len(problems))
    return corpus
