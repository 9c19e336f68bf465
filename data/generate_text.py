"""Word and sentence pools for the synthetic benchmark corpus (see data.generate).

Written for this project: a fictional trading-and-pipeline company with enough variety in names,
subjects and sentences that ranking and grep behave as on a real mailbox of half a million emails.
"""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra "
    "Mark Margaret Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol "
    "Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura "
    "Jeffrey Cynthia Ryan Dorothy Jacob Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan Brenda "
    "Stephen Emma Larry Anna Justin Pamela Scott Nicole Brandon Samantha Benjamin Katherine Samuel Christine "
    "Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia Dennis Heather "
    "Jerry Helen Tyler Catherine Aaron Diane Jose Julie Adam Victoria Nathan Joyce Henry Lauren Zachary "
    "Kelly Douglas Christina Peter Ruth Kyle Joan Noah Virginia Ethan Judith Jeremy Evelyn Walter Hannah"
)

LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
    "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James "
    "Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
    "Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez "
    "Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole "
    "Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens"
)

DOMAINS = ["corp.example"] * 6 + [
    "partner-gas.example",
    "citybank.example",
    "lawfirm.example",
    "utility.example",
]

FOLDERS = [
    "inbox",
    "_sent_mail",
    "all_documents",
    "discussion_threads",
    "deleted_items",
    "notes_inbox",
    "calendar",
    "projects",
]

SUBJECT_TOPICS = [
    "gas nominations",
    "power schedule",
    "credit limits",
    "ISDA draft",
    "storage contract",
    "deal ticket",
    "curve update",
    "transport capacity",
    "invoice dispute",
    "month-end close",
    "budget review",
    "org chart",
    "board presentation",
    "risk report",
    "VaR limits",
    "pipeline maintenance",
    "compressor outage",
    "west desk P&L",
    "east desk P&L",
    "confirmations backlog",
    "counterparty list",
    "tariff filing",
    "rate case",
    "hedge program",
    "weather outlook",
    "staffing plan",
    "offsite agenda",
    "training session",
    "expense report",
    "system upgrade",
    "data request",
    "term sheet",
    "option pricing",
    "trade capture",
    "settlements",
    "imbalance charges",
    "interconnect",
    "fuel retention",
    "capacity release",
    "audit request",
]
SUBJECT_QUALIFIERS = [
    "",
    "",
    "",
    "for tomorrow",
    "- revised",
    "- draft",
    "update",
    "question",
    "(urgent)",
    "follow-up",
    "- please review",
    "for Q3",
    "for Q4",
    "next steps",
    "- final",
    "comments",
    "v2",
    "status",
]

GREETINGS = [
    "Hi {name},",
    "{name},",
    "Hello {name},",
    "All,",
    "Team,",
    "{name} -",
    "Good morning,",
    "Hey {name}",
]
SIGNOFFS = [
    "Thanks,\n{me}",
    "{me}",
    "Regards,\n{me}",
    "Best,\n{me}",
    "Thx\n{me}",
    "Cheers,\n{me}",
    "-{me}",
]

SENTENCES = [
    "Please see the attached {topic} and let me know if you have comments by {day}.",
    "I talked to {other} this morning and they are fine with the {topic} as drafted.",
    "The numbers for {topic} moved by about {n}% since last week, mostly timing.",
    "Can we get on a call {day} to walk through the {topic}?",
    "We are still waiting on legal to sign off on the {topic}.",
    "{other} mentioned that the counterparty wants to revisit the {topic} before signing.",
    "Volumes at the {place} interconnect came in at {n},000 MMBtu/d, a bit under plan.",
    "I've updated the spreadsheet on the shared drive, the new tab has the {topic}.",
    "Let's keep this between the desk for now until we hear back from credit.",
    "FYI, the system will be down {day} evening for the upgrade.",
    "The price at {place} settled at ${n}.{m} and the spread widened again.",
    "I need your approval on the {topic} before {day}, otherwise we miss the deadline.",
    "Thanks for pulling this together so quickly, it really helped with the {topic}.",
    "We should loop in {other} since they own the {topic} going forward.",
    "Our exposure to that counterparty is about ${n} million, within the limit.",
    "The meeting on {day} is moved to the {place} conference room.",
    "Attached is the redline, most changes are in section {n}.",
    "Can you confirm the {topic} numbers tie to the general ledger?",
    "I'm out of the office {day} but reachable on my cell.",
    "Please don't forward this outside the group.",
    "The outage at {place} is expected to last {n} days, crews are on site.",
    "There is still an open question on who pays the imbalance charges for {topic}.",
    "We booked {n} deals yesterday, all confirmed except two.",
    "{other} will send the final version of the {topic} tonight.",
    "Heads up: the regulator asked for more detail on the {topic}.",
    "I think we can close this out if we agree on the {topic} by {day}.",
]
PLACES = [
    "Henry Hub",
    "Katy",
    "Waha",
    "Houston Ship Channel",
    "Palo Verde",
    "Mid-C",
    "SoCal border",
    "Chicago citygate",
    "Transco Z6",
    "Opal",
]
DAYS = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "tomorrow",
    "next week",
    "end of day",
    "first thing tomorrow",
]

NEEDLE_CODENAMES = [
    "Bluefin Lantern",
    "Copper Heron",
    "Granite Owl",
    "Silver Marlin",
    "Quiet Falcon",
    "Amber Sextant",
]
NEEDLE_FACTS = [
    (
        "What is the access code for the {codename} data room?",
        "The access code for the {codename} data room is {code}.",
        "{code}",
    ),
    (
        "Which bank account receives the {codename} settlement wire?",
        "The {codename} settlement wire goes to account {code} at Harbor Trust.",
        "account {code} at Harbor Trust",
    ),
    (
        "On what date does the {codename} option expire?",
        "The {codename} option expires on {date}; after that the price resets.",
        "{date}",
    ),
    (
        "Who approved the {codename} side payment?",
        "The {codename} side payment of ${amount} was approved by {person}.",
        "{person} (${amount})",
    ),
    (
        "Where is the {codename} meeting held?",
        "The {codename} meeting will be held at {place}, room {code}.",
        "{place}, room {code}",
    ),
]
