"""Hostile-pattern handling for the grep/count tools: validate, compile and scan under a deadline.

A pattern the agent (or a model) writes is untrusted. This module turns it into a `PreparedPattern`
(length cap, empty check, literal fast path, invalid regex searched as a literal, guard against
counted repetitions that would take seconds to compile, rejection of the reverse-search flag) and
scans a `Haystack` (every email's searchable text joined with record separators) for the records
that match, stopping at a deadline.

How a scan stays fast: a regex is run once over the whole haystack with `finditer`, wrapped as
`(?:PATTERN)([^\\x1e]*+)` so that each hit also consumes the rest of its record; the engine thus
skips to the next record by itself and yields at most one match per email. The tail group comes last,
so the pattern's own group numbers (and backreferences) are unchanged. Match offsets are mapped to
email positions with `bisect`. A match that runs across a record separator is re-checked against
that one record alone, so results equal a per-email `search`. Catastrophic backtracking is bounded
by the `regex` module's `timeout=` argument (checked inside the matching loop); compile time is
bounded by `MAX_REPEAT_EXPANSION`.

Semantics: case-insensitive; `^` and `$` match at line starts/ends (MULTILINE), `.` does not match
a newline unless the pattern says `(?s)`.
"""

from __future__ import annotations

import logging
import re
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import regex

logger = logging.getLogger(__name__)

MAX_PATTERN_LENGTH = 300
MAX_REPEAT_EXPANSION = 30_000
RECORD_SEPARATOR = "\n\x1e\n"
_REGEX_METACHARACTERS = frozenset("\\.^$*+?{}[]|()")
_FLAGS = regex.IGNORECASE | regex.MULTILINE
_COUNTED_REPEAT = re.compile(r"\{(\d*)(?:,(\d*))?\}")


@dataclass(frozen=True)
class PreparedPattern:
    """A validated pattern, ready to scan: exactly one of `error`, `literal`, `matcher`, `branches`."""

    text: str
    literal: str | None = None  # lowercased needle, searched in the lowercased haystack
    matcher: regex.Pattern | None = None  # the pattern alone: re-checks one record
    scanner: regex.Pattern | None = None  # the pattern + rest of its record: one hit per email
    on_lowered: bool = False  # run the regex on the lowercased haystack (no IGNORECASE needed)
    literal_fallback: bool = False  # the pattern was not a valid regex and is searched literally
    branches: tuple[PreparedPattern, ...] = ()  # top-level `a|b|c` scanned branch by branch
    error: str | None = None


@dataclass(frozen=True)
class Haystack:
    """Texts joined by `RECORD_SEPARATOR`; record i is `text[starts[i]:ends[i]]`."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def build(cls, texts: Sequence[str]) -> Haystack:
        starts, ends, position = [], [], 0
        for item in texts:
            starts.append(position)
            position += len(item)
            ends.append(position)
            position += len(RECORD_SEPARATOR)
        return cls(RECORD_SEPARATOR.join(texts), tuple(starts), tuple(ends))

    def __len__(self) -> int:
        return len(self.starts)


@dataclass(frozen=True)
class ScanOutcome:
    """Positions of matching records (ascending), how many records were scanned, and whether the
    deadline stopped the scan early (then `positions` holds the matches found before it)."""

    positions: list[int]
    searched: int
    timed_out: bool


@lru_cache(maxsize=512)
def prepare_pattern(pattern: str) -> PreparedPattern:
    """Validate and compile `pattern`. Never raises: problems come back in `.error`."""
    if not pattern or not pattern.strip():
        return PreparedPattern(pattern, error="pattern is empty")
    if len(pattern) > MAX_PATTERN_LENGTH:
        return PreparedPattern(
            pattern, error=f"pattern longer than {MAX_PATTERN_LENGTH} characters ({len(pattern)})"
        )
    body = pattern[4:] if pattern.startswith("(?i)") else pattern  # everything is (?i) already
    if body.strip() and not _REGEX_METACHARACTERS.intersection(body):
        return PreparedPattern(pattern, literal=body.lower())
    expansion = repeat_expansion(pattern)
    if expansion > MAX_REPEAT_EXPANSION:
        return PreparedPattern(
            pattern,
            error=(
                f"pattern's counted repetitions expand to about {expansion:,} items "
                f"(limit {MAX_REPEAT_EXPANSION:,}); use smaller {{n}} counts"
            ),
        )
    try:
        matcher = regex.compile(_anchor_to_records(pattern), _FLAGS)
    except (regex.error, OverflowError, RecursionError, ValueError) as exc:
        logger.debug("pattern %r is not a valid regex (%s); searching it literally", pattern, exc)
        return PreparedPattern(pattern, literal=pattern.lower(), literal_fallback=True)
    if matcher.flags & regex.REVERSE:
        return PreparedPattern(pattern, error="the reverse-search flag (?r) is not supported")
    branches = _split_alternation(body)
    if branches is not None:
        prepared = tuple(prepare_pattern(branch) for branch in branches)
        if all(item.error is None and not item.literal_fallback for item in prepared):
            return PreparedPattern(pattern, branches=prepared)
    lowered = _lowercase_equivalent(body)
    if lowered is not None:
        lowered = _anchor_to_records(lowered)
        try:
            matcher = regex.compile(lowered, regex.MULTILINE)
        except (regex.error, OverflowError, RecursionError, ValueError):
            lowered = None
    flags = regex.MULTILINE if lowered is not None else _FLAGS
    source = lowered if lowered is not None else _anchor_to_records(pattern)
    # In verbose mode a trailing "# comment" would swallow the wrapper's ")", so end it on a newline.
    closing = "\n)" if matcher.flags & regex.VERBOSE else ")"
    try:
        scanner = regex.compile(f"(?:{source}{closing}((?-i:[^\x1e]*+))", flags)
    except (regex.error, OverflowError, RecursionError, ValueError):
        scanner = None  # scan_records falls back to one search per record
    return PreparedPattern(
        pattern, matcher=matcher, scanner=scanner, on_lowered=lowered is not None
    )


_INLINE_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(-[a-zA-Z]*)?[:)]")
_BACKREFERENCE = re.compile(r"\\[0-9g]|\(\?P=|\(\?\(")


_RECORD_ANCHORS = {"A": "(?:\\A|(?<=\\x1e\\n))", "Z": "(?=\\n\\x1e|\\Z)", "z": "(?=\\n\\x1e|\\Z)"}


def _anchor_to_records(pattern: str) -> str:
    """`\\A` / `\\Z` rewritten to match at the start / end of each email, not of the haystack."""
    if "\\A" not in pattern and "\\Z" not in pattern and "\\z" not in pattern:
        return pattern
    parts, index = [], 0
    while index < len(pattern):
        if pattern[index] == "\\" and index + 1 < len(pattern):
            escape = pattern[index + 1]
            parts.append(_RECORD_ANCHORS.get(escape, pattern[index : index + 2]))
            index += 2
            continue
        parts.append(pattern[index])
        index += 1
    return "".join(parts)


def _lowercase_equivalent(pattern: str) -> str | None:
    """`pattern` rewritten to run on the lowercased haystack without IGNORECASE, or None when the
    rewrite could change what matches.

    Letters outside escapes are lowercased (`Denver` -> `denver`, `[A-Z]` -> `[a-z]`); escapes are
    kept (`\\W` stays `\\W`). Refused: escapes naming a code point, property or group number
    (`\\x41`, `\\p{Lu}`, `\\1`), inline flags other than i/m/s/x (`(?-i)` turns case back on),
    and character-class ranges mixing an uppercase letter with anything else (`[A-z]`, `[0-Z]`).
    Scanning lowercased text is 2-4x faster than matching case-insensitively.
    """
    for flags in _INLINE_FLAGS.finditer(pattern):
        if flags.group(2) is not None or set(flags.group(1)) - set("imsx"):
            return None
    rewritten: list[str] = []
    index, length, in_class = 0, len(pattern), False
    while index < length:
        char = pattern[index]
        if char == "\\":
            if index + 1 >= length or pattern[index + 1] in "xuUNpPLg0123456789":
                return None
            rewritten.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            if char == "]" and pattern[index - 1] not in "[^":
                in_class = False
            elif char == "-" and 0 < index < length - 1:
                low, high = pattern[index - 1], pattern[index + 1]
                if (low.isupper() or high.isupper()) and not (low.isupper() and high.isupper()):
                    return None
        elif char == "[":
            in_class = True
        rewritten.append(char.lower())
        index += 1
    return "".join(rewritten)


def _split_alternation(pattern: str) -> list[str] | None:
    """The top-level branches of `a|b|c` (or of `(?:a|b|c)`), or None if splitting could change
    the meaning: no top-level `|`, an empty branch, backreferences or inline flags."""
    if _BACKREFERENCE.search(pattern) or any(
        flags.group(1) or flags.group(2) for flags in _INLINE_FLAGS.finditer(pattern)
    ):
        return None
    while pattern.startswith(("(?:", "(")) and _closing_paren(pattern, 0) == len(pattern) - 1:
        pattern = pattern[3:-1] if pattern.startswith("(?:") else pattern[1:-1]
        if pattern.startswith("?"):
            return None  # a lookaround or named group, not a plain group
    branches, start = [], 0
    for index, char, depth in _structure(pattern):
        if char == "|" and depth == 0:
            branches.append(pattern[start:index])
            start = index + 1
    branches.append(pattern[start:])
    if len(branches) < 2 or any(not branch.strip() for branch in branches):
        return None
    return branches


def _closing_paren(pattern: str, open_index: int) -> int:
    """Index of the `)` closing the group opened at `open_index` (-1 if unbalanced)."""
    for index, char, depth in _structure(pattern, open_index):
        if char == ")" and depth == 0:
            return index
    return -1


def _structure(pattern: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, char, group depth after it) for every structural character from `start`, skipping
    escapes and character classes: the one walker both splitting and paren matching use."""
    depth, index = 0, start
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index = _skip_character_class(pattern, index)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        yield index, char, depth
        index += 1


def repeat_expansion(pattern: str) -> int:
    """Rough count of items a pattern expands to once counted repeats `{n}` are unrolled.

    Nested counted repeats multiply (`((a{100}){100}){100}` is 1,000,000), which is what makes
    compilation slow. Character classes and escapes count as one item.
    """
    frames: list[list[int]] = [[0, 0]]  # per open group: [total size, size of last item]
    index, length = 0, len(pattern)
    while index < length:
        char = pattern[index]
        item: int | None = 1
        if char == "\\":
            index += 2 if index + 1 < length else 1
            if index < length and pattern[index - 1] in "pPNxug" and pattern[index] == "{":
                closing = pattern.find("}", index)
                index = length if closing < 0 else closing + 1
            _add_item(frames[-1], 1)
            continue
        if char == "[":
            index = _skip_character_class(pattern, index)
            _add_item(frames[-1], 1)
            continue
        if char == "(":
            frames.append([0, 0])
            item = None
        elif char == ")" and len(frames) > 1:
            group_size = frames.pop()[0]
            _add_item(frames[-1], max(group_size, 1))
            item = None
        elif char == "{":
            quantifier = _COUNTED_REPEAT.match(pattern, index)
            if quantifier:
                factor = max(int(quantifier.group(1) or 0), 1)
                frame = frames[-1]
                frame[0] += frame[1] * (factor - 1)
                frame[1] *= factor
                index = quantifier.end()
                continue
        elif char in "*+?|":
            item = None
        if item is not None:
            _add_item(frames[-1], item)
        index += 1
    while len(frames) > 1:  # unbalanced: fold what is open into its parent
        group_size = frames.pop()[0]
        _add_item(frames[-1], group_size)
    return frames[0][0]


def _add_item(frame: list[int], size: int) -> None:
    frame[0] += size
    frame[1] = size


def _skip_character_class(pattern: str, index: int) -> int:
    """Index just past the character class starting at `pattern[index] == "["`."""
    depth, position, length = 1, index + 1, len(pattern)
    if position < length and pattern[position] == "^":
        position += 1
    if position < length and pattern[position] == "]":
        position += 1
    while position < length and depth:
        char = pattern[position]
        if char == "\\":
            position += 1
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        position += 1
    return position


def scan_records(
    prepared: PreparedPattern,
    lowered: Haystack,
    timeout_s: float,
    *,
    original: Callable[[], Haystack],
) -> ScanOutcome:
    """Positions of the records that `prepared` matches, in order, stopping at `timeout_s`.

    `lowered` holds the records lowercased (`str.lower`); `original()` gives the same records in
    their own case, asked for only by the few patterns that cannot run on lowercased text.
    """
    if prepared.error is not None:
        raise ValueError(f"cannot scan with an invalid pattern: {prepared.error}")
    deadline = time.perf_counter() + timeout_s
    parts = prepared.branches or (prepared,)
    found: set[int] = set()
    searched, timed_out = len(lowered), False
    for part in parts:
        positions: list[int] = []
        try:
            if part.literal is not None:
                positions = _scan_literal(part.literal, lowered)
            elif part.scanner is not None:
                haystack = lowered if part.on_lowered else original()
                _scan_with_scanner(part, haystack, deadline, positions)
            else:
                haystack = lowered if part.on_lowered else original()
                _scan_record_by_record(part.matcher, haystack, deadline, positions)
        except TimeoutError:
            timed_out = True
            searched = min(searched, positions[-1] + 1 if positions else 0)
        found.update(positions)
        if timed_out:
            break
    if timed_out:
        logger.info(
            "pattern %r stopped by the %.0f ms time bound after %d of %d records",
            prepared.text,
            timeout_s * 1000,
            searched,
            len(lowered),
        )
    return ScanOutcome(sorted(found), searched, timed_out)


def _scan_literal(needle: str, haystack: Haystack) -> list[int]:
    text, starts, ends = haystack.text, haystack.starts, haystack.ends
    positions: list[int] = []
    count, position, width = len(starts), 0, len(needle)
    while True:
        found = text.find(needle, position)
        if found < 0:
            return positions
        record = bisect_right(starts, found) - 1
        if found + width <= ends[record] or text.find(needle, starts[record], ends[record]) >= 0:
            positions.append(record)
        if record + 1 >= count:
            return positions
        position = starts[record + 1]


def _remaining(deadline: float) -> float:
    remaining = deadline - time.perf_counter()
    if remaining <= 0:
        raise TimeoutError("regex time bound reached")
    return remaining


def _scan_with_scanner(
    prepared: PreparedPattern, haystack: Haystack, deadline: float, positions: list[int]
) -> None:
    text, starts, ends = haystack.text, haystack.starts, haystack.ends
    count, position, tail_group = len(starts), 0, prepared.scanner.groups
    while position <= len(text):
        restart_at = None
        for match in prepared.scanner.finditer(text, position, timeout=_remaining(deadline)):
            record = bisect_right(starts, match.start()) - 1
            if match.start() > ends[record]:  # began inside a separator
                if record + 1 < count and match.end() > starts[record + 1]:
                    restart_at = starts[record + 1]  # and swallowed the next record: rescan it
                    break
                continue
            pattern_end = match.start(tail_group)
            crossed = pattern_end > ends[record]
            # A record already found may match again only if its text holds a "\x1e".
            already_found = bool(positions) and positions[-1] == record
            if not already_found and (
                not crossed or _matches_alone(prepared, haystack, record, deadline)
            ):
                positions.append(record)
            if crossed:  # ran across records: rescan from the next one
                restart_at = starts[record + 1] if record + 1 < count else len(text) + 1
                break
        if restart_at is None:
            return
        position = restart_at


def _matches_alone(
    prepared: PreparedPattern, haystack: Haystack, record: int, deadline: float
) -> bool:
    start, end = haystack.starts[record], haystack.ends[record]
    return (
        prepared.matcher.search(haystack.text, start, end, timeout=_remaining(deadline)) is not None
    )


def _scan_record_by_record(
    matcher: regex.Pattern, haystack: Haystack, deadline: float, positions: list[int]
) -> None:
    """Slower fallback (one `search` call per hit) for patterns the scanner wrapper rejects."""
    text, starts, ends = haystack.text, haystack.starts, haystack.ends
    count, position = len(starts), 0
    while True:
        match = matcher.search(text, position, timeout=_remaining(deadline))
        if match is None:
            return
        record = bisect_right(starts, match.start()) - 1
        inside = match.start() <= ends[record] and match.end() <= ends[record]
        if inside or matcher.search(
            text, starts[record], ends[record], timeout=_remaining(deadline)
        ):
            positions.append(record)
        if record + 1 >= count:
            return
        position = starts[record + 1]
