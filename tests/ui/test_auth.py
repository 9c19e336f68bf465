"""The sign-in gate through AppTest: with an access token or OpenID Connect configured, no page
shows corpus, run or report data (nor the sidebar) until the visitor signs in; a wrong token is
refused; an exposed workbench without sign-in shows nothing; and an exposed workbench does not
lend the server's API key to sessions unless the operator opts in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from pipeline import audit, state_folder
from tests.ui.test_new_analysis import _page_text
from ui import routes

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")
TOKEN = "team-token-0123456789abcdef"
PAGES = [routes.NEW_ANALYSIS, routes.REPORT, routes.TRAJECTORIES, routes.COST, routes.RUNS]
OIDC = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-long-random-cookie-secret-for-tests",
    "client_id": "rlm-workbench",
    "client_secret": "client-secret",
    "server_metadata_url": "https://accounts.example.com/.well-known/openid-configuration",
}


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit log of these tests goes to a temporary state folder."""
    monkeypatch.setattr(state_folder, "STATE_ROOT", tmp_path / "state")
    for name in ("RLM_ACCESS_TOKEN", "RLM_SHARE_SERVER_KEY", "RLM_ALLOWED_EMAILS", "RLM_HOST"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def bound_to() -> Iterator:
    """`bound_to("0.0.0.0")`: the server address the app sees (restored afterwards)."""
    before = st_config.get_option("server.address")
    yield lambda host: st_config.set_option("server.address", host)
    st_config.set_option("server.address", before)


def open_app(page: str | None = None, *, secrets=None, user=None, selected_run=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if secrets:
        at.secrets["auth"] = secrets
    if user is not None:
        at.user = user
    if selected_run:
        at.session_state["selected_run"] = selected_run
    if page:
        at.switch_page(page)
    return at.run()


def assert_only_sign_in(at: AppTest) -> None:
    """Nothing but the sign-in screen: no page title, no widget of a page, no data."""
    assert not at.exception
    assert [t.value for t in at.title] == ["RLM Workbench"]
    assert not at.dataframe and not at.metric and not at.sidebar.markdown
    keys = {w.key for w in (*at.button, *at.text_area, *at.radio, *at.selectbox) if w.key}
    assert not keys & {"launch", "corpus_choice", "query", "run_picker", "open_run"}
    text = _page_text(at)
    for marker in ("Northwind", "Emails", "Findings", "Compare two runs", "Mode:"):
        assert marker not in text


@pytest.mark.parametrize("page", PAGES)
def test_token_configured_every_page_shows_only_the_sign_in_form(monkeypatch, page, finished_run):
    monkeypatch.setenv("RLM_ACCESS_TOKEN", TOKEN)
    at = open_app(page, selected_run=finished_run["run_id"])
    assert_only_sign_in(at)
    assert at.text_input(key="access_token_input")


def test_wrong_token_is_refused_and_right_token_opens_the_workbench(monkeypatch):
    monkeypatch.setenv("RLM_ACCESS_TOKEN", TOKEN)
    at = open_app()
    at.text_input(key="access_token_input").input(TOKEN[:-1] + "X")
    at.button[0].click().run()
    assert_only_sign_in(at)
    assert "not right" in at.error[0].value
    assert at.session_state["signed_in"] is False

    at.text_input(key="access_token_input").input(TOKEN)
    at.button[0].click().run()
    assert at.session_state["signed_in"] is True
    assert [t.value for t in at.title] == ["New analysis"]
    assert at.button(key="launch") and "Signed in: token session" in _page_text(at)
    assert TOKEN not in _page_text(at)

    at.button(key="sign_out").click().run()
    assert_only_sign_in(at)
    actions = [e.action for e in audit.read_entries()]
    assert actions == ["sign_in", "sign_in_refused"]  # newest first
    assert TOKEN not in audit.audit_path().read_text()


def test_oidc_configured_requires_login_on_every_page():
    for page in PAGES:
        at = open_app(page, secrets=OIDC, user={"is_logged_in": False})
        assert_only_sign_in(at)
        assert at.button(key="sign_in_default").label == "Sign in"


def test_oidc_named_providers_each_get_a_button():
    secrets = {k: OIDC[k] for k in ("redirect_uri", "cookie_secret")}
    secrets["microsoft"] = {k: OIDC[k] for k in ("client_id", "client_secret")}
    secrets["microsoft"]["server_metadata_url"] = OIDC["server_metadata_url"]
    at = open_app(secrets=secrets, user={"is_logged_in": False})
    assert at.button(key="sign_in_microsoft").label == "Sign in with Microsoft"


def test_oidc_logged_in_user_works_and_is_named_in_the_audit_log(monkeypatch):
    user = {"is_logged_in": True, "email": "ana@example.com", "name": "Ana"}
    at = open_app(secrets=OIDC, user=user)
    assert not at.exception and [t.value for t in at.title] == ["New analysis"]
    assert "Signed in: ana@example.com" in _page_text(at)

    monkeypatch.setenv("RLM_ALLOWED_EMAILS", "@northwind.example, bob@example.com")
    at = open_app(secrets=OIDC, user=user)
    assert_only_sign_in(at)
    assert "may not use the workbench" in at.error[0].value
    (entry,) = audit.read_entries()
    assert (entry.action, entry.who) == ("sign_in_refused", "ana@example.com")


def test_incomplete_oidc_configuration_fails_closed():
    broken = {k: v for k, v in OIDC.items() if k != "client_secret"}
    at = open_app(secrets=broken, user={"is_logged_in": False})
    assert_only_sign_in(at)
    assert "client_secret" in at.error[0].value


def test_exposed_without_sign_in_shows_nothing(bound_to):
    bound_to("0.0.0.0")
    at = open_app(routes.RUNS)
    assert_only_sign_in(at)
    assert "no sign-in is configured" in at.error[0].value


def test_local_sessions_use_the_server_key_as_before(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-operator-key")
    at = open_app()
    assert "Mode: **model**" in _page_text(at)


def test_exposed_sessions_do_not_get_the_server_key_unless_shared(monkeypatch, bound_to):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-operator-key")
    monkeypatch.setenv("RLM_ACCESS_TOKEN", TOKEN)
    bound_to("0.0.0.0")
    at = open_app()
    at.text_input(key="access_token_input").input(TOKEN)
    at.button[0].click().run()
    text = _page_text(at)
    assert "Mode: **deterministic**" in text
    assert "the server's API key is not used for your runs" in text

    at.text_input(key="api_key_input").input("sk-session-own-key").run()  # brings its own
    assert "Mode: **model**" in _page_text(at)

    monkeypatch.setenv("RLM_SHARE_SERVER_KEY", "1")  # the operator opts in
    at = open_app()
    at.text_input(key="access_token_input").input(TOKEN)
    at.button[0].click().run()
    assert "Mode: **model**" in _page_text(at)
