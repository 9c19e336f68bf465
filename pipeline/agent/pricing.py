"""USD cost of one model call, from a per-run price override or the offline genai-prices table.

genai-prices ships its price table inside the package; `calc_price` reads that bundled snapshot
and makes no network call. The package can also fetch fresh prices, but only when a caller starts
its `UpdatePrices` helper, which this project never does: costs are reproducible and offline.

Price sources, as recorded in `LLMCallRecord.price_source`:
- "override": the settings carry USD-per-million-token prices (e.g. for a local or new model);
- "genai-prices": the model is in the bundled table;
- "unknown": neither, so the cost is None and `cost_known` is False (never a made-up zero).
"""

from __future__ import annotations

import logging

from genai_prices import Usage, calc_price

from pipeline.schemas import LLMSettings

logger = logging.getLogger(__name__)

TOKENS_PER_PRICE_UNIT = 1_000_000


def table_price(model: str, input_tokens: int, output_tokens: int) -> tuple[float, float] | None:
    """(input USD, output USD) from the bundled genai-prices table, or None for an unknown model."""
    try:
        price = calc_price(Usage(input_tokens=input_tokens, output_tokens=output_tokens), model)
    except LookupError:
        return None
    return float(price.input_price), float(price.output_price)


def cost_usd(
    model: str,
    input_tokens: int,
    output_tokens: int,
    settings: LLMSettings | None = None,
) -> tuple[float | None, str]:
    """USD cost of a call and where the price came from ("override" | "genai-prices" | "unknown").

    An override wins; if only one of its two prices is set, the other side comes from the table,
    and if the table does not know the model either, the cost is unknown.
    """
    if input_tokens < 0 or output_tokens < 0:
        raise ValueError(f"token counts must be >= 0, got {input_tokens} in / {output_tokens} out")
    input_rate = settings.input_usd_per_mtok if settings else None
    output_rate = settings.output_usd_per_mtok if settings else None
    overridden = input_rate is not None or output_rate is not None
    needs_table = input_rate is None or output_rate is None
    table = table_price(model, input_tokens, output_tokens) if needs_table else None
    if needs_table and table is None:
        if overridden:
            logger.warning(
                "price override for %s sets only one side and the model is not in genai-prices; "
                "cost unknown",
                model,
            )
        return None, "unknown"
    input_usd = (
        input_tokens * input_rate / TOKENS_PER_PRICE_UNIT if input_rate is not None else table[0]
    )
    output_usd = (
        output_tokens * output_rate / TOKENS_PER_PRICE_UNIT if output_rate is not None else table[1]
    )
    return input_usd + output_usd, "override" if overridden else "genai-prices"
