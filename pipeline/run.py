"""Command line: run one `rlm_analysis` pipeline and print its result.

    python -m pipeline.run --source data/sample/northwind_mail.json \\
        --query "Who raised concerns about the valve inspection?" --max-chunks 4 --json
    python -m pipeline.run --corpus <library id> --query "..."
    python -m pipeline.run --rerun-of RUN --rerun-chunk chunk_01 [--sub-question "..."] \
        [--chunk-max-iterations 10]   # a new run; the other chunks come from cache
    python -m pipeline.run --follow-up-of RUN --query "..."   # same corpus, previous Q&A as context

A source whose content is already in the corpus library (`pipeline.library`, keyed on its
sha256) is not read again: the run uses the stored corpus. A local source has no size limit
(RLM_MAX_UPLOAD_MB is for browser uploads). Input is checked before any pipeline starts (missing
file, nothing ingestible, empty query, unknown library id): those exit with code 2 and one line
on stderr. With --json, stdout carries exactly one JSON
object; ZenML's own output goes to stderr. Exit code 1 when the run itself failed.
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
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pipeline import zenml_env
from pipeline.cost_text import cost_text
from pipeline.schemas import ApprovedPlan, Budget, LLMSettings
from pipeline.steering import FollowUp, Rerun

EXIT_RUN_FAILED = 1
EXIT_BAD_INPUT = 2
QUICK_CHECK_BYTES = 16 << 20  # files larger than this are checked from their head
LOCAL_MAX_BYTES = sys.maxsize  # a local path has no upload limit: any file the machine can hold


class BadInput(ValueError):
    """Input the CLI refuses before starting a pipeline."""


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


def is_remote(source: str) -> bool:
    """s3://, gs://, ... sources are read through the artifact store's filesystem."""
    return "://" in source


def file_fingerprint(path: str) -> str:
    """The corpus library's key for `path` (`pipeline.library.fingerprint`: sha256 of a file, or
    of a folder's files; remembered per path, size and mtime so an unchanged source is not hashed
    again). One key for every entry point, so a corpus ingested by one is reused by the others."""
    from pipeline import library

    return library.fingerprint(path)


def default_run_name() -> str:
    return f"rlm-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def check_input(source: str, query: str, max_bytes: int) -> None:
    """Refuse bad input before a pipeline starts: empty query, missing file, oversized file, a
    file with no usable email. A large file is judged from its first QUICK_CHECK_BYTES (the
    readers keep every complete record of a cut file), so the run does not ingest it twice; only
    when that head yields nothing is the whole file read to be sure."""
    from tools.ingest import IngestError, check_size, ingest_bytes, ingest_path

    if not query.strip():
        raise BadInput("the query is empty: pass --query with the question to investigate")
    if is_remote(source):
        return  # read by the load_corpus step on the remote stack, which reports problems
    path = Path(source)
    if not path.exists():
        raise BadInput(f"source file not found: {source}")
    if path.is_dir():  # a folder of mail files: ingest_path reads it
        try:
            found = len(ingest_path(str(path), max_bytes=max_bytes).corpus)
        except IngestError as error:
            raise BadInput(f"{source}: {error}") from None
        if found == 0:
            raise BadInput(f"{source}: no emails could be read from this folder")
        return
    if not path.is_file():
        raise BadInput(f"source is not a file or folder: {source}")
    try:
        size = path.stat().st_size
        check_size(size, path.name, max_bytes)
        if size > QUICK_CHECK_BYTES and not zipfile.is_zipfile(path):
            with path.open("rb") as handle:
                head = handle.read(QUICK_CHECK_BYTES)
            try:
                if len(ingest_bytes(head, path.name, max_bytes=max_bytes).corpus):
                    return
            except IngestError:
                pass  # the head alone proves nothing: read the whole file below
        found = len(ingest_path(str(path), max_bytes=max_bytes).corpus)
    except IngestError as error:
        raise BadInput(f"{source}: {error}") from None
    if found == 0:
        raise BadInput(f"{source}: no emails could be read from this file")


def budget_of(args: argparse.Namespace) -> Budget:
    return Budget(
        max_chunks=args.max_chunks,
        max_iterations=args.max_iterations,
        max_depth=args.max_depth,
        max_usd_total=args.max_usd,
        max_tokens_total=args.max_tokens,
    )


def read_plan(path: str) -> ApprovedPlan:
    """The reviewed plan in `path`; BadInput saying what is wrong when it cannot be used."""
    from pydantic import ValidationError

    try:
        return ApprovedPlan.model_validate_json(Path(path).read_bytes())
    except OSError as error:
        raise BadInput(f"cannot read the plan {path}: {error.strerror or error}") from None
    except ValidationError as error:
        raise BadInput(f"{path} is not a valid plan: {error.errors()[0]['msg']}") from None


def llm_settings(args: argparse.Namespace) -> LLMSettings:
    from pipeline.agent.llm import LLMConfigError, resolve_settings

    overrides: dict[str, Any] = {}
    if args.model:
        overrides["model"] = args.model
    if args.base_url:
        overrides.update(base_url=args.base_url, mode="llm")
    try:
        return resolve_settings(LLMSettings(**overrides))
    except LLMConfigError as error:
        raise BadInput(str(error)) from None


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


def resolve_corpus(args: argparse.Namespace, max_bytes: int) -> tuple[str, str, str | None]:
    """(source, its sha256, library corpus id or None) for the run; checks the input.

    A source whose content is in the library is not read (not even hashed again when its size
    and mtime are unchanged): the run reuses the stored corpus."""
    from pipeline import library

    if not args.query.strip():
        raise BadInput("the query is empty: pass --query with the question to investigate")
    if args.corpus:
        try:
            entry = library.get(args.corpus)
        except library.LibraryError as error:
            raise BadInput(str(error)) from None
        return entry.source, entry.source_sha256, entry.id
    source = args.source if is_remote(args.source) else str(Path(args.source).resolve())
    if not is_remote(source) and not Path(source).exists():
        raise BadInput(f"source file not found: {source}")
    try:
        sha256 = library.fingerprint(source)
    except OSError as error:
        raise BadInput(f"{source}: cannot be read ({error.strerror or error})") from None
    entry = library.find(sha256)
    if entry is not None:
        return source, sha256, entry.id
    check_input(source, args.query, max_bytes)
    return source, sha256, None


def corpus_json(run_id: str) -> dict[str, Any] | None:
    """Which corpus a run used and whether it came from the library, for --json."""
    from zenml.client import Client

    from pipeline import library
    from pipeline.metadata import LIBRARY_KEY

    used = Client().get_pipeline_run(run_id).run_metadata.get(LIBRARY_KEY)
    if not isinstance(used, dict) or not used.get("corpus_id"):
        return None
    result: dict[str, Any] = {"id": used["corpus_id"], "reused": bool(used.get("reused"))}
    try:
        entry = library.get(str(used["corpus_id"]))
    except library.LibraryError:
        return result
    return result | entry.model_dump(
        mode="json", include={"name", "source", "source_sha256", "emails", "uses"}
    )


def result_json(run_id: str) -> dict[str, Any]:
    """The CLI's JSON contract, read back from the ZenML store."""
    from pipeline import runs
    from pipeline.steering import run_links

    view = runs.get_run(run_id)
    report = runs.load_report(view)
    chunks = [
        {
            "id": c.id,
            "start": c.start,
            "end": c.end,
            "status": c.status,
            "cached": c.cached,
            "llm_calls": c.llm_calls,
            "input_tokens": c.input_tokens,
            "output_tokens": c.output_tokens,
            "cost_usd": c.cost_usd,
            "duration_s": c.duration_s,
            "started_at": c.started_at.isoformat() if c.started_at else None,
            "ended_at": c.ended_at.isoformat() if c.ended_at else None,
            "depth": c.depth,
            "parent": c.parent,
            "run_id": c.run_id,
            "split_reason": c.split_reason or None,
            "child_run_id": c.child_run_id,
        }
        for c in view.chunks
    ]
    report_json = None
    if report is not None:
        report_json = {
            "summary": report.summary,
            "findings": [f.model_dump() for f in report.findings],
            "cited_ids": report.cited_ids,
            "failed_chunks": [f.model_dump() for f in report.failed_chunks],
            "evidence_gaps": report.evidence_gaps,
            "plan_source": report.plan_source,
        }
    totals = report.totals if report is not None else view.totals
    return {
        "run_id": view.run_id,
        "run_name": view.name,
        "status": view.status,
        "mode": view.mode,
        "model": view.model,
        "error": view.error,
        "max_depth": view.max_depth,
        "chunks": chunks,
        "child_runs": [child.model_dump() for child in view.child_runs],
        "report": report_json,
        "totals": totals.model_dump() if totals else None,
        "corpus": corpus_json(view.run_id),
        "links": run_links(view.run_id).model_dump(mode="json"),
    }


def readable_summary(result: dict[str, Any], elapsed_s: float) -> str:
    lines = [
        f"Run {result['run_name']} ({result['run_id']}): {result['status']} in {elapsed_s:.1f}s, "
        f"mode {result['mode']} ({result['model']})"
    ]
    model = result["model"]
    corpus = result.get("corpus")
    if corpus:
        how = "reused from the library" if corpus["reused"] else "ingested into the library"
        lines.append(f"  corpus {corpus.get('name', '')} ({corpus['id']}): {how}")
    for c in result["chunks"]:
        cost = cost_text(c["cost_usd"], c["cost_usd"] is not None, model)
        lines.append(
            f"  {'  ' * (c['depth'] - 1)}{c['id']} emails {c['start']}..{c['end']}: {c['status']}, "
            f"{c['llm_calls']} calls, {c['input_tokens']}/{c['output_tokens']} tokens, "
            f"{cost}, {c['duration_s']:.1f}s"
        )
    totals = result["totals"]
    if totals:
        lines.append(
            f"  total: {totals['llm_calls']} calls, "
            f"{totals['input_tokens']}/{totals['output_tokens']} tokens in/out, "
            f"cost {cost_text(totals['cost_usd'], totals['cost_known'], model)}"
        )
    report = result["report"]
    if report:
        lines += ["", report["summary"], ""]
        for n, f in enumerate(report["findings"], 1):
            lines.append(f"  {n}. [{f['confidence']}] {f['text']} ({', '.join(f['evidence_ids'])})")
        for f in report["failed_chunks"]:
            lines.append(f"  FAILED {f['chunk_id']}: {f['error']}")
    if result.get("error"):
        lines.append(f"Error: {result['error']}")
    return "\n".join(lines)


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
