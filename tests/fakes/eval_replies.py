"""The fake model's side of the evaluation (a TEST DOUBLE, not a model): cited answers for the
direct and RAG prompts, the answer judge, and a stable hash embedding for `/v1/embeddings`.

- `answer` (`CitedAnswer`): ranks the `[id: X]` lines of the prompt by how many of the
  question's key words they contain and cites the best (at most MAX_CITED_IDS, none if no line
  shares a word);
- `judge` (`AnswerJudgement`): correct when the candidate repeats at least half of the
  reference's words of four letters or more;
- embeddings: every word of the text (stopwords dropped) hashed (blake2b) to one of EMBEDDING_DIMENSIONS signed
  buckets, the sum L2-normalised; the same text always gives the same vector, and texts that
  share words are close.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
from typing import Any

from tests.fakes.replies import STOPWORDS

EMBEDDING_DIMENSIONS = 256
MAX_CITED_IDS = 5
_ID_LINE = re.compile(r"^[ \t]*\[id:\s*([^\]\n]+?)\s*\](.*)$", re.MULTILINE)
_TAG = {
    name: re.compile(rf"<{name}>(.*?)</{name}>", re.DOTALL) for name in ("reference", "candidate")
}
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str, minimum: int = 3) -> set[str]:
    """The distinct words of `text` of `minimum` letters or more, stopwords dropped."""
    return {w for w in _WORD.findall(text.lower()) if len(w) >= minimum and w not in STOPWORDS}


def answer_reply(facts: Any, prompt: str) -> dict[str, Any]:
    """A `CitedAnswer` for a direct or RAG prompt (`facts` is replies.PromptFacts)."""
    terms = set(facts.key_terms(limit=6))
    scored = []
    for position, (email_id, text) in enumerate(_ID_LINE.findall(prompt)):
        overlap = len(terms & _words(text))
        if overlap:
            scored.append((-overlap, position, email_id))
    cited = [email_id for _, _, email_id in sorted(scored)[:MAX_CITED_IDS]]
    question = facts.question or "the question"
    if not cited:
        return {"answer": f"No email shown answers {question!r}.", "confidence": "low",
                "cited_ids": []}  # fmt: skip
    return {
        "answer": f"Regarding {question!r}: {len(cited)} emails bear on it, first {cited[0]}.",
        "confidence": "high" if len(cited) >= 3 else "medium",
        "cited_ids": cited,
    }


def judge_reply(prompt: str) -> dict[str, Any]:
    """An `AnswerJudgement`: shared long words between the reference and the candidate."""
    found = {name: (tag.findall(prompt) or [""])[-1] for name, tag in _TAG.items()}
    reference = _words(found["reference"], minimum=4)
    shared = reference & _words(found["candidate"], minimum=4)
    correct = bool(reference) and len(shared) * 2 >= len(reference)
    return {"correct": correct, "reason": f"{len(shared)} of {len(reference)} reference words."}


def hash_embedding(text: str, dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    vector = [0.0] * dimensions
    for word in _words(text):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        bucket = int.from_bytes(digest[:4], "big") % dimensions
        vector[bucket] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def embeddings_payload(body: Any) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON payload) for a POST /v1/embeddings request body."""
    texts = body.get("input") if isinstance(body, dict) else None
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        message = "'input' must be a string or a non-empty list of strings (fake server)."
        return 400, {"error": {"message": message, "type": "invalid_request_error",
                               "param": "input", "code": None}}  # fmt: skip
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, text in enumerate(texts):
        vector = hash_embedding(text)
        encoded: Any = vector
        if as_base64:
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(max(1, len(text) // 4) for text in texts)
    return 200, {
        "object": "list",
        "data": data,
        "model": str(body.get("model", "")),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
