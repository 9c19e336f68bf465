"""Typed, deterministic search tools the agent calls on a chunk: grep, count, sender, recipient, date.

No code execution: each tool takes plain arguments and returns a `ToolResult` listing matching email
ids in corpus (date) order. Tools are called many times on one chunk, so the searchable text is
indexed once per corpus (`SearchIndex.for_corpus`, cached while the corpus object lives) and every
tool accepts either a `Corpus` or a ready `SearchIndex`. Pattern validation and the time-bounded
scan (RE2, linear time: every email is searched) live in `tools.patterns`. Bad arguments come back as a `ToolResult` with `error` set (the agent
reads it and tries again); only programming mistakes (a negative limit) raise.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from tools.models import Email
from tools.patterns import MAX_PATTERN_LENGTH, Haystack, prepare_pattern, scan_records
from tools.per_corpus import PerCorpus

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 200
PREVIEW_IDS_HEAD = 10
PREVIEW_TOP_SENDERS = 5

ResultToolName = Literal["grep", "count", "sender", "recipient", "date", "unknown"]


class ToolResult(BaseModel):
    """What one tool call found. `tool="unknown"` only for a call naming no known tool."""

    model_config = ConfigDict(extra="forbid")

    tool: ResultToolName
    args: dict[str, Any]
    matched_ids: list[str]  # corpus (date) order, at most `limit`
    match_count: int  # every matching email, before the cap
    searched: int  # emails searched: all of them, unless `stopped`
    truncated: bool  # match_count > len(matched_ids)
    stopped: str | None = None  # why a pathological pattern's scan stopped early (partial results)
    literal_fallback: bool = False  # the pattern was not a valid regex and was searched literally
    # grep/count: ids among `matched_ids` whose match is only in an attachment's text, not in the
    # subject or body (the email viewer shows that text under the body)
    attachment_ids: list[str] = []
    error: str | None = None
    elapsed_ms: float


class Preview(BaseModel):
    """What a chunk looks like before any search: size, dates, who writes, a few subjects."""

    model_config = ConfigDict(extra="forbid")

    count: int
    start: datetime | None
    end: datetime | None
    top_senders: list[tuple[str, int]]
    sample_subjects: list[str]
    ids_head: list[str]


class SearchIndex:
    """Everything the tools scan, built once per corpus: joined subject+body text (lowercased;
    the original case on first need), the text of attachments (a second haystack holding only
    the emails that have some, so a corpus without attachments pays nothing), lowercased sender
    and recipient strings, and date timestamps."""

    _cache: PerCorpus[SearchIndex] = PerCorpus()

    def __init__(self, corpus: Sequence[Email]):
        started = time.perf_counter()
        # a weak reference: the class cache maps corpus -> index, and an index holding its corpus
        # strongly would keep both alive for the life of the process
        try:
            self._corpus: Callable[[], Sequence[Email] | None] = weakref.ref(corpus)
        except TypeError:  # a plain list cannot be weakly referenced (nor cached)
            self._corpus = lambda: corpus
        emails = list(corpus)
        self.ids: list[str] = [email.id for email in emails]
        self.lowered = Haystack.build([email.search_text().lower() for email in emails])
        self._text: Haystack | None = None
        self._text_lock = threading.Lock()
        # positions of the emails with attachment text, and that text (lowercased)
        self.attachment_positions: list[int] = [
            position for position, email in enumerate(emails) if email.attachments
        ]
        attachment_texts = [emails[p].attachment_text() for p in self.attachment_positions]
        self.attachment_positions = [
            p for p, text in zip(self.attachment_positions, attachment_texts, strict=True) if text
        ]
        self.attachments_lowered = Haystack.build([t.lower() for t in attachment_texts if t])
        self._attachments_text: Haystack | None = None
        self.senders: list[str] = [email.sender.lower() for email in emails]
        self.recipients: list[str] = ["\n".join(email.recipients).lower() for email in emails]
        self.timestamps: list[float | None] = [
            email.date.timestamp() if email.date else None for email in emails
        ]
        dated = [stamp for stamp in self.timestamps if stamp is not None]
        # Corpus order puts dated emails first, sorted; bisect is valid only if that holds.
        self._sorted_dated_prefix: list[float] | None = (
            dated if self.timestamps[: len(dated)] == sorted(dated) else None
        )
        self.build_ms = (time.perf_counter() - started) * 1000
        logger.debug("indexed %d emails in %.0f ms", len(self.ids), self.build_ms)

    @property
    def text(self) -> Haystack:
        """The records in their own case, built on first use: only patterns that cannot run on
        the lowercased text need it, and it costs as much memory as the text itself."""
        with self._text_lock:
            if self._text is None:
                self._text = Haystack.build([email.search_text() for email in self.corpus])
            return self._text

    @property
    def attachments_text(self) -> Haystack:
        """The attachment texts in their own case, built on first use (as `text`)."""
        with self._text_lock:
            if self._attachments_text is None:
                corpus = self.corpus
                texts = [corpus[p].attachment_text() for p in self.attachment_positions]
                self._attachments_text = Haystack.build(texts)
            return self._attachments_text

    @property
    def corpus(self) -> Sequence[Email]:
        corpus = self._corpus()
        if corpus is None:
            raise ReferenceError("the corpus of this SearchIndex no longer exists")
        return corpus

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def for_corpus(cls, corpus: Sequence[Email] | SearchIndex) -> SearchIndex:
        """The cached index of `corpus` (built on first use), or `corpus` itself if an index."""
        if isinstance(corpus, SearchIndex):
            return corpus
        return cls._cache.get(corpus, lambda: cls(corpus))

    def positions_between(self, start: float, end: float, *, end_inclusive: bool) -> list[int]:
        """Positions of emails dated in [start, end] (or [start, end) when not end_inclusive)."""
        stamps = self._sorted_dated_prefix
        if stamps is not None:
            low = bisect_left(stamps, start)
            high = bisect_right(stamps, end) if end_inclusive else bisect_left(stamps, end)
            return list(range(low, high))
        return [
            position
            for position, stamp in enumerate(self.timestamps)
            if stamp is not None
            and start <= stamp
            and (stamp <= end if end_inclusive else stamp < end)
        ]


CorpusLike = Sequence[Email] | SearchIndex


def grep(
    corpus: CorpusLike,
    pattern: str,
    *,
    limit: int = DEFAULT_LIMIT,
) -> ToolResult:
    """Emails whose subject, body or attachment text match `pattern` (a regex, case-insensitive,
    `^`/`$` per line); `attachment_ids` names those matched in an attachment only."""
    return _pattern_tool("grep", corpus, pattern, limit)


def count(corpus: CorpusLike, pattern: str) -> ToolResult:
    """How many emails match `pattern` (as grep). `matched_ids` is empty: `match_count` is the answer,
    so `truncated` is true whenever anything matched."""
    return _pattern_tool("count", corpus, pattern, 0)


def sender(corpus: CorpusLike, name: str, *, limit: int = DEFAULT_LIMIT) -> ToolResult:
    """Emails whose sender (name or address) contains `name`, case-insensitively."""
    return _substring_tool("sender", corpus, name, limit)


def recipient(corpus: CorpusLike, name: str, *, limit: int = DEFAULT_LIMIT) -> ToolResult:
    """Emails with `name` (case-insensitive substring) in any to, cc or bcc address."""
    return _substring_tool("recipient", corpus, name, limit)


def date_range(
    corpus: CorpusLike, start: str, end: str, *, limit: int = DEFAULT_LIMIT
) -> ToolResult:
    """Emails dated from `start` to `end`, both inclusive.

    Dates are ISO: "2023-01-01" covers that whole UTC day; a datetime such as "2023-01-01T09:30"
    (naive means UTC) is an exact bound. Undated emails never match. Bad dates give an error result.
    """
    started = time.perf_counter()
    _check_limit(limit)
    args = {"start": start, "end": end}
    try:
        low = _parse_bound("start", start, is_end=False)
        high = _parse_bound("end", end, is_end=True)
    except ValueError as exc:
        return _error_result("date", args, str(exc), started)
    if low[0] > high[0]:
        return _error_result("date", args, f"start {start!r} is after end {end!r}", started)
    index = SearchIndex.for_corpus(corpus)
    positions = index.positions_between(low[0], high[0], end_inclusive=high[1])
    return _result("date", args, index, positions, limit, started)


def preview(corpus: CorpusLike, *, n_subjects: int = 8) -> Preview:
    """A first look at a chunk: size, date span, top senders, subjects spread across it, first ids."""
    emails: Sequence[Email] = corpus.corpus if isinstance(corpus, SearchIndex) else corpus
    dates = [email.date for email in emails if email.date is not None]
    sender_counts: dict[str, int] = {}
    for email in emails:
        if email.sender:
            sender_counts[email.sender] = sender_counts.get(email.sender, 0) + 1
    top = sorted(sender_counts.items(), key=lambda item: (-item[1], item[0]))
    return Preview(
        count=len(emails),
        start=min(dates) if dates else None,
        end=max(dates) if dates else None,
        top_senders=top[:PREVIEW_TOP_SENDERS],
        sample_subjects=_spread_subjects(emails, n_subjects),
        ids_head=[email.id for email in emails[:PREVIEW_IDS_HEAD]],
    )


# --- dispatch by name --------------------------------------------------------------------------

_TOOL_ARGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # tool: (required string arguments, optional numeric arguments)
    "grep": (("pattern",), ("limit",)),
    "count": (("pattern",), ()),
    "sender": (("name",), ("limit",)),
    "recipient": (("name",), ("limit",)),
    "date": (("start", "end"), ("limit",)),
}
_TOOL_ALIASES = {"date_range": "date"}
# Fields of the agent's ToolCall: present on every call, ignored when another tool uses them.
_TOOL_CALL_FIELDS = frozenset({"tool", "pattern", "name", "start", "end", "reason"})


def run_tool(corpus: CorpusLike, tool: str, args: dict[str, Any]) -> ToolResult:
    """Run the tool called `tool` with `args`. Never raises for bad input: the result says what is
    wrong. Accepts a dumped `ToolCall` (unused fields such as `reason` or another tool's `pattern`
    are ignored); any other unknown argument is an error."""
    started = time.perf_counter()
    name = _TOOL_ALIASES.get(tool, tool) if isinstance(tool, str) else tool
    if name not in _TOOL_ARGS:
        known = ", ".join(_TOOL_ARGS)
        return _error_result(
            "unknown", {"tool": tool}, f"unknown tool {tool!r} (known: {known})", started
        )
    if not isinstance(args, dict):
        return _error_result(
            name, {}, f"arguments must be an object, got {type(args).__name__}", started
        )
    required, optional = _TOOL_ARGS[name]
    unknown = sorted(
        str(key) for key in args if key not in _TOOL_CALL_FIELDS and key not in optional
    )
    if unknown:
        allowed = ", ".join(required + optional)
        message = f"unexpected argument {unknown[0]!r} for {name} (allowed: {allowed})"
        return _error_result(name, dict(args), message, started)
    values: dict[str, Any] = {}
    for key in required:
        value = args.get(key)
        if value is None:
            return _error_result(name, dict(args), f"{name} needs argument {key!r}", started)
        if not isinstance(value, str):
            message = f"argument {key!r} must be a string, got {type(value).__name__}"
            return _error_result(name, dict(args), message, started)
        values[key] = value
    for key in optional:
        value = args.get(key)
        if value is None:
            continue
        problem = _check_optional(key, value)
        if problem:
            return _error_result(name, dict(args), problem, started)
        values[key] = value
    function = {"grep": grep, "count": count, "sender": sender, "recipient": recipient}.get(name)
    if function is None:
        return date_range(corpus, **values)
    return function(corpus, **values)


def _check_optional(key: str, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"argument {key!r} must be a number, got {type(value).__name__}"
    if key == "limit" and (not isinstance(value, int) or value < 0):
        return f"argument 'limit' must be a whole number >= 0, got {value!r}"
    return None


# --- helpers -----------------------------------------------------------------------------------


def _pattern_tool(
    tool: Literal["grep", "count"], corpus: CorpusLike, pattern: str, limit: int
) -> ToolResult:
    started = time.perf_counter()
    _check_limit(limit)
    args = {"pattern": pattern}
    if not isinstance(pattern, str):
        return _error_result(
            tool, args, f"pattern must be a string, got {type(pattern).__name__}", started
        )
    prepared = prepare_pattern(pattern)
    if prepared.error is not None:
        return _error_result(tool, args, prepared.error, started)
    index = SearchIndex.for_corpus(corpus)
    outcome = scan_records(prepared, index.lowered, original=lambda: index.text)
    positions, stopped, only_attachments = outcome.positions, outcome.stopped, []
    if index.attachment_positions and outcome.stopped is None:
        in_attachments = scan_records(
            prepared, index.attachments_lowered, original=lambda: index.attachments_text
        )
        stopped = in_attachments.stopped
        found = set(positions)
        only_attachments = [
            index.attachment_positions[local]
            for local in in_attachments.positions
            if index.attachment_positions[local] not in found
        ]
        positions = sorted(found.union(only_attachments))
    result = _result(
        tool,
        args,
        index,
        positions,
        limit,
        started,
        searched=outcome.searched,
        stopped=stopped,
        literal_fallback=prepared.literal_fallback,
    )
    if only_attachments:
        shown = set(result.matched_ids)
        result.attachment_ids = [
            index.ids[p] for p in sorted(only_attachments) if index.ids[p] in shown
        ]
    return result


def _substring_tool(
    tool: Literal["sender", "recipient"], corpus: CorpusLike, name: str, limit: int
) -> ToolResult:
    started = time.perf_counter()
    _check_limit(limit)
    args = {"name": name}
    if not isinstance(name, str):
        return _error_result(
            tool, args, f"name must be a string, got {type(name).__name__}", started
        )
    needle = name.strip().lower()
    if not needle:
        return _error_result(tool, args, "name is empty", started)
    if len(needle) > MAX_PATTERN_LENGTH:
        return _error_result(
            tool, args, f"name longer than {MAX_PATTERN_LENGTH} characters", started
        )
    index = SearchIndex.for_corpus(corpus)
    fields = index.senders if tool == "sender" else index.recipients
    positions = [position for position, value in enumerate(fields) if needle in value]
    return _result(tool, args, index, positions, limit, started)


def _result(
    tool: ResultToolName,
    args: dict[str, Any],
    index: SearchIndex,
    positions: list[int],
    limit: int,
    started: float,
    *,
    searched: int | None = None,
    stopped: str | None = None,
    literal_fallback: bool = False,
) -> ToolResult:
    return ToolResult(
        tool=tool,
        args=args,
        matched_ids=[index.ids[position] for position in positions[:limit]],
        match_count=len(positions),
        searched=len(index) if searched is None else searched,
        truncated=len(positions) > limit,
        stopped=stopped,
        literal_fallback=literal_fallback,
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )


def _error_result(
    tool: ResultToolName, args: dict[str, Any], error: str, started: float
) -> ToolResult:
    return ToolResult(
        tool=tool,
        args=args,
        matched_ids=[],
        match_count=0,
        searched=0,
        truncated=False,
        error=error,
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )


def _check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be a whole number >= 0, got {limit!r}")


def _parse_bound(label: str, value: Any, *, is_end: bool) -> tuple[float, bool]:
    """(timestamp, inclusive) for a date argument; a bare date covers the whole UTC day."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{label} must be an ISO date such as 2023-01-31, got {value!r}")
    text = value.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None:
        if is_end:  # up to, not including, the next midnight
            return datetime.combine(day + timedelta(days=1), clock_time(), UTC).timestamp(), False
        return datetime.combine(day, clock_time(), UTC).timestamp(), True
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{label} is not an ISO date (YYYY-MM-DD or YYYY-MM-DDTHH:MM): {value!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp(), True


def _spread_subjects(emails: Sequence[Email], wanted: int) -> list[str]:
    """Up to `wanted` distinct non-empty subjects, taken at even steps through the chunk."""
    if wanted <= 0 or not emails:
        return []
    chosen: list[str] = []
    seen: set[str] = set()
    total = len(emails)
    for step in range(wanted):
        position, stop = step * total // wanted, (step + 1) * total // wanted
        while position < max(stop, position + 1) and position < total:
            subject = emails[position].subject.strip()
            key = subject.lower()
            if subject and key not in seen:
                seen.add(key)
                chosen.append(subject)
                break
            position += 1
    return chosen
