"""Loopback OpenAI-compatible server: a TEST DOUBLE that stands in for a model, never a model.

Stdlib only. It answers `POST /v1/chat/completions`, `POST /v1/embeddings` and `GET /v1/models`
on 127.0.0.1 with deterministic, schema-valid replies built by tests/fakes/replies.py (and
eval_replies.py) from the prompt contract, and marks every response with the header
`X-Test-Double: fake-llm-server`. It can inject faults (http429, http500, timeout, malformed,
refusal, truncated) at a seeded rate or on a fixed schedule, misbehave on purpose
(`behaviour=`), refuse json_schema response formats like a local server that lacks them, and
replay scripted replies. Every request is recorded for assertions.

Importable:
    with FakeLLMServer(faults={"http429": 0.3}, seed=0) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-test")
Runnable:
    python -m tests.fakes.llm_server --port 8765 --fault http500:0.2 --latency-ms 50
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes import eval_replies
from tests.fakes.gate import RequestGate
from tests.fakes.replies import BEHAVIOURS, build_reply, detect_task, normalise_task, prompt_text_of

FAULT_KINDS = ("http429", "http500", "timeout", "malformed", "refusal", "truncated")
TEST_DOUBLE_HEADER = ("X-Test-Double", "fake-llm-server (not a real model)")
DEFAULT_MODELS = ("gpt-4o-mini", "fake-local-model")
LIMIT_KEYWORDS = ("maxLength", "maxItems")
# Client timeout for tests that make the fake time out on purpose: pair it with a `timeout` fault
# that holds its request until stop() (`timeout_sleep_s=HELD_UNTIL_STOP_S`), so the faulted
# attempt always times out, while an answered request comes back far within it even on a loaded
# machine. Never a speed claim: nothing passes or fails by how fast the machine is.
PATIENT_TIMEOUT_S = 2.0
HELD_UNTIL_STOP_S = 3600.0


@dataclass
class RecordedRequest:
    """One request as the server saw it (headers verbatim, so tests can check where the key went)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    task: str | None
    timestamp: float
    request_id: str = ""
    status: int = 0
    fault: str | None = None


@dataclass
class _Outcome:
    status: int
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeLLMServer:
    """A threaded OpenAI-compatible test double bound to 127.0.0.1.

    faults: {kind: probability per chat request}, drawn from random.Random(seed).
    fault_schedule: fault kind (or None) for the first len(schedule) chat requests, in order;
        it takes precedence over `faults`.
    sufficient_after: Reflection says sufficient once `<round>N</round>` reaches this.
    json_schema: False makes the server reject json_schema response formats with HTTP 400.
    behaviour: one of replies.BEHAVIOURS (adversarial model behaviours).
    retry_after_ms: sent with 429/500 as `retry-after-ms` so SDK retries stay fast (None: omit).
    timeout_sleep_s: how long a `timeout` fault holds the request (cut short by stop()).
    api_key: when set, requests without `Authorization: Bearer <api_key>` get HTTP 401.
    latency_for: optional rule `prompt -> latency in ms` (None falls back to `latency_ms`), so a
        test can hold some chunks' requests while others finish.
    embeddings: answer `POST /v1/embeddings` with stable hash embeddings (eval_replies.py);
        False makes it a 404, like a server without embeddings.
    gate: a `RequestGate` (tests/fakes/gate.py) that holds chat requests until N are in flight
        at once or the test releases them: concurrency observed as a fact, not by timestamps.
        Settable after start (`server.gate = RequestGate(...)`); stop() opens it.
    length_limits: False makes the server refuse json_schema response formats that carry
        maxLength/maxItems with HTTP 400, as a strict server without those keywords would.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0,
        faults: dict[str, float] | None = None,
        fault_schedule: list[str | None] | None = None,
        sufficient_after: int = 1,
        seed: int = 0,
        json_schema: bool = True,
        behaviour: str = "normal",
        retry_after_ms: int | None = 10,
        timeout_sleep_s: float = 30.0,
        api_key: str | None = None,
        models: tuple[str, ...] = DEFAULT_MODELS,
        latency_for: Callable[[str], float | None] | None = None,
        embeddings: bool = True,
        gate: RequestGate | None = None,
        length_limits: bool = True,
    ) -> None:
        faults = dict(faults or {})
        for kind in [*faults, *(k for k in fault_schedule or [] if k)]:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault {kind!r}: use one of {list(FAULT_KINDS)}")
        if any(not 0 <= rate <= 1 for rate in faults.values()) or sum(faults.values()) > 1:
            raise ValueError(f"fault rates must be in [0, 1] and sum to at most 1, got {faults}")
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}: use one of {list(BEHAVIOURS)}")
        self.host, self.port = host, port
        self.latency_ms = latency_ms
        self.latency_for = latency_for
        self.embeddings = embeddings  # False: POST /v1/embeddings is a 404, like many servers
        self.gate = gate
        self.length_limits = length_limits
        self.faults = faults
        self.fault_schedule = list(fault_schedule or [])
        self.sufficient_after = sufficient_after
        self.seed = seed
        self.json_schema = json_schema
        self.behaviour = behaviour
        self.retry_after_ms = retry_after_ms
        self.timeout_sleep_s = timeout_sleep_s
        self.api_key = api_key
        self.models = models
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._scripts: dict[str, deque[dict[str, Any] | str]] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # --- Lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("FakeLLMServer is not started: call start() first")
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> str:
        """Bind (port 0 picks a free port), serve in a daemon thread, return the base URL."""
        if self._httpd is not None:
            return self.base_url
        self._stopping.clear()
        httpd = ThreadingHTTPServer((self.host, self.port), _Handler)
        httpd.daemon_threads = True
        httpd.fake = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Wake any request held by a latency or timeout fault, then close the socket."""
        self._stopping.set()
        if self.gate is not None:
            self.gate.release("stop")
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeLLMServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget recorded requests, scripts and the fault schedule position; reseed the RNG."""
        with self._lock:
            self.requests = []
            self._scripts = {}
            self._rng = random.Random(self.seed)
            self._chat_count = 0
            self._ids = itertools.count(1)
            self._request_ids = itertools.count(1)

    def script(self, task: str, replies: list[dict[str, Any] | str]) -> None:
        """Queue exact replies for a task (`Plan` or `plan`); dicts are sent as JSON, strings
        verbatim. They are used in order, then the default behaviour resumes."""
        with self._lock:
            self._scripts.setdefault(normalise_task(task), deque()).extend(replies)

    def chat_requests(self, task: str | None = None) -> list[RecordedRequest]:
        """Recorded chat-completion requests, optionally only those for one task."""
        wanted = normalise_task(task) if task else None
        return [
            r
            for r in list(self.requests)
            if r.path.endswith("/chat/completions") and (wanted is None or r.task == wanted)
        ]

    # --- Request handling (called from handler threads) -----------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            request.request_id = f"req_fake_{next(self._request_ids):06d}"
            self.requests.append(request)

    def _draw_fault(self) -> str | None:
        with self._lock:
            index = self._chat_count
            self._chat_count += 1
            if index < len(self.fault_schedule):
                return self.fault_schedule[index]
            draw = self._rng.random()
        cumulative = 0.0
        for kind, rate in self.faults.items():
            cumulative += rate
            if draw < cumulative:
                return kind
        return None

    def _next_scripted(self, task: str | None) -> dict[str, Any] | str | None:
        with self._lock:
            queue = self._scripts.get(task or "")
            return queue.popleft() if queue else None

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless stop() is called; True if the server is stopping."""
        return self._stopping.wait(seconds) if seconds > 0 else self._stopping.is_set()

    def handle_chat(self, headers: dict[str, str], body: Any, record: RecordedRequest) -> _Outcome:
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided (fake server).", "invalid_api_key")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(400, "Request body must be a JSON object with a 'messages' list.", None)
        prompt = prompt_text_of(body["messages"])
        record.task = detect_task(body, prompt)
        response_format = body.get("response_format") or {}
        if not self.json_schema and response_format.get("type") == "json_schema":
            return _error(
                400,
                "response_format type 'json_schema' is not supported by this server; "
                "use {'type': 'json_object'}",
                "unsupported_response_format",
                param="response_format",
            )
        if not self.length_limits and response_format.get("type") == "json_schema":
            keyword = next((k for k in LIMIT_KEYWORDS if k in json.dumps(response_format)), None)
            if keyword:
                return _error(
                    400,
                    f"Invalid schema for response_format: '{keyword}' is not permitted.",
                    "invalid_json_schema",
                    param="response_format",
                )
        if self.gate is not None:
            self.gate.hold(record.task, prompt)
        latency_ms = self.latency_for(prompt) if self.latency_for else None
        if self._sleep((self.latency_ms if latency_ms is None else latency_ms) / 1000):
            return _error(503, "server stopping", None)
        record.fault = self._draw_fault()
        if record.fault in ("http429", "http500"):
            outcome = (
                _error(429, "Rate limit reached for requests (fake server).", "rate_limit_exceeded")
                if record.fault == "http429"
                else _error(500, "The server had an error processing your request (fake).", None)
            )
            if record.fault == "http429":
                outcome.headers["Retry-After"] = "0"
            if self.retry_after_ms is not None:
                outcome.headers["retry-after-ms"] = str(self.retry_after_ms)
            return outcome
        if record.fault == "timeout" and self._sleep(self.timeout_sleep_s):
            return _error(503, "server stopping", None)
        content, refusal, finish_reason = self._reply_content(record.task, prompt, record.fault)
        return _Outcome(200, self._completion(body, prompt, content, refusal, finish_reason))

    def _reply_content(
        self, task: str | None, prompt: str, fault: str | None
    ) -> tuple[str | None, str | None, str]:
        if fault == "refusal":
            return None, "I'm sorry, but I can't help with that request.", "stop"
        scripted = self._next_scripted(task)
        if scripted is not None:
            content = scripted if isinstance(scripted, str) else json.dumps(scripted)
        elif task is None:
            content = "This is the fake LLM server. Ask with a <task> marker or a json_schema."
        else:
            reply = build_reply(
                task, prompt, behaviour=self.behaviour, sufficient_after=self.sufficient_after
            )
            content = json.dumps(reply)
        if fault == "malformed":
            return "Sure! Here is the JSON you asked for: {calls: [grep 'x'", None, "stop"
        if fault == "truncated":
            return content[: max(1, len(content) // 2)], None, "length"
        return content, None, "stop"

    def _completion(
        self,
        body: dict[str, Any],
        prompt: str,
        content: str | None,
        refusal: str | None,
        finish_reason: str,
    ) -> dict[str, Any]:
        with self._lock:
            number = next(self._ids)
        prompt_tokens = max(1, len(prompt) // 4)
        completion_tokens = max(1, len(content or refusal or "") // 4)
        return {
            "id": f"chatcmpl-fake-{number:06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model", "")),
            "system_fingerprint": "fake-llm-server",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "finish_reason": finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def models_payload(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake-llm-server"}
                for m in self.models
            ],
        }


def _error(status: int, message: str, code: str | None, param: str | None = None) -> _Outcome:
    kind = {400: "invalid_request_error", 401: "invalid_request_error", 429: "requests"}
    return _Outcome(
        status,
        {
            "error": {
                "message": message,
                "type": kind.get(status, "server_error"),
                "param": param,
                "code": code,
            }
        },
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeLLMServer/1.0"
    timeout = 60  # idle keep-alive connections close on their own

    @property
    def fake(self) -> FakeLLMServer:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the stdlib's per-request stderr line; requests are in `fake.requests`."""

    def do_GET(self) -> None:
        record = self._new_record(None)
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._send(record, _Outcome(200, self.fake.models_payload()))
        else:
            self._send(record, _error(404, f"no route for GET {self.path}", "not_found"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = self._new_record(body)
        if self.path.rstrip("/") in ("/v1/embeddings", "/embeddings") and self.fake.embeddings:
            status, payload = eval_replies.embeddings_payload(body)
            self._send(record, _Outcome(status, payload))
            return
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send(record, _error(404, f"no route for POST {self.path}", "not_found"))
            return
        if body is None:
            self._send(record, _error(400, "Request body is not valid JSON.", None))
            return
        self._send(record, self.fake.handle_chat(record.headers, body, record))

    def _new_record(self, body: Any) -> RecordedRequest:
        record = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            task=None,
            timestamp=time.time(),
        )
        self.fake._record(record)
        return record

    def _send(self, record: RecordedRequest, outcome: _Outcome) -> None:
        record.status = outcome.status
        data = json.dumps(outcome.payload).encode()
        try:
            self.send_response(outcome.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", record.request_id)
            self.send_header(*TEST_DOUBLE_HEADER)
            for name, value in outcome.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout fault): nothing to do


def _parse_fault(text: str) -> tuple[str, float]:
    kind, sep, rate = text.partition(":")
    try:
        return kind, float(rate) if sep else 1.0
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--fault wants KIND:RATE, e.g. http429:0.3, got {text!r}"
        ) from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible server (test double).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--fault", type=_parse_fault, action="append", default=[])
    parser.add_argument("--sufficient-after", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--behaviour", choices=BEHAVIOURS, default="normal")
    parser.add_argument("--no-json-schema", action="store_true")
    parser.add_argument("--retry-after-ms", type=int, default=10)
    args = parser.parse_args(argv)
    server = FakeLLMServer(
        host=args.host,
        port=args.port,
        latency_ms=args.latency_ms,
        faults=dict(args.fault),
        sufficient_after=args.sufficient_after,
        seed=args.seed,
        json_schema=not args.no_json_schema,
        behaviour=args.behaviour,
        retry_after_ms=args.retry_after_ms,
    )
    finished = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: finished.set())
    base_url = server.start()
    print(f"fake LLM server (test double) listening on {base_url}", flush=True)
    try:
        while not finished.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
