"""Pattern handling for the grep/count tools: validate an untrusted pattern, then find every email
it matches with RE2, a regex engine that runs in time linear in the text and cannot backtrack.

A pattern the agent (or a model) writes is untrusted. `prepare_pattern` turns it into a
`PreparedPattern`: length cap, empty check, literal fast path, guard against counted repetitions
that would take long to compile, and then one of three outcomes: an RE2 program, a literal search
(the pattern is not a valid regex in any dialect, flagged `literal_fallback`), or an error that
names the unsupported construct (look-around, back-reference, possessive or atomic group, ...) and
says how to rephrase it. Nothing is ever searched partially because of the pattern's shape.

How a scan stays fast: the records (every email's searchable text joined with record separators,
a `Haystack`) are encoded to UTF-8 once, and RE2 searches that buffer from record to record: after
a hit in record i the next search starts at record i + 1, so each email costs at most one match.
A match that runs across a separator is re-checked against that record alone (a zero-copy slice),
so the result equals searching each email by itself. Patterns that name the start or end of the
text (`\\A`, `\\z`, `\\Z`, or `(?-m)` turning per-line anchors off) are run on each record alone.

Semantics: case-insensitive; `^` and `$` match at line starts/ends, `.` does not match a newline
unless the pattern says `(?s)`; `\\w`, `\\d`, `\\s` and `\\b` are ASCII (RE2's Perl classes).

The one safety stop: the scan checks its thread's CPU time between windows of about 4 MB and
stops after `SAFETY_CPU_S` seconds, reporting how many emails it searched. Only a pathological
pattern gets there (RE2 falls back from its DFA to its slower NFA when a pattern has too many
states); a word alternation over a 60,000-email chunk uses a few hundred milliseconds.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import re2
import regex

logger = logging.getLogger(__name__)

MAX_PATTERN_LENGTH = 300
MAX_REPEAT_EXPANSION = 30_000
RE2_MAX_MEM = 64 << 20  # compiled program + DFA cache per pattern; the default 8 MB thrashes sooner
SAFETY_CPU_S = 10.0
WINDOW_BYTES = 4 << 20
RECORD_SEPARATOR = "\n\x1e\n"
_REGEX_METACHARACTERS = frozenset("\\.^$*+?{}[]|()")
_COUNTED_REPEAT = re.compile(r"\{(\d*)(?:,(\d*))?\}")
_INLINE_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(-[a-zA-Z]*)?[:)]")
_WHOLE_TEXT_ANCHOR = re.compile(r"(?<!\\)(?:\\\\)*\\[AzZ]")
_UNSUPPORTED = [
    # (construct in the pattern, what it is, how to say the same without it)
    (re.compile(r"\(\?<?[=!]"), "look-around ((?=, (?!, (?<=, (?<!)",
     "drop the look-around and match the words themselves; for 'A but not B' grep for A and "
     "read the matches, for 'A near B' use A[^\\n]*B|B[^\\n]*A"),
    (re.compile(r"\\[1-9]|\\g|\(\?P="), "a back-reference (\\1, \\g<name>, (?P=name))",
     "write the repeated text out (for (ab)\\1 use abab), or grep for the candidates and "
     "compare them yourself"),
    (re.compile(r"[*+?}]\+"), "a possessive quantifier (*+, ++, ?+)",
     "use the plain quantifier (*, +, ?): this engine never backtracks, so it is as fast"),
    (re.compile(r"\(\?>"), "an atomic group ((?>...))",
     "use a plain group (?:...): this engine never backtracks, so it is as fast"),
    (re.compile(r"\(\?\("), "a conditional ((?(1)...|...))",
     "search for each alternative separately"),
    (re.compile(r"\(\?[a-z]*r"), "the reverse-search flag (?r)", "remove the flag"),
    (re.compile(r"\(\?[a-z]*x"), "verbose mode (?x)",
     "write the pattern without the flag, its spaces and its # comments"),
    (re.compile(r"\{\d{4,}|,\d{4,}\}"), "a counted repetition above 1000",
     "use counts of at most 1000, or an open repetition such as + or {3,}"),
]  # fmt: skip


@dataclass(frozen=True)
class PreparedPattern:
    """A validated pattern, ready to scan: exactly one of `error`, `literal`, `program` is set."""

    text: str
    literal: str | None = None  # lowercased needle, searched in the lowercased haystack
    program: re2._Regexp | None = None  # the RE2 program (multiline, no capture groups)
    on_lowered: bool = False  # run on the lowercased haystack (the program is case-sensitive)
    per_record: bool = False  # the pattern names the text's start or end: search records alone
    literal_fallback: bool = False  # the pattern was not a valid regex and is searched literally
    error: str | None = None


@dataclass(frozen=True)
class EncodedRecords:
    """A haystack as UTF-8 bytes; record i is `data[starts[i]:ends[i]]`."""

    data: bytes
    starts: tuple[int, ...]
    ends: tuple[int, ...]


@dataclass(frozen=True)
class Haystack:
    """Texts joined by `RECORD_SEPARATOR`; record i is `text[starts[i]:ends[i]]`."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    _encoded: list[EncodedRecords] = field(default_factory=list, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

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

    def encoded(self) -> EncodedRecords:
        """The records as UTF-8 bytes with byte offsets, built on first use and kept."""
        with self._lock:
            if not self._encoded:
                self._encoded.append(_encode(self))
            return self._encoded[0]


def _encode(haystack: Haystack) -> EncodedRecords:
    text = haystack.text
    if text.isascii():  # one byte per character: the offsets carry over
        return EncodedRecords(text.encode("ascii"), haystack.starts, haystack.ends)
    starts, ends, position, separator = [], [], 0, len(RECORD_SEPARATOR)
    for start, end in zip(haystack.starts, haystack.ends, strict=True):
        starts.append(position)
        position += len(text[start:end].encode("utf-8", "surrogatepass"))
        ends.append(position)
        position += separator
    return EncodedRecords(text.encode("utf-8", "surrogatepass"), tuple(starts), tuple(ends))


@dataclass(frozen=True)
class ScanOutcome:
    """Positions of matching records (ascending), how many records were searched, and why the
    scan stopped early (None when it searched every record, which is all but pathological cases)."""

    positions: list[int]
    searched: int
    stopped: str | None = None


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
    # `\Z` is `\z` in RE2; either anchor (or `(?-m)`) means "start/end of the email": run on each.
    source = _WHOLE_TEXT_ANCHOR.sub(
        lambda anchor: anchor.group(0)[:-1] + anchor.group(0)[-1].replace("Z", "z"), body
    )
    per_record = _WHOLE_TEXT_ANCHOR.search(body) is not None or any(
        "m" in (flags.group(2) or "") for flags in _INLINE_FLAGS.finditer(body)
    )
    lowered = _lowercase_equivalent(source)
    try:
        if lowered is not None:
            program = _compile(lowered, case_sensitive=True)
        else:
            program = _compile(source, case_sensitive=False)
    except re2.error as exc:
        return _rejected(pattern, _error_text(exc))
    return PreparedPattern(
        pattern, program=program, on_lowered=lowered is not None, per_record=per_record
    )


def _compile(source: str, *, case_sensitive: bool) -> re2._Regexp:
    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.never_capture = True  # only where a match is matters: skips the submatch pass
    options.max_mem = RE2_MAX_MEM
    options.log_errors = False
    return re2.compile(f"(?m){source}", options)


def _error_text(exc: Exception) -> str:
    message = exc.args[0] if exc.args else str(exc)
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


def _rejected(pattern: str, engine_error: str) -> PreparedPattern:
    """Why RE2 refused `pattern`: a named unsupported construct, an invalid regex (searched as a
    literal, as before), or a program too large for the engine's memory."""
    for construct, what, advice in _UNSUPPORTED:
        if construct.search(pattern):
            return PreparedPattern(
                pattern,
                error=(
                    f"unsupported regex syntax: {what}. The search engine runs in linear time "
                    f"and cannot backtrack. Rephrase: {advice}."
                ),
            )
    if "too large" in engine_error or "too big" in engine_error:
        return PreparedPattern(
            pattern,
            error=(
                "pattern too large for the search engine's memory "
                f"({RE2_MAX_MEM >> 20} MB): use fewer alternatives or smaller {{n}} counts"
            ),
        )
    try:
        regex.compile(pattern, regex.IGNORECASE | regex.MULTILINE)
    except (regex.error, OverflowError, RecursionError, ValueError):
        logger.debug("pattern %r is not a valid regex; searching it literally", pattern)
        return PreparedPattern(pattern, literal=pattern.lower(), literal_fallback=True)
    return PreparedPattern(
        pattern,
        error=(
            f"unsupported regex syntax ({engine_error}). The search engine runs in linear time "
            "and supports Perl syntax without look-around or back-references: rephrase the "
            "pattern with plain groups, classes and quantifiers."
        ),
    )


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


def scan_records(
    prepared: PreparedPattern,
    lowered: Haystack,
    *,
    original: Callable[[], Haystack],
    cpu_limit_s: float = SAFETY_CPU_S,
) -> ScanOutcome:
    """Positions of the records that `prepared` matches, in order: every record, unless a
    pathological pattern reaches the `cpu_limit_s` safety stop (then `stopped` says so).

    `lowered` holds the records lowercased (`str.lower`); `original()` gives the same records in
    their own case, asked for only by the few patterns that cannot run on lowercased text.
    """
    if prepared.error is not None:
        raise ValueError(f"cannot scan with an invalid pattern: {prepared.error}")
    if prepared.literal is not None:
        return ScanOutcome(_scan_literal(prepared.literal, lowered), len(lowered))
    haystack = (lowered if prepared.on_lowered else original()).encoded()
    scan_window = _scan_each_record if prepared.per_record else _scan_window
    positions: list[int] = []
    find = _span_finder(prepared.program)
    total, record, cpu_started = len(haystack.starts), 0, time.thread_time()
    while record < total:
        last = max(
            record, bisect_right(haystack.starts, haystack.starts[record] + WINDOW_BYTES) - 1
        )
        scan_window(find, haystack, record, last, positions)
        record = last + 1
        used = time.thread_time() - cpu_started
        if record < total and used > cpu_limit_s:
            stopped = (
                f"safety stop after {used:.1f} s of CPU: searched {record:,} of {total:,} emails. "
                "The pattern has too many states for a fast scan (long counted repetitions of "
                "broad classes such as .{50} or [^x]{100}); simplify it to search them all"
            )
            logger.warning("pattern %r: %s", prepared.text, stopped)
            return ScanOutcome(positions, record, stopped)
    return ScanOutcome(positions, total)


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


SpanFinder = Callable[[bytes | memoryview, int, int], tuple[int, int] | None]


def _span_finder(program: re2._Regexp) -> SpanFinder:
    """`find(data, start, end)`: the span of the first match in `data[start:end]`, or None.

    Calls the compiled RE2 object under the `re2` wrapper directly when it is there (google-re2
    1.1, pinned): 1.8 us per call against 4.7 us through `search`, which builds a match object;
    a chunk where every email matches makes one call per email.
    """
    compiled, unanchored = getattr(program, "_regexp", None), re2._Anchor.UNANCHORED
    if compiled is None or not hasattr(compiled, "Match"):

        def find(data: bytes | memoryview, start: int, end: int) -> tuple[int, int] | None:
            match = program.search(data, start, end)
            return None if match is None else match.span()

        return find

    def find_direct(data: bytes | memoryview, start: int, end: int) -> tuple[int, int] | None:
        span = compiled.Match(unanchored, data, start, end)[0]
        return None if span[0] < 0 else span

    return find_direct


def _scan_window(
    find: SpanFinder, haystack: EncodedRecords, first: int, last: int, positions: list[int]
) -> None:
    """Append the matching records among `first..last`, one search per matching record."""
    data, starts, ends = haystack.data, haystack.starts, haystack.ends
    view = memoryview(data)
    position, end = starts[first], ends[last]
    while True:
        span = find(data, position, end)
        if span is None:
            return
        begin, finish = span
        record = bisect_right(starts, begin, first, last + 1) - 1
        if begin <= ends[record] and (
            finish <= ends[record]
            or find(view[starts[record] : ends[record]], 0, ends[record] - starts[record])
        ):
            positions.append(record)
        if record >= last:
            return
        position = starts[record + 1]


def _scan_each_record(
    find: SpanFinder, haystack: EncodedRecords, first: int, last: int, positions: list[int]
) -> None:
    """Search records `first..last` one by one (for patterns anchored to the text's start/end)."""
    view, starts, ends = memoryview(haystack.data), haystack.starts, haystack.ends
    for record in range(first, last + 1):
        if find(view[starts[record] : ends[record]], 0, ends[record] - starts[record]):
            positions.append(record)
