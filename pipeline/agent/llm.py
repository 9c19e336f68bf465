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

Settings from the environment live in `llm_settings`, reply validation, fallback formats and
error texts in `llm_replies`; both are re-exported here for callers (`resolve_settings`,
`LLMConfigError`, `LLMReply`).

The SDK is imported when the first client is built, not with this module: importing it takes
about 1.3 s of CPU, and a no-key run, which never calls a model, need not pay that in every
process it starts.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from pipeline.agent.llm_replies import (
    JSON_SCHEMA_REJECTION,
    LIMIT_REJECTION,
    CallTrace,
    LLMReply,
    ReplyError,
    T,
    describe_api_error,
    first_content,
    response_format_without_limits,
    schema_mismatch,
    scrub,
    server_message,
    validated,
    with_schema_instruction,
)
from pipeline.agent.llm_settings import (
    OPENAI_BASE_URL,
    PLACEHOLDER_KEY,
    LLMConfigError,
    resolve_settings,
)
from pipeline.agent.pricing import cost_usd
from pipeline.agent.schemas import LLMCallRecord
from pipeline.schemas import LLMSettings

if TYPE_CHECKING:
    import openai

__all__ = ["LLMClient", "LLMConfigError", "LLMReply", "make_client", "resolve_settings"]

logger = logging.getLogger(__name__)


# --- Clients -------------------------------------------------------------------------------------


def make_client(settings: LLMSettings) -> LLMClient | None:
    """An LLMClient for "llm" mode, None in deterministic mode."""
    if settings.mode == "deterministic":
        return None
    return LLMClient(settings)


_SDK_CLIENTS: dict[tuple[str, str, float, int], openai.OpenAI] = {}
_SDK_LOCK = threading.Lock()
_SDK_CLIENTS_KEPT = 8


def _shared_sdk(key: str, base_url: str, settings: LLMSettings) -> openai.OpenAI:
    """One SDK client per (key, server, timeout, retries) in this process, shared by the chunk
    steps running as threads: the SDK's clients are thread-safe and pool their connections, and
    building one costs ~70 ms of CPU (its TLS context loads the CA bundle)."""
    import openai

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
        import openai  # loaded by the constructor; this binds the name here

        trace = CallTrace()
        parsed: T | None = None
        raw_text: str | None = None
        error: str | None = None
        started = time.perf_counter()
        try:
            parsed, raw_text = self._exchange(messages, schema, max_tokens, trace)
        except ReplyError as err:
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
        import openai

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
            trace = CallTrace()
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
        self, messages: list[dict], schema: type[T], max_tokens: int | None, trace: CallTrace
    ) -> tuple[T, str | None]:
        import openai

        if self._json_schema_supported:
            try:
                return self._structured(messages, schema, max_tokens, trace)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as err:
                message = server_message(err)
                if self._limits_in_schema and LIMIT_REJECTION.search(message):
                    trace.add_failed_request(err)
                    self._limits_in_schema = False
                    logger.info(
                        "%s rejects maxLength/maxItems in JSON schemas; sending schemas without "
                        "them from now on (replies are still validated against them)",
                        self.base_url,
                    )
                    return self._exchange(messages, schema, max_tokens, trace)
                if not JSON_SCHEMA_REJECTION.search(message):
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
        self, messages: list[dict], schema: type[T], max_tokens: int | None, trace: CallTrace
    ) -> tuple[T, str | None]:
        import openai

        if not self._limits_in_schema:
            raw = self._sdk.chat.completions.with_raw_response.create(
                model=self.settings.model,
                messages=messages,
                response_format=response_format_without_limits(schema),
                **self._limit(max_tokens),
            )
            trace.add_response(raw)
            return validated(raw.parse(), schema)
        raw = self._sdk.chat.completions.with_raw_response.parse(
            model=self.settings.model,
            messages=messages,
            response_format=schema,
            **self._limit(max_tokens),
        )
        body = trace.add_response(raw)
        content = first_content(body)
        try:
            completion = raw.parse()
        except openai.LengthFinishReasonError:
            raise ReplyError("reply truncated (finish_reason=length)", content) from None
        except openai.ContentFilterFinishReasonError:
            raise ReplyError("reply blocked (finish_reason=content_filter)", content) from None
        except ValidationError as err:
            raise ReplyError(schema_mismatch(schema, err), content) from None
        if not completion.choices:
            raise ReplyError("reply had no choices", content)
        message = completion.choices[0].message
        if message.refusal:
            raise ReplyError(f"model refused: {message.refusal}", content)
        if message.parsed is None:
            raise ReplyError(f"reply was empty (expected {schema.__name__})", content)
        return message.parsed, message.content

    def _json_mode(
        self, messages: list[dict], schema: type[T], max_tokens: int | None, trace: CallTrace
    ) -> tuple[T, str | None]:
        raw = self._sdk.chat.completions.with_raw_response.create(
            model=self.settings.model,
            messages=with_schema_instruction(messages, schema),
            response_format={"type": "json_object"},
            **self._limit(max_tokens),
        )
        trace.add_response(raw)
        return validated(raw.parse(), schema)

    def _describe_api_error(self, err: openai.APIError, retries: int) -> str:
        return describe_api_error(
            err, retries, timeout_s=self.settings.timeout_s, base_url=self.base_url
        )

    def _scrub(self, text: str) -> str:
        """Remove the API key (and any bearer token) from text that will be recorded or logged."""
        return scrub(text, self._sdk.api_key)
