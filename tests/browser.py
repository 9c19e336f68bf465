"""Headless Debian Chromium, as the browser tests and the UI benchmark launch it.

Playwright drives the system browser (`run_tests.sh` installs Debian's `chromium`); it never
downloads one. The flags keep Chromium off the network: no background services, no updates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch_chromium(playwright: Any) -> Any:
    """A headless Chromium `Browser` from a `sync_playwright()` context."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run ./run_tests.sh, which installs it")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
