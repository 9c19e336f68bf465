"""Starting a run in the background for the UI: `python -m pipeline.run ... --json` (or
`python -m pipeline.evaluate ...` for an evaluation) as a detached process whose output goes to
`.rlm/launches/<run name>/`.

The API key, when the analyst typed one, reaches the child ONLY through its environment
(never argv, never a file); log tails shown back are scrubbed of it. The run itself is then
followed through the ZenML store (`pipeline.runs.get_run(handle.run_name)`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import psutil

from pipeline import state_folder, zenml_env
from pipeline.eval.schemas import EvalSettings
from pipeline.evaluate import default_evaluation_name
from pipeline.run import default_run_name
from pipeline.schemas import ApprovedPlan, Budget, LLMSettings

LAUNCH_ROOT = state_folder.STATE_ROOT / "launches"
TAIL_BYTES = 4_000
REDACTED = "[redacted]"


@dataclass(frozen=True)
class LaunchHandle:
    run_name: str
    pid: int
    log_path: str  # stderr of the child (ZenML logs, errors)
    started_at: datetime

    @property
    def stdout_path(self) -> str:
        return str(Path(self.log_path).with_name("stdout.json"))


@dataclass(frozen=True)
class LaunchStatus:
    state: Literal["running", "exited"]
    exit_code: int | None = None
    error: str | None = None  # last lines of the log when the process exited non-zero


def launch_run(
    source_path: str,
    query: str,
    budget: Budget,
    llm: LLMSettings,
    *,
    api_key: str | None = None,
    share_server_key: bool = True,
    run_name: str | None = None,
    launch_root: Path | None = None,
    corpus_id: str | None = None,
    approved_plan: ApprovedPlan | None = None,
    follow_up_of: str | None = None,
) -> LaunchHandle:
    """Start the CLI detached (own session, survives the UI's rerun) and return at once.
    `share_server_key=False` keeps this process's OPENAI_API_KEY from the run (see
    `child_environment`). With `corpus_id` the run uses that library corpus (`source_path` is
    then ignored). A plan the analyst reviewed goes to the run as `plan.json`. `follow_up_of`
    makes the run a follow-up of that run, on its corpus when no other is given."""
    run_name = run_name or default_run_name()
    folder = state_folder.make_private_dir((launch_root or LAUNCH_ROOT) / run_name)
    budget = budget.clamped()
    corpus = ["--corpus", corpus_id] if corpus_id else ["--source", str(source_path)]
    if follow_up_of:
        corpus = [*(corpus if corpus_id or source_path else []), "--follow-up-of", follow_up_of]
    argv = [sys.executable, "-m", "pipeline.run", *corpus, "--query", query,
            *run_option_args(budget, llm), "--run-name", run_name, "--json"]  # fmt: skip
    if approved_plan is not None:
        plan_path = state_folder.write_private(
            folder / "plan.json", approved_plan.model_dump_json()
        )
        argv += ["--plan", str(plan_path)]
    return spawn(
        argv, run_name, folder, child_environment(llm, api_key, share_server_key=share_server_key)
    )


def launch_rerun(
    run_id: str,
    chunk_id: str,
    sub_question: str | None,
    max_iterations: int | None,
    llm: LLMSettings,
    *,
    api_key: str | None = None,
    share_server_key: bool = True,
    run_name: str | None = None,
    launch_root: Path | None = None,
) -> LaunchHandle:
    """Start `python -m pipeline.run --rerun-of ...` detached, like `launch_run`: the new run
    reruns `chunk_id` of `run_id` (`pipeline.steering`); `llm` gives the mode for the key."""
    run_name = run_name or default_run_name()
    folder = state_folder.make_private_dir((launch_root or LAUNCH_ROOT) / run_name)
    argv = [sys.executable, "-m", "pipeline.run", "--rerun-of", run_id, "--rerun-chunk",
            chunk_id, "--run-name", run_name, "--json"]  # fmt: skip
    if sub_question:
        argv += ["--sub-question", sub_question]
    if max_iterations is not None:
        argv += ["--chunk-max-iterations", str(max_iterations)]
    env = child_environment(llm, api_key, share_server_key=share_server_key)
    return spawn(argv, run_name, folder, env)


def launch_evaluation(
    source_path: str,
    questions_path: str,
    strategies: list[str],
    budget: Budget,
    llm: LLMSettings,
    settings: EvalSettings,
    *,
    api_key: str | None = None,
    share_server_key: bool = True,
    run_name: str | None = None,
    launch_root: Path | None = None,
) -> LaunchHandle:
    """Start `python -m pipeline.evaluate ... --json` detached, like `launch_run`."""
    run_name = run_name or default_evaluation_name()
    folder = state_folder.make_private_dir((launch_root or LAUNCH_ROOT) / run_name)
    budget = budget.clamped()
    argv = [sys.executable, "-m", "pipeline.evaluate", "--source", str(source_path),
            "--questions", str(questions_path), "--strategies", ",".join(strategies),
            *run_option_args(budget, llm), "--context-tokens", str(settings.context_tokens),
            "--top-k", str(settings.top_k), "--embedding-model", settings.embedding_model,
            "--run-name", run_name, "--json"]  # fmt: skip
    if settings.embedding_usd_per_mtok is not None:
        argv += ["--embedding-usd-per-mtok", str(settings.embedding_usd_per_mtok)]
    env = child_environment(llm, api_key, share_server_key=share_server_key)
    return spawn(argv, run_name, folder, env)


def run_option_args(budget: Budget, llm: LLMSettings) -> list[str]:
    """The budget and model flags `pipeline.run` and `pipeline.evaluate` share."""
    args = ["--max-chunks", str(budget.max_chunks), "--max-iterations", str(budget.max_iterations),
            "--max-depth", str(budget.max_depth), "--model", llm.model]  # fmt: skip
    if llm.base_url:
        args += ["--base-url", llm.base_url]
    if budget.max_usd_total is not None:
        args += ["--max-usd", str(budget.max_usd_total)]
    if budget.max_tokens_total is not None:
        args += ["--max-tokens", str(budget.max_tokens_total)]
    return args


def spawn(argv: list[str], run_name: str, folder: Path, env: dict[str, str]) -> LaunchHandle:
    """Run `argv` detached (own session) with its output in `folder`; return its handle."""
    log_path = folder / "stderr.log"
    out = state_folder.open_private(folder / "stdout.json", "wb")
    with out, state_folder.open_private(log_path, "wb") as err:
        process = subprocess.Popen(
            argv,
            cwd=zenml_env.REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    handle = LaunchHandle(
        run_name=run_name, pid=process.pid, log_path=str(log_path), started_at=datetime.now(UTC)
    )
    state_folder.write_private(
        folder / "launch.json",
        json.dumps(
            {"run_name": run_name, "pid": process.pid, "started_at": handle.started_at.isoformat()}
        ),
    )
    return handle


def child_environment(
    llm: LLMSettings, api_key: str | None, *, share_server_key: bool = True
) -> dict[str, str]:
    """The child's environment: ours, the project's ZenML config, the model mode, and the key.

    Without `share_server_key` the operator's OPENAI_API_KEY is removed: only the key the
    session brought (`api_key`) reaches the run. Temporary files go to the owner-only
    `.rlm/tmp`, never a shared temp folder."""
    env = dict(os.environ)
    env["ZENML_CONFIG_PATH"] = str(zenml_env.configure())
    env["PYTHONUNBUFFERED"] = "1"
    env["TMPDIR"] = str(state_folder.state_dir("tmp"))
    if not share_server_key:
        env.pop("OPENAI_API_KEY", None)
    if api_key:
        env["OPENAI_API_KEY"] = api_key
    if llm.mode == "deterministic":
        # the analyst chose no model: do not let an inherited key or URL switch the mode
        env.pop("OPENAI_API_KEY", None)
        env.pop("OPENAI_BASE_URL", None)
    elif llm.base_url:
        env["OPENAI_BASE_URL"] = llm.base_url
    return env


def launch_status(handle: LaunchHandle, api_key: str | None = None) -> LaunchStatus:
    """Is the launched process still running; if it exited non-zero, why (log tail, scrubbed)."""
    try:
        process = psutil.Process(handle.pid)
        if process.status() != psutil.STATUS_ZOMBIE and _same_process(process, handle):
            return LaunchStatus(state="running")
        code = _reap(handle.pid)
    except psutil.NoSuchProcess:
        code = _reap(handle.pid)
    if code is None:
        code = _exit_code_from_output(handle)
    error = None if code == 0 else log_tail(handle, api_key) or "the run process exited"
    return LaunchStatus(state="exited", exit_code=code, error=error)


def log_tail(handle: LaunchHandle, api_key: str | None = None, max_bytes: int = TAIL_BYTES) -> str:
    """The last lines of the child's stderr, with any API key removed."""
    path = Path(handle.log_path)
    if not path.exists():
        return ""
    with open(path, "rb") as handle_file:
        handle_file.seek(max(0, path.stat().st_size - max_bytes))
        text = handle_file.read().decode("utf-8", errors="replace")
    return scrub(text, api_key).strip()


def scrub(text: str, api_key: str | None = None) -> str:
    for secret in {api_key, os.environ.get("OPENAI_API_KEY")}:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def _same_process(process: psutil.Process, handle: LaunchHandle) -> bool:
    """Guards against pid reuse: the process must have started around the launch."""
    started = datetime.fromtimestamp(process.create_time(), UTC)
    return abs((started - handle.started_at).total_seconds()) < 60


def _reap(pid: int) -> int | None:
    """Exit code of our own finished child (None when it is not our child or already reaped)."""
    try:
        finished, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    if finished == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def _exit_code_from_output(handle: LaunchHandle) -> int | None:
    """Without a reapable child (e.g. after a UI restart), infer success from the JSON output."""
    try:
        result = json.loads(Path(handle.stdout_path).read_text() or "null")
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(result, dict):
        return None
    return 0 if result.get("status") == "completed" else 1
