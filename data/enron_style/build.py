"""Build the Enron-style check set: 60 emails of a fictional 2000-2001 energy trader and eight
labelled questions, an independent held-out check of the no-key ranking.

Drafts (`stories.py`, `background.py`) are sorted by date and numbered "es-001"...; replies get the
In-Reply-To of their parent (unless the draft drops it) and quote it in full under an Outlook
"-----Original Message-----" block, forwards under a Lotus Notes "Forwarded by" block. Writes
``data/enron_style/mail.json`` (the record format of the Northwind sample, read by the real
ingestion) and ``data/enron_style/queries.json``. Deterministic: reruns are byte-identical.

Run: ``python -m data.enron_style.build``
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from data.build_sample import build_queries, dump_json
from data.enron_style.background import BACKGROUND
from data.enron_style.drafts import PEOPLE, Draft
from data.enron_style.questions import QUESTION_SPECS
from data.enron_style.stories import STORIES
from data.sample import ENRON_STYLE_PATH, ENRON_STYLE_QUERIES_PATH

logger = logging.getLogger(__name__)

DST_2001 = (datetime(2001, 4, 1, 2), datetime(2001, 10, 28, 2))  # Houston daylight time


def _local(when: str) -> datetime:
    return datetime.strptime(when, "%Y-%m-%d %H:%M")


def _iso(when: str) -> str:
    moment = _local(when)
    offset = "-05:00" if DST_2001[0] <= moment < DST_2001[1] else "-06:00"
    return moment.strftime("%Y-%m-%dT%H:%M:00") + offset


def _named(key: str) -> str:
    name, address = PEOPLE[key]
    return f"{name} <{address}>"


def _last_first(key: str) -> str:
    name = PEOPLE[key][0]
    first, _, last = name.partition(" ")
    return f"{last}, {first}" if last and key not in {"energywire", "pmw", "hr", "it"} else name


def _message_id(number: int) -> str:
    return f"<{13204417 + number * 7919}.{1075840000000 + number * 104729}.JavaMail.notes@sabinecrest.example>"


def _original_block(parent: Draft, parent_body: str) -> str:
    sent = _local(parent.when).strftime("%A, %B %d, %Y %I:%M %p").replace(" 0", " ")
    lines = [
        "",
        " -----Original Message-----",
        f"From: \t{_last_first(parent.sender)}  ",
        f"Sent:\t{sent}",
        f"To:\t{'; '.join(_last_first(k) for k in parent.to)}",
    ]
    if parent.cc:
        lines.append(f"Cc:\t{'; '.join(_last_first(k) for k in parent.cc)}")
    lines += [f"Subject:\t{parent.subject}", "", parent_body]
    return "\n".join(lines)


def _forward_block(by: Draft, original: Draft, original_body: str) -> str:
    forwarded_on = _local(by.when).strftime("%m/%d/%Y %I:%M %p")
    sent = _local(original.when).strftime("%m/%d/%Y %I:%M:00 %p")
    name, address = PEOPLE[original.sender]
    to = ", ".join(PEOPLE[k][0] for k in original.to)
    return (
        f"\n\n---------------------- Forwarded by {PEOPLE[by.sender][0]}/HOU/SCE on "
        f'{forwarded_on} ---------------------------\n\n\n"{name}" <{address}> on {sent}\n'
        f"To: {to}\ncc: \nSubject: {original.subject}\n\n{original_body}"
    )


def _folder(draft: Draft) -> str:
    if draft.folder:
        return draft.folder
    owner = draft.to[0] if draft.to else draft.sender
    name, address = PEOPLE[owner]
    local = address.split("@")[0]
    first, _, last = local.partition(".")
    return f"{last or first}-{first[0]}/inbox"


def assemble(drafts: list[Draft]) -> tuple[list[dict], dict[str, str]]:
    """Records in date order and the story key -> email id map."""
    ordered = sorted(drafts, key=lambda d: (_local(d.when), d.key))
    keys = [d.key for d in ordered]
    if len(keys) != len(set(keys)):
        raise ValueError(f"duplicate draft keys: {sorted(k for k in keys if keys.count(k) > 1)}")
    by_key = {d.key: d for d in ordered}
    id_of = {d.key: f"es-{n:03d}" for n, d in enumerate(ordered, start=1)}
    message_of = {d.key: _message_id(n) for n, d in enumerate(ordered, start=1)}
    bodies: dict[str, str] = {}
    records = []
    for draft in ordered:
        body = draft.body.rstrip() + "\n"
        parent_key = draft.reply or draft.forward
        if parent_key is not None:
            parent = by_key[parent_key]
            if _local(parent.when) >= _local(draft.when):
                raise ValueError(f"{draft.key} quotes {parent_key}, which is not earlier")
            if draft.reply:
                body += _original_block(parent, bodies[parent_key])
            else:
                body += _forward_block(draft, parent, bodies[parent_key])
        bodies[draft.key] = body
        record = {
            "id": id_of[draft.key],
            "date": _iso(draft.when),
            "from": _named(draft.sender),
            "to": [_named(k) for k in draft.to],
            "cc": [_named(k) for k in draft.cc],
            "bcc": [],
            "subject": draft.subject,
            "body": body,
            "message_id": message_of[draft.key],
        }
        if draft.reply and draft.headers:
            record["in_reply_to"] = message_of[draft.reply]
        record["folder"] = _folder(draft)
        records.append(record)
    return records, id_of


def build(
    mail_path: Path = ENRON_STYLE_PATH, queries_path: Path = ENRON_STYLE_QUERIES_PATH
) -> tuple[int, int]:
    """Write the corpus and the labelled questions; return (emails, questions) written."""
    records, id_of = assemble(STORIES + BACKGROUND)
    queries = build_queries(id_of, QUESTION_SPECS)
    mail_path.parent.mkdir(parents=True, exist_ok=True)
    mail_path.write_text(dump_json(records), encoding="utf-8")
    queries_path.write_text(dump_json(queries), encoding="utf-8")
    return len(records), len(queries)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    emails, questions = build()
    logger.info("wrote %d emails and %d questions", emails, questions)
