"""Flexible field names and values: mapping "From"/"sender"/"x_from" to one canonical field, and
turning whatever a JSON or CSV record holds (strings, numbers, lists, {"name", "email"} objects,
comma- or semicolon-separated recipient strings) into plain strings and address tuples.
"""

from __future__ import annotations

import functools
import json
import re
from email.utils import getaddresses
from typing import Any

# Canonical field -> accepted names, most preferred first. Names are compared after
# `normalise_key` (lower case, "-" and spaces as "_").
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "email_id", "_id", "uid", "doc_id"),
    "message_id": ("message_id", "messageid", "msg_id", "msgid"),
    "sender": ("from", "sender", "x_from", "author", "from_address", "from_email", "sender_email"),
    "to": ("to", "recipients", "x_to", "recipient", "to_address", "to_addresses"),
    "cc": ("cc", "x_cc"),
    "bcc": ("bcc", "x_bcc"),
    "subject": ("subject", "title"),
    "body": ("body", "text", "content", "message", "plain", "body_text", "text_body", "body_plain"),
    "html": ("html", "body_html", "html_body"),
    "date": ("date", "sent", "timestamp", "time", "sent_at", "datetime", "date_sent"),
    "folder": ("folder", "x_folder", "mailbox", "path", "labels", "x_gmail_labels"),
    # the file an email came from ("allen-p/inbox/1."): its source, and its directory the folder
    "file": ("file", "file_name", "filename"),
    "in_reply_to": ("in_reply_to", "inreplyto", "reply_to_id"),
    "thread_id": ("thread_id", "thread", "references", "conversation_id"),
}

_CANONICAL_BY_NAME: dict[str, tuple[str, int]] = {
    name: (canonical, rank)
    for canonical, names in FIELD_ALIASES.items()
    for rank, name in enumerate(names)
}


def normalise_key(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


@functools.lru_cache(maxsize=4096)
def canonical_field(key: str) -> tuple[str, int] | None:
    """(canonical field, preference rank) for a record key, or None for keys we do not use."""
    return _CANONICAL_BY_NAME.get(normalise_key(key))


def map_fields(record: dict[Any, Any]) -> dict[str, Any]:
    """Pick, for every canonical field, the most preferred non-empty value of the record."""
    fields: dict[str, Any] = {}
    for key, canonical in _mapping_plan(tuple(record)):
        if canonical in fields:
            continue
        value = record[key]
        if value is None or value == "" or value == []:
            continue
        fields[canonical] = value
    return fields


@functools.lru_cache(maxsize=1024)
def _mapping_plan(keys: tuple[Any, ...]) -> tuple[tuple[Any, str], ...]:
    """The (key, canonical field) pairs of a record layout, most preferred alias first.

    Records of one export share their keys, so this is worked out once per layout.
    """
    hits = []
    for key in keys:
        hit = canonical_field(key) if isinstance(key, str) else None
        if hit is not None:
            hits.append((hit[1], key, hit[0]))
    hits.sort(key=lambda item: item[0])
    return tuple((key, canonical) for _, key, canonical in hits)


class FieldValueError(ValueError):
    """A field holds a value that cannot be read as text (e.g. a nested object as the body)."""


def as_text(value: Any, field: str) -> str:
    """A field value as one string: strings as they are, numbers printed, lists joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        raise FieldValueError(f"field '{field}' is {json.dumps(value)}, not text")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, bytes):  # a binary Parquet/Arrow column; bad bytes repaired later
        return value.decode("utf-8", errors="surrogateescape")
    if isinstance(value, list | tuple):
        parts = [as_text(item, field) for item in value if item is not None]
        return ("\n" if field in ("body", "html") else " ").join(parts)
    if isinstance(value, dict):
        if field in ("sender", "to", "cc", "bcc"):
            return _address_from_object(value)
        raise FieldValueError(f"field '{field}' is an object, not text")
    raise FieldValueError(f"field '{field}' is a {type(value).__name__}, not text")


def _address_from_object(value: dict[Any, Any]) -> str:
    lowered = {str(k).lower(): v for k, v in value.items()}
    address = lowered.get("email") or lowered.get("address") or lowered.get("addr") or ""
    name = lowered.get("name") or lowered.get("display_name") or ""
    if not isinstance(address, str) or not isinstance(name, str):
        raise FieldValueError("address object holds non-text values")
    if name and address:
        return f"{name} <{address}>"
    if not (name or address):
        raise FieldValueError("address object has neither 'email' nor 'name'")
    return name or address


_SIMPLE_SPLIT = re.compile(r"[,;]")
_NEEDS_PARSING = re.compile(r"[,;<\"]")
_WHITESPACE_RUN = re.compile(r"\s+")


def collapse_whitespace(text: str) -> str:
    """Header-like values on one line: runs of whitespace (incl. folded lines) become one space."""
    if "\n" in text or "\r" in text or "\t" in text or "  " in text:
        return _WHITESPACE_RUN.sub(" ", text).strip()
    return text.strip()


def split_addresses(value: Any, field: str) -> tuple[str, ...]:
    """Recipients from a list or a comma/semicolon separated string ("Doe, Jane" <j@x> kept whole)."""
    if isinstance(value, list | tuple):
        addresses: list[str] = []
        for item in value:
            if type(item) is str and _NEEDS_PARSING.search(item) is None:
                item = collapse_whitespace(item)
                if item:
                    addresses.append(item)
            elif isinstance(item, str):
                addresses.extend(split_addresses(item, field))
            elif item is not None:
                addresses.append(collapse_whitespace(as_text(item, field)))
        return tuple(addresses)
    text = collapse_whitespace(as_text(value, field))
    if not text:
        return ()
    if '"' not in text and "<" not in text:
        return tuple(part.strip() for part in _SIMPLE_SPLIT.split(text) if part.strip())
    parsed = []
    for name, address in getaddresses([text.replace(";", ",")]):
        name, address = name.strip(), address.strip()
        if name and address:
            parsed.append(f"{name} <{address}>")
        elif name or address:
            parsed.append(name or address)
    return tuple(parsed) or (text,)


def first_reference(value: Any, field: str) -> str:
    """The first <message-id> of a References-like value (the thread's root), else the text."""
    if isinstance(value, list | tuple):
        value = next((item for item in value if item not in (None, "")), "")
    text = collapse_whitespace(as_text(value, field))
    match = re.search(r"<[^<>\s]+>", text)
    return match.group() if match else text
