"""Reading `rlm_evaluation` runs back from the ZenML store: their settings and progress, every
cell's result, and the summary. Call `pipeline.zenml_env.configure()` first.
"""

from __future__ import annotations

from typing import Any

from zenml.client import Client
from zenml.enums import ExecutionStatus

from pipeline.eval.schemas import CellResult, EvaluationSummary
from pipeline.eval.views import EvaluationView
from pipeline.metadata import unpack
from pipeline.runs import _RUN_STATUS, _latest_steps, _output_of, _process_alive, _utc
from pipeline.steps.evaluation import EVAL_KEY

PIPELINE_NAME = "rlm_evaluation"
_DONE = (ExecutionStatus.COMPLETED, ExecutionStatus.CACHED)


def list_evaluations(limit: int = 50) -> list[EvaluationView]:
    page = Client().list_pipeline_runs(
        pipeline=PIPELINE_NAME, sort_by="desc:created", size=limit, hydrate=True
    )
    return [_view(run, steps=None) for run in page.items]


def get_evaluation(run_id_or_name: str) -> EvaluationView:
    """One evaluation with its progress; KeyError when there is no such run."""
    try:
        run = Client().get_pipeline_run(run_id_or_name)
    except KeyError:
        raise KeyError(f"no evaluation named or with id {run_id_or_name!r}") from None
    return _view(run, steps=_latest_steps(run.id))


def load_cells(run_id: str) -> list[CellResult]:
    """Every finished cell's result in the evaluation's cell order: once summarised, exactly
    the cells the summary scored (failed ones included); while running, the finished steps'."""
    view = get_evaluation(run_id)
    steps = _latest_steps(view.run_id)
    summary_step = steps.get("summarize_evaluation")
    if summary_step is not None and summary_step.inputs.get("cells"):
        return [artifact.load() for artifact in summary_step.inputs["cells"]]
    cells = [_output_of(steps.get(name), "cell") for name in view.cells]
    return [cell for cell in cells if cell is not None]


def load_summary(run_id: str) -> EvaluationSummary | None:
    return _output_of(_latest_steps(get_evaluation(run_id).run_id).get("summarize_evaluation"),
                      "summary")  # fmt: skip


def _view(run: Any, steps: dict[str, Any] | None) -> EvaluationView:
    meta = unpack(run.run_metadata, EVAL_KEY)
    status = _RUN_STATUS.get(run.status, "running")
    cells = [str(name) for name in meta.get("cells") or []]
    done: list[str] = []
    failed: list[str] = []
    for name in cells if steps is not None else []:
        step_run = steps.get(name)
        if step_run is not None and step_run.status in _DONE:
            done.append(name)
        elif step_run is not None and step_run.status.is_failed:
            failed.append(name)
    error = None
    if status == "failed" and steps is not None:
        for step_run in steps.values():
            info = step_run.exception_info
            if step_run.status.is_failed and info and info.message:
                error = f"{step_run.name}: {info.message}"
                break
    pid = meta.get("pid")
    if status == "running" and isinstance(pid, int) and not _process_alive(pid, _utc(run.created)):
        status, error = "stale", "the process running this evaluation has exited"
    return EvaluationView(
        run_id=str(run.id),
        name=run.name,
        status=status,
        created_at=_utc(run.created),
        ended_at=_utc(run.end_time) if status in ("completed", "failed") else None,
        question_set=str(meta.get("question_set", "")),
        source=str(meta.get("source", "")),
        strategies=[str(s) for s in meta.get("strategies") or []],
        questions=int(meta.get("questions") or 0),
        model=str(meta.get("model", "")),
        mode=str(meta.get("mode", "")),
        cells=cells,
        done_cells=done,
        failed_cells=failed,
        error=error,
    )
