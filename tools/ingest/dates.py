"""Parsing the many ways an email's date is written: RFC 2822, ISO 8601, epoch seconds or ms.

`parse_date` never raises: it returns the datetime (always timezone-aware) and a status that
the caller turns into a "repaired" problem: "naive" (no zone given, UTC assumed) or
"unparsable" / "out of range" (the email is kept without a date).
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Literal

DateStatus = Literal["ok", "naive", "unparsable", "out of range"]

EARLIEST_YEAR = 1900
LATEST_YEAR = 2200

_SMALLEST_EPOCH = 100_000_000
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}")
# "Mon, 14 May 2001 16:39:00 -0700 (PDT)"; "-0000" (zone unknown) is left to the stdlib parser.
_COMMON_RFC2822 = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s+([+-](?!0000)\d{4})(?:\s*\(.*\))?\s*$"
)
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}  # fmt: skip
_EXTRA_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",  # day first, tried only when month first fails (Europe)
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %I:%M:%S %p",
    "%d/%m/%Y %I:%M %p",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y",
    "%a %d %b %Y %H:%M:%S",
    "%a %d %b %Y",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y",
)


def parse_date(value: Any) -> tuple[datetime | None, DateStatus]:
    """Parse a date from a string, a number (epoch s/ms/us) or a datetime."""
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, bool):
        return None, "unparsable"
    elif isinstance(value, int | float):
        parsed = _from_epoch(value) if abs(value) < 1e18 else None
    elif isinstance(value, str):
        parsed = _from_text(value.strip())
    else:
        return None, "unparsable"
    if parsed is None:
        return None, "unparsable"
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        return None, "out of range"
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return parsed.replace(tzinfo=UTC), "naive"
    return parsed, "ok"


def _from_text(text: str) -> datetime | None:
    if not text:
        return None
    if _ISO_START.match(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    if _NUMBER.fullmatch(text):
        return _from_epoch(float(text)) if len(text) < 30 else None
    common = _COMMON_RFC2822.match(text)
    if common:
        parsed = _from_rfc2822_match(common)
        if parsed is not None:
            return parsed
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = None
    if parsed is not None:
        return parsed
    for fmt in _EXTRA_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _from_rfc2822_match(match: re.Match[str]) -> datetime | None:
    """The usual "Mon, 14 May 2001 16:39:00 -0700 (PDT)" without the stdlib's general parser."""
    day, month_name, year, hour, minute, second, offset = match.groups()
    month = _MONTHS.get(month_name.lower())
    if month is None:
        return None
    try:
        return datetime(
            int(year), month, int(day), int(hour), int(minute), int(second or 0),
            tzinfo=_zone(offset),
        )  # fmt: skip
    except ValueError:
        return None


@functools.lru_cache(maxsize=256)
def _zone(offset: str) -> timezone:
    minutes = int(offset[1:3]) * 60 + int(offset[3:5])
    return timezone(timedelta(minutes=-minutes if offset[0] == "-" else minutes))


def _from_epoch(number: float | int) -> datetime | None:
    """Epoch seconds, or milliseconds / microseconds when the number is too large for seconds.

    Numbers below `_SMALLEST_EPOCH` (1973) are more likely years or counters than dates.
    """
    if number != number or number < _SMALLEST_EPOCH:  # NaN, negative or implausibly early
        return None
    for divisor in (1, 1_000, 1_000_000):
        seconds = number / divisor
        if seconds < 10_000_000_000:  # up to year 2286
            try:
                return datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                return None
    return None
