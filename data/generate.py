"""Synthetic email corpora for scale benchmarks, with planted needle facts.

    python -m data.generate --emails 517000 --out /tmp/big.jsonl
        [--format jsonl|csv-rfc822|json|maildir-tgz|parquet] [--seed 7] [--needles 5]
        [--storyline 200]

Emails are generated and written one at a time (only a small ring buffer of recent messages is kept
for threading), so memory stays flat at any size. A few emails carry "needle" facts tied to a unique
codename; their ids and the questions that find them go to the sidecar ``<out>.needles.json``.

Formats: ``jsonl`` / ``json`` hold objects shaped like the bundled sample (``id``, ``date``, ``from``,
``to``, ``cc``, ``bcc``, ``subject``, ``body``, ``message_id``, ``in_reply_to``, ``thread_id``,
``folder``); ``csv-rfc822`` mimics the Enron Kaggle export: columns ``file,message`` where ``message``
is a raw RFC 822 email (``file`` is e.g. ``smith-j/inbox/1042.``); there the sidecar names each needle
by its Message-ID without angle brackets (what ingestion uses as the id) and also gives its ``file``.
``maildir-tgz`` (the CMU Enron ``.tar.gz`` of ``maildir/owner/folder/n.`` files) and ``parquet``
(the Hugging Face Enron layout) are written by `data.generate_formats`; their needles are named
the same way as in ``csv-rfc822``. ``--storyline N`` plants an aggregation storyline
(``data.storyline``): N emails about one subject spread over the whole corpus, listed under
``storyline`` in the sidecar. The same seed always produces byte-identical output.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import random
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import IO, Literal

from data import generate_text as text
from data.generate_formats import write_maildir_tgz, write_parquet
from data.storyline import Storyline

logger = logging.getLogger(__name__)

Format = Literal["jsonl", "csv-rfc822", "json", "maildir-tgz", "parquet"]
FORMATS: tuple[str, ...] = ("jsonl", "csv-rfc822", "json", "maildir-tgz", "parquet")
BINARY_FORMATS = ("maildir-tgz", "parquet")
KEYED_BY_MESSAGE_ID = ("csv-rfc822", "maildir-tgz", "parquet")  # no id field: ingestion uses it
START = datetime(2000, 1, 3, tzinfo=timezone(timedelta(hours=-6)))
SPAN = timedelta(days=900)
REPLY_RATE = 0.25
RECENT_MESSAGES = 256


@dataclass(frozen=True)
class Persona:
    name: str
    address: str
    mailbox: str  # Enron-style folder owner, e.g. "smith-j"


@dataclass(frozen=True)
class GeneratedEmail:
    position: int
    id: str
    date: datetime
    sender: Persona
    to: tuple[Persona, ...]
    cc: tuple[Persona, ...]
    subject: str
    body: str
    message_id: str
    in_reply_to: str | None
    thread_id: str
    folder: str


def build_personas(rng: random.Random, count: int = 4000) -> list[Persona]:
    """`count` distinct people (name, address, mailbox) drawn from the name pools."""
    seen: set[str] = set()
    personas: list[Persona] = []
    while len(personas) < count:
        first, last = rng.choice(text.FIRST_NAMES), rng.choice(text.LAST_NAMES)
        local = f"{first}.{last}".lower()
        if local in seen:
            local = f"{local}{len(personas)}"
        seen.add(local)
        domain = rng.choice(text.DOMAINS)
        personas.append(
            Persona(f"{first} {last}", f"{local}@{domain}", f"{last.lower()}-{first[0].lower()}")
        )
    return personas


class CorpusGenerator:
    """Yields `GeneratedEmail`s in date order; planted needles at seeded positions."""

    def __init__(self, total: int, seed: int = 7, needles: int = 5, storyline: int = 0):
        if total < 1:
            raise ValueError(f"--emails must be at least 1, got {total}")
        if not 0 <= needles <= min(total, 50):
            raise ValueError(f"--needles must be between 0 and min(emails, 50), got {needles}")
        self.total, self.seed = total, seed
        self.rng = random.Random(seed)
        self.personas = build_personas(self.rng)
        self.codename = self.rng.choice(text.NEEDLE_CODENAMES)
        self.needle_positions = sorted(self.rng.sample(range(total), needles))
        self.needles: list[dict] = []
        self._recent: deque[tuple[str, str, Persona, str, str]] = deque(maxlen=RECENT_MESSAGES)
        self._step = SPAN / total
        self.storyline = Storyline(total, storyline, seed)

    def __iter__(self) -> Iterator[GeneratedEmail]:
        needle_at = {pos: k for k, pos in enumerate(self.needle_positions)}
        for position in range(self.total):
            yield self._make(position, needle_at.get(position))

    def _make(self, position: int, needle_index: int | None) -> GeneratedEmail:
        rng = self.rng
        email_id = f"gen-{position + 1:07d}"
        message_id = f"<{position + 1}.{self.seed}.JavaMail.gen@corp.example>"
        date = START + self._step * position + timedelta(seconds=rng.randint(0, 59))
        date = date.replace(microsecond=0)
        parent = rng.choice(self._recent) if self._recent and rng.random() < REPLY_RATE else None
        if parent is not None:
            parent_mid, parent_subject, parent_sender, thread_id, parent_body = parent
            sender = rng.choice(self.personas)
            to = (parent_sender,)
            subject = (
                parent_subject if parent_subject.startswith("Re: ") else f"Re: {parent_subject}"
            )
        else:
            parent_mid, parent_body = None, ""
            sender = rng.choice(self.personas)
            to = tuple(rng.sample(self.personas, rng.choice((1, 1, 1, 2, 3))))
            subject = (
                f"{rng.choice(text.SUBJECT_TOPICS)} {rng.choice(text.SUBJECT_QUALIFIERS)}".strip()
            )
            thread_id = f"thread-{position + 1:07d}"
        cc = tuple(rng.sample(self.personas, rng.choice((0, 0, 0, 1, 2))))
        folder = f"{to[0].mailbox}/{rng.choice(text.FOLDERS)}"
        body = self._body(sender, to[0])
        if needle_index is not None:
            needle = {"id": email_id, "file": f"{folder}/{position + 1}.", "message_id": message_id}
            body = self._plant(needle_index, needle, body)
        if parent_mid is not None:
            quoted = "\n".join(f"> {line}" for line in parent_body[:400].splitlines())
            body = f"{body}\n\n-----Original Message-----\nFrom: {to[0].name}\n{quoted}\n"
        self._recent.append((message_id, subject, sender, thread_id, body))
        if position in self.storyline:  # after the ring buffer: replies never quote it
            subject, body = self.storyline.rewrite(email_id, message_id, body)
        return GeneratedEmail(
            position,
            email_id,
            date,
            sender,
            to,
            cc,
            subject,
            body,
            message_id,
            parent_mid,
            thread_id,
            folder,
        )

    def _body(self, sender: Persona, first_recipient: Persona) -> str:
        rng = self.rng
        target = rng.randint(200, 1500)
        parts = [rng.choice(text.GREETINGS).format(name=first_recipient.name.split()[0]), ""]
        length = 0
        while length < target:
            sentence = rng.choice(text.SENTENCES).format(
                topic=rng.choice(text.SUBJECT_TOPICS),
                day=rng.choice(text.DAYS),
                other=rng.choice(self.personas).name,
                place=rng.choice(text.PLACES),
                n=rng.randint(2, 95),
                m=rng.randint(10, 99),
            )
            parts.append(sentence)
            length += len(sentence) + 1
            if rng.random() < 0.25:
                parts.append("")
        parts += ["", rng.choice(text.SIGNOFFS).format(me=sender.name.split()[0])]
        return "\n".join(parts) + "\n"

    def _plant(self, index: int, needle: dict, body: str) -> str:
        rng = self.rng
        question, sentence, answer = text.NEEDLE_FACTS[index % len(text.NEEDLE_FACTS)]
        fill = {
            "codename": f"{self.codename} {index + 1}"
            if index >= len(text.NEEDLE_FACTS)
            else self.codename,
            "code": f"{rng.choice('ACEFHKMNPRTX')}{rng.randint(1000, 9999)}-{rng.choice('QWZVJ')}{rng.randint(10, 99)}",
            "date": f"{rng.choice(['March', 'June', 'September', 'December'])} {rng.randint(1, 28)}, 2001",
            "person": rng.choice(self.personas).name,
            "place": rng.choice(text.PLACES),
            "amount": f"{rng.randint(100, 990)},000",
        }
        planted = sentence.format(**fill)
        needle.update(
            question=question.format(**fill), answer=answer.format(**fill), phrase=planted
        )
        self.needles.append(needle)
        return body.replace("\n\n", f"\n\n{planted} ", 1)


# Writers ----------------------------------------------------------------------------------------
def _as_record(email: GeneratedEmail) -> dict:
    return {
        "id": email.id,
        "date": email.date.isoformat(),
        "from": f"{email.sender.name} <{email.sender.address}>",
        "to": [p.address for p in email.to],
        "cc": [p.address for p in email.cc],
        "bcc": [],
        "subject": email.subject,
        "body": email.body,
        "message_id": email.message_id,
        "in_reply_to": email.in_reply_to,
        "thread_id": email.thread_id,
        "folder": email.folder,
    }


def _rfc822(email: GeneratedEmail) -> str:
    headers = [
        f"Message-ID: {email.message_id}",
        f"Date: {format_datetime(email.date)}",
        f"From: {email.sender.address}",
        f"To: {', '.join(p.address for p in email.to)}",
        f"Subject: {email.subject}",
    ]
    if email.cc:
        headers.append(f"Cc: {', '.join(p.address for p in email.cc)}")
    if email.in_reply_to:
        headers.append(f"In-Reply-To: {email.in_reply_to}")
    headers += [
        "Mime-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
        f"X-From: {email.sender.name}",
        f"X-To: {', '.join(p.name for p in email.to)}",
        f"X-cc: {', '.join(p.name for p in email.cc)}",
        "X-bcc: ",
        f"X-Folder: \\{email.folder.replace('/', chr(92))}",
        f"X-Origin: {email.folder.split('/')[0].title()}",
    ]
    return "\n".join(headers) + "\n\n" + email.body


def csv_file_name(email: GeneratedEmail) -> str:
    """The `file` column of the Kaggle-style export: mailbox folder plus a running number."""
    return f"{email.folder}/{email.position + 1}."


def write_corpus(generator: CorpusGenerator, out: IO[str], fmt: Format) -> None:
    """Stream every generated email to `out` in the chosen format."""
    if fmt == "jsonl":
        for email in generator:
            out.write(json.dumps(_as_record(email), ensure_ascii=False))
            out.write("\n")
    elif fmt == "json":
        out.write("[\n")
        for email in generator:
            if email.position:
                out.write(",\n")
            out.write(json.dumps(_as_record(email), ensure_ascii=False))
        out.write("\n]\n")
    elif fmt == "csv-rfc822":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["file", "message"])
        for email in generator:
            writer.writerow([csv_file_name(email), _rfc822(email)])
    else:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def generate(
    out_path: Path,
    emails: int,
    fmt: Format = "jsonl",
    seed: int = 7,
    needles: int = 5,
    storyline: int = 0,
) -> dict:
    """Write a corpus and its needles sidecar; returns the sidecar content."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    generator = CorpusGenerator(emails, seed=seed, needles=needles, storyline=storyline)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "maildir-tgz":
        write_maildir_tgz(generator, out_path, csv_file_name, _rfc822)
    elif fmt == "parquet":
        write_parquet(generator, out_path, csv_file_name)
    else:
        with out_path.open("w", encoding="utf-8", newline="") as out:
            write_corpus(generator, out, fmt)
    for needle in generator.needles:
        file_name = needle.pop("file")
        if fmt in KEYED_BY_MESSAGE_ID:  # no id field: ingestion keys them by Message-ID
            needle["id"] = needle["message_id"].strip("<>")
            needle["file"] = file_name
    sidecar = {
        "corpus": out_path.name,
        "format": fmt,
        "emails": emails,
        "seed": seed,
        "codename": generator.codename,
        "question": f"Which emails mention {generator.codename}, and what do they say about it?",
        "needle_ids": [n["id"] for n in generator.needles],
        "needles": generator.needles,
    }
    if storyline:
        sidecar["storyline"] = generator.storyline.sidecar(by_message_id=fmt in KEYED_BY_MESSAGE_ID)
    sidecar_path = Path(f"{out_path}.needles.json")
    sidecar_path.write_text(json.dumps(sidecar, indent=2) + "\n", encoding="utf-8")
    return sidecar


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data.generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--emails", type=int, required=True, help="number of emails to write")
    parser.add_argument("--out", type=Path, required=True, help="output file path")
    parser.add_argument("--format", choices=FORMATS, default="jsonl", dest="fmt")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--needles", type=int, default=5, help="emails carrying planted facts (0-50)"
    )
    parser.add_argument(
        "--storyline", type=int, default=0, help="emails of one aggregation storyline (0: none)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        sidecar = generate(args.out, args.emails, args.fmt, args.seed, args.needles, args.storyline)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    size_mb = args.out.stat().st_size / 1e6
    print(
        f"wrote {args.emails:,} emails ({size_mb:,.1f} MB, {args.fmt}) to {args.out} in {elapsed:.1f}s "
        f"({args.emails / elapsed:,.0f} emails/s); needles: {args.out}.needles.json "
        f"({len(sidecar['needle_ids'])} planted, codename {sidecar['codename']!r})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
