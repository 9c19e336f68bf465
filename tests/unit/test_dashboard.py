"""pipeline.dashboard without a server: links, the switch-off, a busy port, the server's
environment (loopback, no key, our database)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pipeline import dashboard


def test_links_follow_the_dashboards_routes(monkeypatch):
    monkeypatch.setenv(dashboard.URL_ENV, "http://127.0.0.1:9999/")
    assert dashboard.dashboard_url() == "http://127.0.0.1:9999"
    assert dashboard.run_url("r-1") == "http://127.0.0.1:9999/projects/default/runs/r-1"
    assert dashboard.step_url("r-1", "s-1") == (
        "http://127.0.0.1:9999/projects/default/runs/r-1/logs?step=s-1"
    )
    assert dashboard.step_url("r-1", None) is None


def test_no_dashboard_means_no_links(monkeypatch):
    monkeypatch.delenv(dashboard.URL_ENV, raising=False)
    monkeypatch.setattr(dashboard, "_rest_store_url", lambda: None)
    assert dashboard.run_url("r-1") is None and dashboard.step_url("r-1", "s-1") is None


def test_a_rest_store_links_to_its_own_server(monkeypatch):
    monkeypatch.setenv(dashboard.URL_ENV, "http://127.0.0.1:8237")
    monkeypatch.setattr(dashboard, "_rest_store_url", lambda: "https://zenml.example.com")
    assert dashboard.run_url("r-1") == "https://zenml.example.com/projects/default/runs/r-1"


def test_port_zero_turns_it_off(monkeypatch):
    monkeypatch.setattr(dashboard, "start_server", pytest.fail)
    assert dashboard.serve(0) == 0


def test_a_busy_port_is_reported_not_fought_over(monkeypatch, caplog):
    monkeypatch.setattr(dashboard, "start_server", pytest.fail)
    with socket.socket() as busy:
        busy.bind((dashboard.HOST, 0))
        busy.listen()
        assert dashboard.serve(busy.getsockname()[1]) == 1
    assert "in use" in caplog.text


def test_server_environment_points_at_our_database_without_keys(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-to-the-dashboard")
    monkeypatch.setenv("ZENML_STORE_URL", "http://elsewhere")
    env = dashboard.server_environment(tmp_path, "sqlite:////db/zenml.db", "/db/local_stores")
    assert "OPENAI_API_KEY" not in env
    assert env["ZENML_STORE_URL"] == "sqlite:////db/zenml.db"
    assert env["ZENML_CONFIG_PATH"] == str(tmp_path / "dashboard-server")
    assert env["ZENML_SERVER_AUTH_SCHEME"] == "NO_AUTH" and env["ZENML_ANALYTICS_OPT_IN"] == "false"
