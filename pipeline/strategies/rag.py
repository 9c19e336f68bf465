"""The `rag` baseline: retrieve the top-k emails for the question, then one model call over them.

Retrieval ranks by cosine similarity to the question's embedding when the corpus has an
`EmbeddingIndex` (the endpoint's /v1/embeddings), else by BM25 (`tools.ranking`); which one was
used, and why, is recorded with the answer.
"""

from __future__ import annotations

import numpy as np

from pipeline.agent import prompts
from pipeline.agent.llm import LLMClient
from pipeline.agent.schemas import LLMCallRecord
from pipeline.strategies.answer import StrategyAnswer, ask
from pipeline.strategies.embeddings import EmbeddingIndex, unit_rows
from tools.models import Corpus
from tools.ranking import BM25Index, query_terms

RAG_EXCERPT_CHARS = 2_000  # body characters per retrieved email


def retrieve(
    corpus: Corpus,
    question: str,
    k: int,
    index: EmbeddingIndex | None,
    client: LLMClient | None,
    usd_per_mtok: float | None = None,
) -> tuple[list[str], str, list[LLMCallRecord], str]:
    """(top-k ids best first, "embeddings" | "bm25", the calls made, why BM25 if it was)."""
    calls: list[LLMCallRecord] = []
    if index is not None and index.available and client is not None and index.ids:
        vectors, record = client.embed([question], index.model, usd_per_mtok)
        calls.append(record)
        if vectors is not None and len(vectors[0]) == index.dimensions:
            scores = index.matrix() @ unit_rows(vectors)[0]
            order = np.argsort(-scores, kind="stable")[:k]
            return [index.ids[i] for i in order], "embeddings", calls, ""
        if vectors is not None:
            why = (
                f"the question's embedding has {len(vectors[0])} dimensions, the corpus index "
                f"{index.dimensions}: {index.model} changed on the endpoint"
            )
        else:
            why = f"the question could not be embedded: {record.error}"
    else:
        why = index.reason if index is not None and not index.available else "no embedding index"
    ranked = BM25Index.for_corpus(corpus).top(query_terms(question) or [question], k)
    return [email_id for email_id, _ in ranked], "bm25", calls, why


def answer_rag(
    corpus: Corpus,
    question: str,
    client: LLMClient,
    k: int,
    index: EmbeddingIndex | None,
    usd_per_mtok: float | None = None,
) -> StrategyAnswer:
    ids, method, calls, why = retrieve(corpus, question, k, index, client, usd_per_mtok)
    emails = [email for email in (corpus.get(i) for i in ids) if email is not None]
    lines = [prompts.email_line(email, RAG_EXCERPT_CHARS) for email in emails]
    detail = {"retrieval": method, "top_k": k, "retrieved_ids": ids}
    if why:
        detail["retrieval_note"] = why
    messages = prompts.rag_messages(question=question, lines=lines, total=len(corpus))
    answer = ask(client, messages, ids, detail)
    answer.calls = calls + answer.calls
    return answer
