"""Evidence bundles: one .zip that someone else can read and verify without the workbench.

    python -m pipeline.export RUN_ID --out bundle.zip [--pinned-only] [--tag key]

A bundle of a run holds `report.md` and `report.html`, `manifest.csv` (one row per email: id,
message-id, date, from, to, subject, tags, notes, sha256 of its .eml, the findings citing it),
`emails/<id>.eml` (each email written back as an RFC 822 message with its original headers where
known) and `trajectories/<chunk>.json`. Its emails are the ones the report cites plus those
pinned in the evidence basket for the run's corpus (`--pinned-only`: the pinned ones alone,
optionally only those with `--tag`). Every export is written to the audit log. Call `pipeline.zenml_env.configure()` before using it (the
CLI does).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import logging
import sys
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import IO

from pipeline.report_render import anchor_id
from pipeline.schemas import Report
from tools.basket import Basket, BasketItem
from tools.models import Email

logger = logging.getLogger(__name__)

MANIFEST_COLUMNS = (
    "id",
    "message_id",
    "date",
    "from",
    "to",
    "subject",
    "tags",
    "notes",
    "eml_sha256",
    "cited_by_findings",
)
EXIT_NOT_FOUND = 2


@dataclass(frozen=True)
class BundleSummary:
    run_name: str
    emails: int
    trajectories: int
    missing: list[str]  # ids asked for that the corpus does not hold


def eml_name(email_id: str) -> str:
    """`emails/<id>.eml`, the id made safe for a file name (a hash keeps it unique)."""
    return f"emails/{anchor_id(email_id).removeprefix('email-')}.eml"


def _header_text(value: str) -> str:
    return " ".join(value.split())  # headers may not hold line breaks


def to_eml(email: Email) -> bytes:
    """The email as an RFC 822 message: its own headers where known, the body as UTF-8 text,
    `X-RLM-Email-Id` carrying the workbench id and one `X-RLM-Attachment` (name; type; size)
    per attachment the original had (the corpus keeps their text, not their bytes)."""
    message = EmailMessage(policy=policy.SMTP)
    headers = [
        ("Message-ID", email.message_id or ""),
        ("Date", format_datetime(email.date) if email.date else ""),
        ("From", email.sender),
        ("To", ", ".join(email.to)),
        ("Cc", ", ".join(email.cc)),
        ("Bcc", ", ".join(email.bcc)),
        ("Subject", email.subject),
        ("In-Reply-To", email.in_reply_to or ""),
        ("References", reference if (reference := email.thread_id or "").startswith("<") else ""),
        ("X-RLM-Email-Id", email.id),
        ("X-RLM-Folder", email.folder or ""),
    ]
    for attachment in email.attachments:  # its bytes are not kept: named, never invented
        headers.append(
            (
                "X-RLM-Attachment",
                f"{attachment.name or '(no name)'}; {attachment.content_type or 'unknown type'}; "
                f"{attachment.size} bytes",
            )
        )
    for name, value in headers:
        value = _header_text(value)
        if value:
            message[name] = value
    message.set_content(email.body or "", charset="utf-8")
    return message.as_bytes()


def build_bundle(
    sink: str | Path | IO[bytes],
    report: Report,
    report_markdown: str,
    report_html: str,
    emails: Mapping[str, Email],
    trajectories: Mapping[str, str],
    items: Sequence[BasketItem] = (),
) -> None:
    """Write the zip: `emails` in the manifest's order, annotated from basket `items`."""
    annotations = {item.email_id: item for item in items}
    citing: dict[str, list[str]] = {}
    for number, finding in enumerate(report.findings, 1):
        for email_id in finding.evidence_ids:
            citing.setdefault(email_id, []).append(str(number))
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(MANIFEST_COLUMNS)
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("report.md", report_markdown)
        bundle.writestr("report.html", report_html)
        for email_id, email in emails.items():
            eml = to_eml(email)
            bundle.writestr(eml_name(email_id), eml)
            item = annotations.get(email_id)
            writer.writerow(
                [
                    email.id,
                    email.message_id or "",
                    email.date.isoformat() if email.date else "",
                    email.sender,
                    "; ".join(email.to),
                    email.subject,
                    "; ".join(item.tags) if item else "",
                    item.note if item else "",
                    hashlib.sha256(eml).hexdigest(),
                    "; ".join(citing.get(email_id, [])),
                ]
            )
        for chunk_id, trajectory_json in sorted(trajectories.items()):
            bundle.writestr(f"trajectories/{chunk_id}.json", trajectory_json)
        bundle.writestr("manifest.csv", manifest.getvalue())


def export_run(
    run_id: str,
    sink: str | Path | IO[bytes],
    *,
    pinned_only: bool = False,
    tag: str | None = None,
    basket: Basket | None = None,
    who: str | None = None,
) -> BundleSummary:
    """The bundle of a finished run (see the module docstring); raises KeyError for an unknown
    run and ValueError for a run without a report."""
    from pipeline import audit, desk, runs
    from pipeline.report_render import render_html, render_markdown

    view = runs.get_run(run_id)
    report = runs.load_report(view)
    corpus = runs.load_corpus(view)
    if report is None or corpus is None:
        raise ValueError(f"run {view.name} has no report to export (status {view.status})")
    items = (basket or desk.basket()).items(corpus.fingerprint(), tag=tag)
    wanted = [] if pinned_only else list(report.cited_ids)
    wanted += [item.email_id for item in items]
    wanted = list(dict.fromkeys(wanted))
    found = runs.load_emails(view, wanted)
    emails = {email_id: found[email_id] for email_id in wanted if email_id in found}
    markdown = runs.load_report_markdown(view) or render_markdown(report)
    html = runs.load_report_html(view) or render_html(report, emails)
    trajectories = {k: t.model_dump_json(indent=2) for k, t in runs.load_trajectories(view).items()}
    build_bundle(sink, report, markdown, html, emails, trajectories, items)
    audit.record(
        audit.EXPORT,
        who=who,
        corpus=corpus.fingerprint(),
        run=view.name,
        detail=f"evidence bundle: {len(emails)} emails"
        + (" (pinned only)" if pinned_only else "")
        + (f", tag {tag}" if tag else ""),
    )
    missing = [email_id for email_id in wanted if email_id not in found]
    return BundleSummary(view.name, len(emails), len(trajectories), missing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.export", description="Write a run's evidence bundle (.zip)."
    )
    parser.add_argument("run", help="run id or name")
    parser.add_argument("--out", required=True, help="the .zip to write")
    parser.add_argument("--pinned-only", action="store_true", help="only the pinned emails")
    parser.add_argument("--tag", help="only pinned emails with this tag (with --pinned-only)")
    args = parser.parse_args(argv)
    from pipeline import zenml_env

    zenml_env.configure()
    out = Path(args.out)
    partial = out.with_name(out.name + ".partial")
    try:
        summary = export_run(args.run, partial, pinned_only=args.pinned_only, tag=args.tag)
    except (KeyError, ValueError) as error:
        partial.unlink(missing_ok=True)
        message = error.args[0] if error.args else str(error)
        print(f"error: {message}", file=sys.stderr)
        return EXIT_NOT_FOUND
    partial.replace(out)
    print(
        f"{out}: run {summary.run_name}, {summary.emails} emails, "
        f"{summary.trajectories} trajectories"
        + (f"; not in the corpus: {', '.join(summary.missing)}" if summary.missing else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
