"""`tools.env.megabytes_from_env`: sizes from the environment, with bad values named and ignored."""

from __future__ import annotations

import logging

import pytest

from tools.env import MEGABYTE, megabytes_from_env


@pytest.mark.parametrize(
    ("raw", "zero_allowed", "expected_mb"),
    [(None, False, 64), ("", False, 64), ("1.5", False, 1.5), ("0", True, 0), ("512", True, 512)],
)
def test_values_and_defaults(monkeypatch, raw, zero_allowed, expected_mb) -> None:
    if raw is None:
        monkeypatch.delenv("RLM_TEST_MB", raising=False)
    else:
        monkeypatch.setenv("RLM_TEST_MB", raw)
    assert megabytes_from_env("RLM_TEST_MB", 64, zero_allowed=zero_allowed) == int(
        expected_mb * MEGABYTE
    )


@pytest.mark.parametrize(("raw", "zero_allowed"), [("lots", True), ("-3", True), ("0", False)])
def test_bad_values_fall_back_with_a_warning(monkeypatch, caplog, raw, zero_allowed) -> None:
    monkeypatch.setenv("RLM_TEST_MB", raw)
    with caplog.at_level(logging.WARNING, logger="tools.env"):
        assert megabytes_from_env("RLM_TEST_MB", 64, zero_allowed=zero_allowed) == 64 * MEGABYTE
    assert f"ignoring RLM_TEST_MB={raw!r}" in caplog.text and "using 64 MB" in caplog.text
