"""The cast of the bundled Northwind Energy sample mailbox: who they are and what they do.

Story files and noise templates refer to people by handle (``diane.whitaker``); the sample builder
turns a handle into a display address ("Diane Whitaker <diane.whitaker@northwind-energy.example>")
and a mailbox folder prefix ("dwhitaker").
"""

from __future__ import annotations

from dataclasses import dataclass

COMPANY_DOMAIN = "northwind-energy.example"


@dataclass(frozen=True)
class Person:
    handle: str
    name: str
    role: str
    department: str
    domain: str = COMPANY_DOMAIN

    @property
    def address(self) -> str:
        return f"{self.handle}@{self.domain}"

    @property
    def display(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def mailbox(self) -> str:
        first, _, last = self.handle.partition(".")
        return f"{first[:1]}{last}".replace(".", "") if last else first

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


_CAST = [
    # Executive team and board
    Person("richard.halvorsen", "Richard Halvorsen", "Chief Executive Officer", "Executive"),
    Person("diane.whitaker", "Diane Whitaker", "Chief Financial Officer", "Finance"),
    Person("tom.brennan", "Tom Brennan", "Chief Operating Officer", "Operations"),
    Person("karen.liu", "Karen Liu", "General Counsel", "Legal"),
    Person("sandra.kim", "Sandra Kim", "Chief Human Resources Officer", "HR"),
    Person("laura.benson", "Laura Benson", "Executive Assistant to the CEO", "Executive"),
    Person("elena.vasquez", "Elena Vasquez", "Chair, Audit Committee of the Board", "Board"),
    # Finance
    Person("paul.okafor", "Paul Okafor", "Corporate Controller", "Finance"),
    Person("priya.raman", "Priya Raman", "Senior Revenue Accountant", "Finance"),
    Person("nate.duffy", "Nate Duffy", "Financial Analyst, FP&A", "Finance"),
    Person("holly.chambers", "Holly Chambers", "Treasurer", "Finance"),
    Person("ted.ramos", "Ted Ramos", "Accounts Payable Supervisor", "Finance"),
    # Internal audit
    Person("greg.yates", "Greg Yates", "Director, Internal Audit", "Internal Audit"),
    # West power trading
    Person("jake.morrow", "Jake Morrow", "Head of West Power Trading", "Trading"),
    Person("leo.santos", "Leo Santos", "Senior Power Trader", "Trading"),
    Person("tyler.gunn", "Tyler Gunn", "Power Trader", "Trading"),
    Person("raj.mehta", "Raj Mehta", "Real-time Scheduler", "Trading"),
    Person("mei.tanaka", "Mei Tanaka", "Trading Compliance Officer", "Compliance"),
    # Gulf region operations
    Person("hugo.stein", "Hugo Stein", "Director, Gulf Region Operations", "Operations"),
    Person(
        "janet.price", "Janet Price", "Station Manager, Lakeside Compressor Station", "Operations"
    ),
    Person("carlos.ibarra", "Carlos Ibarra", "Field Integrity Engineer", "Operations"),
    Person("doug.pratt", "Doug Pratt", "Maintenance Planner", "Operations"),
    Person("aisha.bello", "Aisha Bello", "EHS Manager", "Safety"),
    # Corporate functions
    Person("fiona.marsh", "Fiona Marsh", "HR Business Partner", "HR"),
    Person("omar.haddad", "Omar Haddad", "Director, Corporate Communications", "Communications"),
    Person("kevin.oneill", "Kevin O'Neill", "IT Service Desk Lead", "IT"),
    Person("chris.doyle", "Chris Doyle", "IT Security Analyst", "IT"),
    Person("sam.whitfield", "Sam Whitfield", "Facilities Coordinator", "Facilities"),
    Person("derek.lund", "Derek Lund", "Key Account Manager", "Commercial"),
    Person("nina.park", "Nina Park", "Commercial Analyst", "Commercial"),
    Person("brian.cho", "Brian Cho", "Gas Scheduler", "Operations"),
    Person("maria.lopez", "Maria Lopez", "Payroll Specialist", "HR"),
    # Outside the company
    Person(
        "vince.arlen",
        "Vince Arlen",
        "Managing Member, Ravenwood LLC",
        "External",
        "ravenwood-partners.example",
    ),
    Person(
        "meredith.cole",
        "Meredith Cole",
        "Audit Senior Manager, Baker Hale LLP",
        "External",
        "bakerhale.example",
    ),
    Person("derek.lund.home", "Derek Lund", "personal address", "External", "mailbox.example"),
    Person("mike.travers", "Mike Travers", "Compressor Technician, Lakeside", "Operations"),
]

PEOPLE: dict[str, Person] = {p.handle: p for p in _CAST}

# Automated and list senders that do not belong to a person.
SYSTEM_SENDERS: dict[str, str] = {
    "it-notices": f"Northwind IT <it-notices@{COMPANY_DOMAIN}>",
    "all-staff": f"All Staff <all-staff@{COMPANY_DOMAIN}>",
    "energywire": "EnergyWire Daily <newsletter@energywire.example>",
    "benefits": "Northwind Benefits Portal <noreply@benefits-portal.example>",
    "the-current": f"The Current (internal newsletter) <thecurrent@{COMPANY_DOMAIN}>",
    "ethics-hotline": f"Ethics Hotline <ethics-hotline@{COMPANY_DOMAIN}>",
    "dlp-alerts": f"DLP Alerts <dlp-alerts@{COMPANY_DOMAIN}>",
    "westdesk": f"West Desk <west-desk@{COMPANY_DOMAIN}>",
}


def address_of(token: str) -> str:
    """Display address for a person handle, a system sender key, or a literal address."""
    if token in PEOPLE:
        return PEOPLE[token].display
    if token in SYSTEM_SENDERS:
        return SYSTEM_SENDERS[token]
    if "@" in token:
        return token
    raise KeyError(f"unknown person or sender {token!r}")


def mailbox_of(token: str) -> str:
    """Folder prefix for a handle ("dwhitaker"); system senders map to their key."""
    if token in PEOPLE:
        return PEOPLE[token].mailbox
    return token.split("@")[0].replace(".", "")
