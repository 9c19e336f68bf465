"""Helpers for real pipeline runs (the throwaway ZenML store and the sample's records are
fixtures of tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

from data.sample import SAMPLE_PATH as SAMPLE  # noqa: F401 - imported by the CLI tests


def write_records(path: Path, records: list[dict]) -> Path:
    path.write_text(json.dumps(records), encoding="utf-8")
    return path
