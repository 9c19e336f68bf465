"""The analyst's desk in a real headless Chromium: open a cited email in its thread, click a person
in the graph, pin and tag an email, restart the workbench and find it again, download an evidence
bundle and check it."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.browser import STEP_TIMEOUT_MS, launch_chromium, workbench_server
from tests.child_env import child_env
from tests.e2e.test_workbench_browser import _check_page
from ui.components.pin_controls import key_id

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "data" / "sample" / "northwind_mail.json"
QUERY = "Who sent the key accounts pricing spreadsheet outside the company?"


@pytest.fixture
def desk_env(tmp_path: Path) -> dict[str, str]:
    """A fresh ZenML store and state folder holding one finished deterministic run."""
    env = child_env()
    env |= {
        "ZENML_CONFIG_PATH": str(tmp_path / "zenml"),
        "RLM_DESK_DIR": str(tmp_path / "state"),
        "PYTHONUNBUFFERED": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.run", "--source", str(SAMPLE), "--query", QUERY,
         "--max-chunks", "3", "--max-iterations", "4", "--json"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    env["TEST_RUN_JSON"] = done.stdout
    return env


def _open(page, title: str) -> None:
    """Go to a page by its sidebar link (matched by its exact name: icons carry words too)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    page.wait_for_selector(f'h1:has-text("{title}")')


def _open_run(page, run_name: str) -> None:
    from playwright.sync_api import expect

    _open(page, "Runs")
    page.locator(".st-key-open_run button").click()  # the only run is picked
    expect(page.get_by_text(f"Opened {run_name}")).to_be_visible()


def _chip(container, tag: str):
    """A selected tag of a multiselect."""
    return container.locator(f'[data-tag][aria-label="{tag}"]')


def test_thread_people_pin_restart_and_bundle_in_chromium(desk_env, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    result = json.loads(desk_env["TEST_RUN_JSON"])
    email_id = result["report"]["findings"][0]["evidence_ids"][0]
    key = key_id(email_id)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            with workbench_server(desk_env, tmp_path / "streamlit-1.log") as url:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(STEP_TIMEOUT_MS)
                page.goto(url)
                _open_run(page, result["run_name"])

                # a citation opens its email inside its thread
                _open(page, "Report")
                page.locator(".st-key-finding_0_0 button").first.click()
                dialog = page.get_by_role("dialog")
                expect(dialog.get_by_text("Thread of ")).to_be_visible()
                opened = dialog.locator(f".st-key-thread_opened_{key}")
                expect(opened).to_contain_text(email_id)
                expect(opened).to_contain_text("opened")

                # pin it and tag it (a default tag and a new one) with a note
                opened.locator(f".st-key-pin_thread_{key} button").click()
                tags = opened.locator(f".st-key-tags_thread_{key}")
                expect(tags).to_be_visible()
                saved = opened.get_by_text("Saved: tags ")
                for tag, stored in (("key", "key"), ("smoking gun", "key, smoking gun")):
                    tags.locator("input").click()
                    page.keyboard.type(tag)
                    expect(page.get_by_role("option").first).to_contain_text(tag)
                    page.keyboard.press("Enter")
                    expect(_chip(tags, tag)).to_be_visible()
                    expect(saved).to_contain_text(f"Saved: tags {stored} ·")  # the server has it
                opened.locator(f".st-key-note_thread_{key} textarea").fill("Sent from home.")
                dialog.get_by_text("Thread of ").click()  # blur: commits the note
                expect(saved).to_contain_text("note of 15 characters")
                _check_page(page, "10_thread_pinned")
                page.keyboard.press("Escape")
                expect(dialog).to_be_hidden()

                # the basket shows it, as the server stored it
                _open(page, "Evidence")
                item = page.locator(f".st-key-evidence_{key}")
                expect(_chip(item, "smoking gun")).to_be_visible()
                expect(item.locator("textarea")).to_have_value("Sent from home.")

                # click a person in the graph: their emails are listed
                _open(page, "People")
                nodes = page.locator(".st-key-people_graph .scatterlayer .trace").last
                point = nodes.locator(".point").first
                expect(point).to_be_visible()
                box = point.bounding_box()  # Plotly's drag layer takes the click, as for a user
                page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                expect(page.get_by_text("In the corpus:")).to_be_visible()
                expect(page.get_by_text("In this run's evidence:")).to_be_visible()
                _check_page(page, "11_people")

                _open(page, "Timeline")
                expect(page.locator(".js-plotly-plot").first).to_be_visible()
                _check_page(page, "12_timeline")
                page.close()

            # a restarted workbench, a new browser session: the pinned email is still there
            with workbench_server(desk_env, tmp_path / "streamlit-2.log") as url:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(STEP_TIMEOUT_MS)
                page.goto(url)
                _open(page, "Evidence")
                item = page.locator(f".st-key-evidence_{key}")
                expect(item).to_contain_text(email_id)
                expect(_chip(item, "smoking gun")).to_be_visible()
                expect(_chip(item, "key")).to_be_visible()
                expect(item.locator("textarea")).to_have_value("Sent from home.")
                _check_page(page, "13_evidence_after_restart")

                page.locator(".st-key-build_basket_bundle button").click()
                with page.expect_download() as download_info:
                    page.locator(".st-key-download_basket_bundle button").click()
                bundle_path = tmp_path / "bundle.zip"
                download_info.value.save_as(bundle_path)
        finally:
            browser.close()

    with zipfile.ZipFile(bundle_path) as bundle:
        names = bundle.namelist()
        assert {"report.md", "report.html", "manifest.csv"} <= set(names)
        assert [n for n in names if n.startswith("emails/")] == [f"emails/{email_id}.eml"]
        (row,) = csv.DictReader(io.StringIO(bundle.read("manifest.csv").decode()))
        assert row["id"] == email_id and row["notes"] == "Sent from home."
        assert row["tags"] == "key; smoking gun" and row["cited_by_findings"].startswith("1")
        assert f"X-RLM-Email-Id: {email_id}" in bundle.read(f"emails/{email_id}.eml").decode()


def test_an_edited_plan_is_approved_and_used_by_the_run_in_chromium(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    env = child_env()
    env |= {
        "ZENML_CONFIG_PATH": str(tmp_path / "zenml"),
        "RLM_DESK_DIR": str(tmp_path / "desk"),
        "PYTHONUNBUFFERED": "1",
    }
    sub_question = "Who first reported the MV-7 wall loss?"
    with sync_playwright() as playwright, workbench_server(env, tmp_path / "streamlit.log") as url:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(STEP_TIMEOUT_MS)
            page.goto(url)
            page.locator(".st-key-query textarea").fill(QUERY)
            page.locator("h1").first.click()  # blur: commits the text area
            page.locator(".st-key-review_plan label").click()
            page.locator(".st-key-make_plan button").click()
            first = page.locator(".st-key-plan_chunk_0")
            expect(first).to_be_visible()
            expect(page.locator(".st-key-plan_chunk_3")).to_be_visible()  # 4 chunks by default
            first.locator(".st-key-plan_q_0 textarea").fill(sub_question)
            page.locator("h1").first.click()
            boundary = first.locator(".st-key-plan_end_0 input")
            boundary.fill("50")
            boundary.press("Enter")
            expect(first).to_contain_text("50 emails")
            approve = page.locator(".st-key-approve_plan button")
            expect(approve).to_have_text("Approve the edited plan and launch")
            _check_page(page, "14_plan_review")
            approve.click()

            open_report = page.locator(".st-key-open_report button")
            expect(open_report).to_be_visible(timeout=150_000)
            open_report.click()
            page.wait_for_selector('h1:has-text("Report")')
            expect(page.get_by_text("plan edited")).to_be_visible()
            _open(page, "Trajectories")
            expect(page.get_by_text(sub_question)).to_be_visible()  # chunk_00's sub-question
            _check_page(page, "15_edited_plan_used")
        finally:
            browser.close()


def test_a_chunk_is_rerun_from_the_report_in_chromium(desk_env, tmp_path):
    """Report > Rerun this chunk: a new run starts, finishes, and its Report links back to the
    original (the other chunks come from cache: tests/pipeline/test_steering.py checks that)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    result = json.loads(desk_env["TEST_RUN_JSON"])
    sub_question = "Who forwarded the pricing spreadsheet to a personal address?"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            with workbench_server(desk_env, tmp_path / "streamlit.log") as url:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(STEP_TIMEOUT_MS)
                page.goto(url)
                _open_run(page, result["run_name"])
                _open(page, "Report")
                page.locator(
                    '[data-testid="stExpander"] summary', has_text="Rerun this chunk"
                ).click()
                page.locator(".st-key-rerun_sub_question textarea").fill(sub_question)
                page.locator("h1").first.click()  # blur: commits the text area
                iterations = page.locator(".st-key-rerun_max_iterations input")
                iterations.fill("8")
                iterations.press("Enter")
                page.locator(".st-key-rerun_launch button").click()

                open_report = page.locator(".st-key-open_report button")
                expect(open_report).to_be_visible(timeout=150_000)
                open_report.click()
                page.wait_for_selector('h1:has-text("Report")')
                expect(page.get_by_text("Rerun of chunk_00 of run")).to_be_visible()
                page.locator(".st-key-link_rerun_of button").click()
                expect(page.get_by_text("Rerun as run")).to_be_visible()
        finally:
            browser.close()
