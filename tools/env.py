"""Sizes configured through environment variables, in megabytes.

Pure Python: no streamlit, zenml or openai imports.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)

MEGABYTE = 1024 * 1024


def megabytes_from_env(name: str, default_mb: float, *, zero_allowed: bool = False) -> int:
    """`name`'s value in MB, as bytes; `default_mb` when unset, and (with a warning) when it is
    not a number, negative, or zero where zero is not allowed."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return int(default_mb * MEGABYTE)
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = -1.0
    if megabytes < 0 or (megabytes == 0 and not zero_allowed):
        wanted = "a number of 0 or more" if zero_allowed else "a positive number"
        logger.warning("ignoring %s=%r (not %s); using %g MB", name, raw, wanted, default_mb)
        return int(default_mb * MEGABYTE)
    return int(megabytes * MEGABYTE)
