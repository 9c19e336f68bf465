"""Embedding index of a corpus for the RAG baseline, from the endpoint's /v1/embeddings.

`build_embedding_index` embeds every email (subject and the start of its body) in batches. When
there is no model, or the endpoint has no embeddings (a 404, an unknown model, ...), the index
comes back unavailable with the reason, and retrieval falls back to BM25. Built once per corpus
content and embedding settings: the `embed_corpus` step that calls it is cached by ZenML.
Vectors are stored L2-normalised as float32 bytes, so cosine similarity is a dot product.
"""

from __future__ import annotations

import base64
import logging

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from pipeline.agent.llm import LLMClient
from pipeline.agent.schemas import LLMCallRecord
from tools.models import Corpus, Email

logger = logging.getLogger(__name__)

EMBED_TEXT_CHARS = 2_000  # per email: subject and the start of the body (~500 tokens)
EMBED_BATCH = 128


class EmbeddingIndex(BaseModel):
    """Unit vectors of every email, or why there are none (`available` False)."""

    model_config = ConfigDict(extra="forbid")

    model: str
    available: bool
    reason: str = ""
    ids: list[str] = Field(default_factory=list)
    dimensions: int = 0
    vectors_b64: str = ""  # float32, row-major, len(ids) x dimensions
    calls: list[LLMCallRecord] = Field(default_factory=list)

    def matrix(self) -> np.ndarray:
        data = np.frombuffer(base64.b64decode(self.vectors_b64), dtype=np.float32)
        return data.reshape(len(self.ids), self.dimensions)


def embed_text(email: Email) -> str:
    return f"{email.subject}\n{email.body}"[:EMBED_TEXT_CHARS]


def unit_rows(vectors: list[list[float]]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def build_embedding_index(
    corpus: Corpus, client: LLMClient | None, model: str, usd_per_mtok: float | None = None
) -> EmbeddingIndex:
    if client is None:
        return EmbeddingIndex(model=model, available=False, reason="no model is configured")
    ids = corpus.column("id")
    emails = list(corpus)
    rows: list[np.ndarray] = []
    calls: list[LLMCallRecord] = []
    for first in range(0, len(emails), EMBED_BATCH):
        texts = [embed_text(email) for email in emails[first : first + EMBED_BATCH]]
        vectors, record = client.embed(texts, model, usd_per_mtok)
        calls.append(record)
        if vectors is None:
            reason = f"the endpoint gave no embeddings: {record.error}"
            logger.info("embeddings unavailable, RAG falls back to BM25: %s", reason)
            return EmbeddingIndex(model=model, available=False, reason=reason, calls=calls)
        rows.append(unit_rows(vectors))
    matrix = np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
    return EmbeddingIndex(
        model=model,
        available=True,
        ids=ids,
        dimensions=int(matrix.shape[1]) if matrix.size else 0,
        vectors_b64=base64.b64encode(matrix.astype(np.float32).tobytes()).decode("ascii"),
        calls=calls,
    )
