"""The steps of the `rlm_analysis` pipeline: thin ZenML wrappers over plain functions."""

from pipeline.steps.aggregate import aggregate_results
from pipeline.steps.load_corpus import load_corpus
from pipeline.steps.plan import plan_decomposition
from pipeline.steps.process_chunk import process_chunk

__all__ = ["aggregate_results", "load_corpus", "plan_decomposition", "process_chunk"]
