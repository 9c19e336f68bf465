"""JSON readers: an array of email objects (or an object holding an "emails"/"messages" list),
and JSON Lines (one object per line).

A JSON array is read element by element with `JSONDecoder.raw_decode`, so a file cut off half
way still yields every record before the cut. JSON Lines are split on raw bytes and decoded per
line, which keeps memory near the file size and lets one badly encoded line be repaired alone.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tools.ingest.decode import decode_document, text_encoding
from tools.ingest.problems import IngestError
from tools.ingest.readers import ReadContext

LIST_KEYS = ("emails", "messages", "mails", "records", "items", "data")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number",
               bool: "boolean", type(None): "null"}  # fmt: skip


def _unusable(error: Exception) -> str:
    """Why json refused a document that is not a syntax error (depth, huge integers)."""
    return "nested too deeply" if isinstance(error, RecursionError) else str(error)


def json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def read_json(data: bytes, source: str, context: ReadContext) -> str:
    text = decode_document(data)
    start = _WHITESPACE.match(text).end()  # type: ignore[union-attr]
    if text.startswith("[", start):
        _read_array(text, start + 1, source, context)
        return "json"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":  # several top-level objects: JSON Lines after all
            return read_jsonl(data, source, context)
        raise IngestError(
            f"{source} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except (RecursionError, ValueError) as error:
        raise IngestError(f"{source} is not usable JSON: {_unusable(error)}") from None
    if isinstance(document, dict):
        records = _wrapped_list(document)
        if records is None:
            context.assembler.add_record(document, source, "record 1")
            return "json"
        for number, record in enumerate(records, start=1):
            _add(record, number, source, context)
        return "json"
    raise IngestError(
        f"{source} holds a JSON {json_type(document)}; expected an array of email objects "
        f"or an object with an 'emails' or 'messages' list"
    )


def _wrapped_list(document: dict[Any, Any]) -> list[Any] | None:
    """The email list of {"emails": [...]}-style documents; None for a single email object."""
    lowered = {str(key).lower(): value for key, value in document.items()}
    for key in LIST_KEYS:
        if isinstance(lowered.get(key), list):
            return lowered[key]
    return None


def _read_array(text: str, position: int, source: str, context: ReadContext) -> None:
    decoder = json.JSONDecoder()
    log = context.log
    number = 0
    length = len(text)
    while True:
        position = _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]
        if position >= length:
            if number:
                log.repair(
                    source,
                    f"record {number}",
                    "file ends before the closing ']' (truncated?); all records up to here were kept",
                )
            return
        if text[position] == "]":
            return
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            log.reject(
                source,
                f"record {number + 1}",
                f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}; "
                f"the rest of the file could not be read",
            )
            return
        except (RecursionError, ValueError) as error:
            log.reject(
                source,
                f"record {number + 1}",
                f"unusable JSON ({_unusable(error)}); the rest of the file could not be read",
            )
            return
        number += 1
        _add(value, number, source, context)
        position = _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]
        if position < length and text[position] == ",":
            position += 1
        elif position < length and text[position] != "]":
            log.reject(
                source,
                f"record {number + 1}",
                f"expected ',' or ']' after record {number}, found {text[position]!r}; "
                f"the rest of the file could not be read",
            )
            return


def _add(value: Any, number: int, source: str, context: ReadContext) -> None:
    if isinstance(value, dict):
        context.assembler.add_record(value, source, f"record {number}")
    else:
        context.log.reject(
            source,
            f"record {number}",
            f"a JSON {json_type(value)}, not an object",
            kind="not an object",
        )


def read_jsonl(data: bytes, source: str, context: ReadContext) -> str:
    encoding, skip = text_encoding(data)
    if encoding != "utf-8":
        data = decode_document(data).encode("utf-8", errors="surrogatepass")
        skip = 0
    add_record = context.assembler.add_record
    loads = json.loads
    find = data.find
    length = len(data)
    position, line_number = skip, 0
    while position < length:
        end = find(b"\n", position)
        if end < 0:
            end = length
        line_number += 1
        line = data[position:end]
        position = end + 1
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            text = line.decode("utf-8", errors="surrogateescape")  # repaired per field later
        location = f"line {line_number}"
        try:
            value = loads(text)
        except json.JSONDecodeError as error:
            hint = "; the file may be truncated" if position >= length else ""
            context.log.reject(
                source,
                location,
                f"invalid JSON: {error.msg} (column {error.colno}){hint}",
                kind="invalid json",
            )
            continue
        except (RecursionError, ValueError) as error:
            context.log.reject(
                source, location, f"unusable JSON: {_unusable(error)}", kind="invalid json"
            )
            continue
        if isinstance(value, dict):
            add_record(value, source, location)
        else:
            context.log.reject(
                source, location, f"a JSON {json_type(value)}, not an object", kind="not an object"
            )
    return "jsonl"
