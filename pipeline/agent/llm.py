"""The one way the agent talks to a model: typed replies plus a billing record for every call.

`LLMClient.parse(messages, Schema, purpose=...)` sends a chat completion through the official
`openai` SDK and returns an `LLMReply`: the validated pydantic reply (or None) and an
`LLMCallRecord` with tokens, latency, USD cost, request id, SDK retries and a clear error text.
It never raises for API or reply failures, so the agent loop can record them and carry on.

- Retries and timeouts are the SDK's own (`OpenAI(timeout=..., max_retries=...)`); the retry
  count is read back from the `x-stainless-retry-count` header of the last HTTP attempt.
- Structured output uses `chat.completions.parse(response_format=Schema)`. A server that rejects
  json_schema response formats (common on local servers) gets JSON mode instead, with the schema
  in the system message; the client remembers that and goes straight to JSON mode afterwards.
  The schemas carry maxLength/maxItems on every string and list; a server that refuses those
  keywords gets the same strict schema without them, and replies are validated with them here.
- The API key comes from the constructor or OPENAI_API_KEY and lives only inside the SDK client:
  it is not in settings, records, logs, error texts or repr, and the client cannot be pickled.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import openai
from openai.lib._pydantic import to_strict_json_schema  # what `.parse()` sends, made strict
from pydantic import BaseModel, ValidationError

from pipeline.agent.pricing import cost_usd
from pipeline.agent.schemas import LLMCallRecord
from pipeline.schemas import LLMSettings

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

OPENAI_BASE_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key
JSON_MODE_INSTRUCTION = (
    "Reply with one JSON object and nothing else (no prose, no code fences). "
    "It must validate against this JSON schema:\n{schema}"
)
_LIMIT_KEYWORDS = frozenset({"maxLength", "maxItems"})
_LIMIT_REJECTION = re.compile(r"maxLength|maxItems", re.I)
_JSON_SCHEMA_REJECTION = re.compile(r"response_format|json_schema|structured output", re.I)
_CODE_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)
_BEARER = re.compile(r"Bearer\s+\S+", re.I)


class LLMConfigError(ValueError):
    """The settings or environment cannot produce a working model client."""


@dataclass
class LLMReply(Generic[T]):
    """A model reply: `parsed` is the validated instance or None; `record` is always present."""

    parsed: T | None
    record: LLMCallRecord
    raw_text: str | None = None

    @property
    def ok(self) -> bool:
        return self.parsed is not None and self.record.error is None


class _ReplyError(Exception):
    """The HTTP exchange worked but the reply is unusable (refused, truncated, invalid)."""

    def __init__(self, message: str, raw_text: str | None = None) -> None:
        super().__init__(message)
        self.raw_text = raw_text


@dataclass
class _CallTrace:
    """What one `parse()` accumulates over its HTTP exchanges (two when falling back)."""

    input_tokens: int = 0
    output_tokens: int = 0
    retries: int = 0
    request_id: str | None = None

    def add_response(self, raw: Any) -> dict[str, Any]:
        """Take tokens, request id and retries from a raw SDK response; return its JSON body."""
        self.retries += raw.retries_taken
        self.request_id = raw.request_id or raw.headers.get("x-request-id") or self.request_id
        try:
            body = json.loads(raw.text)
        except ValueError:
            return {}
        usage = body.get("usage") if isinstance(body, dict) else None
        if isinstance(usage, dict):
            self.input_tokens += int(usage.get("prompt_tokens") or 0)
            self.output_tokens += int(usage.get("completion_tokens") or 0)
        return body if isinstance(body, dict) else {}

    def add_failed_request(self, err: openai.APIError) -> None:
        request = getattr(getattr(err, "response", None), "request", None) or getattr(
            err, "request", None
        )
        if request is not None:
            self.retries += int(request.headers.get("x-stainless-retry-count") or 0)
        self.request_id = getattr(err, "request_id", None) or self.request_id


# --- Settings ------------------------------------------------------------------------------------


def _env_price(environ: Mapping[str, str], name: str) -> float | None:
    text = environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise LLMConfigError(f"{name}={text!r} is not a number (USD per million tokens)") from None
    if value < 0:
        raise LLMConfigError(f"{name}={text!r} must be >= 0 (USD per million tokens)")
    return value


def resolve_settings(
    overrides: LLMSettings | None = None, *, environ: Mapping[str, str] | None = None
) -> LLMSettings:
    """Settings from the environment, then any field the caller explicitly set in `overrides`.

    mode is "llm" when OPENAI_API_KEY or OPENAI_BASE_URL is set, else "deterministic"; the model
    comes from RLM_MODEL, then OPENAI_MODEL; prices from RLM_INPUT_USD_PER_MTOK and
    RLM_OUTPUT_USD_PER_MTOK. The key itself is only tested for presence, never copied.
    """
    env = os.environ if environ is None else environ
    base_url = env.get("OPENAI_BASE_URL", "").strip() or None
    has_key = bool(env.get("OPENAI_API_KEY", "").strip())
    values: dict[str, Any] = {"mode": "llm" if has_key or base_url else "deterministic"}
    model = env.get("RLM_MODEL", "").strip() or env.get("OPENAI_MODEL", "").strip()
    if model:
        values["model"] = model
    if base_url:
        values["base_url"] = base_url
    values["input_usd_per_mtok"] = _env_price(env, "RLM_INPUT_USD_PER_MTOK")
    values["output_usd_per_mtok"] = _env_price(env, "RLM_OUTPUT_USD_PER_MTOK")
    if overrides is not None:
        values.update(overrides.model_dump(include=overrides.model_fields_set))
    return LLMSettings(**values)


def make_client(settings: LLMSettings) -> LLMClient | None:
    """An LLMClient for "llm" mode, None in deterministic mode."""
    if settings.mode == "deterministic":
        return None
    return LLMClient(settings)


# --- The client ----------------------------------------------------------------------------------

_SDK_CLIENTS: dict[tuple[str, str, float, int], openai.OpenAI] = {}
_SDK_LOCK = threading.Lock()
_SDK_CLIENTS_KEPT = 8


def _shared_sdk(key: str, base_url: str, settings: LLMSettings) -> openai.OpenAI:
    """One SDK client per (key, server, timeout, retries) in this process, shared by the chunk
    steps running as threads: the SDK's clients are thread-safe and pool their connections, and
    building one costs ~70 ms of CPU (its TLS context loads the CA bundle)."""
    fingerprint = hashlib.sha256(key.encode()).hexdigest()  # the key itself is not a dict key
    cache_key = (fingerprint, base_url, settings.timeout_s, settings.max_retries)
    with _SDK_LOCK:
        client = _SDK_CLIENTS.get(cache_key)
        if client is None:
            if len(_SDK_CLIENTS) >= _SDK_CLIENTS_KEPT:  # forget the oldest; users keep theirs
                del _SDK_CLIENTS[next(iter(_SDK_CLIENTS))]
            client = openai.OpenAI(
                api_key=key,
                base_url=base_url,
                timeout=settings.timeout_s,
                max_retries=settings.max_retries,
            )
            _SDK_CLIENTS[cache_key] = client
        return client


class LLMClient:
    """Typed chat completions with per-call billing records. Safe to share between threads."""

    def __init__(self, settings: LLMSettings, *, api_key: str | None = None) -> None:
        key = api_key or os.environ.get("OPENAI_API_KEY", "").strip() or None
        if key is None and settings.base_url is None:
            raise LLMConfigError(
                "no API key: set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL for a local "
                "OpenAI-compatible server (vLLM, Ollama, ...)"
            )
        self.settings = settings
        self.base_url = (settings.base_url or OPENAI_BASE_URL).rstrip("/")
        self._sdk = _shared_sdk(key or PLACEHOLDER_KEY, self.base_url, settings)
        self._json_schema_supported = True
        self._limits_in_schema = True  # False once the server refused maxLength/maxItems

    def __repr__(self) -> str:
        return (
            f"LLMClient(model={self.settings.model!r}, base_url={self.base_url!r}, "
            f"timeout_s={self.settings.timeout_s}, max_retries={self.settings.max_retries}, "
            f"json_schema={self._json_schema_supported})"
        )

    def __reduce_ex__(self, protocol: object) -> Any:
        raise TypeError(
            "LLMClient is not serialisable (it holds an HTTP client and the API key); "
            "pass LLMSettings and call make_client() where a client is needed"
        )

    def close(self) -> None:
        self._sdk.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def supports_json_schema(self) -> bool:
        """False once the server rejected a json_schema response format (JSON mode from then on)."""
        return self._json_schema_supported

    def parse(
        self,
        messages: list[dict],
        schema: type[T],
        *,
        purpose: str,
        max_tokens: int | None = None,
    ) -> LLMReply[T]:
        """Ask for a `schema` reply. Never raises for API or reply failures: see record.error."""
        trace = _CallTrace()
        parsed: T | None = None
        raw_text: str | None = None
        error: str | None = None
        started = time.perf_counter()
        try:
            parsed, raw_text = self._exchange(messages, schema, max_tokens, trace)
        except _ReplyError as err:
            error, raw_text = str(err), err.raw_text
        except openai.APIError as err:
            trace.add_failed_request(err)
            error = self._describe_api_error(err, trace.retries)
        except openai.OpenAIError as err:
            error = f"{type(err).__name__}: {err}"
        latency_s = time.perf_counter() - started
        cost, price_source = cost_usd(
            self.settings.model, trace.input_tokens, trace.output_tokens, self.settings
        )
        record = LLMCallRecord(
            model=self.settings.model,
            purpose=purpose,
            input_tokens=trace.input_tokens,
            output_tokens=trace.output_tokens,
            latency_s=latency_s,
            cost_usd=cost,
            cost_known=cost is not None,
            price_source=price_source,
            request_id=trace.request_id,
            retries=trace.retries,
            error=self._scrub(error) if error else None,
        )
        if record.error:
            logger.warning("LLM %s call to %s failed: %s", purpose, self.base_url, record.error)
        else:
            logger.debug(
                "LLM %s call: %d in / %d out tokens, %.2fs, %d retries",
                purpose,
                record.input_tokens,
                record.output_tokens,
                latency_s,
                record.retries,
            )
        return LLMReply(parsed=parsed, record=record, raw_text=raw_text)

    def embed(
        self, texts: list[str], model: str, usd_per_mtok: float | None = None
    ) -> tuple[list[list[float]] | None, LLMCallRecord]:
        """Embedding vectors of `texts` from the endpoint's /v1/embeddings (None when the call
        failed, e.g. a server without embeddings; the record says why). `usd_per_mtok` prices
        the tokens (else the genai-prices table, which may not know the model). Never raises."""
        started = time.perf_counter()
        vectors: list[list[float]] | None = None
        tokens, error, request_id, retries = 0, None, None, 0
        try:
            raw = self._sdk.embeddings.with_raw_response.create(model=model, input=texts)
            retries, request_id = raw.retries_taken, raw.request_id
            reply = raw.parse()
            tokens = reply.usage.prompt_tokens if reply.usage else 0
            vectors = [item.embedding for item in sorted(reply.data, key=lambda d: d.index)]
            if len(vectors) != len(texts):
                error, vectors = f"got {len(vectors)} vectors for {len(texts)} texts", None
        except openai.APIError as err:
            trace = _CallTrace()
            trace.add_failed_request(err)
            retries, request_id = trace.retries, trace.request_id
            error = self._describe_api_error(err, retries)
        except openai.OpenAIError as err:
            error = f"{type(err).__name__}: {err}"
        prices = None
        if usd_per_mtok is not None:
            prices = LLMSettings(input_usd_per_mtok=usd_per_mtok, output_usd_per_mtok=0.0)
        cost, price_source = cost_usd(model, tokens, 0, prices)
        record = LLMCallRecord(
            model=model,
            purpose="embed",
            input_tokens=tokens,
            latency_s=time.perf_counter() - started,
            cost_usd=cost,
            cost_known=cost is not None,
            price_source=price_source,
            request_id=request_id,
            retries=retries,
            error=self._scrub(error) if error else None,
        )
        return vectors, record

    # --- Exchanges --------------------------------------------------------------------------------

    def _exchange(
        self, messages: list[dict], schema: type[T], max_tokens: int | None, trace: _CallTrace
    ) -> tuple[T, str | None]:
        if self._json_schema_supported:
            try:
                return self._structured(messages, schema, max_tokens, trace)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as err:
                message = _server_message(err)
                if self._limits_in_schema and _LIMIT_REJECTION.search(message):
                    trace.add_failed_request(err)
                    self._limits_in_schema = False
                    logger.info(
                        "%s rejects maxLength/maxItems in JSON schemas; sending schemas without "
                        "them from now on (replies are still validated against them)",
                        self.base_url,
                    )
                    return self._exchange(messages, schema, max_tokens, trace)
                if not _JSON_SCHEMA_REJECTION.search(message):
                    raise
                trace.add_failed_request(err)
                self._json_schema_supported = False
                logger.info(
                    "%s rejects json_schema response formats; using JSON mode from now on",
                    self.base_url,
                )
        return self._json_mode(messages, schema, max_tokens, trace)

    def _limit(self, max_tokens: int | None) -> dict[str, int]:
        if max_tokens is None:
            return {}
        # OpenAI's newer models only accept max_completion_tokens; local servers know max_tokens.
        name = "max_tokens" if self.settings.base_url else "max_completion_tokens"
        return {name: max_tokens}

    def _structured(
        self, messages: list[dict], schema: type[T], max_tokens: int | None, trace: _CallTrace
    ) -> tuple[T, str | None]:
        if not self._limits_in_schema:
            raw = self._sdk.chat.completions.with_raw_response.create(
                model=self.settings.model,
                messages=messages,
                response_format=_response_format_without_limits(schema),
                **self._limit(max_tokens),
            )
            trace.add_response(raw)
            return _validated(raw.parse(), schema)
        raw = self._sdk.chat.completions.with_raw_response.parse(
            model=self.settings.model,
            messages=messages,
            response_format=schema,
            **self._limit(max_tokens),
        )
        body = trace.add_response(raw)
        content = _first_content(body)
        try:
            completion = raw.parse()
        except openai.LengthFinishReasonError:
            raise _ReplyError("reply truncated (finish_reason=length)", content) from None
        except openai.ContentFilterFinishReasonError:
            raise _ReplyError("reply blocked (finish_reason=content_filter)", content) from None
        except ValidationError as err:
            raise _ReplyError(_schema_mismatch(schema, err), content) from None
        if not completion.choices:
            raise _ReplyError("reply had no choices", content)
        message = completion.choices[0].message
        if message.refusal:
            raise _ReplyError(f"model refused: {message.refusal}", content)
        if message.parsed is None:
            raise _ReplyError(f"reply was empty (expected {schema.__name__})", content)
        return message.parsed, message.content

    def _json_mode(
        self, messages: list[dict], schema: type[T], max_tokens: int | None, trace: _CallTrace
    ) -> tuple[T, str | None]:
        raw = self._sdk.chat.completions.with_raw_response.create(
            model=self.settings.model,
            messages=_with_schema_instruction(messages, schema),
            response_format={"type": "json_object"},
            **self._limit(max_tokens),
        )
        trace.add_response(raw)
        return _validated(raw.parse(), schema)

    # --- Error texts ------------------------------------------------------------------------------

    def _describe_api_error(self, err: openai.APIError, retries: int) -> str:
        after = f" after {retries} retr{'y' if retries == 1 else 'ies'}"
        if isinstance(err, openai.APITimeoutError):
            attempts = f" (each of {retries + 1} attempts)" if retries else ""
            return f"timed out after {self.settings.timeout_s:g}s{attempts}"
        if isinstance(err, openai.APIConnectionError):
            cause = err.__cause__
            reason = str(cause or err) or type(cause or err).__name__
            if "refused" in reason.lower():
                reason = "connection refused"
            return f"cannot reach {self.base_url}: {reason}" + (after if retries else "")
        if isinstance(err, openai.APIStatusError):
            status = err.status_code
            message = _server_message(err)
            if isinstance(err, openai.RateLimitError):
                return f"HTTP 429 rate limited{after}: {message}"
            if isinstance(err, openai.AuthenticationError):
                return f"HTTP 401 authentication failed (check OPENAI_API_KEY): {message}"
            if status >= 500:
                return f"HTTP {status} server error{after}: {message}"
            return f"HTTP {status}: {message}"
        return f"{type(err).__name__}: {err}"

    def _scrub(self, text: str) -> str:
        """Remove the API key (and any bearer token) from text that will be recorded or logged."""
        key = self._sdk.api_key
        if key and key != PLACEHOLDER_KEY:
            text = text.replace(key, "***")
        return _BEARER.sub("Bearer ***", text)


# --- Helpers -------------------------------------------------------------------------------------


def _server_message(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(err.message)


def _first_content(body: dict[str, Any]) -> str | None:
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None


def _schema_mismatch(schema: type[BaseModel], err: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
        for e in err.errors(include_url=False, include_input=False)
    ]
    more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
    return f"reply did not match schema {schema.__name__}: {'; '.join(problems[:3])}{more}"


def _validated(completion: Any, schema: type[T]) -> tuple[T, str | None]:
    """The reply of a plain (not SDK-parsed) completion, validated against `schema`."""
    if not completion.choices:
        raise _ReplyError("reply had no choices")
    choice = completion.choices[0]
    content = choice.message.content
    if choice.finish_reason == "length":
        raise _ReplyError("reply truncated (finish_reason=length)", content)
    if choice.finish_reason == "content_filter":
        raise _ReplyError("reply blocked (finish_reason=content_filter)", content)
    if getattr(choice.message, "refusal", None):
        raise _ReplyError(f"model refused: {choice.message.refusal}", content)
    if not content:
        raise _ReplyError(f"reply was empty (expected {schema.__name__})", content)
    fenced = _CODE_FENCE.match(content)
    try:
        parsed = schema.model_validate_json(fenced.group(1) if fenced else content)
    except ValidationError as err:
        raise _ReplyError(_schema_mismatch(schema, err), content) from None
    return parsed, content


def _response_format_without_limits(schema: type[BaseModel]) -> dict[str, Any]:
    """The strict json_schema response format `.parse()` sends for `schema` (the SDK's own
    conversion), with maxLength/maxItems removed: for servers that refuse those keywords."""
    strict = to_strict_json_schema(schema)
    return {
        "type": "json_schema",
        "json_schema": {
            "name": schema.__name__,
            "schema": _without_keys(strict, _LIMIT_KEYWORDS),
            "strict": True,
        },
    }


def _without_keys(value: Any, keys: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without_keys(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without_keys(item, keys) for item in value]
    return value


def _with_schema_instruction(messages: list[dict], schema: type[BaseModel]) -> list[dict]:
    instruction = JSON_MODE_INSTRUCTION.format(
        schema=json.dumps(schema.model_json_schema(), separators=(",", ":"))
    )
    if (
        messages
        and messages[0].get("role") == "system"
        and isinstance(messages[0].get("content"), str)
    ):
        first = {**messages[0], "content": f"{messages[0]['content']}\n\n{instruction}"}
        return [first, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]
