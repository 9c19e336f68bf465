"""Command line: run one `rlm_analysis` pipeline and print its result.

    python -m pipeline.run --source data/sample/northwind_mail.json \\
        --query "Who raised concerns about the valve inspection?" --max-chunks 4 --json
    python -m pipeline.run --corpus <library id> --query "..."
    python -m pipeline.run --rerun-of RUN --rerun-chunk chunk_01 [--sub-question "..."] \
        [--chunk-max-iterations 10]   # a new run; the other chunks come from cache
    python -m pipeline.run --follow-up-of RUN --query "..."   # same corpus, previous Q&A as context

A source whose content is already in the corpus library (`pipeline.library`, keyed on its
sha256) is not read again: the run uses the stored corpus. A local source has no size limit
(RLM_MAX_UPLOAD_MB is for browser uploads). Input is checked before any pipeline starts
(`pipeline.cli_input`: missing file, nothing ingestible, empty query, unknown library id): those
exit with code 2 and one line on stderr. With --json, stdout carries exactly one JSON object
(`pipeline.cli_output`); ZenML's own output goes to stderr. Exit code 1 when the run itself
failed.
The model is configured from the environment (OPENAI_API_KEY / OPENAI_BASE_URL, see
pipeline.agent.llm.resolve_settings) plus --model / --base-url.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import IO, Any

from pipeline import zenml_env
from pipeline.cli_input import (
    LOCAL_MAX_BYTES,
    QUICK_CHECK_BYTES,
    BadInput,
    budget_of,
    check_input,
    file_fingerprint,
    is_remote,
    llm_settings,
    read_plan,
    resolve_corpus,
)
from pipeline.cli_output import corpus_json, readable_summary, result_json
from pipeline.schemas import ApprovedPlan, Budget, LLMSettings
from pipeline.steering import FollowUp, Rerun

# What other modules and tests import from here, wherever it now lives.
__all__ = [
    "EXIT_BAD_INPUT", "EXIT_RUN_FAILED", "LOCAL_MAX_BYTES", "QUICK_CHECK_BYTES", "BadInput",
    "add_run_options", "budget_of", "check_input", "corpus_json", "default_run_name",
    "file_fingerprint", "is_remote", "llm_settings", "main", "parse_args", "read_plan",
    "readable_summary", "resolve_corpus", "result_json", "run_pipeline",
]  # fmt: skip

EXIT_RUN_FAILED = 1
EXIT_BAD_INPUT = 2


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.run", description=__doc__.split("\n")[0]
    )
    corpus = parser.add_mutually_exclusive_group()
    corpus.add_argument(
        "--source", help="email file or folder: json, jsonl, csv, mbox, eml, zip, ..."
    )
    corpus.add_argument("--corpus", help="id of a corpus in the library (see the UI or --json)")
    parser.add_argument("--query", help="the question to investigate")
    add_run_options(parser)
    rerun = parser.add_argument_group("rerun one chunk of a finished run (pipeline.steering)")
    rerun.add_argument("--rerun-of", help="id or name of the finished run")
    rerun.add_argument("--rerun-chunk", help="the chunk to rerun, e.g. chunk_01")
    rerun.add_argument("--sub-question", help="the chunk's new sub-question")
    rerun.add_argument(
        "--chunk-max-iterations", type=int, help="the chunk's new max_iterations (2-12)"
    )
    parser.add_argument(
        "--follow-up-of",
        help="id or name of a finished run: ask on its corpus with its question and answer as "
        "context (pipeline.steering)",
    )
    args = parser.parse_args(argv)
    if args.rerun_of:
        if not args.rerun_chunk:
            parser.error("--rerun-of needs --rerun-chunk")
        if args.source or args.corpus or args.query:
            parser.error("--rerun-of takes the corpus and query of the original run")
    elif not (args.source or args.corpus or args.follow_up_of) or args.query is None:
        parser.error("give --source, --corpus or --follow-up-of, and --query (or --rerun-of)")
    return args


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The budget, model and output flags shared with `python -m pipeline.evaluate`."""
    parser.add_argument(
        "--max-chunks", type=int, default=Budget().max_chunks, help="1-10 (clamped)"
    )
    parser.add_argument(
        "--max-iterations",
        type=int,
        default=Budget().max_iterations,
        help="LLM calls per chunk, 2-12 (clamped)",
    )
    parser.add_argument(
        "--max-depth",
        type=int,
        default=Budget().max_depth,
        help="1-3 (clamped): 2 or 3 let chunks split into child runs",
    )
    parser.add_argument("--model", help="model name (default from RLM_MODEL / OPENAI_MODEL)")
    parser.add_argument("--base-url", help="OpenAI-compatible server URL (implies llm mode)")
    parser.add_argument(
        "--max-usd", type=float, help="USD cap for the whole run (split across chunks)"
    )
    parser.add_argument(
        "--max-tokens", type=int, help="token cap for the whole run (split across chunks)"
    )
    parser.add_argument(
        "--max-bytes", type=int, default=None, help="refuse sources larger than this (no limit)"
    )
    parser.add_argument("--run-name", help="ZenML run name (default: rlm-<time>-<random>)")
    parser.add_argument(
        "--config", help="ZenML run config YAML (settings, environment, secrets) for remote stacks"
    )
    parser.add_argument(
        "--plan", help="a reviewed plan (ApprovedPlan JSON) to use instead of planning"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def default_run_name() -> str:
    return f"rlm-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def run_pipeline(
    source: str,
    query: str,
    budget: Budget,
    llm: LLMSettings,
    run_name: str | None,
    max_bytes: int,
    config_path: str | None = None,
    *,
    fingerprint: str | None = None,
    corpus_id: str | None = None,
    approved_plan: ApprovedPlan | None = None,
    rerun: Rerun | None = None,
    follow_up: FollowUp | None = None,
) -> str:
    """Run `rlm_analysis` on the active stack (the orchestrator may be remote); return the run id.
    With `corpus_id` the run uses that library corpus and never reads `source`; `rerun` makes it
    the rerun of one chunk of a finished run (`pipeline.steering.plan_rerun`), `follow_up` a
    follow-up question to one (`pipeline.steering.plan_follow_up`)."""
    from pipeline.pipelines.rlm import rlm_analysis

    run = rlm_analysis.with_options(run_name=run_name, config_path=config_path)(
        source=source,
        source_fingerprint=fingerprint or file_fingerprint(source),
        query=query,
        budget=budget,
        llm=llm,
        max_bytes=max_bytes,
        corpus_id=corpus_id,
        approved_plan=approved_plan,
        rerun=rerun,
        follow_up=follow_up,
    )
    return str(run.id)


def _claim_stdout() -> IO[str]:
    """Keep the real stdout for our output and send everything else written to fd 1 (ZenML's
    logs, prints from libraries, subprocesses) to stderr."""
    sys.stdout.flush()
    ours = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return ours


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = _claim_stdout()
    zenml_env.configure()
    max_bytes = args.max_bytes or LOCAL_MAX_BYTES
    if args.rerun_of:
        return _rerun(args, out)
    budget = budget_of(args)
    try:
        follow_up = _follow_up(args)
        source, sha256, corpus_id = resolve_corpus(args, max_bytes)
        llm = llm_settings(args)
        approved_plan = read_plan(args.plan) if args.plan else None
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return _run_and_print(
        args, out, run_name=args.run_name or default_run_name(), source=source,
        query=args.query.strip(), budget=budget, llm=llm, max_bytes=max_bytes,
        fingerprint=sha256, corpus_id=corpus_id, approved_plan=approved_plan,
        **({"follow_up": follow_up} if follow_up else {}),
    )  # fmt: skip


def _follow_up(args: argparse.Namespace) -> FollowUp | None:
    """`--follow-up-of`: the previous run's question and answer; its corpus unless another is
    given (sets `args.corpus`)."""
    from pipeline.steering import SteeringError, plan_follow_up

    if not args.follow_up_of:
        return None
    try:
        follow_up, corpus_id = plan_follow_up(args.follow_up_of)
    except SteeringError as error:
        raise BadInput(str(error)) from None
    if not (args.source or args.corpus):
        args.corpus = corpus_id
    return follow_up


def _rerun(args: argparse.Namespace, out: IO[str]) -> int:
    """`--rerun-of`: a new run from the original's inputs with one chunk changed."""
    from pipeline.steering import SteeringError, plan_rerun

    try:
        request = plan_rerun(
            args.rerun_of, args.rerun_chunk, args.sub_question, args.chunk_max_iterations
        )
    except SteeringError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return _run_and_print(
        args, out, run_name=args.run_name or default_run_name(), source=request.source,
        query=request.query, budget=request.budget, llm=request.llm,
        max_bytes=request.max_bytes or LOCAL_MAX_BYTES, fingerprint=request.fingerprint,
        corpus_id=request.corpus_id, approved_plan=request.approved_plan, rerun=request.rerun,
    )  # fmt: skip


def _run_and_print(
    args: argparse.Namespace, out: IO[str], *, run_name: str, source: str, query: str,
    budget: Budget, llm: LLMSettings, max_bytes: int, **options: Any,
) -> int:  # fmt: skip
    """Run the pipeline, then print its result (JSON or readable); the exit code."""
    started = time.monotonic()
    try:
        run_id = run_pipeline(
            source, query, budget, llm, run_name, max_bytes, args.config, **options
        )
    except Exception as error:  # the run is recorded as failed in ZenML; report what we can
        print(f"error: the pipeline failed: {type(error).__name__}: {error}", file=sys.stderr)
        try:
            run_id = _run_id_by_name(run_name)
        except KeyError:
            return EXIT_RUN_FAILED
    result = result_json(run_id)
    telemetry_export(run_id)
    if args.json:
        out.write(json.dumps(result, default=str) + "\n")
    else:
        out.write(readable_summary(result, time.monotonic() - started) + "\n")
    out.flush()
    return 0 if result["status"] == "completed" else EXIT_RUN_FAILED


def telemetry_export(run_id: str) -> None:
    """One OpenTelemetry trace of the run when OTEL_EXPORTER_OTLP_ENDPOINT is set."""
    from pipeline import telemetry

    telemetry.export_if_enabled(run_id)


def _run_id_by_name(run_name: str) -> str:
    from zenml.client import Client

    return str(Client().get_pipeline_run(run_name).id)


if __name__ == "__main__":
    sys.exit(main())
