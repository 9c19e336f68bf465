"""Command line: evaluate strategies on labelled questions with the `rlm_evaluation` pipeline.

    python -m pipeline.evaluate --source data/sample/northwind_mail.json \\
        --questions data/queries.json [--strategies rlm,direct,rag,deterministic] [--json]

Model, budget and output flags are `python -m pipeline.run`'s. Without a model (no
OPENAI_API_KEY / OPENAI_BASE_URL / --base-url) only `deterministic` can run, and it is the
default. Bad input (a missing file, a question set that does not parse or cites ids the corpus
lacks, a model strategy without a model) exits with code 2 and one line on stderr before any
pipeline starts. With --json, stdout carries exactly one JSON object:
`{"run_id", "status", "judge", "strategies": {name: {micro_recall, micro_precision, f1,
cost_usd, cost_known, p50_latency_s, p95_latency_s, llm_calls, ...}}, "by_kind": {...},
"questions": [{id, strategy, cited_ids, recall, precision, cost_usd, latency_s, run_id, ...}]}`.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline import zenml_env
from pipeline.run import (
    EXIT_BAD_INPUT,
    EXIT_RUN_FAILED,
    BadInput,
    _claim_stdout,
    add_run_options,
    budget_of,
    file_fingerprint,
    is_remote,
    llm_settings,
)

_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{16}-")  # how the workbench stores uploaded sets
STRATEGY_FIELDS = ("micro_recall", "micro_precision", "f1", "cost_usd", "cost_known",
                   "p50_latency_s", "p95_latency_s", "llm_calls")  # fmt: skip


def default_evaluation_name() -> str:
    return f"eval-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from pipeline.eval.schemas import DEFAULT_CONTEXT_TOKENS, DEFAULT_EMBEDDING_MODEL, DEFAULT_TOP_K

    parser = argparse.ArgumentParser(
        prog="python -m pipeline.evaluate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--source", required=True, help="email file or folder (as pipeline.run)")
    parser.add_argument("--questions", required=True, help="question set: .json or .csv")
    parser.add_argument(
        "--strategies", help="comma-separated: rlm,direct,rag,deterministic (default: all "
        "with a model, deterministic without)"
    )  # fmt: skip
    parser.add_argument(
        "--context-tokens", type=int, default=DEFAULT_CONTEXT_TOKENS,
        help="direct: context budget in tokens (emails in date order until it is full)",
    )  # fmt: skip
    parser.add_argument("--top-k", type=int, default=DEFAULT_TOP_K, help="rag: emails retrieved")
    parser.add_argument(
        "--embedding-model", default=DEFAULT_EMBEDDING_MODEL, help="rag: /v1/embeddings model"
    )
    parser.add_argument(
        "--embedding-usd-per-mtok", type=float, default=None,
        help="rag: embedding price, USD per million tokens (else unknown unless genai-prices "
        "knows the model)",
    )  # fmt: skip
    add_run_options(parser)
    return parser.parse_args(argv)


def strategies_of(text: str | None, has_model: bool) -> list[str]:
    """The strategies asked for, checked: known names, and a model for those that need one."""
    from pipeline.eval.schemas import MODEL_STRATEGIES, STRATEGIES

    if not text:
        return list(STRATEGIES) if has_model else ["deterministic"]
    names = list(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [s for s in names if s not in STRATEGIES]
    if unknown or not names:
        raise BadInput(
            f"unknown strategy {', '.join(unknown) or '(none)'}: use {', '.join(STRATEGIES)}"
        )
    needs_model = [s for s in names if s in MODEL_STRATEGIES]
    if needs_model and not has_model:
        raise BadInput(
            f"{', '.join(needs_model)} need(s) a model: set OPENAI_API_KEY or OPENAI_BASE_URL "
            "(or --base-url), or use --strategies deterministic"
        )
    return names


def checked_questions(source: str, questions_path: str, max_bytes: int) -> list[Any]:
    """The question set, parsed and checked against the corpus's ids (BadInput otherwise)."""
    from pipeline.eval.questions import QuestionSetError, check_against_corpus, load_question_set
    from tools.ingest import IngestError, ingest_path

    try:
        questions = load_question_set(questions_path)
    except QuestionSetError as error:
        raise BadInput(str(error)) from None
    if is_remote(source):
        return questions  # checked by the pipeline's check_questions step
    if not Path(source).exists():
        raise BadInput(f"source not found: {source}")
    try:
        corpus = ingest_path(source, max_bytes=max_bytes).corpus
    except IngestError as error:
        raise BadInput(f"{source}: {error}") from None
    if not len(corpus):
        raise BadInput(f"{source}: no emails could be read from this file")
    try:
        check_against_corpus(questions, corpus.column("id"))
    except QuestionSetError as error:
        raise BadInput(f"{questions_path}: {error}") from None
    return questions


def run_evaluation(args: argparse.Namespace, source: str, questions: list[Any],
                   strategies: list[str], llm: Any, max_bytes: int) -> str:  # fmt: skip
    from pipeline.eval.schemas import EvalSettings
    from pipeline.pipelines.evaluation import rlm_evaluation

    settings = EvalSettings(
        context_tokens=args.context_tokens,
        top_k=args.top_k,
        embedding_model=args.embedding_model,
        embedding_usd_per_mtok=args.embedding_usd_per_mtok,
    )
    run = rlm_evaluation.with_options(run_name=args.run_name, config_path=args.config)(
        source=source,
        source_fingerprint=file_fingerprint(source),
        questions=questions,
        strategies=strategies,
        budget=budget_of(args),
        llm=llm,
        settings=settings,
        max_bytes=max_bytes,
        question_set=_UPLOAD_PREFIX.sub("", Path(args.questions).name),
    )
    return str(run.id)


def result_json(run_id: str) -> dict[str, Any]:
    """The CLI's JSON contract, read back from the ZenML store."""
    from pipeline.eval import store

    view = store.get_evaluation(run_id)
    summary = store.load_summary(view.run_id)
    result: dict[str, Any] = {"run_id": view.run_id, "run_name": view.name,
                              "status": view.status, "error": view.error}  # fmt: skip
    if summary is None:
        return result | {"strategies": {}, "by_kind": {}, "questions": [], "judge": "none"}
    strategies = {}
    for name, figures in summary.strategies.items():
        values = figures.model_dump()
        strategies[name] = {k: values[k] for k in STRATEGY_FIELDS} | values
    return result | {
        "judge": summary.judge,
        "model": summary.model,
        "strategies": strategies,
        "by_kind": {
            s: {k: f.model_dump() for k, f in kinds.items()} for s, kinds in summary.by_kind.items()
        },  # fmt: skip
        "questions": [q.model_dump() for q in summary.questions],
    }


def readable_summary(result: dict[str, Any]) -> str:
    lines = [f"Evaluation {result['run_name']} ({result['run_id']}): {result['status']}"]
    lines.append(f"{'strategy':<14} {'recall':>7} {'precis.':>7} {'F1':>6} {'USD':>10} "
                 f"{'p50 s':>7} {'p95 s':>7} {'calls':>6}")  # fmt: skip
    for name, f in result["strategies"].items():
        cost = f"{f['cost_usd']:.4f}" if f["cost_known"] else "unknown"
        lines.append(
            f"{name:<14} {f['micro_recall']:>7.2f} {f['micro_precision']:>7.2f} {f['f1']:>6.2f} "
            f"{cost:>10} {f['p50_latency_s']:>7.1f} {f['p95_latency_s']:>7.1f} "
            f"{f['llm_calls']:>6}"
        )
    if result.get("judge") and result["judge"] != "none":
        lines.append(f"answers judged by: {result['judge']}")
    if result.get("error"):
        lines.append(f"Error: {result['error']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = _claim_stdout()
    zenml_env.configure()
    from tools.ingest import DEFAULT_MAX_BYTES

    max_bytes = args.max_bytes or DEFAULT_MAX_BYTES
    args.run_name = args.run_name or default_evaluation_name()
    try:
        source = args.source if is_remote(args.source) else str(Path(args.source).resolve())
        llm = llm_settings(args)
        strategies = strategies_of(args.strategies, llm.mode == "llm")
        questions = checked_questions(source, args.questions, max_bytes)
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        run_id = run_evaluation(args, source, questions, strategies, llm, max_bytes)
    except Exception as error:  # the run is recorded as failed in ZenML; report what we can
        print(f"error: the evaluation failed: {type(error).__name__}: {error}", file=sys.stderr)
        from zenml.client import Client

        try:
            run_id = str(Client().get_pipeline_run(args.run_name).id)
        except KeyError:
            return EXIT_RUN_FAILED
    result = result_json(run_id)
    out.write((json.dumps(result, default=str) if args.json else readable_summary(result)) + "\n")
    out.flush()
    return 0 if result["status"] == "completed" else EXIT_RUN_FAILED


if __name__ == "__main__":
    sys.exit(main())
