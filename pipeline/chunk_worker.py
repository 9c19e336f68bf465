"""A chunk worker process: runs chunk agent loops handed to it by `pipeline.chunk_processes`.

Started as `python -m pipeline.chunk_worker`, it reads tasks from stdin and writes messages to
stdout, each a length-prefixed pickle (`send`/`receive`). It imports the agent loop and nothing
of ZenML, reads its chunk's slice from the stored corpus's Parquet file itself, and exits when
stdin closes, so a worker never outlives the process that started it.

Task: {"path", "start", "end", "env", "run": keyword arguments of `run_chunk`}.
Messages back: ("progress", ChunkProgress fields), then ("done", ChunkResult, Trajectory) or
("error", exception or (type name, message, traceback text)).
"""

from __future__ import annotations

import logging
import os
import pickle
import struct
import sys
import traceback
from dataclasses import asdict
from typing import IO, Any

_LENGTH = struct.Struct(">Q")

#: Environment variables a task carries: the parent's model and workbench settings at the time
#: of the task (a long-lived worker must not keep a previous run's endpoint or key).
TASK_ENV_PREFIXES = ("OPENAI_", "RLM_")


def send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    """The next message, or EOFError when the other side has gone."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        raise EOFError("the stream closed")
    (length,) = _LENGTH.unpack(header)
    data = stream.read(length)
    if len(data) < length:
        raise EOFError("the stream closed mid-message")
    return pickle.loads(data)  # noqa: S301  (our own parent process, over our own pipe)


def task_env(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k.startswith(TASK_ENV_PREFIXES)}


def _apply_env(env: dict[str, str]) -> None:
    for name in [k for k in os.environ if k.startswith(TASK_ENV_PREFIXES)]:
        if name not in env:
            del os.environ[name]
    os.environ.update(env)


def _run(task: dict[str, Any], out: IO[bytes]) -> None:
    from pipeline.agent.loop import run_chunk
    from tools.models import Corpus

    _apply_env(task["env"])
    with open(task["path"], "rb") as handle:
        chunk = Corpus.read_parquet(handle, task["start"], task["end"])

    def on_event(_event: Any, progress: Any) -> None:
        send(out, ("progress", asdict(progress)))

    result, trajectory = run_chunk(chunk, on_event=on_event, **task["run"])
    send(out, ("done", result, trajectory))


def _error_message(failure: BaseException) -> tuple[str, Any]:
    try:
        pickle.loads(pickle.dumps(failure))  # noqa: S301  (checking it survives the trip)
        return ("error", failure)
    except Exception:  # an exception that cannot travel is sent as text
        text = "".join(traceback.format_exception(failure))
        return ("error", (type(failure).__name__, str(failure), text))


def main() -> int:
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="chunk worker: %(levelname)s %(message)s"
    )
    source, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the message stream
    while True:
        try:
            task = receive(source)
        except EOFError:
            return 0
        try:
            _run(task, out)
        except Exception as failure:
            send(out, _error_message(failure))


if __name__ == "__main__":
    raise SystemExit(main())
