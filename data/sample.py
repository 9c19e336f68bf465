"""Where the bundled Northwind sample lives, and typed access to its labelled queries.

``SAMPLE_PATH`` is the JSON array of emails (fields ``from``, ``to``, ``body`` or ``body_html``...)
that the ingestion layer reads like any uploaded JSON file; ``QUERIES_PATH`` holds analyst questions
with the ids of the emails that answer them, used by the evaluation and the benchmarks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DATA_DIR = Path(__file__).resolve().parent
SAMPLE_PATH = DATA_DIR / "sample" / "northwind_mail.json"
QUERIES_PATH = DATA_DIR / "queries.json"
# An independent, Enron-style check set (held out: never used for tuning), see data/enron_style
ENRON_STYLE_PATH = DATA_DIR / "enron_style" / "mail.json"
ENRON_STYLE_QUERIES_PATH = DATA_DIR / "enron_style" / "queries.json"

QueryKind = Literal["needle", "multi_hop", "aggregation", "timeline"]


class LabelledQuery(BaseModel):
    """An analyst question over the sample with its reference answer and evidence emails."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: QueryKind
    question: str
    answer: str
    relevant_ids: list[str] = Field(min_length=1)


def load_queries(path: Path = QUERIES_PATH) -> list[LabelledQuery]:
    """Read and validate the labelled queries; raises ValueError naming the file on bad content."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read labelled queries from {path}: {exc}") from exc
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a JSON array of queries, got {type(raw).__name__}")
    return [LabelledQuery.model_validate(item) for item in raw]


def load_sample_records(path: Path = SAMPLE_PATH) -> list[dict]:
    """The raw email objects of the bundled sample, as stored."""
    return json.loads(path.read_text(encoding="utf-8"))
