"""An aggregation storyline for generated corpora: many emails about one subject, spread evenly
over the whole corpus, for benchmarking questions that need every one of them (recursion).

`Storyline(total, count, seed)` picks `count` positions (one per equal stretch of the corpus,
jittered) and rewrites the subject and body of the generated email at each. It draws from its
own random stream, so every other email is byte-identical with or without the storyline. Its
subject shares words with ordinary mail ("storage", "Katy"), as a real topic does: searching
for it matches far more emails than the storyline, which is what makes a chunk split.
"""

from __future__ import annotations

import random

SUBJECT = "Katy storage expansion easement"
QUESTION = "List every email about the Katy storage expansion easement."
SUBJECTS = (
    "Katy storage expansion easement - survey",
    "Katy storage expansion easement: landowner call",
    "RE: Katy storage expansion easement",
    "Katy storage expansion easement - title work",
    "Katy storage expansion easement update",
)
SENTENCES = (
    "The surveyors finished tract {n} of the Katy storage expansion easement on {day}.",
    "Landowner {person} wants ${amount} more for the Katy storage expansion easement.",
    "Legal flagged a title gap on parcel {n} of the Katy storage expansion easement.",
    "The county hearing on the Katy storage expansion easement moved to {day}.",
    "{person} signed the option for the Katy storage expansion easement, tract {n}.",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
PEOPLE = ("Ruth Alvarez", "Dale Whitcomb", "Irene Okafor", "Hal Brennan", "Mina Castellanos")


class Storyline:
    """Which generated emails belong to the storyline, and what they say."""

    def __init__(self, total: int, count: int, seed: int = 7):
        if not 0 <= count <= total:
            raise ValueError(f"--storyline must be between 0 and the number of emails, got {count}")
        self.rng = random.Random(f"storyline-{seed}")
        stretch = total / count if count else 0
        self.positions = {
            min(total - 1, int(k * stretch + self.rng.random() * stretch)) for k in range(count)
        }
        self.emails: list[tuple[str, str]] = []  # (id, Message-ID) of each storyline email

    def __contains__(self, position: int) -> bool:
        return position in self.positions

    def rewrite(self, email_id: str, message_id: str, body: str) -> tuple[str, str]:
        """(subject, body) of a storyline email: its own subject, a storyline sentence on top."""
        rng = self.rng
        sentence = rng.choice(SENTENCES).format(
            n=rng.randint(1, 60),
            day=rng.choice(DAYS),
            person=rng.choice(PEOPLE),
            amount=f"{rng.randint(5, 95)},000",
        )
        self.emails.append((email_id, message_id))
        return rng.choice(SUBJECTS), body.replace("\n\n", f"\n\n{sentence}\n\n", 1)

    def sidecar(self, by_message_id: bool = False) -> dict:
        """The sidecar entry; `by_message_id` for raw RFC 822 output, which ingestion keys by
        Message-ID (without angle brackets)."""
        ids = [mid.strip("<>") if by_message_id else eid for eid, mid in self.emails]
        return {"subject": SUBJECT, "question": QUESTION, "ids": ids}
