"""The workbench in a real headless Chromium: upload a hostile corpus, launch a run against the
loopback fake model, read the report and a cited email, replay a trajectory, open the cost
dashboard; nothing executes, and the API key never reaches a page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import STEP_TIMEOUT_MS, launch_chromium, workbench_server
from tests.child_env import child_env
from tests.fakes.gate import RequestGate
from tests.fakes.llm_server import FakeLLMServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
SECRET = "sk-test-SECRET-e2e"
# How long a page waits for a run to finish: a safety net that ends a hung test, never a speed
# claim (a run on a 2-core machine that other work keeps busy can take minutes).
RUN_SAFETY_NET_MS = 480_000
XSS_ID = "xss-0001"
SCRIPT = "<script>window.__xss=1</script>"
XSS_TEXT = f'{SCRIPT} <img src=x onerror="window.__xss=2"> [click](javascript:window.__xss=3)'


def _corpus(path: Path) -> Path:
    emails = [
        {
            "id": XSS_ID,
            "date": "2024-03-01T09:00:00+00:00",
            "from": "mallory@example.com",
            "to": ["ops@example.com"],
            "subject": f"Pricing sheet {XSS_TEXT}",
            "body": f"I sent the pricing sheet outside to our competitor. {XSS_TEXT}",
        }
    ] + [
        {
            "id": f"mail-{n:04d}",
            "date": f"2024-03-{n + 1:02d}T10:00:00+00:00",
            "from": f"person{n}@example.com",
            "to": ["ops@example.com"],
            "subject": f"Pricing sheet follow-up {n}",
            "body": f"Follow-up number {n} about the pricing sheet sent outside.",
        }
        for n in range(1, 6)
    ]
    path.write_text(json.dumps(emails), encoding="utf-8")
    return path


@pytest.fixture
def workbench(tmp_path: Path) -> Iterator[tuple[str, FakeLLMServer]]:
    """The app on a free loopback port, its model pointed at a FakeLLMServer that demands SECRET."""
    env = child_env()
    with FakeLLMServer(api_key=SECRET, latency_ms=20) as server:
        env |= {
            "ZENML_CONFIG_PATH": str(tmp_path / "zenml"),
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": SECRET,
            "PYTHONUNBUFFERED": "1",
        }
        with workbench_server(env, tmp_path / "streamlit.log") as url:
            yield url, server


def _check_page(page, name: str) -> None:
    """No script ran, the key is nowhere in the page, and a full-page screenshot is saved."""
    page.mouse.move(5, 5)  # no hover tooltip in the screenshot
    page.wait_for_timeout(400)  # let Plotly and fonts settle before the screenshot
    assert page.evaluate("typeof window.__xss") == "undefined", name
    assert SECRET not in page.content(), name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Streamlit scrolls inside its main section, so grow the viewport to show the whole page.
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stMainBlockContainer]')]"
        ".map(e => e.scrollHeight), 1000)"
    )
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 6000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})


def _open(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    page.wait_for_selector(f'h1:has-text("{title}")')


def test_upload_launch_report_replay_cost_in_chromium(workbench, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    url, server = workbench
    corpus = _corpus(tmp_path / "hostile_mail.json")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(STEP_TIMEOUT_MS)
        try:
            page.goto(url)
            expect(page.get_by_text("Bundled sample (Northwind Energy)")).to_be_visible()
            page.get_by_text("Upload a mailbox").click()
            page.locator(".st-key-upload_file input[type=file]").set_input_files(str(corpus))
            expect(page.get_by_text("hostile_mail.json · format json")).to_be_visible()
            page.locator(".st-key-query textarea").fill("Who sent the pricing sheet outside?")
            page.locator("h1").first.click()  # blur: commits the text area
            expect(page.get_by_text("Mode: model")).to_be_visible()
            launch = page.locator(".st-key-launch button")
            expect(launch).to_be_enabled()
            _check_page(page, "01_new_analysis")
            launch.click()

            open_report = page.locator(".st-key-open_report button")
            expect(open_report).to_be_visible(timeout=RUN_SAFETY_NET_MS)
            assert server.chat_requests(), "the run talked to the loopback model"
            _check_page(page, "02_run_finished")

            open_report.click()
            page.wait_for_selector('h1:has-text("Report")')
            expect(page.get_by_text("Findings", exact=True)).to_be_visible()
            page.get_by_role("button", name=XSS_ID).first.click()
            dialog = page.get_by_role("dialog")
            expect(dialog).to_contain_text(SCRIPT)  # the markup shows as characters
            expect(dialog).to_contain_text("[click](javascript:window.__xss=3)")
            assert dialog.locator("a[href^='javascript']").count() == 0
            _check_page(page, "03_report_email")
            page.keyboard.press("Escape")
            expect(dialog).to_be_hidden()
            assert page.locator("a[href^='javascript']").count() == 0
            _check_page(page, "04_report")

            _open(page, "Trajectories")
            indicator = page.get_by_text("Step 1 of", exact=False)
            expect(indicator).to_be_visible()
            page.locator(".st-key-replay_forward button").click()
            expect(page.get_by_text("Step 2 of", exact=False)).to_be_visible()
            page.locator(".st-key-replay_forward button").click()
            expect(page.get_by_text("Step 3 of", exact=False)).to_be_visible()
            page.locator(".st-key-replay_back button").click()
            expect(page.get_by_text("Step 2 of", exact=False)).to_be_visible()
            expect(page.locator(".js-plotly-plot").first).to_be_visible()
            _check_page(page, "05_trajectories")

            _open(page, "Cost dashboard")
            expect(page.locator(".js-plotly-plot").nth(5)).to_be_visible()  # per-chunk + heavy tail
            _check_page(page, "06_cost")

            _open(page, "Runs")
            expect(page.get_by_text("Compare two runs")).to_be_visible()
            _check_page(page, "07_runs")
        finally:
            browser.close()


def test_two_browser_sessions_launch_at_once_and_each_sees_its_own_run(workbench):
    """Two analysts (separate browser contexts, so separate Streamlit sessions) launch on the
    bundled sample at the same time: both runs work concurrently against the model, and each
    session's report answers its own question only. Concurrency is observed at the model: the
    server holds every plan call until both runs have one in flight at the same moment."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    url, server = workbench
    questions = {
        "a": "Which valve at Lakeside showed wall loss in the ultrasonic survey?",
        "b": "When is the next revenue forecast meeting and who attends it?",
    }
    server.gate = RequestGate(
        parties=2,
        tasks={"plan"},
        group=lambda prompt: next((n for n, q in questions.items() if q in prompt), None),
    )
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            pages = {}
            for name, question in questions.items():
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.set_default_timeout(STEP_TIMEOUT_MS)
                page.goto(url)
                expect(page.get_by_text("Bundled sample (Northwind Energy)")).to_be_visible()
                page.locator(".st-key-query textarea").fill(question)
                page.locator("h1").first.click()  # blur: commits the text area
                expect(page.locator(".st-key-launch button")).to_be_enabled()
                pages[name] = page
            for page in pages.values():  # both launched before either can finish
                page.locator(".st-key-launch button").click()

            for name, page in pages.items():
                open_report = page.locator(".st-key-open_report button")
                expect(open_report).to_be_visible(timeout=RUN_SAFETY_NET_MS)
                open_report.click()
                page.wait_for_selector('h1:has-text("Report")')
                main = page.locator('[data-testid="stMain"]')
                expect(main.locator("h3").first).to_have_text(questions[name])
                other = next(q for n, q in questions.items() if n != name)
                assert other not in main.inner_text()
                assert page.evaluate("typeof window.__xss") == "undefined"
        finally:
            browser.close()

    asked = {name: [r for r in server.chat_requests() if question in json.dumps(r.body)]
             for name, question in questions.items()}  # fmt: skip
    assert asked["a"] and asked["b"], "both runs talked to the model"
    # concurrent, not queued: a plan call of each run was held open at the same moment
    gate = server.gate
    assert gate.opened_by == "parties" and gate.held_peak == 2, (gate.opened_by, gate.held_peak)
