"""The Evaluate page through AppTest: the form on the bundled sample and question set, a question
set citing ids outside the corpus refused with those ids, a launch handed to the launcher with
the chosen questions and strategies, and a real finished evaluation (made once with the CLI,
deterministic) shown as figures, charts, a CSV and cells that open their run's report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline import launch
from pipeline.launch import LaunchHandle
from tests.child_env import child_env
from ui import routes, state

pytestmark = pytest.mark.pipeline

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = str(REPO_ROOT / "ui" / "app.py")
SAMPLE = REPO_ROOT / "data" / "sample" / "northwind_mail.json"
QUESTIONS = REPO_ROOT / "data" / "queries.json"


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [t.value for t in at.text]
    parts += [e.value for e in (*at.info, *at.warning, *at.error, *at.success, *at.caption)]
    return "\n".join(str(p) for p in parts)


def _frame(at: AppTest, column: str):
    """The one table on the page that has `column`."""
    (frame,) = [d.value for d in at.dataframe if column in d.value.columns]
    return frame


@pytest.fixture(scope="session")
def finished_evaluation(zenml_store: Path, tmp_path_factory) -> dict:
    """The CLI's JSON for one finished deterministic evaluation of two sample questions."""
    chosen = [q for q in json.loads(QUESTIONS.read_text()) if q["id"] in ("q02", "q11")]
    path = tmp_path_factory.mktemp("eval-ui") / "two.json"
    path.write_text(json.dumps(chosen))
    env = child_env()
    env["ZENML_CONFIG_PATH"] = str(zenml_store)
    completed = subprocess.run(
        [sys.executable, "-m", "pipeline.evaluate", "--source", str(SAMPLE), "--questions",
         str(path), "--max-chunks", "2", "--max-iterations", "3", "--json"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


@pytest.fixture
def page(zenml_store) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(routes.EVALUATE)
    return at.run()


def test_the_form_opens_on_the_bundled_sample_and_questions(page):
    assert not page.exception and not page.error
    assert page.radio(key=state.EVAL_QSET_CHOICE).value == state.BUNDLED
    assert len(page.multiselect(key=state.EVAL_QUESTIONS).value) == 18
    # no model configured: only the deterministic strategy is offered
    assert page.multiselect(key=state.EVAL_STRATEGIES).options == ["deterministic"]
    assert not page.button(key="launch_evaluation").disabled
    # the choice survives the widgets being hidden while an upload is pending
    page.radio(key=state.EVAL_QSET_CHOICE).set_value(state.UPLOADED).run()
    page.radio(key=state.EVAL_QSET_CHOICE).set_value(state.BUNDLED).run()
    assert page.multiselect(key=state.EVAL_STRATEGIES).value == ["deterministic"]


def test_a_question_set_citing_unknown_ids_is_refused_with_them(page):
    page.radio(key=state.EVAL_QSET_CHOICE).set_value(state.UPLOADED).run()
    bad = "id,kind,question,relevant_ids\nz1,needle,Who?,nw-0001;nope-1 nope-2\n"
    page.file_uploader(key=state.EVAL_QSET_UPLOAD).set_value(("bad.csv", bad.encode(), "text/csv"))
    page.run()
    assert not page.exception
    errors = " ".join(e.value for e in page.error).replace("\\", "")  # markdown escapes
    assert "z1: nope-1, nope-2" in errors and "cannot be used" in errors
    assert not [b for b in page.button if b.key == "launch_evaluation"]


def test_launch_hands_the_chosen_questions_and_strategies_to_the_launcher(page, monkeypatch):
    calls = []

    def fake_launch(source, questions, strategies, budget, llm, settings, **kwargs):
        calls.append((source, json.loads(Path(questions).read_text()), strategies, settings))
        return LaunchHandle("eval-test-0001", os.getpid(), "/dev/null", datetime.now(UTC))

    monkeypatch.setattr(launch, "launch_evaluation", fake_launch)
    page.multiselect(key=state.EVAL_QUESTIONS).set_value(["q01", "q05"]).run()
    page.number_input(key=state.EVAL_TOP_K).set_value(7).run()
    page.button(key="launch_evaluation").click().run()
    assert not page.exception
    source, questions, strategies, settings = calls[0]
    assert source == str(SAMPLE) and [q["id"] for q in questions] == ["q01", "q05"]
    assert strategies == ["deterministic"] and settings.top_k == 7
    # the launch is followed on the page (its live progress); which finished evaluation the
    # results section shows depends on what the store already holds
    assert page.session_state[state.EVAL_LAUNCH].run_name == "eval-test-0001"


def test_a_finished_evaluation_shows_figures_charts_csv_and_cells(page, finished_evaluation):
    page.session_state[state.EVAL_SELECTED] = finished_evaluation["run_id"]
    page.run()
    assert not page.exception and not page.error, [e.value for e in page.error]
    strategies = _frame(page, "micro recall")
    assert list(strategies["strategy"]) == ["deterministic"]
    reported = finished_evaluation["strategies"]["deterministic"]
    assert strategies["micro recall"][0] == round(reported["micro_recall"], 3)
    questions = _frame(page, "cited_ids")
    assert sorted(questions["question"]) == ["q02", "q11"]
    assert len(page.get("plotly_chart")) == 3
    assert "judged lexically" in _texts(page)
    assert page.get("download_button")

    cell = page.selectbox(key=state.EVAL_CELL)
    cell.select("deterministic · q11").run()
    assert "**Cited:**" in _texts(page)
    page.button(key="eval_open_report").click().run()
    row = next(q for q in finished_evaluation["questions"] if q["id"] == "q11")
    assert page.session_state[state.SELECTED_RUN] == row["run_id"]
    assert [t.value for t in page.title] == ["Report"]
