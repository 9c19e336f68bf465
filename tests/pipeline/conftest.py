"""Fixtures for real pipeline runs on a local ZenML stack in a throwaway config folder.

ZENML_CONFIG_PATH must be set before `zenml` is first imported, so this conftest points it at a
fresh temporary folder at import time (unless an earlier import of zenml already fixed it, e.g.
run_tests.sh's .rlm/test-zenml, which is also throwaway).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest

from pipeline import zenml_env

if "zenml" not in sys.modules:
    zenml_env.configure(tempfile.mkdtemp(prefix="rlm-test-zenml-"))
else:
    zenml_env.configure()

SAMPLE = zenml_env.REPO_ROOT / "data" / "sample" / "northwind_mail.json"


@pytest.fixture(scope="session")
def zenml_store() -> Path:
    """The ZenML config folder the pipeline tests use (never the developer's)."""
    return zenml_env.configure()


@pytest.fixture(scope="session")
def sample_records() -> list[dict]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def write_records(path: Path, records: list[dict]) -> Path:
    path.write_text(json.dumps(records), encoding="utf-8")
    return path
