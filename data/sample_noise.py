"""Ordinary mailbox traffic for the Northwind sample: the haystack around the storylines.

Hand-written templates (meetings, lunch, close calendars, valve maintenance at other stations,
trading desk chatter, fantasy football, IT and HR notices, HTML newsletters) filled in with a seeded
`random.Random`, so the same seed always yields the same emails. The templates deliberately share
vocabulary with the storylines (valve, revenue, partnership, price cap, Lakeside, audit, layoffs)
so that finding the evidence takes real ranking, not a single keyword.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta

from data.sample_drafts import LOCAL_TZ, DraftEmail
from data.sample_noise_text import (
    ENERGYWIRE_HEADLINES,
    FANTASY_LINES,
    FORWARDED_ARTICLES,
    IT_NOTICES,
    LUNCH_PLACES,
    MEETING_REPLIES,
    MEETING_TOPICS,
    NEWSLETTER_ITEMS,
    ROUTINE_TEMPLATES,
    SIGNOFFS,
)
from data.sample_people import COMPANY_DOMAIN, PEOPLE

FIRST_DAY = date(2023, 1, 3)
LAST_DAY = date(2024, 8, 30)
STAFF = sorted(h for h, p in PEOPLE.items() if p.domain == COMPANY_DOMAIN and h != "mike.travers")
NEWSLETTER_READERS = [
    "jake.morrow",
    "nate.duffy",
    "hugo.stein",
    "nina.park",
    "leo.santos",
    "holly.chambers",
]
FANTASY_LEAGUE = [
    "ted.ramos",
    "tyler.gunn",
    "leo.santos",
    "brian.cho",
    "nate.duffy",
    "kevin.oneill",
    "doug.pratt",
    "sam.whitfield",
]


class _Composer:
    """Draws dates, people and phrases from one seeded RNG and numbers the drafts it makes."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.drafts: list[DraftEmail] = []

    def key(self, prefix: str) -> str:
        return f"{prefix}{len(self.drafts) + 1:04d}"

    def workday(self, start: date = FIRST_DAY, end: date = LAST_DAY) -> datetime:
        span = (end - start).days
        while True:
            day = start + timedelta(days=self.rng.randint(0, span))
            if day.weekday() < 5:
                break
        minute = self.rng.randint(7 * 60, 18 * 60 + 30)
        return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=LOCAL_TZ)

    def later(self, when: datetime, max_minutes: int = 300) -> datetime:
        return when + timedelta(minutes=self.rng.randint(4, max_minutes))

    def people(self, n: int, exclude: tuple[str, ...] = ()) -> list[str]:
        pool = [h for h in STAFF if h not in exclude]
        return self.rng.sample(pool, n)

    def sign(self, handle: str) -> str:
        first = PEOPLE[handle].first_name if handle in PEOPLE else ""
        return self.rng.choice(SIGNOFFS).format(first=first)

    def add(self, prefix: str, **fields) -> DraftEmail:
        draft = DraftEmail(key=self.key(prefix), **fields)
        self.drafts.append(draft)
        return draft


def _meetings(c: _Composer, count: int) -> None:
    for _ in range(count):
        sender, *others = c.people(c.rng.randint(2, 4))
        topic = c.rng.choice(MEETING_TOPICS)
        when = c.workday()
        slot = c.rng.choice(
            ["Tue 10:00", "Wed 2:30", "Thu 9:00", "Fri 11:00", "Mon 3:00", "Thursday after lunch"]
        )
        room = c.rng.choice(
            ["12B", "the small room on 9", "Teams", "the Bayou conference room", "my office"]
        )
        body = (
            f"Hi {', '.join(PEOPLE[o].first_name for o in others)},\n\n"
            f"Can we find 30 minutes to go over {topic}? {slot} in {room} works for me, "
            f"otherwise send me a couple of times.\n\n{c.sign(sender)}\n"
        )
        root = c.add(
            "mt",
            date=when,
            sender=sender,
            to=others[:1],
            cc=others[1:],
            subject=f"{topic[0].upper()}{topic[1:]}",
            body=body,
        )
        parent = root
        for _ in range(c.rng.choice([0, 1, 1, 2])):
            replier = c.rng.choice([h for h in [root.sender, *others] if h != parent.sender])
            reply_body = (
                c.rng.choice(MEETING_REPLIES).format(slot=slot, room=room)
                + f"\n\n{c.sign(replier)}\n"
            )
            parent = c.add(
                "mt",
                date=c.later(parent.date),
                sender=replier,
                to=[parent.sender],
                subject=f"RE: {root.subject}",
                body=reply_body,
                reply_to=parent.key,
                quote_parent=c.rng.random() < 0.6,
            )


def _lunch(c: _Composer, count: int) -> None:
    for _ in range(count):
        sender, *others = c.people(c.rng.randint(2, 5))
        place = c.rng.choice(LUNCH_PLACES)
        when = c.workday().replace(hour=c.rng.choice([10, 11]))
        body = (
            c.rng.choice(
                [
                    f"{place} at 11:45? I'm starving already",
                    f"anyone up for {place} today? leaving at noon from the lobby",
                    f"Lunch {place}, my treat for the birthday. 12:15, meet downstairs.",
                    f"thinking {place}. who's in",
                ]
            )
            + f"\n\n{c.sign(sender)}\n"
        )
        root = c.add(
            "lu",
            date=when,
            sender=sender,
            to=others,
            subject=c.rng.choice(["lunch", "Lunch?", "lunch today", "food"]),
            body=body,
        )
        if c.rng.random() < 0.7:
            replier = others[0]
            c.add(
                "lu",
                date=c.later(when, 40),
                sender=replier,
                to=[sender],
                subject=f"RE: {root.subject}",
                body=c.rng.choice(
                    [
                        "in",
                        "I'm in, save me a seat",
                        "can't today, have the revenue review at 12",
                        "yes!! 5 min late",
                    ]
                )
                + "\n",
                reply_to=root.key,
                quote_parent=c.rng.random() < 0.3,
            )


def _routine(c: _Composer) -> None:
    """Recurring operational mail: close calendars, valve PMs, nominations, desk notes, AP."""
    for template in ROUTINE_TEMPLATES:
        for _ in range(template["count"]):
            when = c.workday()
            month = when.strftime("%B")
            fill = {
                "month": month,
                "day": c.rng.randint(2, 27),
                "station": c.rng.choice(
                    [
                        "Port Arthur",
                        "Sabine",
                        "Bellmont",
                        "Cedar Bayou",
                        "Lakeside",
                        "Orange County",
                    ]
                ),
                "valve": f"{c.rng.choice(['MV', 'BV', 'CV', 'SV'])}-{c.rng.randint(1, 24)}",
                "mw": c.rng.choice([25, 50, 75, 100, 150]),
                "dth": c.rng.randrange(40_000, 260_000, 2_500),
                "hub": c.rng.choice(["Mid-C", "Palo Verde", "SP15", "Mead", "NP15"]),
                "amount": f"{c.rng.randint(2, 980)},{c.rng.randint(100, 999)}",
                "pct": c.rng.randint(2, 14),
                "wo": c.rng.randint(55000, 58999),
            }
            sender = template["from"]
            to = template["to"] if template["to"] else c.people(2, exclude=(sender,))
            c.add(
                "rt",
                date=when,
                sender=sender,
                to=to,
                cc=template.get("cc", []),
                subject=template["subject"].format(**fill),
                body=template["body"].format(**fill) + f"\n\n{c.sign(sender)}\n",
            )


def _fantasy(c: _Composer) -> None:
    for week in range(1, 15):
        when = datetime(2023, 9, 12, 8, 5, tzinfo=LOCAL_TZ) + timedelta(
            weeks=week - 1, minutes=c.rng.randint(0, 600)
        )
        winner, loser = c.rng.sample(FANTASY_LEAGUE, 2)
        line = c.rng.choice(FANTASY_LINES).format(
            winner=PEOPLE[winner].first_name,
            loser=PEOPLE[loser].first_name,
            pts=c.rng.randint(88, 161),
        )
        root = c.add(
            "ff",
            date=when,
            sender="ted.ramos",
            to=[h for h in FANTASY_LEAGUE if h != "ted.ramos"],
            subject=f"Northwind Gridiron League - week {week} recap",
            body=f"Week {week} is in the books.\n\n{line}\n\nWaivers clear Wednesday 10pm. Trade deadline is week 11.\n\nTed (commish)\n",
        )
        if c.rng.random() < 0.5:
            c.add(
                "ff",
                date=c.later(when, 200),
                sender=loser,
                to=["ted.ramos"],
                subject=f"RE: {root.subject}",
                body=c.rng.choice(
                    ["rigged", "my kicker hates me", "I want a recount", "next week. watch."]
                )
                + "\n",
                reply_to=root.key,
                quote_parent=True,
            )
    c.add(
        "ff",
        date=datetime(2024, 8, 12, 9, 30, tzinfo=LOCAL_TZ),
        sender="ted.ramos",
        to=FANTASY_LEAGUE[1:],
        subject="2024 draft - Aug 29 at 6pm",
        body="Draft is Thursday Aug 29, 6pm, Little Woodrow's back room. $50 buy-in, Venmo me before. Same scoring as last year.\n\nTed\n",
    )


def _html(c: _Composer) -> None:
    day = datetime(2023, 1, 10, 6, 30, tzinfo=LOCAL_TZ)
    while day.date() <= LAST_DAY:
        items = c.rng.sample(ENERGYWIRE_HEADLINES, 3)
        lis = "".join(
            f'<li><a href="https://energywire.example/a/{c.rng.randint(10000, 99999)}">{h}</a><br><span>{s}</span></li>'
            for h, s in items
        )
        html = (
            f'<html><body style="font-family:Georgia,serif"><h1>EnergyWire Daily</h1><p>{day:%A, %B %d, %Y}</p>'
            f'<h3>Top stories</h3><ul>{lis}</ul><p style="font-size:10px">You are receiving this because you subscribed at energywire.example. '
            f'<a href="https://energywire.example/unsubscribe">Unsubscribe</a></p></body></html>'
        )
        c.add(
            "ew",
            date=day,
            sender="energywire",
            to=[c.rng.choice(NEWSLETTER_READERS)],
            subject=f"EnergyWire Daily: {items[0][0]}",
            body=html,
            is_html=True,
        )
        day += timedelta(weeks=3)
    for subject, paragraph in IT_NOTICES:
        html = (
            f'<html><body><table width="600"><tr><td style="background:#003366;color:#fff"><b>Northwind IT</b></td></tr>'
            f"<tr><td><p>{paragraph}</p><p>Need help? Call the Service Desk at x4357 or open a ticket.</p></td></tr></table></body></html>"
        )
        c.add(
            "it",
            date=c.workday(),
            sender="it-notices",
            to=["all-staff"],
            subject=subject,
            body=html,
            is_html=True,
        )
    for quarter, (title, items) in enumerate(NEWSLETTER_ITEMS):
        when = datetime(2023, 3, 28, 9, 0, tzinfo=LOCAL_TZ) + timedelta(days=91 * quarter)
        sections = "".join(f"<h3>{h}</h3><p>{p}</p>" for h, p in items)
        c.add(
            "tc",
            date=when,
            sender="the-current",
            to=["all-staff"],
            subject=f"The Current - {title}",
            body=f"<html><body><h1>The Current</h1><h2>{title}</h2>{sections}</body></html>",
            is_html=True,
        )
    for when, subject, text in [
        (
            datetime(2023, 10, 30, 7, 0, tzinfo=LOCAL_TZ),
            "Open enrollment starts November 1",
            "Open enrollment for 2024 benefits runs November 1-15. Medical premiums rise 4%; the HSA employer contribution stays at $750.",
        ),
        (
            datetime(2023, 11, 13, 7, 0, tzinfo=LOCAL_TZ),
            "Reminder: open enrollment closes Wednesday",
            "You have not yet confirmed your 2024 elections. If you do nothing, your current medical, dental and vision elections roll over.",
        ),
        (
            datetime(2024, 1, 29, 7, 0, tzinfo=LOCAL_TZ),
            "Your 2023 W-2 is available",
            "Your 2023 Form W-2 is now available in the portal under Pay > Tax Documents.",
        ),
        (
            datetime(2024, 5, 6, 7, 0, tzinfo=LOCAL_TZ),
            "401(k) match true-up posted",
            "The annual 401(k) match true-up for plan year 2023 has been posted to eligible accounts.",
        ),
    ]:
        reader = c.rng.choice(STAFF)
        c.add(
            "bn",
            date=when,
            sender="benefits",
            to=[reader],
            subject=subject,
            body=f'<html><body><img src="https://benefits-portal.example/logo.png" alt="Benefits"><p>Hello {PEOPLE[reader].first_name},</p><p>{text}</p><p><a href="https://benefits-portal.example/login">Log in</a></p></body></html>',
            is_html=True,
        )


def _forwards(c: _Composer) -> None:
    for subject, article in FORWARDED_ARTICLES:
        sender, receiver, third = c.people(3)
        when = c.workday()
        note = c.rng.choice(
            [
                "FYI",
                "interesting read",
                "thought you'd want to see this",
                "saw this, relevant to our conversation last week",
                "fyi - worth 5 min",
            ]
        )
        body = (
            f"{note}\n\n{c.sign(sender)}\n\n---------- Forwarded message ----------\nFrom: EnergyWire Daily <newsletter@energywire.example>\n"
            f"Date: {when - timedelta(days=1):%a, %b %d, %Y}\nSubject: {subject}\n\n{article}\n"
        )
        root = c.add(
            "fw",
            date=when,
            sender=sender,
            to=[receiver],
            cc=[third] if c.rng.random() < 0.4 else [],
            subject=f"FW: {subject}",
            body=body,
        )
        if c.rng.random() < 0.5:
            c.add(
                "fw",
                date=c.later(when, 600),
                sender=receiver,
                to=[sender],
                subject=f"RE: FW: {subject}",
                body=c.rng.choice(
                    [
                        "Thanks, hadn't seen this.",
                        "Yeah we should talk about what this means for us.",
                        "ha, told you",
                    ]
                )
                + f"\n\n{c.sign(receiver)}\n",
                reply_to=root.key,
                quote_parent=True,
            )


SECTIONS: list[tuple[Callable[[_Composer], None], tuple]] = [
    (_meetings, (48,)),
    (_lunch, (16,)),
    (_routine, ()),
    (_fantasy, ()),
    (_html, ()),
    (_forwards, ()),
]


def generate_noise(seed: int) -> list[DraftEmail]:
    """Every noise draft for the sample, deterministic for a given seed."""
    composer = _Composer(seed)
    for section, args in SECTIONS:
        section(composer, *args)
    return composer.drafts
