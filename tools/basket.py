"""The evidence basket: emails an analyst pinned, with tags and a note, kept per corpus in SQLite
in the project's state folder, so they survive runs and restarts.

The file lives in the project's state folder (`pipeline.desk`). An item is keyed by (corpus fingerprint, email id). It also remembers the run it was pinned from
(to open the email again and export it) and the email's date, sender and subject (to list it
without loading the corpus). Every call opens its own connection: safe from any thread or process.

Pure Python (stdlib sqlite3): no streamlit, zenml or openai imports.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tools.models import Email

DEFAULT_TAGS = ("key", "relevant", "privileged", "follow-up")
MAX_TAG_CHARS = 40
MAX_NOTE_CHARS = 5_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    corpus TEXT NOT NULL,
    email_id TEXT NOT NULL,
    run_id TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    sender TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    note TEXT NOT NULL DEFAULT '',
    pinned_at TEXT NOT NULL,
    PRIMARY KEY (corpus, email_id)
)
"""


@dataclass(frozen=True)
class BasketItem:
    corpus: str
    email_id: str
    run_id: str = ""
    date: str = ""
    sender: str = ""
    subject: str = ""
    tags: list[str] = field(default_factory=list)
    note: str = ""
    pinned_at: str = ""


def clean_tags(tags: list[str]) -> list[str]:
    """Trimmed, lower-cased, at most MAX_TAG_CHARS each, no blanks or repeats, in given order."""
    cleaned = (" ".join(t.split()).lower()[:MAX_TAG_CHARS] for t in tags)
    return list(dict.fromkeys(t for t in cleaned if t))


class Basket:
    """The basket in the SQLite file at `path` (`pipeline.desk.basket()` gives the project's)."""

    def __init__(self, path: Path):
        self.path = path
        with self._connect() as db:
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:  # commits, or rolls back on error
                yield db
        finally:
            db.close()

    def pin(self, corpus: str, email: Email, run_id: str = "") -> BasketItem:
        """Add the email (kept as it is when already pinned)."""
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO items (corpus, email_id, run_id, date, sender, subject,"
                " pinned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    corpus,
                    email.id,
                    run_id,
                    email.date.isoformat() if email.date else "",
                    email.sender,
                    email.subject,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )
        item = self.get(corpus, email.id)
        assert item is not None
        return item

    def unpin(self, corpus: str, email_id: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM items WHERE corpus = ? AND email_id = ?", (corpus, email_id))

    def get(self, corpus: str, email_id: str) -> BasketItem | None:
        with self._connect() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM items WHERE corpus = ? AND email_id = ?",
                (corpus, email_id),
            ).fetchone()
        return None if row is None else _item(row)

    def set_tags(self, corpus: str, email_id: str, tags: list[str]) -> None:
        self._update(corpus, email_id, "tags", json.dumps(clean_tags(tags)))

    def set_note(self, corpus: str, email_id: str, note: str) -> None:
        self._update(corpus, email_id, "note", note[:MAX_NOTE_CHARS])

    def _update(self, corpus: str, email_id: str, column: str, value: str) -> None:
        with self._connect() as db:
            changed = db.execute(
                f"UPDATE items SET {column} = ? WHERE corpus = ? AND email_id = ?",
                (value, corpus, email_id),
            ).rowcount
        if not changed:
            raise KeyError(f"email {email_id!r} is not pinned for this corpus")

    def items(self, corpus: str, tag: str | None = None) -> list[BasketItem]:
        """The corpus's pinned emails in date order; only those tagged `tag` when given."""
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM items WHERE corpus = ? ORDER BY date, email_id",
                (corpus,),
            ).fetchall()
        found = [_item(row) for row in rows]
        return [i for i in found if tag in i.tags] if tag else found

    def corpora(self) -> list[tuple[str, int]]:
        """(corpus fingerprint, items) for every corpus with pinned emails, most recent first."""
        with self._connect() as db:
            return db.execute(
                "SELECT corpus, COUNT(*) FROM items GROUP BY corpus ORDER BY MAX(pinned_at) DESC"
            ).fetchall()

    def tag_counts(self, corpus: str) -> Counter[str]:
        return Counter(tag for item in self.items(corpus) for tag in item.tags)


_COLUMNS = "corpus, email_id, run_id, date, sender, subject, tags, note, pinned_at"


def _item(row: tuple) -> BasketItem:
    corpus, email_id, run_id, date, sender, subject, tags, note, pinned_at = row
    return BasketItem(
        corpus=corpus,
        email_id=email_id,
        run_id=run_id,
        date=date,
        sender=sender,
        subject=subject,
        tags=list(json.loads(tags or "[]")),
        note=note,
        pinned_at=pinned_at,
    )
