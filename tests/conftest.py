"""Shared pytest fixtures: a clean model environment for every test and the loopback LLM server.

Other test packages may add fixtures here; keep each one documented and self-contained.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.fakes.llm_server import FakeLLMServer

# Variables that would make a test talk to a real model or change prices behind its back.
MODEL_ENV_VARS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "RLM_MODEL",
    "RLM_INPUT_USD_PER_MTOK",
    "RLM_OUTPUT_USD_PER_MTOK",
)


@pytest.fixture(autouse=True)
def _no_developer_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without a developer's API key, base URL, model or price override."""
    for name in MODEL_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_llm_server() -> Iterator[Callable[..., FakeLLMServer]]:
    """Factory: `make_llm_server(faults={"http429": 0.5}, ...)` starts a FakeLLMServer on a free
    loopback port; every server it made is stopped after the test."""
    servers: list[FakeLLMServer] = []

    def start(**kwargs: Any) -> FakeLLMServer:
        server = FakeLLMServer(**kwargs)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def llm_server(make_llm_server: Callable[..., FakeLLMServer]) -> FakeLLMServer:
    """A default FakeLLMServer (no faults, no latency); use `.base_url`, `.requests`, `.script()`."""
    return make_llm_server()
