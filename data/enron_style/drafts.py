"""The people of the Enron-style check set and the `Draft` each of its emails is written as.

A draft holds only what its author typed; `data.enron_style.build` adds the Enron-style quoted
"-----Original Message-----" block of the email it replies to, or the Lotus-style forward block of
the email it forwards, and turns it into a record of the same JSON format as the Northwind sample.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPANY = "sabinecrest.example"

# key -> (display name, address)
PEOPLE: dict[str, tuple[str, str]] = {
    "tillery": ("Gordon Tillery", f"gordon.tillery@{COMPANY}"),
    "fenwick": ("Marcus Fenwick", f"marcus.fenwick@{COMPANY}"),
    "delacroix": ("Ray Delacroix", f"ray.delacroix@{COMPANY}"),
    "straub": ("Neil Straub", f"neil.straub@{COMPANY}"),
    "vasquez": ("Helen Vasquez", f"helen.vasquez@{COMPANY}"),
    "ortiz": ("Lena Ortiz", f"lena.ortiz@{COMPANY}"),
    "kimura": ("Dale Kimura", f"dale.kimura@{COMPANY}"),
    "russo": ("Tony Russo", f"tony.russo@{COMPANY}"),
    "sallinger": ("Brett Sallinger", f"brett.sallinger@{COMPANY}"),
    "dunn": ("Carla Dunn", f"carla.dunn@{COMPANY}"),
    "natarajan": ("Priya Natarajan", f"priya.natarajan@{COMPANY}"),
    "ambrose": ("Kyle Ambrose", f"kyle.ambrose@{COMPANY}"),
    "oyelaran": ("Susan Oyelaran", f"susan.oyelaran@{COMPANY}"),
    "brennan": ("Walt Brennan", f"walt.brennan@{COMPANY}"),
    "harlow": ("Denise Harlow", f"denise.harlow@{COMPANY}"),
    "kell": ("Martha Kell", f"martha.kell@{COMPANY}"),
    "boyle": ("Jimmy Boyle", f"jimmy.boyle@{COMPANY}"),
    "hr": ("HR Communications", f"hr.communications@{COMPANY}"),
    "it": ("IT Help Desk", f"helpdesk@{COMPANY}"),
    "facilities": ("Building Services", f"building.services@{COMPANY}"),
    "corpcomm": ("Corporate Communications", f"corp.communications@{COMPANY}"),
    "pruett": ("Gary Pruett", "gary.pruett@tolliverpower.example"),
    "hollis": ("Jerry Hollis", "jerry.hollis@whitcomblyle.example"),
    "carver": ("Dwight Carver", "dcarver@carverlaw.example"),
    "energywire": ("EnergyWire Daily", "editor@energywire.example"),
    "pmw": ("Power Markets Weekly", "alerts@powermarketsweekly.example"),
    "mcbride": ("Sean McBride", "smcbride@mailbox.example"),
}


@dataclass(frozen=True)
class Draft:
    """One email as its author wrote it. `reply` / `forward` name the key of the quoted email;
    `headers=False` drops the In-Reply-To header (as many exports do) while keeping the quote."""

    key: str
    when: str  # "YYYY-MM-DD HH:MM", Houston local time
    sender: str
    to: tuple[str, ...]
    subject: str
    body: str
    cc: tuple[str, ...] = ()
    reply: str | None = None
    forward: str | None = None
    headers: bool = True
    folder: str | None = None
