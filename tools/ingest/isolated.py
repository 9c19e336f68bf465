"""Ingestion in a child interpreter, for files too big to read inside a long-lived process.

Reading half a million emails builds gigabytes of Python objects, and a process that did so keeps
much of that memory from the OS afterwards: in a pipeline it would still be held while the chunk
steps build their indexes. `ingest_isolated` runs `python -m tools.ingest PATH --parquet OUT
--json` instead. The child writes the corpus as Parquet, prints its summary and problems as JSON
and exits, handing its memory back; the caller gets an `IngestResult` whose corpus is a lazy
`StoredCorpus` over that file.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tools.ingest import progress
from tools.ingest.core import DEFAULT_MAX_BYTES, MEGABYTE, IngestResult, ingest_path
from tools.ingest.problems import IngestError, IngestProblem
from tools.stored import StoredCorpus, corpus_summary

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECRET_VARIABLES = ("OPENAI_API_KEY",)  # the child reads files; it needs no credentials
STDERR_LINES_SHOWN = 3


class ParquetIngest(BaseModel):
    """What the child reports: where the corpus went, its summary, and the problems met."""

    model_config = ConfigDict(extra="forbid")

    parquet: str
    source: str
    format: str
    summary: dict[str, Any]  # tools.stored.corpus_summary: emails, fingerprint, date range
    problems: list[IngestProblem]
    rejected_count: int
    repaired_count: int


def ingest_to_parquet(
    path: str | os.PathLike[str], out: str | os.PathLike[str], *, max_bytes: int
) -> ParquetIngest:
    """Ingest `path` in this process and write the corpus to `out` (the child's side)."""
    result = ingest_path(path, max_bytes=max_bytes)
    if os.path.isfile(path) and os.path.getsize(path) >= progress.PROGRESS_MIN_BYTES:
        progress.logger.info(
            "%s %s: writing Parquet, %s emails", progress.PREFIX, result.source,
            f"{len(result.corpus):,}",
        )  # fmt: skip
    fingerprint = result.corpus.write_parquet(str(out))
    return ParquetIngest(
        parquet=str(out),
        source=result.source,
        format=result.format,
        summary=corpus_summary(result.corpus, fingerprint),
        problems=result.problems,
        rejected_count=result.rejected_count,
        repaired_count=result.repaired_count,
    )


def ingest_isolated(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    keep: object = None,
    python: str = sys.executable,
) -> IngestResult:
    """Ingest `path` in a child process that writes the corpus to the Parquet file `out`.

    Raises IngestError, with the child's problems, when nothing usable was read, and when the
    child dies (killed, out of memory) or says something that is not its report. `keep` is held
    by the returned corpus (e.g. the temporary directory around `out`).
    """
    command = [python, "-m", "tools.ingest", str(path), "--json", "--parquet", str(out),
               "--max-mb", repr(max_bytes / MEGABYTE)]  # fmt: skip
    completed = _run_forwarding_progress(command)
    name = Path(path).name
    if completed.returncode == 0:
        try:
            report = ParquetIngest.model_validate_json(completed.stdout)
        except ValueError:
            raise IngestError(f"{name}: the ingestion process printed no readable report") from None
        corpus = StoredCorpus.from_file(report.parquet, report.summary, keep=keep)
        return IngestResult(
            corpus=corpus,
            problems=report.problems,
            source=report.source,
            format=report.format,
            rejected_count=report.rejected_count,
            repaired_count=report.repaired_count,
        )
    failure = _reported_failure(completed.stdout) if completed.returncode == 2 else None
    if failure is not None:
        raise failure
    raise IngestError(f"{name}: {_death(completed.returncode)}{_stderr_tail(completed.stderr)}")


def _run_forwarding_progress(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the child; its progress lines go to our log as they come, the rest of its stderr is
    kept for the error message."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_child_env()
    )
    kept: list[str] = []

    def pump() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith(progress.PREFIX):
                logger.info("%s", line.rstrip())
            else:
                kept.append(line)

    reader = threading.Thread(target=pump, name="ingest-stderr", daemon=True)
    reader.start()
    stdout = process.stdout.read() if process.stdout is not None else ""
    returncode = process.wait()
    reader.join()
    return subprocess.CompletedProcess(command, returncode, stdout, "".join(kept))


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    paths = [str(PROJECT_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def _reported_failure(stdout: str) -> IngestError | None:
    """The IngestError the child reported as JSON (exit code 2), if it printed one."""
    try:
        payload = json.loads(stdout)
        problems = [IngestProblem.model_validate(p) for p in payload.get("problems", [])]
        return IngestError(str(payload["error"]), problems)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _death(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = " (out of memory?)" if -returncode == signal.SIGKILL else ""
        return f"the ingestion process was killed by {name}{hint}"
    return f"the ingestion process failed with exit code {returncode}"


def _stderr_tail(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return (": " + " | ".join(lines[-STDERR_LINES_SHOWN:])) if lines else ""
