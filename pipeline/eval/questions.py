"""Labelled question sets for the evaluation: read from JSON or CSV, checked against a corpus.

The format is `data/queries.json`'s: a JSON list of `{id, kind, question, answer?, relevant_ids}`.
A CSV with the same header works too; its `relevant_ids` cell separates ids with spaces or `;`.
A set that cites email ids the corpus does not hold is refused, naming every offending id.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

_ID_SEPARATOR = re.compile(r"[;\s]+")
CSV_COLUMNS = ("id", "kind", "question", "answer", "relevant_ids")


class QuestionSetError(ValueError):
    """The question set cannot be used; the message says what and where."""


class Question(BaseModel):
    """One labelled question: the emails in `relevant_ids` answer it; `answer` is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answer: str | None = None
    relevant_ids: list[str] = Field(min_length=1)

    @field_validator("id", "kind", "question")
    @classmethod
    def _stripped(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("answer")
    @classmethod
    def _blank_answer_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


def parse_question_set(data: bytes | str, name: str) -> list[Question]:
    """Questions from the bytes of a `.json` or `.csv` file called `name` (JSON when the content
    starts with `[`). Raises QuestionSetError naming the file and the record that is wrong."""
    text = data.decode("utf-8-sig", errors="strict") if isinstance(data, bytes) else data
    if text.lstrip().startswith(("[", "{")) or name.lower().endswith(".json"):
        records = _json_records(text, name)
    else:
        records = _csv_records(text, name)
    questions = []
    for position, record in records:
        try:
            questions.append(Question.model_validate(record))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}"
                for e in error.errors(include_url=False, include_input=False)
            )
            raise QuestionSetError(f"{name}, {position}: {problems}") from None
    if not questions:
        raise QuestionSetError(f"{name}: the question set is empty")
    seen: set[str] = set()
    repeated = [q.id for q in questions if q.id in seen or seen.add(q.id)]
    if repeated:
        raise QuestionSetError(f"{name}: question ids used twice: {', '.join(repeated)}")
    return questions


def load_question_set(path: str | Path) -> list[Question]:
    """Questions from a JSON or CSV file (see `parse_question_set`)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise QuestionSetError(f"cannot read the question set {path}: {error}") from None
    try:
        return parse_question_set(data, path.name)
    except UnicodeDecodeError:
        raise QuestionSetError(f"{path.name}: not UTF-8 text") from None


def unknown_ids(questions: Iterable[Question], corpus_ids: Iterable[str]) -> dict[str, list[str]]:
    """Per question id, the relevant ids that are not in the corpus (only questions with some)."""
    known = set(corpus_ids)
    missing = {q.id: [i for i in q.relevant_ids if i not in known] for q in questions}
    return {question_id: ids for question_id, ids in missing.items() if ids}


def check_against_corpus(questions: Iterable[Question], corpus_ids: Iterable[str]) -> None:
    """Raise QuestionSetError listing every relevant id the corpus does not hold."""
    missing = unknown_ids(questions, corpus_ids)
    if missing:
        listed = "; ".join(f"{qid}: {', '.join(ids)}" for qid, ids in missing.items())
        count = sum(len(ids) for ids in missing.values())
        raise QuestionSetError(
            f"{count} relevant id(s) are not in this corpus ({listed}): pick the corpus the "
            "questions were written for, or fix their relevant_ids"
        )


def _json_records(text: str, name: str) -> list[tuple[str, object]]:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise QuestionSetError(
            f"{name}: invalid JSON at line {error.lineno}, column {error.colno}"
        ) from None
    if not isinstance(raw, list):
        raise QuestionSetError(f"{name}: expected a JSON list of questions, got a {_kind(raw)}")
    return [(f"question {n + 1}", record) for n, record in enumerate(raw)]


def _csv_records(text: str, name: str) -> list[tuple[str, object]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in CSV_COLUMNS if c != "answer" and c not in columns]
    if missing:
        raise QuestionSetError(
            f"{name}: the CSV header lacks {', '.join(missing)} "
            f"(expected columns: {', '.join(CSV_COLUMNS)})"
        )
    records = []
    for row in reader:
        line = f"line {reader.line_num}"
        if None in row:
            raise QuestionSetError(f"{name}, {line}: more cells than header columns")
        cells = {k.strip(): (v or "") for k, v in row.items() if k is not None}
        cells["relevant_ids"] = [i for i in _ID_SEPARATOR.split(cells["relevant_ids"]) if i]
        cells["answer"] = cells.get("answer") or None
        records.append((line, cells))
    return records


def _kind(value: object) -> str:
    return {dict: "JSON object", str: "string"}.get(type(value), type(value).__name__)
