"""The access-token path in a real headless Chromium: without the token no page shows any
corpus, run or report data and nothing can be launched; a wrong token is refused; the right
token opens the workbench. Signed in, the session cannot spend the operator's API key (sign-in
means shared use), so it brings its own; its launch is in the audit log and on the Runs page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import audit
from tests.browser import STEP_TIMEOUT_MS, launch_chromium, workbench_server
from tests.child_env import child_env
from tests.fakes.llm_server import FakeLLMServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOKEN = "team-token-" + "7f3a9c1e5b2d4f60"
OPERATOR_KEY = "sk-operator-SECRET-not-shared"
SESSION_KEY = "sk-session-own-key"
PATHS = ["", "report", "trajectories", "cost", "runs"]


@pytest.fixture
def workbench(tmp_path: Path) -> Iterator[tuple[str, FakeLLMServer]]:
    env = child_env()
    with FakeLLMServer(latency_ms=10) as server:
        env |= {
            "ZENML_CONFIG_PATH": str(tmp_path / "zenml"),
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": OPERATOR_KEY,
            "RLM_ACCESS_TOKEN": TOKEN,
            "PYTHONUNBUFFERED": "1",
        }
        with workbench_server(env, tmp_path / "streamlit.log") as url:
            yield url, server


def _assert_signed_out(page, name: str) -> None:
    page.wait_for_selector(".st-key-access_token_input input")
    text = page.locator('[data-testid="stApp"]').inner_text()
    for marker in ("Northwind", "Bundled sample", "Findings", "Compare two runs", "Mode:"):
        assert marker not in text, (name, marker)
    assert page.locator(".st-key-launch").count() == 0, name
    assert page.locator('[data-testid="stDataFrame"]').count() == 0, name
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0, name
    assert TOKEN not in page.content()


def test_token_sign_in_in_chromium(workbench):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    url, server = workbench
    question = f"Who sent the pricing sheet outside? ({uuid.uuid4().hex[:8]})"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(STEP_TIMEOUT_MS)
            page.goto(url)
            _assert_signed_out(page, "before any run")
            field = page.locator(".st-key-access_token_input input")
            field.fill(TOKEN[:-1])
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("That access token is not right")).to_be_visible()
            _assert_signed_out(page, "wrong token")

            field.fill(TOKEN)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Bundled sample (Northwind Energy)")).to_be_visible()
            expect(page.get_by_text("Signed in: token session")).to_be_visible()

            # Shared use: the operator's key is not lent to this session; it brings its own.
            page.get_by_text("Model and endpoint").click()
            expect(page.get_by_text("the server's API key is not used")).to_be_visible()
            key_field = page.locator(".st-key-api_key_input input")
            key_field.fill(SESSION_KEY)
            key_field.press("Enter")
            expect(page.get_by_text("An API key is set for this browser session.")).to_be_visible()
            page.locator(".st-key-query textarea").fill(question)
            page.locator("h1").first.click()  # blur: commits the text area
            expect(page.get_by_text("Mode: model")).to_be_visible()
            page.locator(".st-key-max_chunks").get_by_role("slider").press("Home")
            page.locator(".st-key-launch button").click()
            expect(page.locator(".st-key-open_report button")).to_be_visible(timeout=150_000)

            page.locator('[data-testid="stSidebarNav"] a', has_text="Runs").click()
            page.wait_for_selector('h1:has-text("Runs")')
            page.get_by_text("Audit log (").click()
            audit_view = page.locator('[data-testid="stExpander"]', has_text="Audit log (")
            expect(audit_view.locator('[data-testid="stDataFrame"]')).to_be_visible()
            assert OPERATOR_KEY not in page.content() and SESSION_KEY not in page.content()

            # A second browser without the token, now that a run and a report exist: every
            # page, straight from its URL, shows only the sign-in form.
            stranger = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            stranger.set_default_timeout(STEP_TIMEOUT_MS)
            for path in PATHS:
                stranger.goto(f"{url}/{path}")
                _assert_signed_out(stranger, path or "new analysis")
                assert question not in stranger.content()
        finally:
            browser.close()

    used = {r.headers.get("authorization") for r in server.chat_requests()}
    assert used == {f"Bearer {SESSION_KEY}"}, "only the session's own key reached the model"
    (entry,) = [e for e in audit.read_entries(limit=1000) if question in (e.detail or "")]
    assert entry.action == "launch" and entry.who.startswith("token session ")
    assert entry.corpus == "northwind_mail.json"
    refused = [e for e in audit.read_entries(limit=1000) if e.action == "sign_in_refused"]
    assert refused and refused[0].at <= entry.at
