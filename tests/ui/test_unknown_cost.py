"""A run whose model has no price: every place that shows a cost says "unknown (model X has no
price; set ...)", never $0.0000, and token counts still show. One real run through the CLI (its
readable summary is checked too) against the loopback fake model under an unpriced name; then
the Report, Cost and Runs pages and the sidebar through AppTest. Partial sums and the charts
that leave unknown costs out are checked with hand-made views."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline import cost_text, runs
from tests.ui.conftest import MODEL_ENV, REPO_ROOT, SAMPLE
from tests.ui.factories import make_run
from ui import routes
from ui.components import cost_charts, runs_table

pytestmark = pytest.mark.pipeline

UNPRICED = "rlm-test-unpriced-model"
REASON = cost_text.unknown_reason(UNPRICED)


@pytest.fixture(scope="module")
def unpriced_run(zenml_store: Path, make_llm_server_module) -> dict:
    """The CLI's readable output and run name for a 2-chunk run of an unpriced model."""
    server = make_llm_server_module()
    env = {k: v for k, v in os.environ.items() if k not in MODEL_ENV}
    env |= {"ZENML_CONFIG_PATH": str(zenml_store), "OPENAI_BASE_URL": server.base_url}
    for name in ("RLM_INPUT_USD_PER_MTOK", "RLM_OUTPUT_USD_PER_MTOK"):
        env.pop(name, None)
    run_name = "rlm-unpriced-cost"
    completed = subprocess.run(
        [sys.executable, "-m", "pipeline.run", "--source", str(SAMPLE), "--query",
         "Who decided to defer the Lakeside valve replacement?", "--max-chunks", "2",
         "--max-iterations", "3", "--model", UNPRICED, "--run-name", run_name],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    return {"run_name": run_name, "summary": completed.stdout}


@pytest.fixture(scope="module")
def make_llm_server_module():
    from tests.fakes.llm_server import FakeLLMServer

    servers = []

    def start() -> FakeLLMServer:
        server = FakeLLMServer()
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in (*at.info, *at.warning, *at.error, *at.success)]
    parts += [str(m.value) for m in at.metric]
    return "\n".join(str(p) for p in parts)


def _unescaped(text: str) -> str:
    return text.replace("\\", "")


def test_cli_summary_says_unknown_with_the_fix(unpriced_run):
    summary = unpriced_run["summary"]
    chunk_lines = [line for line in summary.splitlines() if line.startswith("  chunk_")]
    assert len(chunk_lines) == 2
    assert all(REASON in line for line in chunk_lines), summary
    total = next(line for line in summary.splitlines() if line.startswith("  total:"))
    assert REASON in total and "tokens in/out" in total
    assert "$0.0000" not in summary


def test_report_cost_runs_and_sidebar_say_unknown(open_page, unpriced_run):
    name = unpriced_run["run_name"]
    report = open_page(routes.REPORT, run_id=name)
    assert not report.exception, [e.value for e in report.exception]
    caption = next(c.value for c in report.caption if "LLM calls" in c.value)
    assert REASON in _unescaped(caption) and "tokens in / out" in caption
    assert "$0.0000" not in caption
    sidebar = _unescaped(" ".join(c.value for c in report.sidebar.caption))
    assert REASON in sidebar

    cost = open_page(routes.COST, run_id=name)
    assert not cost.exception, [e.value for e in cost.exception]
    metrics = {m.label: m.value for m in cost.metric}
    assert metrics["Total cost"] == "unknown"
    assert int(metrics["Tokens in"].replace(",", "")) > 0  # token counts still show
    # the same whole-run counts as the report's header (planning and synthesis included)
    calls, tokens_in, tokens_out = re.search(
        r"(\d+) LLM calls · ([\d,]+) / ([\d,]+) tokens in / out", caption
    ).groups()
    assert (metrics["LLM calls"], metrics["Tokens in"], metrics["Tokens out"]) == (
        calls,
        tokens_in,
        tokens_out,
    ), caption
    chunk_calls = sum(c.llm_calls for c in runs.get_run(name).chunks)
    assert int(calls) > chunk_calls  # the plan and synthesis calls are in the header's count
    assert any(REASON in _unescaped(w.value) for w in cost.warning)
    texts = _texts(cost)
    assert "2 chunks with unknown cost left out (bars and p95)" in texts
    assert "with unknown cost left out (histogram, ECDF, p50/p95/p99)" in texts

    replay = open_page(routes.TRAJECTORIES, run_id=name)
    for _ in range(4):  # step 1 is the preview; the first model call follows
        captions = _unescaped(" ".join(c.value for c in replay.caption))
        if "SDK retries" in captions:
            break
        replay.button(key="replay_forward").click().run()
    assert REASON in captions
    assert {m.label: m.value for m in replay.metric}["Cost"] == "unknown"

    runs_page = open_page(routes.RUNS)
    history = next(d.value for d in runs_page.dataframe if "total cost" in d.value.columns)
    row = history[history["run"] == name].iloc[0]
    assert row["total cost"] == REASON


def test_partial_sums_are_labelled_and_charts_leave_unknown_out():
    run = make_run(chunk_costs=(0.001, 0.002, 0.003, 0.1))
    run.chunks[3].cost_usd = None  # one chunk of an unpriced model
    run = run.model_copy(update={"totals": None})
    text = cost_text.run_cost_text(run)
    assert text == f"$0.0060 partial; {cost_text.unknown_reason('gpt-4o-mini')}"
    assert runs_table.history_frame([run]).loc[0, "total cost"] == text

    frame = cost_charts.chunk_frame(run)
    figure = cost_charts.bar_with_p95(frame, "cost_usd", "Cost", "USD")
    assert list(figure.data[0].x) == ["chunk_00", "chunk_01", "chunk_02"]
    p95 = figure.layout.shapes[0].y0
    assert p95 == pytest.approx(np.percentile([0.001, 0.002, 0.003], 95))

    costs = cost_charts.history_costs([run])
    assert int(costs["cost_usd"].isna().sum()) == 1
    histogram, _ = cost_charts.heavy_tail_figures(costs)
    assert len(histogram.data[0].x) == 3
    assert cost_text.left_out_note(1) == "1 chunk with unknown cost left out"
