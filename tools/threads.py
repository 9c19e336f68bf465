"""Rebuilding conversations: which emails belong to one thread, and which part of a body is quoted.

Emails are joined when their headers say so: `Message-ID`, `In-Reply-To` and the thread reference
(`thread_id`: the root of `References`, or a conversation id). An email without reply headers
(no `In-Reply-To`, no reference, as in many exports that keep only the `Message-ID`) falls back
to its normalised subject ("RE: FW: Budget" -> "budget") plus its participants: it joins the
emails with the same subject that share at least one participant with it, so a forward without
headers stays with the conversation it came from. Emails without a subject never join by subject.

Pure Python: no streamlit, zenml or openai imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|sv|tr|wg)(?:\[\d+\])?\s*:\s*|\[(?:fwd|fw)\]\s*)+", re.IGNORECASE
)
_ADDRESS = re.compile(r"<([^<>\s]+@[^<>\s]+)>|([^\s<>,;\"']+@[^\s<>,;\"']+)")
_QUOTE_START = re.compile(
    r"^(?:>"
    r"|-{2,}\s*original message\s*-{2,}"
    r"|-{2,}\s*forwarded (?:message|by)\b"
    r"|begin forwarded message:"
    r"|on .{0,200}\bwrote:\s*$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ThreadFields:
    """What threading looks at for one email."""

    id: str
    date: datetime | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    reference: str | None = None  # the thread id / root of References
    subject: str = ""
    participants: tuple[str, ...] = ()  # sender and recipients, any form


def normalise_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, lower case, single spaces."""
    return " ".join(_REPLY_PREFIX.sub("", subject or "").split()).lower()


def person_key(text: str) -> str:
    """The address in "Name <a@b>" (lower case), else the whole text lower-cased."""
    match = _ADDRESS.search(text or "")
    if match:
        return (match.group(1) or match.group(2)).lower()
    return " ".join((text or "").split()).lower()


def split_quoted(body: str) -> tuple[str, str]:
    """(the email's own text, the quoted or forwarded text after it); quoted is "" when none."""
    lines = (body or "").splitlines(keepends=True)
    for index, line in enumerate(lines):
        if _QUOTE_START.match(line.strip()):
            return "".join(lines[:index]).rstrip(), "".join(lines[index:]).rstrip()
    return (body or "").rstrip(), ""


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[object, object] = {}

    def find(self, node: object) -> object:
        self.parent.setdefault(node, node)
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:  # path compression
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: object, b: object) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _header(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return value or None


def assign_threads(emails: Sequence[ThreadFields]) -> dict[str, str]:
    """email id -> thread key. The key is the id of the thread's first email (by date, then id),
    so it is stable and readable."""
    links = _UnionFind()
    for index, email in enumerate(emails):
        links.find(("e", index))
        headers = [_header(email.message_id), _header(email.in_reply_to), _header(email.reference)]
        for value in headers:
            if value:
                links.union(("e", index), ("h", value))
        if headers[1] or headers[2]:
            continue  # the headers place it
        subject = normalise_subject(email.subject)
        if not subject:
            continue
        for person in {person_key(p) for p in email.participants if p}:
            links.union(("e", index), ("s", subject, person))
    members: dict[object, list[int]] = {}
    for index in range(len(emails)):
        members.setdefault(links.find(("e", index)), []).append(index)
    keys: dict[str, str] = {}
    for group in members.values():
        first = min(group, key=lambda i: _order(emails[i]))
        for index in group:
            keys[emails[index].id] = emails[first].id
    return keys


def _order(email: ThreadFields) -> tuple[bool, float, str]:
    return (email.date is None, email.date.timestamp() if email.date else 0.0, email.id)


def in_date_order(emails: Iterable[ThreadFields]) -> list[ThreadFields]:
    return sorted(emails, key=_order)
