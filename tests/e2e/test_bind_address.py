"""`./run_ui.sh` as an operator starts it: the workbench and everything it starts (ZenML's
dashboard included) listen on loopback only, and it refuses to start on an exposed address
without sign-in. And the browser tests' server helper moves on when its port was taken."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests import browser
from tests.browser import free_port
from tests.child_env import child_env

pytestmark = [pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN_UI = REPO_ROOT / "run_ui.sh"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = child_env()
    return env | {"ZENML_CONFIG_PATH": str(tmp_path / "zenml"), **extra}


def _listening(process: psutil.Process) -> list[tuple[str, int]]:
    """Every (address, port) the process and its descendants listen on."""
    found = []
    for member in [process, *process.children(recursive=True)]:
        try:
            connections = member.net_connections(kind="inet")
        except psutil.NoSuchProcess:
            continue
        found += [(c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN]
    return found


def test_run_ui_listens_on_loopback_only(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "run_ui.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(RUN_UI)], cwd=REPO_ROOT, env=_env(tmp_path, PORT=str(port)),
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:  # wait until the server answers (it starts in a few seconds when idle)
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        listening = _listening(psutil.Process(process.pid))
        assert port in {p for _, p in listening}, listening
        exposed = [(ip, p) for ip, p in listening if not ipaddress.ip_address(ip).is_loopback]
        assert exposed == []
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_run_ui_refuses_an_exposed_address_without_sign_in(tmp_path: Path, host: str) -> None:
    port = free_port()
    completed = subprocess.run(
        [str(RUN_UI)], cwd=REPO_ROOT, env=_env(tmp_path, RLM_HOST=host, PORT=str(port)),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 2, completed.stderr
    assert f"will not start on {host}" in completed.stderr
    assert "RLM_ACCESS_TOKEN" in completed.stderr and "[auth]" in completed.stderr
    assert "RLM Workbench: http" not in completed.stdout  # streamlit was never started


def test_run_ui_refuses_a_short_token(tmp_path: Path) -> None:
    env = _env(tmp_path, RLM_HOST="0.0.0.0", RLM_ACCESS_TOKEN="letmein", PORT=str(free_port()))
    completed = subprocess.run([str(RUN_UI)], cwd=REPO_ROOT, env=env, capture_output=True,
                               text=True, timeout=120)  # fmt: skip
    assert completed.returncode == 2 and "at least 16" in completed.stderr


def test_workbench_server_moves_on_when_its_port_was_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process can take the port `free_port` found before Streamlit binds it."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        offered = iter([busy])
        monkeypatch.setattr(browser, "free_port", lambda: next(offered, None) or free_port())
        with browser.workbench_server(_env(tmp_path), tmp_path / "streamlit.log") as url:
            assert not url.endswith(f":{busy}")
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as reply:
                assert reply.status == 200
        assert next(offered, None) is None  # the taken port was offered, and refused
