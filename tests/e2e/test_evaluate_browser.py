"""The Evaluate page in a real headless Chromium: upload a one-question set, launch an evaluation
of all four strategies against the loopback fake model, watch it finish, then open cells: a RAG
cell shows its model calls, and an RLM cell opens its run's report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser import STEP_TIMEOUT_MS, launch_chromium, workbench_server
from tests.child_env import child_env
from tests.fakes.llm_server import FakeLLMServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
QUESTION = {
    "id": "x1",
    "kind": "needle",
    "question": "To which outside address was the key accounts pricing spreadsheet sent?",
    "answer": "derek.lund.home@mailbox.example, by Derek Lund on July 8, 2024.",
    "relevant_ids": ["nw-0328", "nw-0329", "nw-0332"],
}


def _shot(page, name: str) -> None:
    """A screenshot of the whole page (Streamlit scrolls inside its main section, so the
    viewport grows to its height first)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(5, 5)
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
        "[data-testid=stMainBlockContainer]')].map(e => e.scrollHeight), 1000)"
    )
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 8000)})
    page.wait_for_timeout(300)  # let Plotly redraw at the new size before the screenshot
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})


def _pick(page, key: str, option: str) -> None:
    """Choose `option` in the selectbox with widget key `key`: type it to filter, then Enter
    (the caller checks what the page shows for it)."""
    page.locator(f".st-key-{key}").get_by_role("combobox").click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")


def test_launch_an_evaluation_and_open_its_cells_in_chromium(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    questions = tmp_path / "one_question.json"
    questions.write_text(json.dumps([QUESTION]), encoding="utf-8")
    env = child_env()
    with FakeLLMServer() as server:
        env |= {"ZENML_CONFIG_PATH": str(tmp_path / "zenml"), "OPENAI_BASE_URL": server.base_url,
                "PYTHONUNBUFFERED": "1"}  # fmt: skip
        with workbench_server(env, tmp_path / "streamlit.log") as url, sync_playwright() as pw:
            browser = launch_chromium(pw)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(STEP_TIMEOUT_MS)
            try:
                page.goto(url)
                page.locator('[data-testid="stSidebarNav"] a', has_text="Evaluate").click()
                # the first visit opens the ZenML store: slow on a busy machine
                page.wait_for_selector('h1:has-text("Evaluate")', timeout=180_000)
                page.locator(".st-key-eval_qset_choice").get_by_text("Upload", exact=True).click()
                uploader = page.locator(".st-key-eval_qset_upload input[type=file]")
                uploader.set_input_files(str(questions))
                expect(page.get_by_text("Questions (1 in one_question.json)")).to_be_visible()
                strategies = page.locator(".st-key-eval_strategies")
                for name in ("rlm", "direct", "rag", "deterministic"):
                    expect(strategies.get_by_text(name, exact=True)).to_be_visible()
                launch = page.locator(".st-key-launch_evaluation button")
                expect(launch).to_be_enabled()
                _shot(page, "eval_01_form")
                launch.click()

                csv = page.locator(".st-key-eval_csv button")
                expect(csv).to_be_visible(timeout=300_000)
                expect(page.locator(".js-plotly-plot").nth(2)).to_be_visible()
                _shot(page, "eval_02_results")
                assert any(r.path.endswith("/embeddings") for r in server.requests)

                expect(page.get_by_text("One cell", exact=True)).to_be_visible()
                _pick(page, "eval_cell", "rag · x1")
                expect(
                    page.get_by_text("Trajectory (every model call of this cell)")
                ).to_be_visible()
                _pick(page, "eval_cell", "rlm · x1")
                page.locator(".st-key-eval_open_report button").click()
                page.wait_for_selector('h1:has-text("Report")')
                main = page.locator('[data-testid="stMain"]')
                expect(main.locator("h3").first).to_have_text(QUESTION["question"])
                _shot(page, "eval_03_cell_report")
            finally:
                browser.close()
