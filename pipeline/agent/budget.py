"""Budget policy for one chunk: how many decisions are left, and when a token/USD cap says stop.

The loop asks two questions and nothing else: `can_explore()` (may another plan/reflect call be
made, keeping one call for the summary?) and `cap_reason()` (has a token or USD cap been reached,
counting an estimate of the next call and the summary?). Model calls and deterministic decisions
are both charged with `charge()`, so the loop has the same shape in both modes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pipeline.agent.schemas import LLMCallRecord
from pipeline.schemas import Budget

logger = logging.getLogger(__name__)

SUMMARY_RESERVE = 1  # calls always kept back so that every chunk ends with a summary


@dataclass
class ChunkProgress:
    """Running totals of a chunk, handed to `on_event` after every trajectory event."""

    llm_calls: int = 0
    iterations: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    matches: int = 0
    status: str = "running"  # running | summarizing | done


@dataclass
class BudgetTracker:
    """Charges decisions against a clamped `Budget` and answers the loop's budget questions."""

    budget: Budget
    decisions: int = 0  # plan/reflect/summary decisions made (model calls or deterministic)
    records: list[LLMCallRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.budget = self.budget.clamped()

    @property
    def max_decisions(self) -> int:
        return self.budget.max_iterations

    @property
    def decisions_left(self) -> int:
        return max(0, self.max_decisions - self.decisions)

    def can_explore(self) -> bool:
        """True while a plan or reflect call fits with the summary call still in reserve."""
        return self.decisions_left > SUMMARY_RESERVE

    def charge(self, record: LLMCallRecord | None = None) -> None:
        """Count one decision; a model call (failed ones too) also adds its billed record."""
        self.decisions += 1
        if record is not None:
            self.records.append(record)

    @property
    def tokens(self) -> int:
        return sum(r.input_tokens + r.output_tokens for r in self.records)

    @property
    def cost_usd(self) -> float:
        return sum(r.cost_usd or 0.0 for r in self.records)

    @property
    def cost_known(self) -> bool:
        return all(r.cost_usd is not None and r.cost_known for r in self.records)

    def cap_reason(self) -> str | None:
        """Why exploring must stop now for a token or USD cap, or None.

        A cap counts what was spent plus an estimate (the mean call so far) for the next
        exploring call and the summary, so the summary normally still fits under the cap.
        """
        if not self.records:
            return None
        calls = len(self.records)
        cap_tokens = self.budget.max_tokens_per_chunk
        if cap_tokens is not None:
            projected = self.tokens + 2 * self.tokens / calls
            if projected > cap_tokens:
                return (
                    f"token cap: {self.tokens} tokens used, next call and summary would "
                    f"exceed max_tokens_per_chunk={cap_tokens}"
                )
        cap_usd = self.budget.max_usd_per_chunk
        if cap_usd is not None:
            if not self.cost_known:
                logger.warning("USD cap %s not enforceable: a call has no known price", cap_usd)
                return None
            projected_usd = self.cost_usd + 2 * self.cost_usd / calls
            if projected_usd > cap_usd:
                return (
                    f"USD cap: ${self.cost_usd:.6f} spent, next call and summary would "
                    f"exceed max_usd_per_chunk=${cap_usd}"
                )
        return None
