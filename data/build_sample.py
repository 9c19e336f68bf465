"""Build the bundled Northwind Energy sample mailbox and its labelled queries.

Storyline emails are written out in full in ``data/stories/*.txt``; ordinary mailbox noise comes from
the hand-written templates in ``data/sample_noise.py`` filled in by a seeded RNG. The builder merges
both, sorts by date, assigns stable ids ("nw-0001"...), threads replies (message_id, in_reply_to,
thread_id, quoted text) and writes ``data/sample/northwind_mail.json`` plus ``data/queries.json``
(whose relevant ids are resolved from story keys). Output is byte-identical across reruns.

Run: ``python -m data.build_sample``
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from pathlib import Path

from data.sample import QUERIES_PATH, SAMPLE_PATH
from data.sample_drafts import LOCAL_TZ, DraftEmail
from data.sample_noise import generate_noise
from data.sample_people import COMPANY_DOMAIN, PEOPLE, address_of, mailbox_of
from data.sample_queries import QUERY_SPECS

logger = logging.getLogger(__name__)

STORIES_DIR = Path(__file__).parent / "stories"
_HEADER_KEYS = {"date", "from", "to", "cc", "bcc", "reply", "quote", "folder", "html", "subject"}


def parse_story_file(path: Path) -> list[DraftEmail]:
    """Parse a story file: ``### key`` blocks of ``name: value`` headers, a blank line, the body."""
    drafts: list[DraftEmail] = []
    blocks = path.read_text(encoding="utf-8").split("### ")[1:]
    for block in blocks:
        key, _, rest = block.partition("\n")
        header_text, _, body = rest.partition("\n\n")
        headers: dict[str, str] = {}
        for line in header_text.splitlines():
            name, sep, value = line.partition(":")
            if not sep or name.strip() not in _HEADER_KEYS:
                raise ValueError(f"{path.name} [{key.strip()}]: bad header line {line!r}")
            headers[name.strip()] = value.strip()
        missing = {"date", "from", "to", "subject"} - headers.keys()
        if missing:
            raise ValueError(f"{path.name} [{key.strip()}]: missing headers {sorted(missing)}")
        drafts.append(
            DraftEmail(
                key=key.strip(),
                date=datetime.strptime(headers["date"], "%Y-%m-%d %H:%M").replace(tzinfo=LOCAL_TZ),
                sender=headers["from"],
                to=_split(headers["to"]),
                cc=_split(headers.get("cc", "")),
                bcc=_split(headers.get("bcc", "")),
                subject=headers["subject"],
                body=body.strip() + "\n",
                reply_to=headers.get("reply") or None,
                quote_parent=headers.get("quote") == "yes",
                folder=headers.get("folder") or None,
                is_html=headers.get("html") == "yes",
            )
        )
    return drafts


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def load_story_drafts() -> list[DraftEmail]:
    drafts: list[DraftEmail] = []
    for path in sorted(STORIES_DIR.glob("*.txt")):
        drafts.extend(parse_story_file(path))
    return drafts


def _message_id(draft: DraftEmail) -> str:
    digest = hashlib.sha1(draft.key.encode("utf-8")).hexdigest()[:12].upper()
    return f"<{draft.date:%Y%m%d%H%M}.{digest}@{COMPANY_DOMAIN}>"


def _quote_block(parent: DraftEmail, style_seed: str) -> str:
    """The parent's text as a mail client would quote it under a reply."""
    sender_name = address_of(parent.sender).split(" <")[0]
    if int(hashlib.sha1(style_seed.encode()).hexdigest(), 16) % 3 == 0:
        quoted = "\n".join(f"> {line}".rstrip() for line in parent.body.rstrip().splitlines())
        return f"\n\nOn {parent.date:%a, %b %d, %Y at %I:%M %p}, {sender_name} wrote:\n{quoted}\n"
    recipients = "; ".join(address_of(t).split(" <")[0] for t in parent.to)
    return (
        "\n\n-----Original Message-----\n"
        f"From: {sender_name}\nSent: {parent.date:%A, %B %d, %Y %I:%M %p}\n"
        f"To: {recipients}\nSubject: {parent.subject}\n\n{parent.body.rstrip()}\n"
    )


def _default_folder(draft: DraftEmail) -> str:
    owner = draft.to[0] if draft.to else draft.sender
    if owner not in PEOPLE or PEOPLE[owner].domain != COMPANY_DOMAIN:
        return f"{mailbox_of(draft.sender)}/sent"
    return f"{mailbox_of(owner)}/inbox"


def assemble(drafts: list[DraftEmail]) -> tuple[list[dict], dict[str, str]]:
    """Sort drafts by date, assign ids, thread replies; return records and a key -> id map."""
    keys = [d.key for d in drafts]
    if len(set(keys)) != len(keys):
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"duplicate email keys: {dupes}")
    by_key = {d.key: d for d in drafts}
    ordered = sorted(drafts, key=lambda d: (d.date, d.key))
    id_of = {d.key: f"nw-{index:04d}" for index, d in enumerate(ordered, start=1)}
    message_ids = {d.key: _message_id(d) for d in drafts}

    def thread_root(draft: DraftEmail) -> str:
        seen = set()
        while draft.reply_to:
            if draft.reply_to not in by_key or draft.key in seen:
                raise ValueError(f"email {draft.key!r} replies to unknown key {draft.reply_to!r}")
            seen.add(draft.key)
            draft = by_key[draft.reply_to]
        return draft.key

    records = []
    for draft in ordered:
        parent = by_key[draft.reply_to] if draft.reply_to else None
        if parent is not None and parent.date >= draft.date:
            raise ValueError(f"reply {draft.key!r} is not dated after its parent {parent.key!r}")
        text = draft.body
        if parent is not None and draft.quote_parent and not draft.is_html:
            text = text.rstrip() + _quote_block(parent, draft.key)
        record: dict = {
            "id": id_of[draft.key],
            "date": draft.date.isoformat(),
            "from": address_of(draft.sender),
            "to": [address_of(t) for t in draft.to],
            "cc": [address_of(t) for t in draft.cc],
            "bcc": [address_of(t) for t in draft.bcc],
            "subject": draft.subject,
            ("body_html" if draft.is_html else "body"): text,
            "message_id": message_ids[draft.key],
        }
        if parent is not None:
            record["in_reply_to"] = message_ids[parent.key]
        record["thread_id"] = "thread-" + id_of[thread_root(draft)].removeprefix("nw-")
        record["folder"] = draft.folder or _default_folder(draft)
        records.append(record)
    return records, id_of


def build_queries(id_of: dict[str, str], specs: list[dict] = QUERY_SPECS) -> list[dict]:
    """The labelled queries of `specs`, their draft keys ("relevant") turned into email ids."""
    queries = []
    for spec in specs:
        unknown = [k for k in spec["relevant"] if k not in id_of]
        if unknown:
            raise ValueError(f"query {spec['id']} names unknown draft keys {unknown}")
        relevant = sorted(id_of[k] for k in spec["relevant"])
        queries.append(
            {**{k: v for k, v in spec.items() if k != "relevant"}, "relevant_ids": relevant}
        )
    return queries


def dump_json(value: object) -> str:
    """The stable JSON text the data files are written in (indented, UTF-8, final newline)."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def build(sample_path: Path = SAMPLE_PATH, queries_path: Path = QUERIES_PATH) -> tuple[int, int]:
    """Write the sample corpus and the labelled queries; return (emails, queries) written."""
    stories = load_story_drafts()
    drafts = stories + generate_noise(seed=20230101)
    records, id_of = assemble(drafts)
    queries = build_queries(id_of)
    sample_path.parent.mkdir(parents=True, exist_ok=True)
    sample_path.write_text(dump_json(records), encoding="utf-8")
    queries_path.write_text(dump_json(queries), encoding="utf-8")
    logger.info(
        "wrote %d emails (%d storyline) and %d queries", len(records), len(stories), len(queries)
    )
    return len(records), len(queries)


if __name__ == "__main__":
    emails, queries = build()
    print(f"wrote {emails} emails to {SAMPLE_PATH} and {queries} queries to {QUERIES_PATH}")
