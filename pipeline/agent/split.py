"""When a chunk asks to be split into a child run: the no-model rule, and the model's word.

A chunk may split only when the pipeline allows it (`may_split`: it is above `max_depth` and
the run's chunk budget can still pay for a child, see `pipeline.recursion`). Then:

- with a model, the reflect reply's `split` field decides (its `reason` says why);
- without one, the rule below: the emails matched for the question are more than
  SPLIT_CANDIDATES_FACTOR times what a summary can read (`prompts.MAX_EVIDENCE_EMAILS`), and
  the chunk holds at least MIN_SPLIT_EMAILS emails (a small chunk is cheaper to read than to
  split). Matches that many mean the summary would cite a sample of the evidence, not all of it.

Either way the chunk still writes its own finding, which stands if the child run fails.
"""

from __future__ import annotations

from pipeline.agent.prompts import MAX_EVIDENCE_EMAILS
from pipeline.agent.schemas import Reflection

SPLIT_CANDIDATES_FACTOR = 4
MIN_SPLIT_EMAILS = 400
MIN_MODEL_SPLIT_EMAILS = 2  # a model may split any chunk that two child chunks can share


def rule_split_reason(candidates: int, chunk_size: int) -> str | None:
    """The no-model rule: why this chunk should split, or None."""
    limit = SPLIT_CANDIDATES_FACTOR * MAX_EVIDENCE_EMAILS
    if candidates > limit and chunk_size >= MIN_SPLIT_EMAILS:
        return (
            f"{candidates} emails match the question, more than {SPLIT_CANDIDATES_FACTOR} x the "
            f"{MAX_EVIDENCE_EMAILS} a summary reads, in a chunk of {chunk_size} emails "
            f"(>= {MIN_SPLIT_EMAILS}): split it into a child run"
        )
    return None


def split_reason(
    reflection: Reflection, *, with_model: bool, candidates: int, chunk_size: int
) -> str | None:
    """Why the chunk splits after this reflection (the caller checked `may_split`), or None."""
    if with_model:
        if reflection.split and chunk_size >= MIN_MODEL_SPLIT_EMAILS:
            return f"the model asked to split: {reflection.reason}"
        return None
    return rule_split_reason(candidates, chunk_size)
