"""Reading `rlm_analysis` runs back from the ZenML store as `RunView`/`ChunkView`, and loading
their artifacts (plan, chunk results, trajectories, report, emails).

Chunk status comes from the `chunk_NN` step runs and their live metadata (written by
`process_chunk` while it works); chunks the plan names but ZenML has not started yet are
"queued". A run still marked running whose orchestrating process is gone is reported "stale".
A run's view is its whole tree: the chunks of its child runs (pipeline.recursion), at every
depth, follow their parent chunk (ids sort that way: chunk_03, chunk_03_00, ..., chunk_04).
Call `pipeline.zenml_env.configure()` before using this module.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psutil
from zenml.client import Client
from zenml.enums import ExecutionStatus

from pipeline.agent.schemas import LLMCallRecord, Trajectory
from pipeline.aggregate import percentile
from pipeline.metadata import CHUNK_KEY, RUN_KEY, STALE_KEY, TOTALS_KEY, unpack
from pipeline.pipelines.rlm import PIPELINE_NAME
from pipeline.recursion import child_runs
from pipeline.schemas import ChunkResult, DecompositionPlan, Report, RunTotals
from pipeline.views import ChildRunView, ChunkStatus, ChunkView, RunStatus, RunView
from tools.models import Corpus, Email
from tools.stored import emails_by_id, fields_by_id

logger = logging.getLogger(__name__)

STALE_AFTER_S = 15 * 60  # no live pid to check (other host, or not recorded): silence this long
CHUNK_PREFIX = "chunk_"
_RUN_STATUS: dict[ExecutionStatus, RunStatus] = {
    ExecutionStatus.INITIALIZING: "initializing",
    ExecutionStatus.PROVISIONING: "initializing",
    ExecutionStatus.QUEUED: "initializing",
    ExecutionStatus.COMPLETED: "completed",
    ExecutionStatus.CACHED: "completed",
    ExecutionStatus.FAILED: "failed",
    ExecutionStatus.STOPPED: "failed",
    ExecutionStatus.CANCELLED: "failed",
}
RunRef = RunView | str


# --- Runs --------------------------------------------------------------------------------------


def list_runs(limit: int = 50) -> list[RunView]:
    """The newest runs first, without per-chunk detail (one store query). The child runs of a
    chunk that split are part of their root's tree and not listed (an evaluation's runs are)."""
    page = Client().list_pipeline_runs(
        pipeline=PIPELINE_NAME, sort_by="desc:created", size=limit, hydrate=True
    )
    return [
        _run_view(run, steps=None)
        for run in page.items
        if not unpack(run.run_metadata, RUN_KEY).get("parent_chunk")
    ]


def get_run(run_id_or_name: str) -> RunView:
    """One run with its chunks; raises KeyError when no such run exists."""
    try:
        run = Client().get_pipeline_run(run_id_or_name)
    except KeyError:
        raise KeyError(f"no run named or with id {run_id_or_name!r}") from None
    return _with_tree(_run_view(run, steps=_latest_steps(run.id)))


def _with_tree(view: RunView) -> RunView:
    """The run's view with the chunks and runs of its child runs, at every depth."""
    chunks = {c.id: c.model_copy(update={"run_id": view.run_id}) for c in view.chunks}
    children: list[ChildRunView] = []
    _add_children(view.run_id, chunks, children)
    if not children:
        return view.model_copy(update={"chunks": list(chunks.values())})
    tree = [chunks[key] for key in sorted(chunks)]
    totals = _totals({}, tree)
    if totals is not None and view.totals is not None and view.finished:
        # the run's own totals also count its children's decomposition and synthesis calls
        spent = ("llm_calls", "input_tokens", "output_tokens", "cost_usd")
        totals = totals.model_copy(update={k: getattr(view.totals, k) for k in spent})
    return view.model_copy(update={"chunks": tree, "child_runs": children, "totals": totals})


def _add_children(run_id: str, chunks: dict[str, ChunkView], children: list[ChildRunView]) -> None:
    for parent_chunk, child in sorted(child_runs(run_id).items()):
        meta = unpack(child.run_metadata, RUN_KEY)
        status = _RUN_STATUS.get(child.status, "running")
        depth = _int_or_none(meta.get("depth")) or 2
        children.append(
            ChildRunView(
                run_id=str(child.id), name=child.name, status=status, depth=depth,
                parent_chunk=parent_chunk,
            )
        )  # fmt: skip
        if parent_chunk in chunks:
            chunks[parent_chunk] = chunks[parent_chunk].model_copy(
                update={
                    "child_run_id": str(child.id),
                    "child_run_name": child.name,
                    "child_status": status,
                }
            )
        steps = _latest_steps(child.id)
        for chunk in _chunk_views(steps, _maybe_plan(steps)):
            chunks[chunk.id] = chunk.model_copy(
                update={"depth": depth, "parent": parent_chunk, "run_id": str(child.id)}
            )
        _add_children(str(child.id), chunks, children)


def tree_run_ids(run_id: str) -> list[str]:
    """This run and its child runs at every depth, parents first."""
    ids = [run_id]
    for child in child_runs(run_id).values():
        ids += tree_run_ids(str(child.id))
    return ids


def mark_stale(run: RunRef) -> bool:
    """Set a stale run's ZenML status to failed, keeping why it was judged dead as its error
    (ZenML's own dashboard then agrees); True when the store accepted it."""
    view = get_run(run.run_id if isinstance(run, RunView) else run)  # judged afresh
    if view.status != "stale":
        return False
    from zenml import log_metadata
    from zenml.models import PipelineRunUpdate

    stale = {"stale_reason": view.error or "", "marked_at": datetime.now(UTC).isoformat()}
    try:
        log_metadata(metadata={STALE_KEY: stale}, run_id_name_or_prefix=view.run_id)
        Client().zen_store.update_run(
            run_id=UUID(view.run_id), run_update=PipelineRunUpdate(status=ExecutionStatus.FAILED)
        )
    except Exception as error:  # the store may refuse status changes (e.g. remote servers)
        logger.warning("could not mark run %s as failed: %s", view.name, error)
        return False
    return True


def _run_view(run: Any, steps: dict[str, Any] | None) -> RunView:
    meta = unpack(run.run_metadata, RUN_KEY, TOTALS_KEY, STALE_KEY)
    status = _RUN_STATUS.get(run.status, "running")
    chunks: list[ChunkView] = []
    plan: DecompositionPlan | None = None
    if steps is not None:
        plan = _maybe_plan(steps)
        chunks = _chunk_views(steps, plan)
    view = RunView(
        run_id=str(run.id),
        name=run.name,
        status=status,
        query=str(meta.get("query", "")),
        source=str(meta.get("source", "")),
        mode=str(meta.get("mode", "")),
        model=str(meta.get("model", "")),
        max_chunks=_int_or_none(meta.get("max_chunks")),
        max_iterations=_int_or_none(meta.get("max_iterations")),
        max_depth=_int_or_none(meta.get("max_depth")) or 1,
        created_at=_utc(run.created),
        ended_at=_utc(run.end_time) if status in ("completed", "failed") else None,
        plan_source=plan.source if plan else str(meta.get("plan_source", "")),
        chunks=chunks,
        totals=_totals(meta, chunks),
        error=_run_error(run, meta) if status == "failed" else None,
    )
    stale_reason = _stale_reason(view, meta, steps)
    if stale_reason:
        view = view.model_copy(update={"status": "stale", "error": stale_reason})
    return view


def _latest_steps(run_id: Any) -> dict[str, Any]:
    """Step runs by name; for a retried step, its newest attempt."""
    steps: dict[str, Any] = {}
    page = Client().list_run_steps(
        pipeline_run_id=run_id, size=200, hydrate=True, sort_by="asc:created"
    )
    for step_run in page.items:
        steps[step_run.name] = step_run
    return steps


def _chunk_views(steps: dict[str, Any], plan: DecompositionPlan | None) -> list[ChunkView]:
    views: dict[str, ChunkView] = {}
    for spec in plan.chunks if plan else []:
        views[spec.id] = ChunkView(
            id=spec.id,
            start=spec.start,
            end=spec.end,
            size=spec.size,
            sub_question=spec.sub_question,
            label=spec.label,
        )
    for name, step_run in steps.items():
        if name.startswith(CHUNK_PREFIX):
            views[name] = _chunk_view(step_run, views.get(name) or ChunkView(id=name))
    return [views[k] for k in sorted(views)]


def _chunk_view(step_run: Any, base: ChunkView) -> ChunkView:
    meta = unpack(step_run.run_metadata, CHUNK_KEY)
    status: ChunkStatus
    if step_run.status == ExecutionStatus.CACHED:
        status = "cached"
    elif step_run.status == ExecutionStatus.COMPLETED:
        status = "done"
    elif step_run.status.is_failed or step_run.status in (
        ExecutionStatus.STOPPED,
        ExecutionStatus.CANCELLED,
    ):
        status = "failed"
    elif step_run.status in (
        ExecutionStatus.RUNNING,
        ExecutionStatus.RETRYING,
        ExecutionStatus.RETRIED,
    ):
        # a chunk waiting for memory (pipeline.memory) has started but not yet begun its work
        status = "queued" if meta.get("status") == "queued" else "running"
    else:
        status = "queued"
    numbers = {
        key: meta[key]
        for key in (
            "llm_calls",
            "iterations",
            "input_tokens",
            "output_tokens",
            "matches",
            "duration_s",
            "cost_usd",
        )
        if isinstance(meta.get(key), int | float)
    }
    texts = {
        key: str(meta[key]) for key in ("sub_question", "label", "split_reason") if meta.get(key)
    }
    positions = {
        key: int(meta[key]) for key in ("start", "end", "size") if isinstance(meta.get(key), int)
    }
    error = None
    if status == "failed":
        info = step_run.exception_info
        error = (
            info.message if info and info.message else None
        ) or "the step failed (no error recorded)"
    if meta.get("cost_known") is False:
        numbers["cost_usd"] = None
    return base.model_copy(
        update={
            **positions,
            **texts,
            **numbers,
            "status": status,
            "cached": status == "cached",
            "started_at": _utc(step_run.start_time),
            "ended_at": _utc(step_run.end_time) if status in ("done", "cached", "failed") else None,
            "error": error,
            "step_id": str(step_run.id),
        }
    )


def _totals(meta: dict[str, Any], chunks: list[ChunkView]) -> RunTotals | None:
    if chunks:
        finished = [c for c in chunks if c.status in ("done", "cached")]
        costs = [c.cost_usd for c in finished if c.cost_usd is not None]  # unknown: left out
        calls = [float(c.llm_calls) for c in finished]
        return RunTotals(
            chunks=len(chunks),
            chunks_ok=sum(c.status in ("done", "cached") for c in chunks),
            chunks_failed=sum(c.status == "failed" for c in chunks),
            llm_calls=int(meta.get("llm_calls") or sum(c.llm_calls for c in chunks)),
            input_tokens=int(meta.get("input_tokens") or sum(c.input_tokens for c in chunks)),
            output_tokens=int(meta.get("output_tokens") or sum(c.output_tokens for c in chunks)),
            cost_usd=float(meta.get("cost_usd") or sum(c.cost_usd or 0.0 for c in chunks)),
            cost_known=meta.get("cost_known") is not False
            and all(c.cost_usd is not None for c in chunks),
            p50_cost_usd=percentile(costs, 50),
            p95_cost_usd=percentile(costs, 95),
            p50_llm_calls=percentile(calls, 50),
            p95_llm_calls=percentile(calls, 95),
            duration_s=max((c.duration_s for c in chunks), default=0.0),
        )
    if "chunks" not in meta:
        return None
    fields = {
        k: meta[k] for k in RunTotals.model_fields if k in meta and isinstance(meta[k], int | float)
    }
    return RunTotals(**fields)


def _run_error(run: Any, meta: dict[str, Any]) -> str | None:
    if meta.get("stale_reason"):  # marked failed by mark_stale
        return f"marked failed after its process died: {meta['stale_reason']}"
    for step_run in _latest_steps(run.id).values():
        info = step_run.exception_info
        if (
            step_run.status.is_failed
            and info
            and info.message
            and not step_run.name.startswith(CHUNK_PREFIX)
        ):
            return f"{step_run.name}: {info.message}"
    return "the run failed"


# --- Stale detection ---------------------------------------------------------------------------


def _stale_reason(view: RunView, meta: dict[str, Any], steps: dict[str, Any] | None) -> str | None:
    if view.status not in ("running", "initializing"):
        return None
    pid, host = _int_or_none(meta.get("pid")), meta.get("hostname")
    if pid is not None and host == socket.gethostname():
        if _process_alive(pid, view.created_at):
            return None
        return (
            f"the process running this pipeline (pid {pid}) has exited without finishing the run; "
            "it was probably killed. Start the run again."
        )
    last = _last_update(view, meta, steps)
    if last is not None and (datetime.now(UTC) - last).total_seconds() > STALE_AFTER_S:
        return (
            f"no progress recorded since {last.isoformat(timespec='seconds')} "
            f"(over {STALE_AFTER_S // 60} minutes) and no live process to check; the run is "
            "probably dead. Start it again."
        )
    return None


def _process_alive(pid: int, since: datetime | None) -> bool:
    """True when `pid` runs and was started before the run was created (not a reused pid)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        started = datetime.fromtimestamp(process.create_time(), UTC)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return since is None or started <= since + timedelta(seconds=1)


def _last_update(
    view: RunView, meta: dict[str, Any], steps: dict[str, Any] | None
) -> datetime | None:
    stamps = [view.created_at, _parse_time(meta.get("updated_at"))]
    for step_run in (steps or {}).values():
        stamps += [_utc(step_run.start_time), _utc(step_run.end_time)]
        stamps.append(_parse_time(unpack(step_run.run_metadata, CHUNK_KEY).get("updated_at")))
    stamps = [s for s in stamps if s is not None]
    return max(stamps) if stamps else None


# --- Artifacts ---------------------------------------------------------------------------------


def step_runs(run: RunRef) -> dict[str, Any]:
    """The run's ZenML step runs by name (the newest attempt of a retried step)."""
    return _latest_steps(_run_id(run))


def load_plan_calls(run: RunRef) -> list[LLMCallRecord]:
    """The decomposition's model-call records (empty in deterministic mode)."""
    return _load_output(_run_id(run), "plan_decomposition", "plan_llm_calls") or []


def load_plan(run: RunRef) -> DecompositionPlan | None:
    return _maybe_plan(_latest_steps(_run_id(run)))


def load_report(run: RunRef) -> Report | None:
    return _load_output(_run_id(run), "aggregate_results", "report")


def load_report_markdown(run: RunRef) -> str | None:
    text = _load_output(_run_id(run), "aggregate_results", "report_markdown")
    return None if text is None else str(text)


def load_report_html(run: RunRef) -> str | None:
    text = _load_output(_run_id(run), "aggregate_results", "report_html")
    return None if text is None else str(text)


def load_chunk_results(run: RunRef) -> dict[str, ChunkResult]:
    """Every chunk's own result, at every depth of the run's tree (as its step wrote it)."""
    return _load_tree_outputs(_run_id(run), "chunk_result")


def load_trajectories(run: RunRef) -> dict[str, Trajectory]:
    """Every chunk's trajectory, at every depth of the run's tree."""
    return _load_tree_outputs(_run_id(run), "trajectory")


def _load_tree_outputs(run_id: str, output: str) -> dict[str, Any]:
    loaded: dict[str, Any] = {}
    for tree_run_id in tree_run_ids(run_id):
        loaded.update(_load_chunk_outputs(tree_run_id, output))
    return dict(sorted(loaded.items()))


def load_email(run: RunRef, email_id: str) -> Email | None:
    return load_emails(run, [email_id]).get(email_id)


def load_emails(run: RunRef, ids: Iterable[str]) -> dict[str, Email]:
    """Emails by id from the run's corpus artifact, reading only the row groups that hold them."""
    corpus = load_corpus(run)
    return {} if corpus is None else emails_by_id(corpus, list(ids))


def load_fields(run: RunRef, ids: Iterable[str], names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Some fields of emails by id from the run's corpus artifact (only those columns of the
    row groups that hold them: headers without bodies)."""
    corpus = load_corpus(run)
    return {} if corpus is None else fields_by_id(corpus, list(ids), names)


def load_corpus(run: RunRef) -> Corpus | None:
    """The run's corpus as a lazy `StoredCorpus` (nothing but its summary is read yet): what its
    `load_corpus` step wrote or, for a run on a library corpus or a child run (no such step),
    the corpus artifact its plan step read."""
    steps = _latest_steps(_run_id(run))
    ingested = _output_of(steps.get("load_corpus"), "corpus")
    if ingested is not None:
        return ingested
    plan_step = steps.get("plan_decomposition")
    read = (plan_step.inputs.get("corpus") or []) if plan_step is not None else []
    return read[0].load() if read else None


def _run_id(run: RunRef) -> str:
    if isinstance(run, RunView):
        return run.run_id
    return str(Client().get_pipeline_run(run).id)


def _maybe_plan(steps: dict[str, Any]) -> DecompositionPlan | None:
    return _output_of(steps.get("plan_decomposition"), "plan")


def _load_output(run_id: str, step_name: str, output: str) -> Any:
    return _output_of(_latest_steps(run_id).get(step_name), output)


def _load_chunk_outputs(run_id: str, output: str) -> dict[str, Any]:
    loaded = {}
    for name, step_run in sorted(_latest_steps(run_id).items()):
        if name.startswith(CHUNK_PREFIX):
            value = _output_of(step_run, output)
            if value is not None:
                loaded[name] = value
    return loaded


def _output_of(step_run: Any, output: str) -> Any:
    if step_run is None or step_run.status not in (
        ExecutionStatus.COMPLETED,
        ExecutionStatus.CACHED,
    ):
        return None
    artifacts = step_run.outputs.get(output) or []
    return artifacts[0].load() if artifacts else None


# --- Small helpers -----------------------------------------------------------------------------


def _utc(value: datetime | None) -> datetime | None:
    """ZenML stores naive UTC datetimes; make them aware."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return _utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
