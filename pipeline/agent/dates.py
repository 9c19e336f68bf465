"""Finds the period a question names ("in March 2024", "Q2 2023", "2023-06-01"), as ISO dates.

The deterministic planner turns it into a `date` tool call. Several mentions widen the period to
cover all of them ("between June and December 2023" -> 2023-06-01 .. 2023-12-31).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

_MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): index for index, name in enumerate(calendar.month_abbr) if name})
# A month name followed (in the same sentence) by a year; month names must be capitalised ("May 2024", not "may have"), so these patterns are case-sensitive.
_MONTH_WORDS = "|".join(sorted((m.title() for m in _MONTHS), key=len, reverse=True))

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_THEN_YEAR = re.compile(rf"\b({_MONTH_WORDS})\b(?=[^.?!]*?\b(\d{{4}})\b)")
_QUARTER = re.compile(r"\bQ([1-4])\s*(\d{4})\b", re.I)
_YEAR = re.compile(r"\b(?:in|during|of|since|throughout)\s+((?:19|20)\d{2})\b", re.I)


def question_date_range(question: str) -> tuple[str, str] | None:
    """(start, end) ISO dates covering every period the question names, or None."""
    periods: list[tuple[date, date]] = []
    for year, month, day in _ISO_DATE.findall(question):
        try:
            day_date = date(int(year), int(month), int(day))
        except ValueError:
            continue
        periods.append((day_date, day_date))
    for month_word, year in _MONTH_THEN_YEAR.findall(question):
        periods.append(_month_period(int(year), _MONTHS[month_word.lower()]))
    for quarter, year in _QUARTER.findall(question):
        first = 3 * (int(quarter) - 1) + 1
        periods.append((_month_period(int(year), first)[0], _month_period(int(year), first + 2)[1]))
    if not periods:
        for year in _YEAR.findall(question):
            periods.append((date(int(year), 1, 1), date(int(year), 12, 31)))
    if not periods:
        return None
    start = min(p[0] for p in periods)
    end = max(p[1] for p in periods)
    return start.isoformat(), end.isoformat()


def _month_period(year: int, month: int) -> tuple[date, date]:
    last = calendar.monthrange(year, month)[1]
    return date(year, month, 1), date(year, month, last)
