"""Splitting a date-sorted corpus into chunks: the deterministic plan, and the check-and-repair of
a plan proposed by the model.

A plan is a list of contiguous ranges [start, end) over corpus positions that together cover
every email exactly once, at most `max_chunks` of them, none empty. The model may propose any
ranges it likes; `plan_from_proposal` sorts, clips, fills gaps and merges extras, and falls back
to the deterministic plan when nothing usable is left, always saying why in `notes`.
Plain functions: no ZenML imports, testable on an in-memory `Corpus`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from pipeline.agent import prompts
from pipeline.agent.dates import question_date_range
from pipeline.agent.schemas import SUB_QUESTION_CHARS, DecompositionProposal, LLMCallRecord
from pipeline.schemas import ChunkSpec, DecompositionPlan, LLMSettings
from tools.models import Corpus
from tools.ranking import query_terms, stem

logger = logging.getLogger(__name__)

Range = tuple[int, int]
MAX_NOTES = 12


# --- Entry point -------------------------------------------------------------------------------


def make_plan(
    corpus: Corpus,
    query: str,
    max_chunks: int,
    llm: LLMSettings,
    client=None,
    *,
    span: Sequence[int] | None = None,
    id_prefix: str = "chunk_",
    context: str = "",
) -> tuple[DecompositionPlan, list[LLMCallRecord]]:
    """The plan for this run and the model calls it cost. With a model: its proposal, checked
    and repaired (or replaced by the deterministic plan on failure); without: deterministic.

    A child run (pipeline.recursion) plans only `span` = [start, end) of the corpus, reading
    its columns and digests, never its emails; its chunks keep whole-corpus positions and ids
    that start with `id_prefix` (chunk_03_00, chunk_03_01, ...). `context`: a follow-up's
    previous question and answer, shown to the model."""
    if span is None and id_prefix == "chunk_":
        return _make_plan(corpus, query, max_chunks, llm, client, context)
    start, end = span if span is not None else (0, len(corpus))
    plan, calls = _make_plan(CorpusSpan(corpus, start, end), query, max_chunks, llm, client)
    chunks = [
        spec.model_copy(
            update={
                "id": f"{id_prefix}{index:02d}",
                "start": spec.start + start,
                "end": spec.end + start,
            }
        )
        for index, spec in enumerate(plan.chunks)
    ]
    return plan.model_copy(update={"chunks": chunks}), calls


class CorpusSpan:
    """Positions [start, end) of a corpus seen as a corpus of their own, for planning: only
    `len`, `column` and `range_fingerprint`, all read from the underlying (stored) corpus. A
    column is read once, and only the span's rows (planning asks for the dates several times;
    reading a 517K-email date column costs seconds)."""

    def __init__(self, corpus: Corpus, start: int, end: int):
        self.corpus = corpus
        self.start = max(0, min(start, len(corpus)))
        self.end = max(self.start, min(end, len(corpus)))
        self._columns: dict[str, list] = {}

    def __len__(self) -> int:
        return self.end - self.start

    def column(self, name: str) -> list:
        if name not in self._columns:
            self._columns[name] = self.corpus.column_range(name, self.start, self.end)
        return self._columns[name]

    def range_fingerprint(self, start: int, end: int) -> str:
        return self.corpus.range_fingerprint(self.start + start, self.start + end)


def _make_plan(
    corpus: Corpus, query: str, max_chunks: int, llm: LLMSettings, client=None, context: str = ""
) -> tuple[DecompositionPlan, list[LLMCallRecord]]:
    if len(corpus) == 0:
        raise ValueError("cannot plan chunks for an empty corpus")
    if client is None and llm.mode == "llm":
        from pipeline.agent.llm import make_client

        client = make_client(llm)
    if client is None:
        return deterministic_plan(corpus, query, max_chunks), []
    reply = client.parse(
        prompts.with_follow_up(decompose_messages(corpus, query, max_chunks), context),
        DecompositionProposal,
        purpose="decompose",
    )
    if reply.parsed is None:
        reason = (
            reply.record.error or "the model reply did not match the DecompositionProposal schema"
        )
        logger.warning("decomposition call failed, using the deterministic plan: %s", reason)
        plan = deterministic_plan(
            corpus,
            query,
            max_chunks,
            [f"model plan unavailable ({reason}); deterministic plan used"],
        )
        return plan, [reply.record]
    return plan_from_proposal(reply.parsed, corpus, query, max_chunks), [reply.record]


def decompose_messages(corpus: Corpus, query: str, max_chunks: int) -> list[dict[str, str]]:
    size = len(corpus)
    dates = [d for d in corpus.column("date") if d is not None]
    date_range = f"{min(dates).date()} .. {max(dates).date()}" if dates else "no dated emails"
    histogram = "\n".join(
        f"{month}: {position}, {count}" for month, position, count in monthly_histogram(corpus)
    )
    senders = "\n".join(
        f"{prompts.clip(prompts.neutralise(sender), 80)}: {count}"
        for sender, count in top_senders(corpus)
    )
    user = prompts.DECOMPOSE_PROMPT.format(
        question=prompts.clip(prompts.neutralise(query), prompts.QUESTION_CHARS),
        corpus_size=size,
        max_chunks=max_chunks,
        last_position=size - 1,
        date_range=date_range,
        histogram=histogram or "(none)",
        senders=senders or "(none)",
        candidates=candidate_chunks(corpus, max_chunks),
    )
    return [
        {"role": "system", "content": prompts.DECOMPOSE_SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


# --- Deterministic plan ------------------------------------------------------------------------


def balanced_ranges(days: Sequence[str | None], max_chunks: int) -> list[Range]:
    """`min(max_chunks, len(days))` contiguous ranges of near-equal size whose boundaries move
    to the nearest change of day when one is close (within a quarter of the ideal size)."""
    total = len(days)
    count = max(0, min(max_chunks, total))
    if count == 0:
        return []
    ideal = total / count
    slack = int(ideal // 4)
    cuts = [0]
    for index in range(1, count):
        target = round(index * ideal)
        cut = _nearest_day_change(
            days, target, slack, low=cuts[-1] + 1, high=total - (count - index)
        )
        cuts.append(cut)
    cuts.append(total)
    return [(cuts[i], cuts[i + 1]) for i in range(count)]


def _nearest_day_change(
    days: Sequence[str | None], target: int, slack: int, low: int, high: int
) -> int:
    target = max(low, min(high, target))
    for distance in range(slack + 1):
        for candidate in (target - distance, target + distance):
            if low <= candidate <= high and days[candidate - 1] != days[candidate]:
                return candidate
    return target


def day_keys(corpus: Corpus) -> list[str | None]:
    return [d.date().isoformat() if d else None for d in corpus.column("date")]


def deterministic_plan(
    corpus: Corpus, query: str, max_chunks: int, notes: Sequence[str] = ()
) -> DecompositionPlan:
    """Split by date, balanced by size; every chunk asks the analyst's question."""
    ranges = balanced_ranges(day_keys(corpus), max_chunks)
    specs = build_specs(corpus, ranges, [query] * len(ranges))
    return DecompositionPlan(chunks=specs, source="deterministic", notes=list(notes)[:MAX_NOTES])


# --- Model proposal: validate and repair -------------------------------------------------------


def plan_problems(ranges: Sequence[Range], size: int, max_chunks: int) -> list[str]:
    """Why `ranges` is not a valid plan for a corpus of `size` emails (empty list: valid)."""
    problems = []
    if not ranges:
        return ["no chunks proposed"]
    if len(ranges) > max_chunks:
        problems.append(f"{len(ranges)} chunks proposed, at most {max_chunks} allowed")
    expected = 0
    for start, end in ranges:
        if start < 0 or end > size:
            problems.append(f"range {start}..{end} lies outside the corpus (0..{size})")
        if end <= start:
            problems.append(f"range {start}..{end} is empty")
        if start > expected:
            problems.append(f"emails {expected}..{start} are not covered")
        elif start < expected:
            problems.append(f"range {start}..{end} overlaps the previous chunk")
        expected = max(expected, end)
    if expected < size:
        problems.append(f"emails {expected}..{size} are not covered")
    return problems


def repair_ranges(
    proposed: Sequence[tuple[Range, str]], size: int, max_chunks: int
) -> list[tuple[Range, str]]:
    """Turn any proposal into a valid plan: clip to the corpus, sort, drop empties, cut overlaps,
    give gaps to the chunk before them, and merge the smallest neighbours until <= max_chunks."""
    clipped = []
    for (start, end), question in proposed:
        start, end = max(0, min(start, size)), max(0, min(end, size))
        if end > start:
            clipped.append(((start, end), question))
    clipped.sort(key=lambda item: item[0])
    repaired: list[tuple[Range, str]] = []
    for (start, end), question in clipped:
        covered = repaired[-1][0][1] if repaired else 0
        start = max(start, covered)
        if end <= start:
            continue  # wholly inside the previous chunk
        if start > covered:
            if repaired:
                (prev_start, _), prev_question = repaired[-1]
                repaired[-1] = ((prev_start, start), prev_question)
            else:
                start = 0
        repaired.append(((start, end), question))
    if not repaired:
        return []
    (last_start, last_end), last_question = repaired[-1]
    if last_end < size:
        repaired[-1] = ((last_start, size), last_question)
    while len(repaired) > max_chunks:
        repaired = _merge_smallest_pair(repaired)
    return repaired


def _merge_smallest_pair(items: list[tuple[Range, str]]) -> list[tuple[Range, str]]:
    sizes = [
        (items[i][0][1] - items[i][0][0]) + (items[i + 1][0][1] - items[i + 1][0][0])
        for i in range(len(items) - 1)
    ]
    i = sizes.index(min(sizes))
    (start, _), first_question = items[i]
    (_, end), second_question = items[i + 1]
    question = (
        first_question
        if first_question == second_question
        else f"{first_question} / {second_question}"
    )
    return [*items[:i], ((start, end), question[:SUB_QUESTION_CHARS]), *items[i + 2 :]]


def plan_from_proposal(
    proposal: DecompositionProposal, corpus: Corpus, query: str, max_chunks: int
) -> DecompositionPlan:
    """A valid plan from the model's proposal: as proposed, repaired, or replaced."""
    size = len(corpus)
    proposed = [((c.start, c.end), _sub_question(c.sub_question, query)) for c in proposal.chunks]
    ranges = [r for r, _ in proposed]
    problems = plan_problems(ranges, size, max_chunks)
    if not problems:
        specs, notes = checked_sub_questions(
            build_specs(corpus, ranges, [q for _, q in proposed]), corpus, query
        )
        return DecompositionPlan(chunks=specs, source="model", notes=notes)
    notes = [f"model plan invalid: {p}" for p in problems[: MAX_NOTES - 1]]
    repaired = repair_ranges(proposed, size, max_chunks)
    if not repaired:
        return deterministic_plan(
            corpus,
            query,
            max_chunks,
            [*notes, "replaced by the deterministic plan: no usable range"],
        )
    specs = build_specs(corpus, [r for r, _ in repaired], [q for _, q in repaired])
    notes.append(f"repaired into {len(specs)} contiguous chunks covering all {size} emails")
    specs, replaced = checked_sub_questions(specs, corpus, query)
    return DecompositionPlan(chunks=specs, source="repaired", notes=[*notes, *replaced][:MAX_NOTES])


def _sub_question(text: str, query: str) -> str:
    text = " ".join(text.split())[:SUB_QUESTION_CHARS]
    return text or query


# --- Sub-questions: kept only when they keep the question and name the chunk's own period -------


def checked_sub_questions(
    specs: Sequence[ChunkSpec], corpus: Corpus, query: str
) -> tuple[list[ChunkSpec], list[str]]:
    """Specs whose sub-questions drifted replaced by the question itself, and why (notes).

    A sub-question drifts when it loses the question's intent (fewer than half of the question's
    content words, stemmed) or names a period that does not cover its chunk's emails (unless the
    question named that period itself): its investigator would search the wrong thing, or only
    part of its chunk, and no other chunk searches the rest.
    """
    dates = corpus.column("date")
    query_period = question_date_range(query)
    checked, notes = [], []
    for spec in specs:
        problem = _drift(spec.sub_question, query, query_period, dates[spec.start : spec.end])
        if problem is None:
            checked.append(spec)
            continue
        notes.append(f"{spec.id}: sub-question {problem}; the question is asked instead")
        replacement = query if spec.label == "undated" else f"{query} (emails dated {spec.label})"
        checked.append(spec.model_copy(update={"sub_question": replacement[:SUB_QUESTION_CHARS]}))
    return checked, notes


def _drift(
    sub_question: str,
    query: str,
    query_period: tuple[str, str] | None,
    dates: Sequence[datetime | None],
) -> str | None:
    """Why `sub_question` does not serve `query` for a chunk with these email dates (None: ok)."""
    if sub_question.strip() == query.strip():
        return None
    wanted = {stem(term) for term in query_terms(query)}
    kept = {stem(term) for term in query_terms(sub_question)} & wanted
    if wanted and len(kept) * 2 < len(wanted):
        return f"keeps {len(kept)} of the question's {len(wanted)} content words"
    period = question_date_range(sub_question)
    dated = [d.date().isoformat() for d in dates if d is not None]
    if period is None or period == query_period or not dated:
        return None
    first, last = min(dated), max(dated)
    if period[0] > first or period[1] < last:
        return f"names {period[0]} .. {period[1]}, but its emails are dated {first} .. {last}"
    return None


# --- Specs -------------------------------------------------------------------------------------


def build_specs(
    corpus: Corpus, ranges: Sequence[Range], questions: Sequence[str]
) -> list[ChunkSpec]:
    """ChunkSpecs with stable ids, a date label and the fingerprint of each slice (its cache key).
    Reads only the date column and the digests of a stored corpus, never its emails."""
    dates = corpus.column("date")
    specs = []
    for index, ((start, end), question) in enumerate(zip(ranges, questions, strict=True)):
        dated = [d for d in dates[start:end] if d is not None]
        specs.append(
            ChunkSpec(
                id=chunk_id(index),
                start=start,
                end=end,
                sub_question=question,
                label=range_label((min(dated), max(dated)) if dated else None),
                fingerprint=corpus.range_fingerprint(start, end),
            )
        )
    return specs


def chunk_id(index: int) -> str:
    return f"chunk_{index:02d}"


def range_label(dates: tuple[datetime, datetime] | None) -> str:
    if dates is None:
        return "undated"
    first, last = (d.date().isoformat() for d in dates)
    return first if first == last else f"{first} .. {last}"


# --- What the model is shown -------------------------------------------------------------------


def monthly_histogram(corpus: Corpus, max_rows: int = 48) -> list[tuple[str, int, int]]:
    """(month, first position, count) for each month present, in corpus order; capped rows
    (months merged into quarters/years when there are too many)."""
    rows: list[list] = []
    for position, date in enumerate(corpus.column("date")):
        month = date.strftime("%Y-%m") if date else "undated"
        if rows and rows[-1][0] == month:
            rows[-1][2] += 1
        else:
            rows.append([month, position, 1])
    width = 7
    while len(rows) > max_rows and width > 4:
        width = 4  # fall back to years
        merged: list[list] = []
        for month, position, count in rows:
            key = month[:width] if month != "undated" else month
            if merged and merged[-1][0] == key:
                merged[-1][2] += count
            else:
                merged.append([key, position, count])
        rows = merged
    return [(str(m), int(p), int(c)) for m, p, c in rows[:max_rows]]


def candidate_chunks(corpus: Corpus, max_chunks: int) -> str:
    """The balanced split by date, one line per chunk with its real positions, size and dates:
    what the model adjusts instead of guessing which periods the positions hold."""
    dates = corpus.column("date")
    lines = []
    for number, (start, end) in enumerate(balanced_ranges(day_keys(corpus), max_chunks), 1):
        dated = [d for d in dates[start:end] if d is not None]
        label = range_label((min(dated), max(dated)) if dated else None)
        lines.append(f"{number}. [{start}, {end}): {end - start} emails dated {label}")
    return "\n".join(lines)


def top_senders(corpus: Corpus, n: int = 8) -> list[tuple[str, int]]:
    counts = Counter(sender for sender in corpus.column("sender") if sender)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
