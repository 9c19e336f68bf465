"""Exposure policy and the start-up check: loopback is local, anything else needs sign-in, a
token must be long and is compared in constant time, OpenID Connect configuration is read from
secrets.toml and checked, and exposed sessions do not get the server's API key by default."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pipeline import state_folder
from ui import exposure, serve_check

TOKEN = "team-token-0123456789abcdef"
OIDC = {
    "redirect_uri": "https://rlm.example.com/oauth2callback",
    "cookie_secret": "a-long-random-cookie-secret",
    "client_id": "id",
    "client_secret": "secret",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses_are_local(host: str) -> None:
    assert exposure.is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", None, "192.168.1.10", "rlm.example.com"])
def test_other_addresses_are_reachable(host) -> None:
    assert not exposure.is_loopback(host)


def test_local_start_needs_nothing() -> None:
    assert exposure.exposure_problems("127.0.0.1", None, {}) == []


def test_exposed_without_sign_in_is_refused_with_what_to_configure() -> None:
    problems = exposure.exposure_problems("0.0.0.0", None, {})
    assert len(problems) == 1 and "no sign-in is configured" in problems[0]
    message = exposure.refusal_message("0.0.0.0", problems)
    for needed in ("RLM_ACCESS_TOKEN", "[auth]", ".streamlit/secrets.toml", "RLM_HOST"):
        assert needed in message


def test_exposed_with_a_token_or_oidc_is_allowed() -> None:
    assert exposure.exposure_problems("0.0.0.0", None, {"RLM_ACCESS_TOKEN": TOKEN}) == []
    assert exposure.exposure_problems("10.0.0.5", OIDC, {}) == []


def test_a_short_token_is_refused() -> None:
    problems = exposure.exposure_problems("0.0.0.0", None, {"RLM_ACCESS_TOKEN": "letmein"})
    assert len(problems) == 1 and "at least 16" in problems[0]


def test_token_comparison() -> None:
    assert exposure.token_matches(TOKEN, TOKEN)
    assert exposure.token_matches(f" {TOKEN}\n", TOKEN)  # a pasted newline is forgiven
    assert not exposure.token_matches(TOKEN[:-1], TOKEN)
    assert not exposure.token_matches("", TOKEN)
    assert not exposure.token_matches("tökén", TOKEN)  # non-ASCII input does not raise


def test_oidc_configuration_is_checked() -> None:
    assert exposure.oidc_problems(OIDC) == []
    assert exposure.oidc_providers(OIDC) == ["default"]
    named = {"redirect_uri": OIDC["redirect_uri"], "cookie_secret": "c",
             "google": {k: OIDC[k] for k in exposure.OIDC_PROVIDER_KEYS}}  # fmt: skip
    assert exposure.oidc_providers(named) == ["google"] and exposure.oidc_problems(named) == []
    broken = {k: v for k, v in OIDC.items() if k not in ("cookie_secret", "client_id")}
    broken["redirect_uri"] = "https://rlm.example.com/"
    problems = exposure.oidc_problems(broken)
    assert any("cookie_secret" in p for p in problems)
    assert any("oauth2callback" in p for p in problems)
    assert any("client_id" in p for p in problems)
    # an incomplete [auth] still means sign-in is wanted: it refuses rather than opening up
    assert exposure.sign_in_mode(broken, {}) == "oidc"
    assert exposure.exposure_problems("0.0.0.0", broken, {}) == problems


def test_auth_section_is_read_from_the_secrets_files(tmp_path: Path) -> None:
    home, project = tmp_path / "home.toml", tmp_path / "project.toml"
    home.write_text('[auth]\nredirect_uri = "old"\n')
    lines = [f'{k} = "{v}"' for k, v in OIDC.items()]
    project.write_text("[auth]\n" + "\n".join(lines) + "\n")
    assert exposure.load_auth_section((home, tmp_path / "missing.toml", project)) == OIDC
    assert exposure.load_auth_section((tmp_path / "missing.toml",)) is None
    project.write_text("[auth\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        exposure.load_auth_section((project,))


def test_sign_in_mode_and_key_sharing() -> None:
    assert exposure.sign_in_mode(None, {}) == "none"
    assert exposure.sign_in_mode(None, {"RLM_ACCESS_TOKEN": TOKEN}) == "token"
    assert exposure.sign_in_mode(OIDC, {"RLM_ACCESS_TOKEN": TOKEN}) == "oidc"
    assert exposure.share_server_key("127.0.0.1", "none", {})  # local use unchanged
    assert not exposure.share_server_key("0.0.0.0", "token", {})
    assert not exposure.share_server_key("127.0.0.1", "oidc", {})  # behind a reverse proxy
    assert exposure.share_server_key("0.0.0.0", "token", {"RLM_SHARE_SERVER_KEY": "1"})
    assert not exposure.share_server_key("0.0.0.0", "token", {"RLM_SHARE_SERVER_KEY": "yes"})


def test_email_allow_list() -> None:
    env = {"RLM_ALLOWED_EMAILS": "@Northwind.example, bob@example.com"}
    assert exposure.email_allowed("ana@northwind.example", env)
    assert exposure.email_allowed("Bob@Example.com", env)
    assert not exposure.email_allowed("eve@example.com", env)
    assert not exposure.email_allowed("ana@evil-northwind.example", env)
    assert not exposure.email_allowed(None, env)
    assert exposure.email_allowed("anyone@example.com", {})


def test_bind_address_comes_from_rlm_host_or_an_explicit_argument() -> None:
    assert serve_check.bind_address([], {}) == "127.0.0.1"
    assert serve_check.bind_address([], {"RLM_HOST": "0.0.0.0"}) == "0.0.0.0"
    args = ["--server.address", "10.0.0.1", "--server.port", "9"]
    assert serve_check.bind_address(args, {"RLM_HOST": "127.0.0.1"}) == "10.0.0.1"
    assert serve_check.bind_address(["--server.address=::"], {}) == "::"


def test_serve_check_refuses_an_argument_that_exposes(capsys, monkeypatch) -> None:
    monkeypatch.setattr(exposure, "SECRETS_FILES", ())
    assert serve_check.main(["--server.address", "0.0.0.0"], {}) == serve_check.EXIT_REFUSED
    captured = capsys.readouterr()
    assert captured.out == "" and "RLM_ACCESS_TOKEN" in captured.err


def test_serve_check_prepares_an_owner_only_state_folder(tmp_path, capsys, monkeypatch) -> None:
    root = tmp_path / ".rlm"
    (root / "uploads").mkdir(parents=True)
    (root / "uploads" / "mail.json").write_text("[]")
    os.chmod(root / "uploads" / "mail.json", 0o644)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[auth]\n" + "\n".join(f'{k} = "{v}"' for k, v in OIDC.items()))
    os.chmod(secrets, 0o644)
    monkeypatch.setattr(state_folder, "STATE_ROOT", root)
    monkeypatch.setattr(exposure, "SECRETS_FILES", (secrets,))
    previous = os.umask(0o022)
    try:
        assert serve_check.main([], {"RLM_HOST": "0.0.0.0"}) == 0
    finally:
        os.umask(previous)
    assert capsys.readouterr().out == "0.0.0.0\n"
    for path in (root, root / "uploads", root / "tmp"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    for path in (root / "uploads" / "mail.json", secrets):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_run_environment_follows_the_sharing_rule(monkeypatch) -> None:
    from pipeline.launch import child_environment
    from pipeline.schemas import LLMSettings

    monkeypatch.setenv("OPENAI_API_KEY", "sk-operator")
    llm = LLMSettings(mode="llm")
    assert child_environment(llm, None)["OPENAI_API_KEY"] == "sk-operator"  # local: shared
    assert "OPENAI_API_KEY" not in child_environment(llm, None, share_server_key=False)
    own = child_environment(llm, "sk-session", share_server_key=False)
    assert own["OPENAI_API_KEY"] == "sk-session"
    tmp = Path(own["TMPDIR"])
    assert tmp == state_folder.STATE_ROOT / "tmp" and state_folder.is_owner_only(tmp)
