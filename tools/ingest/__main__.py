"""Command line: `python -m tools.ingest PATH [--json] [--max-mb N] [--parquet OUT]`; PATH is a
file in any supported form or a folder (read recursively).

Prints how many emails were read, their date range, the top senders, the detected format and
every problem (a table, or one JSON object with --json). Exits 0 when at least one email was
loaded, 2 otherwise with the reason on stderr. `--parquet OUT` also writes the corpus to OUT
as Parquet and, with --json, prints the `ParquetIngest` report that `ingest_isolated` reads.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from tools.ingest import progress
from tools.ingest.core import DEFAULT_MAX_BYTES, MEGABYTE, IngestResult, ingest_path
from tools.ingest.isolated import ParquetIngest, ingest_to_parquet
from tools.ingest.problems import IngestError, IngestProblem


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.ingest", description="Read an email file and report what was loaded."
    )
    parser.add_argument(
        "path",
        help="a file (JSON, JSONL, CSV, mbox, .eml, .msg, zip/tar, Parquet, Arrow) or a folder",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of a table"
    )
    parser.add_argument(
        "--max-mb",
        type=float,
        default=DEFAULT_MAX_BYTES / MEGABYTE,
        help=f"largest input accepted, in MB (default {DEFAULT_MAX_BYTES / MEGABYTE:g}, or RLM_MAX_UPLOAD_MB)",
    )
    parser.add_argument(
        "--parquet", metavar="OUT", help="also write the corpus to this Parquet file"
    )
    return parser


def _problem_rows(problems: list[IngestProblem]) -> list[dict[str, str]]:
    return [problem.model_dump() for problem in problems]


def _print_table(result: IngestResult) -> None:
    summary = result.summary()
    print(f"{summary['source']}: {summary['emails']:,} emails (format: {summary['format']})")
    if summary["date_range"]:
        print(f"date range: {summary['date_range'][0]} .. {summary['date_range'][1]}")
    else:
        print("date range: no dated emails")
    if summary["top_senders"]:
        print("top senders:")
        for sender, count in summary["top_senders"]:
            print(f"  {count:>8,}  {sender}")
    print(f"problems: {summary['rejected']:,} rejected, {summary['repaired']:,} repaired")
    _print_problems(result.problems)


def _print_problems(problems: list[IngestProblem]) -> None:
    if not problems:
        return
    width = min(40, max(len(f"{p.source} {p.location}") for p in problems))
    for problem in problems:
        where = f"{problem.source} {problem.location}"
        print(f"  {problem.severity:<8}  {where:<{width}}  {problem.reason}")


def _parquet_line(report: ParquetIngest) -> str:
    return (
        f"{report.source}: {report.summary['emails']:,} emails (format: {report.format}) "
        f"written to {report.parquet}; problems: {report.rejected_count:,} rejected, "
        f"{report.repaired_count:,} repaired"
    )


def _progress_to_stderr() -> None:
    """Progress lines of a large input go to stderr (the isolated ingestion forwards them)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    progress_logger = logging.getLogger(progress.__name__)
    progress_logger.addHandler(handler)
    progress_logger.setLevel(logging.INFO)
    progress_logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _progress_to_stderr()
    if not args.max_mb > 0:
        print("--max-mb must be a positive number", file=sys.stderr)
        return 2
    max_bytes = int(args.max_mb * MEGABYTE)
    try:
        if args.parquet:
            report = ingest_to_parquet(args.path, args.parquet, max_bytes=max_bytes)
            print(report.model_dump_json() if args.json else _parquet_line(report))
            return 0
        result = ingest_path(args.path, max_bytes=max_bytes)
    except IngestError as error:
        print(f"error: {error}", file=sys.stderr)
        if args.json:
            print(json.dumps({"source": args.path, "error": str(error), "emails": 0,
                              "problems": _problem_rows(error.problems)}))  # fmt: skip
        elif error.problems:
            _print_problems(error.problems)
        return 2
    if args.json:
        print(json.dumps({**result.summary(), "problems": _problem_rows(result.problems),
                          "problem_count": result.rejected_count + result.repaired_count}))  # fmt: skip
    else:
        _print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
