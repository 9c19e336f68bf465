"""The steps of the `rlm_evaluation` pipeline: thin ZenML wrappers over pipeline/eval and
pipeline/strategies.

Every cell is its own cached step, so rerunning an evaluation with one more strategy or question
computes only the new cells. A pipeline cell's cache key is the question, the strategy, the
judge's settings and the child run's report artifact (itself cached inside the child run); the
child run's id and wall time travel in an ignored input, so a cached cell keeps pointing at the
run that did the work.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict
from zenml import log_metadata, step
from zenml.config import CachePolicy

from pipeline.agent.llm import make_client
from pipeline.eval.cells import baseline_cell, pipeline_cell
from pipeline.eval.metrics import summarize
from pipeline.eval.questions import Question, check_against_corpus
from pipeline.eval.schemas import CellResult, EvalSettings, EvaluationSummary, Strategy
from pipeline.schemas import LLMSettings, Report
from pipeline.strategies.embeddings import EmbeddingIndex, build_embedding_index
from tools.models import Corpus

EVAL_KEY = "rlm_eval"  # run metadata of an evaluation: question set, strategies, cells, totals


class ChildRun(BaseModel):
    """The `rlm_analysis` run behind a pipeline cell, and how long it took."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    latency_s: float


@step
def check_questions(corpus: Corpus, questions: list[Question]) -> Annotated[int, "questions"]:
    """Refuse a question set citing ids the corpus does not hold (the error lists them)."""
    check_against_corpus(questions, corpus.column("id"))
    return len(questions)


@step(enable_artifact_visualization=False)
def embed_corpus(
    corpus: Corpus, llm: LLMSettings, settings: EvalSettings
) -> Annotated[EmbeddingIndex, "embedding_index"]:
    """The RAG index of this corpus (cached per corpus content and embedding settings)."""
    index = build_embedding_index(
        corpus, make_client(llm), settings.embedding_model, settings.embedding_usd_per_mtok
    )
    log_metadata(metadata={"available": index.available, "reason": index.reason})
    return index


@step(enable_artifact_visualization=False)
def baseline_cell_step(
    corpus: Corpus,
    question: Question,
    strategy: Strategy,
    llm: LLMSettings,
    settings: EvalSettings,
    index: EmbeddingIndex | None = None,
) -> Annotated[CellResult, "cell"]:
    return baseline_cell(corpus, question, strategy, llm, settings, index)


@step(cache_policy=CachePolicy(ignored_inputs=["child"]), enable_artifact_visualization=False)
def pipeline_cell_step(
    question: Question, strategy: Strategy, report: Report, child: ChildRun, judge_llm: LLMSettings
) -> Annotated[CellResult, "cell"]:
    return pipeline_cell(question, strategy, report, child.run_id, child.latency_s, judge_llm)


@step(enable_cache=False, enable_artifact_visualization=False)
def summarize_evaluation(
    cells: list[CellResult], model: str, mode: str
) -> Annotated[EvaluationSummary, "summary"]:
    summary = summarize(cells, model=model, mode=mode)
    log_metadata(
        metadata={
            "strategies": {
                name: {
                    "micro_recall": figures.micro_recall,
                    "micro_precision": figures.micro_precision,
                    "f1": figures.f1,
                    "cost_usd": figures.cost_usd,
                }
                for name, figures in summary.strategies.items()
            }
        }
    )
    return summary
