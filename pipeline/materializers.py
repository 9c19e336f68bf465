"""How a `Corpus` is stored in the ZenML artifact store, and the lazy corpus steps get back.

`CorpusMaterializer` writes the corpus once as Parquet (`corpus.parquet`, row groups in date order)
plus a small `corpus.json` (email count, fingerprint, date range), and reports the corpus
fingerprint as the artifact's content hash, so an unchanged corpus keeps downstream caches valid.
A corpus that is already a Parquet file (`StoredCorpus`, e.g. from an isolated ingestion) is
copied byte for byte, never loaded.

Loading returns a `tools.stored.StoredCorpus` over the artifact's Parquet file, so a chunk step
loads only its own slice, whatever the corpus size and wherever the artifact store lives.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import IO, Any, ClassVar

from zenml.enums import ArtifactType
from zenml.materializers.base_materializer import BaseMaterializer

from tools.models import Corpus
from tools.stored import StoredCorpus, corpus_summary

PARQUET_NAME = "corpus.parquet"
SUMMARY_NAME = "corpus.json"
COPY_BUFFER_BYTES = 1 << 20


class CorpusMaterializer(BaseMaterializer):
    """Stores a `Corpus` as Parquet; loads it back as a lazy `StoredCorpus`."""

    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (Corpus,)
    ASSOCIATED_ARTIFACT_TYPE: ClassVar[ArtifactType] = ArtifactType.DATA

    def _summary(self, data: Corpus, fingerprint: str | None = None) -> dict[str, Any]:
        """One fingerprint pass per saved corpus (none when `save` got it from writing the
        file), shared by save, hash and metadata."""
        cached = getattr(self, "_cached_summary", None)
        if cached is None or cached[0] is not data:
            self._cached_summary = (data, corpus_summary(data, fingerprint))
        return self._cached_summary[1]

    def load(self, data_type: type[Any]) -> StoredCorpus:
        with self.artifact_store.open(os.path.join(self.uri, SUMMARY_NAME), "r") as handle:
            summary = json.load(handle)
        parquet_path = os.path.join(self.uri, PARQUET_NAME)
        store = self.artifact_store

        def opener() -> IO[bytes]:
            return store.open(parquet_path, "rb")

        return StoredCorpus(opener, summary, path=parquet_path)

    def save(self, data: Corpus) -> None:
        fingerprint = None  # a stored corpus has it in its summary
        with self.artifact_store.open(os.path.join(self.uri, PARQUET_NAME), "wb") as handle:
            if isinstance(data, StoredCorpus):
                with data.open_parquet() as stored:
                    shutil.copyfileobj(stored, handle, COPY_BUFFER_BYTES)
            else:
                fingerprint = data.write_parquet(handle)  # computed from the digests it writes
        with self.artifact_store.open(os.path.join(self.uri, SUMMARY_NAME), "w") as handle:
            json.dump(self._summary(data, fingerprint), handle)

    def compute_content_hash(self, data: Corpus) -> str:
        return str(self._summary(data)["fingerprint"])

    def extract_metadata(self, data: Corpus) -> dict[str, Any]:
        summary = self._summary(data)
        return {
            "emails": summary["emails"],
            "first_date": summary["first_date"] or "",
            "last_date": summary["last_date"] or "",
        }
