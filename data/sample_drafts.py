"""The draft form of a sample email, shared by the story parser and the noise templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("America/Chicago")


@dataclass
class DraftEmail:
    """One email before ids are assigned: written by hand (story) or from a template (noise)."""

    key: str
    date: datetime
    sender: str
    to: list[str]
    subject: str
    body: str
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    quote_parent: bool = False
    folder: str | None = None
    is_html: bool = False
