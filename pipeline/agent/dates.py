"""Finds the period a question names ("in March 2024", "Q2 2023", "2023-06-01"), as ISO dates.

The deterministic planner turns it into a `date` tool call. Several mentions widen the period to
cover all of them ("between June and December 2023" -> 2023-06-01 .. 2023-12-31).
`question_period` is the stricter reading the evidence ranking uses: the period the question is
about, or None when its wording leaves the period open ("since March 2023").
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


Period = tuple[date, date]
# Words that leave a period open on one side: "since March 2023", "before Q2 2024", "from 2001".
_OPEN_BEFORE = re.compile(
    r"\b(?:since|after|before|until|till|by|from|prior to|following|as of|up to|later than|"
    r"earlier than)\s+(?:(?:the\s+)?(?:start|beginning|end|middle) of\s+|early\s+|mid-?\s*|late\s+)?$",
    re.IGNORECASE,
)
_OPEN_AFTER = re.compile(
    r"^\s*(?:on(?:wards?)?\b|and (?:after|later|since|before|earlier)\b|or (?:later|earlier)\b)",
    re.I,
)
_LOOK_BACK = 40  # characters before a mention searched for an opening word


def _mentions(question: str) -> list[tuple[int, int, Period]]:
    """Every period the question names, as (start, end) character positions and dates. A bare
    year counts only with a preposition ("in 2023") and only when nothing finer is named."""
    found: list[tuple[int, int, Period]] = []
    for match in _ISO_DATE.finditer(question):
        year, month, day = (int(group) for group in match.groups())
        try:
            day_date = date(year, month, day)
        except ValueError:
            continue
        found.append((match.start(), match.end(), (day_date, day_date)))
    for match in _MONTH_THEN_YEAR.finditer(question):
        month_word, year = match.groups()
        period = _month_period(int(year), _MONTHS[month_word.lower()])
        found.append((match.start(), match.end(2), period))  # the year is in a lookahead
    for match in _QUARTER.finditer(question):
        quarter, year = int(match.group(1)), int(match.group(2))
        first = 3 * (quarter - 1) + 1
        period = (_month_period(year, first)[0], _month_period(year, first + 2)[1])
        found.append((match.start(), match.end(), period))
    if not found:
        for match in _YEAR.finditer(question):
            year = int(match.group(1))
            found.append((match.start(1), match.end(1), (date(year, 1, 1), date(year, 12, 31))))
    return found


def question_date_range(question: str) -> tuple[str, str] | None:
    """(start, end) ISO dates covering every period the question names, or None."""
    periods = [period for _, _, period in _mentions(question)]
    if not periods:
        return None
    start = min(p[0] for p in periods)
    end = max(p[1] for p in periods)
    return start.isoformat(), end.isoformat()


def question_period(question: str) -> Period | None:
    """The closed period a question is about, or None: like `question_date_range`, but None when
    the question names a single period and leaves it open on one side ("since March 2023",
    "before Q2 2024", "2023 onwards"). Two or more mentions ("from December 2000 through March
    2001") close the period between them."""
    found = _mentions(question)
    if not found:
        return None
    if len(found) == 1:
        start, end, _ = found[0]
        if _OPEN_BEFORE.search(question[max(0, start - _LOOK_BACK) : start]) or _OPEN_AFTER.match(
            question[end:]
        ):
            return None
    return min(p[0] for _, _, p in found), max(p[1] for _, _, p in found)


def _month_period(year: int, month: int) -> tuple[date, date]:
    last = calendar.monthrange(year, month)[1]
    return date(year, month, 1), date(year, month, last)
