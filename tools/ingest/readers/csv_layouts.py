"""CSV exports of mail clients whose columns are not plain field names.

- Outlook's "Export to a file > Comma Separated Values" writes each party as `(Name)`,
  `(Address)` and `(Type)` columns (`From: (Name)`, `To: (Address)`, ...; several recipients
  joined by ";") and, when dates are mapped, the date and the time in two columns
  (`Date Sent` + `Time Sent`). `OutlookLayout` folds them back into `from`, `to`, `cc`, `bcc`
  and `date`.
- Thunderbird's ImportExportTools NG ("Export all messages in the folder > spreadsheet (CSV)")
  writes no header row: subject, author, recipients, date, an attachment flag ("*"), the size in
  bytes and, optionally, the body, possibly after an account/folder column.
  `thunderbird_offset` recognises such a row and `thunderbird_record` names its cells.

Header names arrive normalised by `tools.ingest.fields.normalise_key` ("from:_(name)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tools.ingest.dates import parse_date

_PARTY = re.compile(r"^(from|sender|to|cc|bcc):?_\((name|address|type)\)$")
_DATE_TIME_PAIRS = (
    ("date_sent", "time_sent"),
    ("sent_date", "sent_time"),
    ("date_received", "time_received"),
    ("received_date", "received_time"),
)
_PARTY_FIELD = {"from": "from", "sender": "from", "to": "to", "cc": "cc", "bcc": "bcc"}


@dataclass
class OutlookLayout:
    """Which columns of an Outlook export hold which party's names and addresses."""

    parties: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {name|address: col}
    date_time: tuple[str, str] | None = None

    @classmethod
    def from_header(cls, header: list[str]) -> OutlookLayout | None:
        """The layout of an Outlook header; None when the header has no Outlook columns."""
        layout = cls()
        for column in header:
            match = _PARTY.match(column)
            if match and match.group(2) != "type":
                party = _PARTY_FIELD[match.group(1)]
                layout.parties.setdefault(party, {})[match.group(2)] = column
        for date_column, time_column in _DATE_TIME_PAIRS:
            if date_column in header and time_column in header:
                layout.date_time = (date_column, time_column)
                break
        return layout if layout.parties or layout.date_time else None

    def record(self, row: dict[str, str]) -> dict[str, str]:
        """The row with each party's name and address columns merged into one field."""
        merged = dict(row)
        for party, columns in self.parties.items():
            value = _merge_party(
                row.get(columns.get("name", ""), ""), row.get(columns.get("address", ""), "")
            )
            if value and not (row.get(party) or "").strip():
                merged[party] = value
        if self.date_time is not None:
            day, time = (row.get(column, "").strip() for column in self.date_time)
            if day and not (row.get("date") or "").strip():
                merged["date"] = f"{day} {time}".strip()
        return merged


def _merge_party(names: str, addresses: str) -> str:
    """ "A;B" + "a@x;b@x" -> "A <a@x>; B <b@x>" (addresses alone when the counts differ)."""
    name_list = [part.strip() for part in names.split(";") if part.strip()]
    address_list = [part.strip() for part in addresses.split(";") if part.strip()]
    if not address_list:
        return "; ".join(name_list)
    if len(name_list) != len(address_list):
        return "; ".join(address_list)
    return "; ".join(
        address if name in ("", address) else f"{_quoted(name)} <{address}>"
        for name, address in zip(name_list, address_list, strict=True)
    )


def _quoted(name: str) -> str:
    """A display name, quoted only when it holds a character that would split the list."""
    if any(mark in name for mark in ',;"<>'):
        return '"' + name.replace('"', "'") + '"'
    return name


THUNDERBIRD_FIELDS = ("subject", "from", "to", "date", "attachment_flag", "size", "body")


def thunderbird_offset(row: list[str]) -> int | None:
    """0 (or 1 with a leading account/folder column) when `row` is an ImportExportTools row."""
    for offset in (0, 1):
        cells = row[offset:]
        if not 6 <= len(cells) <= 7:
            continue
        author, recipients, day, flag, size = (cell.strip() for cell in cells[1:6])
        if (
            flag in ("", "*")
            and size.isdigit()
            and ("@" in author or "@" in recipients)
            and parse_date(day)[1] != "unparsable"
        ):
            return offset
    return None


def thunderbird_record(row: list[str], offset: int) -> dict[str, str]:
    """The cells of one ImportExportTools row by field name (folder from the optional column)."""
    record = dict(zip(THUNDERBIRD_FIELDS, row[offset:], strict=False))
    if offset:
        record["folder"] = row[0]
    return record
