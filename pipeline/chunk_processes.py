"""Chunk loops in worker processes, so concurrent chunk steps use every core.

ZenML's local orchestrator runs the chunk steps as threads of one process. The agent loop is
pure-Python CPU work (slice decoding, indexing, ranking, grep), so those threads take turns on one
core whatever the machine has. A big chunk therefore runs its loop in a worker process
(`pipeline.chunk_worker`) while its step thread waits, relays progress and keeps everything
ZenML-side (metadata, artifacts, retries) as before. Workers are started once per process, on
first use, one per core, and reused; each reads its own slice from the stored corpus's Parquet
file, so nothing big crosses the pipe.

A chunk uses a worker when all hold:
- it has at least `RLM_CHUNK_PROCESS_MIN_EMAILS` emails (default 20,000: below that the loop
  takes well under a second and the thread is cheaper);
- this process may use more than one core, and `RLM_CHUNK_PROCESSES` (the number of workers,
  default one per usable core) is not 0;
- the corpus is a Parquet file on this machine (on a remote artifact store, as on Kubernetes,
  each step has its own pod anyway).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from pipeline import chunk_worker
from pipeline.agent.budget import ChunkProgress
from pipeline.agent.schemas import Trajectory
from pipeline.schemas import ChunkResult
from tools.models import Corpus
from tools.stored import StoredCorpus

logger = logging.getLogger(__name__)

WORKERS_ENV = "RLM_CHUNK_PROCESSES"
MIN_EMAILS_ENV = "RLM_CHUNK_PROCESS_MIN_EMAILS"
DEFAULT_MIN_EMAILS = 20_000
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ChunkWorkerError(RuntimeError):
    """A worker failed in a way that is not the loop's own exception (it died, or the error
    could not be sent back as itself)."""


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _int_env(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return max(0, int(text))
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a whole number") from None


def worker_count() -> int:
    cores = usable_cores()
    return _int_env(WORKERS_ENV, cores if cores > 1 else 0)


def local_parquet(corpus: Corpus) -> str | None:
    path = corpus.path if isinstance(corpus, StoredCorpus) else None
    return path if path and os.path.isfile(path) else None


def should_use(corpus: Corpus, start: int, end: int) -> bool:
    """Whether the chunk [start, end) of `corpus` should run in a worker process."""
    if end - start < _int_env(MIN_EMAILS_ENV, DEFAULT_MIN_EMAILS):
        return False
    return worker_count() > 0 and local_parquet(corpus) is not None


class _Worker:
    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.chunk_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=REPO_ROOT,
            env=env,
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Ask the worker to exit (closing its stdin), kill it if it does not, close the pipes."""
        if self.alive:
            with contextlib.suppress(OSError):  # it died meanwhile, mid-message
                self.process.stdin.close()  # type: ignore[union-attr]
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]


class WorkerPool:
    """Up to `size` worker processes, started on demand and handed to one chunk at a time."""

    def __init__(self, size: int):
        self.size = max(1, size)
        self._changed = threading.Condition()
        self._idle: list[_Worker] = []
        self._workers: list[_Worker] = []
        self.waiting = 0  # chunks waiting for a worker (all busy)

    def _acquire(self) -> _Worker:
        with self._changed:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        return worker
                    logger.warning(
                        "chunk worker %d exited with code %s while idle; starting another",
                        worker.process.pid, worker.process.returncode,
                    )  # fmt: skip
                    worker.stop()
                    self._workers.remove(worker)
                if len(self._workers) < self.size:
                    worker = _Worker()
                    self._workers.append(worker)
                    return worker
                self.waiting += 1
                try:  # until a worker is released, or dies and frees its place
                    self._changed.wait()
                finally:
                    self.waiting -= 1

    def _release(self, worker: _Worker, healthy: bool) -> None:
        if not (healthy and worker.alive):
            worker.stop()  # outside the lock: it may take a few seconds
        with self._changed:
            if healthy and worker.alive:
                self._idle.append(worker)
            elif worker in self._workers:
                self._workers.remove(worker)
            self._changed.notify()

    def run(
        self,
        path: str,
        start: int,
        end: int,
        on_progress: Callable[[ChunkProgress], None] | None = None,
        **run_kwargs: Any,
    ) -> tuple[ChunkResult, Trajectory]:
        """Run `run_chunk(slice [start, end) of the Parquet file at path, **run_kwargs)` in a
        worker, calling `on_progress` (in this thread) as the loop reports progress."""
        task = {
            "path": path,
            "start": start,
            "end": end,
            "env": chunk_worker.task_env(os.environ),
            "run": run_kwargs,
        }
        worker = self._acquire()
        healthy = False
        try:
            while True:
                try:
                    if task:
                        chunk_worker.send(worker.process.stdin, task)  # type: ignore[arg-type]
                        task = {}
                    message = chunk_worker.receive(worker.process.stdout)  # type: ignore[arg-type]
                except (EOFError, BrokenPipeError):
                    code = worker.process.wait()
                    raise ChunkWorkerError(
                        f"the chunk worker process (pid {worker.process.pid}) exited with code "
                        f"{code} while running emails {start}..{end}"
                    ) from None
                kind = message[0]
                if kind == "progress":
                    if on_progress is not None:
                        on_progress(ChunkProgress(**message[1]))
                    continue
                healthy = True  # the worker finished the task and waits for the next one
                if kind == "done":
                    return message[1], message[2]
                error = message[1]
                if isinstance(error, BaseException):
                    raise error
                name, text, trace = error
                raise ChunkWorkerError(f"{name}: {text}\n{trace}")
        finally:
            self._release(worker, healthy)

    def stop(self) -> None:
        with self._changed:
            workers, self._workers, self._idle = list(self._workers), [], []
            self._changed.notify_all()
        for worker in workers:
            worker.stop()

    def pids(self) -> list[int]:
        with self._changed:
            return [w.process.pid for w in self._workers]


_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def pool() -> WorkerPool:
    """This process's worker pool (created on first use, stopped at exit)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = WorkerPool(worker_count() or 1)
            atexit.register(_POOL.stop)
        return _POOL


def stop_pool() -> None:
    """Stop this process's workers; the next big chunk starts a new pool (with the settings
    then in force)."""
    global _POOL
    with _POOL_LOCK:
        current, _POOL = _POOL, None
    if current is not None:
        current.stop()
