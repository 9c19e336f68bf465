"""The run tree in a real headless Chromium: upload a generated corpus with an aggregation
storyline, set max depth 2, launch (no model), watch the progress count child runs, then follow
the tree through Trajectories (Gantt by depth, the `recurse` event's child run, reached through
the replay's jump list), the Cost dashboard (per depth) and the Report (sub-chunks behind a
finding)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from data.generate import generate
from data.storyline import QUESTION
from tests.browser import STEP_TIMEOUT_MS, launch_chromium, workbench_server
from tests.child_env import child_env
from tests.e2e.test_workbench_browser import _check_page, _open

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def workbench(tmp_path: Path) -> Iterator[str]:
    """The app on a free loopback port, with no model configured (deterministic runs)."""
    env = child_env()
    env |= {"ZENML_CONFIG_PATH": str(tmp_path / "zenml"), "PYTHONUNBUFFERED": "1"}
    with workbench_server(env, tmp_path / "streamlit.log") as url:
        yield url


def test_depth_two_run_as_a_tree_in_chromium(workbench, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    corpus = tmp_path / "storyline_mail.jsonl"
    generate(corpus, 2_000, storyline=150)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(STEP_TIMEOUT_MS)
        try:
            page.goto(workbench)
            page.get_by_text("Upload a mailbox").click()
            page.locator(".st-key-upload_file input[type=file]").set_input_files(str(corpus))
            expect(page.get_by_text("storyline_mail.jsonl · format jsonl")).to_be_visible()
            page.locator(".st-key-query textarea").fill(QUESTION)
            page.locator("h1").first.click()  # blur: commits the text area
            depth = page.locator(".st-key-max_depth input[type=range]")
            expect(depth).to_have_count(1)  # no stale copy left from the upload's rerun
            depth.focus()
            page.keyboard.press("ArrowRight")
            expect(depth).to_have_attribute("aria-valuetext", "2")
            expect(page.get_by_text("Mode: deterministic", exact=False)).to_be_visible()
            page.locator(".st-key-launch button").click()

            open_trajectories = page.locator(".st-key-open_trajectories button")
            expect(open_trajectories).to_be_visible(timeout=240_000)
            expect(page.get_by_text("child runs, depth 2 of 2", exact=False)).to_be_visible()
            _check_page(page, "tree_01_progress")

            open_trajectories.click()
            page.wait_for_selector('h1:has-text("Trajectories")')
            gantt = page.locator(".js-plotly-plot").first
            expect(gantt).to_contain_text("depth 1")
            expect(gantt).to_contain_text("depth 2")
            # chunk_00 split itself: its replay names the step, and the jump list goes there
            child_link = page.get_by_text("Child run:", exact=False)
            expect(page.get_by_text("Step 1 of", exact=False)).to_be_visible()
            page.locator(".st-key-replay_jump input").click()
            page.keyboard.type("recurse")  # the list filters as one types
            recurse = page.get_by_role("option").filter(has_text=": recurse")  # e.g. "5: recurse"
            expect(recurse).to_have_count(1)
            recurse.click()
            expect(child_link).to_be_visible()
            _check_page(page, "tree_02_recurse_event")
            page.locator(".st-key-open_child_chunk_00 button").click()
            # the replay moved to the child's first chunk, which does not split itself
            expect(page.get_by_text("Step 1 of", exact=False)).to_be_visible()
            expect(child_link).to_have_count(0)
            expect(page.locator(".st-key-open_child_chunk_00")).to_have_count(0)

            _open(page, "Cost dashboard")
            expect(page.get_by_text("Per depth", exact=True)).to_be_visible()
            _check_page(page, "tree_03_cost")

            # the Report page loads every chunk's result at every depth: allow a loaded machine
            page.locator('[data-testid="stSidebarNav"] a', has_text="Report").click()
            page.wait_for_selector('h1:has-text("Report")', timeout=180_000)
            sources = page.get_by_text("From sub-chunks:", exact=False).first
            expect(sources).to_be_visible(timeout=180_000)
            _check_page(page, "tree_04_report")
        finally:
            browser.close()
