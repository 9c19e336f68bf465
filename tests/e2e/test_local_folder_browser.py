"""Open from this machine in a real headless Chromium: a maildir folder in the data root
(RLM_DATA_DIR) is picked, previewed and analysed end to end without a model (deterministic)."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.browser import STEP_TIMEOUT_MS, launch_chromium, workbench_server
from tests.child_env import child_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"


def write_enron_tree(root: Path) -> None:
    """allen-p/inbox/1., 2., ... and allen-p/_sent_mail/1., as in the CMU Enron maildir."""
    for folder, count in (("inbox", 3), ("_sent_mail", 2)):
        for number in range(1, count + 1):
            msg = EmailMessage()
            msg["From"] = "phillip.allen@enron.com" if folder == "_sent_mail" else "tim@enron.com"
            msg["To"] = "john.arnold@enron.com"
            msg["Subject"] = f"Gas forecast {folder} {number}"
            msg["Date"] = f"Mon, {number + 10} May 2001 16:39:00 -0700"
            msg["Message-ID"] = f"<{folder}.{number}@enron.com>"
            msg.set_content(f"The West desk gas forecast, version {number}.")
            path = root / "allen-p" / folder / f"{number}."
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(msg.as_bytes())


@pytest.fixture
def workbench(tmp_path: Path) -> Iterator[str]:
    """The app on a free loopback port, deterministic (no model), with a data root."""
    data_root = tmp_path / "mailboxes"
    write_enron_tree(data_root / "enron_maildir")
    env = child_env()
    env |= {
        "ZENML_CONFIG_PATH": str(tmp_path / "zenml"),
        "RLM_DATA_DIR": str(data_root),
        "PYTHONUNBUFFERED": "1",
    }
    with workbench_server(env, tmp_path / "streamlit.log") as url:
        yield url


def test_open_a_maildir_folder_from_the_data_root_and_launch(workbench):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(STEP_TIMEOUT_MS)
        try:
            page.goto(workbench)
            page.get_by_text("Open from this machine").click()
            page.locator(".st-key-local_pick input").click()
            page.keyboard.type("enron_maildir/")
            page.keyboard.press("Enter")
            expect(page.get_by_text("enron_maildir · format folder")).to_be_visible()
            expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("5")
            page.locator(".st-key-query textarea").fill("What did the gas forecast say?")
            page.locator("h1").first.click()  # blur: commits the text area
            expect(page.get_by_text("Mode: deterministic")).to_be_visible()
            launch = page.locator(".st-key-launch button")
            expect(launch).to_be_enabled()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "10_local_folder.png"), full_page=True)
            launch.click()
            open_report = page.locator(".st-key-open_report button")
            expect(open_report).to_be_visible(timeout=150_000)
            open_report.click()
            page.wait_for_selector('h1:has-text("Report")')
            expect(page.get_by_text("Findings", exact=True)).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "11_local_folder_report.png"), full_page=True)
        finally:
            browser.close()
