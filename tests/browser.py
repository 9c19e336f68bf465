"""Headless Debian Chromium and the workbench server, as the browser tests and the UI benchmark
start them.

Playwright drives the system browser (`run_tests.sh` installs Debian's `chromium`); it never
downloads one. The flags keep Chromium off the network: no background services, no updates.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]

CHROMIUM = "/usr/bin/chromium"
# The default wait of every browser-test step: a safety net against a hung page, never what a
# test asserts (each wait ends as soon as its element shows). A fresh workbench's first page
# that reads the ZenML store (import ZenML, open the store: about 7 s of CPU idle) took more
# than 60 s on two cores kept busy by two CPU burners and other test processes.
STEP_TIMEOUT_MS = 120_000
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT_ATTEMPTS = 3
PORT_TAKEN = "is not available"  # Streamlit's log line when another process took the port


class _PortTaken(RuntimeError):
    """The free port `free_port` found was taken before Streamlit bound it."""


@contextlib.contextmanager
def workbench_server(
    env: Mapping[str, str], log_path: Path, timeout_s: float = 90, *, run_ui: bool = False
) -> Iterator[str]:
    """`streamlit run ui/app.py` (or, with `run_ui`, `./run_ui.sh` as a user starts it) on a
    free loopback port with `env`; yields its URL once healthy, stops it afterwards. Output goes
    to `log_path` (a file, not a pipe: a chatty server must never block), whose tail is in the
    error when the server dies or never answers. A port another process takes between
    `free_port` and Streamlit's bind is given up for a new one (up to `PORT_ATTEMPTS`)."""
    for attempt in range(1, PORT_ATTEMPTS + 1):
        process, url = _start(env, log_path, run_ui=run_ui)
        try:
            _wait_healthy(url, process, log_path, timeout_s)
        except _PortTaken:  # the server has exited
            if attempt == PORT_ATTEMPTS:
                raise
            continue
        except BaseException:
            _stop(process)
            raise
        break
    try:
        yield url
    finally:
        _stop(process)


def _start(env: Mapping[str, str], log_path: Path, *, run_ui: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    options = ["--server.headless", "true", "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false"]  # fmt: skip
    if run_ui:
        command = ["bash", "run_ui.sh", *options]
        env = {**env, "PORT": str(port)}
    else:
        command = [sys.executable, "-m", "streamlit", "run", "ui/app.py",
                   "--server.port", str(port), *options]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
    return process, f"http://127.0.0.1:{port}"


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text()[-3000:]
            error = _PortTaken if PORT_TAKEN in output else RuntimeError
            raise error(f"streamlit exited: {output}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(
        f"streamlit did not become healthy in {timeout_s:g} s: {log.read_text()[-3000:]}"
    )
