"""Reading a model's replies: validation against the reply schema, JSON-mode and limit-free
fallback formats, token and retry accounting over a call's HTTP exchanges, and error texts.

Used by `pipeline.agent.llm.LLMClient`; nothing here sends a request. Every error text that can
reach a record or a log goes through `scrub`, which removes the API key and bearer tokens.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from pipeline.agent.llm_settings import PLACEHOLDER_KEY
from pipeline.agent.schemas import LLMCallRecord

if TYPE_CHECKING:  # the SDK is imported where it is used (see `pipeline.agent.llm`)
    import openai

T = TypeVar("T", bound=BaseModel)

JSON_MODE_INSTRUCTION = (
    "Reply with one JSON object and nothing else (no prose, no code fences). "
    "It must validate against this JSON schema:\n{schema}"
)
LIMIT_KEYWORDS = frozenset({"maxLength", "maxItems"})
LIMIT_REJECTION = re.compile(r"maxLength|maxItems", re.I)
JSON_SCHEMA_REJECTION = re.compile(r"response_format|json_schema|structured output", re.I)
_CODE_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)
_BEARER = re.compile(r"Bearer\s+\S+", re.I)


@dataclass
class LLMReply(Generic[T]):
    """A model reply: `parsed` is the validated instance or None; `record` is always present."""

    parsed: T | None
    record: LLMCallRecord
    raw_text: str | None = None

    @property
    def ok(self) -> bool:
        return self.parsed is not None and self.record.error is None


class ReplyError(Exception):
    """The HTTP exchange worked but the reply is unusable (refused, truncated, invalid)."""

    def __init__(self, message: str, raw_text: str | None = None) -> None:
        super().__init__(message)
        self.raw_text = raw_text


@dataclass
class CallTrace:
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


def describe_api_error(
    err: openai.APIError, retries: int, *, timeout_s: float, base_url: str
) -> str:
    """A short, readable text for an SDK error (what failed, after how many retries)."""
    import openai

    after = f" after {retries} retr{'y' if retries == 1 else 'ies'}"
    if isinstance(err, openai.APITimeoutError):
        attempts = f" (each of {retries + 1} attempts)" if retries else ""
        return f"timed out after {timeout_s:g}s{attempts}"
    if isinstance(err, openai.APIConnectionError):
        cause = err.__cause__
        reason = str(cause or err) or type(cause or err).__name__
        if "refused" in reason.lower():
            reason = "connection refused"
        return f"cannot reach {base_url}: {reason}" + (after if retries else "")
    if isinstance(err, openai.APIStatusError):
        status = err.status_code
        message = server_message(err)
        if isinstance(err, openai.RateLimitError):
            return f"HTTP 429 rate limited{after}: {message}"
        if isinstance(err, openai.AuthenticationError):
            return f"HTTP 401 authentication failed (check OPENAI_API_KEY): {message}"
        if status >= 500:
            return f"HTTP {status} server error{after}: {message}"
        return f"HTTP {status}: {message}"
    return f"{type(err).__name__}: {err}"


def scrub(text: str, api_key: str | None) -> str:
    """Remove the API key (and any bearer token) from text that will be recorded or logged."""
    if api_key and api_key != PLACEHOLDER_KEY:
        text = text.replace(api_key, "***")
    return _BEARER.sub("Bearer ***", text)


def server_message(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(err.message)


def first_content(body: dict[str, Any]) -> str | None:
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None


def schema_mismatch(schema: type[BaseModel], err: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
        for e in err.errors(include_url=False, include_input=False)
    ]
    more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
    return f"reply did not match schema {schema.__name__}: {'; '.join(problems[:3])}{more}"


def validated(completion: Any, schema: type[T]) -> tuple[T, str | None]:
    """The reply of a plain (not SDK-parsed) completion, validated against `schema`."""
    if not completion.choices:
        raise ReplyError("reply had no choices")
    choice = completion.choices[0]
    content = choice.message.content
    if choice.finish_reason == "length":
        raise ReplyError("reply truncated (finish_reason=length)", content)
    if choice.finish_reason == "content_filter":
        raise ReplyError("reply blocked (finish_reason=content_filter)", content)
    if getattr(choice.message, "refusal", None):
        raise ReplyError(f"model refused: {choice.message.refusal}", content)
    if not content:
        raise ReplyError(f"reply was empty (expected {schema.__name__})", content)
    fenced = _CODE_FENCE.match(content)
    try:
        parsed = schema.model_validate_json(fenced.group(1) if fenced else content)
    except ValidationError as err:
        raise ReplyError(schema_mismatch(schema, err), content) from None
    return parsed, content


def response_format_without_limits(schema: type[BaseModel]) -> dict[str, Any]:
    """The strict json_schema response format `.parse()` sends for `schema` (the SDK's own
    conversion), with maxLength/maxItems removed: for servers that refuse those keywords."""
    from openai.lib._pydantic import to_strict_json_schema  # what `.parse()` sends, made strict

    strict = to_strict_json_schema(schema)
    return {
        "type": "json_schema",
        "json_schema": {
            "name": schema.__name__,
            "schema": _without_keys(strict, LIMIT_KEYWORDS),
            "strict": True,
        },
    }


def _without_keys(value: Any, keys: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without_keys(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without_keys(item, keys) for item in value]
    return value


def with_schema_instruction(messages: list[dict], schema: type[BaseModel]) -> list[dict]:
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
