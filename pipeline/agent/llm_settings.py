"""Model settings from the environment: which mode a run is in, which model and what it costs.

`resolve_settings` reads OPENAI_API_KEY (presence only), OPENAI_BASE_URL, RLM_MODEL /
OPENAI_MODEL and the RLM_*_USD_PER_MTOK prices, then applies any field a caller set explicitly.
No key is ever copied into settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pipeline.schemas import LLMSettings

OPENAI_BASE_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key


class LLMConfigError(ValueError):
    """The settings or environment cannot produce a working model client."""


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
