"""Shared pytest fixtures: a throwaway ZenML store, a clean model environment for every test, the
bundled sample's records and the loopback LLM server.

ZENML_CONFIG_PATH must be set before `zenml` is first imported, so every test session points it
at a fresh temporary folder here, at import time: tests never touch the developer's store, and
the subprocesses they start (CLI runs, Streamlit) inherit the same folder.

Other test packages may add fixtures here; keep each one documented and self-contained.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# The state folder (audit log, launch logs, uploads, library memo, run temp files) must be a
# throwaway one before `pipeline.state_folder` is first imported: never the developer's `.rlm/`.
os.environ["RLM_STATE_DIR"] = tempfile.mkdtemp(prefix="rlm-test-state-")

from data.sample import SAMPLE_PATH  # noqa: E402
from pipeline import zenml_env  # noqa: E402
from tests.fakes.llm_server import FakeLLMServer  # noqa: E402

ZENML_STORE = zenml_env.configure(tempfile.mkdtemp(prefix="rlm-test-zenml-"))
# The desk's files (evidence basket, corpus indexes) likewise: never the developer's `.rlm/desk`.
os.environ["RLM_DESK_DIR"] = tempfile.mkdtemp(prefix="rlm-test-desk-")

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


@pytest.fixture(scope="session")
def zenml_store() -> Path:
    """The ZenML config folder of this test session (throwaway, never the developer's)."""
    return ZENML_STORE


@pytest.fixture(scope="session")
def sample_records() -> list[dict]:
    """The bundled Northwind sample as raw JSON records."""
    return json.loads(SAMPLE_PATH.read_text(encoding="utf-8"))


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
