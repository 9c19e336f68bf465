"""How a cost reads wherever it is shown (pages, downloads, CLI): a price that is unknown is
never written as zero.

A call's cost is unknown when its model is not in the genai-prices table and no price override
is set (`pipeline.agent.pricing`). A sum over calls some of which are unknown is *partial*: it
is shown with that word, next to why the rest is unknown and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.views import ChunkView, RunView

PRICE_ENV_HINT = "set RLM_INPUT_USD_PER_MTOK / RLM_OUTPUT_USD_PER_MTOK"


def unknown_reason(model: str) -> str:
    """`unknown (model X has no price; set ...)`."""
    return f"unknown (model {model or '?'} has no price; {PRICE_ENV_HINT})"


def usd(value: float, digits: int = 4) -> str:
    return f"${value:.{digits}f}"


def cost_text(value: float | None, known: bool, model: str, digits: int = 4) -> str:
    """A cost as text: `$0.0123` when every call was priced, `$0.0123 partial; unknown (...)`
    when some were, `unknown (...)` when none was."""
    if known and value is not None:
        return usd(value, digits)
    if value:
        return f"{usd(value, digits)} partial; {unknown_reason(model)}"
    return unknown_reason(model)


def short_cost_text(value: float | None, known: bool, digits: int = 4) -> str:
    """For narrow places (a metric): `$0.0123`, `$0.0123 partial` or `unknown`; put
    `unknown_reason` next to it."""
    if known and value is not None:
        return usd(value, digits)
    return f"{usd(value, digits)} partial" if value else "unknown"


def run_cost_known(run: RunView) -> bool:
    """False when any call of the run (a chunk's, or the plan's or synthesis') has no price."""
    if run.totals is not None and not run.totals.cost_known:
        return False
    return all(c.cost_usd is not None for c in run.chunks)


def run_cost_usd(run: RunView) -> float:
    """The priced part of the run's cost: run-level totals (planning and synthesis included)
    when recorded, else the chunks' sum."""
    return run.totals.cost_usd if run.totals is not None else run.total_cost_usd


def run_cost_text(run: RunView, digits: int = 4) -> str:
    return cost_text(run_cost_usd(run), run_cost_known(run), run.model, digits)


def chunk_cost_text(chunk: ChunkView, model: str, digits: int = 4) -> str:
    return cost_text(chunk.cost_usd, chunk.cost_usd is not None, model, digits)


def unpriced(chunks: Iterable[ChunkView]) -> list[ChunkView]:
    """The chunks whose cost is unknown (left out of percentiles and cost charts)."""
    return [c for c in chunks if c.cost_usd is None]


def left_out_note(count: int, what: str = "chunk") -> str:
    """`2 chunks with unknown cost left out` (empty for none)."""
    if not count:
        return ""
    plural = "" if count == 1 else "s"
    return f"{count} {what}{plural} with unknown cost left out"
