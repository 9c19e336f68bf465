"""Evidence bundles of a real run: every file of the zip checked, the .eml files parsed back with
`email.parser` (ids, headers, subjects, bodies), the manifest's hashes and citations, the basket's
tags and notes, and the shell command."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from pipeline.export import MANIFEST_COLUMNS, eml_name, to_eml
from tests.pipeline.conftest import write_records
from tools.basket import Basket
from tools.models import Attachment, Email

pytestmark = [pytest.mark.pipeline]

REPO_ROOT = Path(__file__).resolve().parents[2]
QUERY = "Who raised concerns about the MV-7 valve wall loss?"
ODD = {
    "id": "odd/id 1",
    "date": "2023-06-02T10:00:00+02:00",
    "from": "Zoë Ünal <zoe@northwind-energy.example>",
    "to": ["ops@northwind-energy.example"],
    "subject": "MV-7 valve wall loss: naïve reading\nsecond line",
    "body": "MV-7 valve wall loss is worse than reported.\r\nLine two — ünïcödé.\n\n> quoted\n",
    "message_id": "<odd-1@northwind-energy.example>",
    "in_reply_to": "<root-1@northwind-energy.example>",
    "thread_id": "<root-1@northwind-energy.example>",
}


@pytest.fixture(scope="module")
def exported_run(zenml_store, sample_records, tmp_path_factory):
    from pipeline import runs
    from pipeline.run import run_pipeline
    from pipeline.schemas import Budget, LLMSettings

    folder = tmp_path_factory.mktemp("export")
    source = write_records(folder / "mail.json", [*sample_records, ODD])
    run_id = run_pipeline(
        str(source), QUERY, Budget(max_chunks=2, max_iterations=3), LLMSettings(), None, 10**8
    )
    view = runs.get_run(run_id)
    assert view.status == "completed"
    return run_id, view, runs.load_report(view), runs.load_corpus(view)


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n").rstrip("\n")


def test_eml_round_trip_keeps_headers_and_body():
    email = Email.model_validate(
        {**{k: v for k, v in ODD.items() if k != "from"}, "sender": ODD["from"], "date": None}
    ).model_copy(
        update={
            "attachments": (
                Attachment(
                    name="valve.pdf", content_type="application/pdf", size=2048, text="wall loss"
                ),
            )
        }
    )
    parsed = BytesParser(policy=policy.default).parsebytes(to_eml(email))
    assert parsed["X-RLM-Email-Id"] == "odd/id 1"
    assert parsed["Message-ID"] == ODD["message_id"]
    assert parsed["In-Reply-To"] == parsed["References"] == ODD["in_reply_to"]
    assert parsed["Subject"] == "MV-7 valve wall loss: naïve reading second line"
    assert parsed["From"].addresses[0].addr_spec == "zoe@northwind-energy.example"
    assert parsed["Date"] is None  # unknown: left out, never invented
    assert parsed["X-RLM-Attachment"] == "valve.pdf; application/pdf; 2048 bytes"
    assert _normal(parsed.get_content()) == _normal(ODD["body"])
    assert eml_name("odd/id 1").startswith("emails/odd-id-1-") and eml_name("nw-1") == (
        "emails/nw-1.eml"
    )


def test_bundle_of_a_real_run_holds_every_file(exported_run, tmp_path):
    from pipeline import audit, runs
    from pipeline.export import export_run

    run_id, view, report, corpus = exported_run
    basket = Basket(tmp_path / "basket.sqlite3")
    pinned = corpus.get(ODD["id"])
    basket.pin(corpus.fingerprint(), pinned, run_id)
    basket.set_tags(corpus.fingerprint(), ODD["id"], ["key", "follow-up"])
    basket.set_note(corpus.fingerprint(), ODD["id"], "Zoë, note with, commas")
    out = tmp_path / "bundle.zip"
    summary = export_run(run_id, out, basket=basket)

    wanted = list(dict.fromkeys([*report.cited_ids, ODD["id"]]))
    assert summary.emails == len(wanted) and summary.missing == []
    with zipfile.ZipFile(out) as bundle:
        names = set(bundle.namelist())
        trajectories = {f"trajectories/{c.id}.json" for c in view.chunks}
        emls = {eml_name(i) for i in wanted}
        assert names == {"report.md", "report.html", "manifest.csv"} | trajectories | emls
        assert bundle.read("report.md").decode() == runs.load_report_markdown(view)
        assert bundle.read("report.html").decode() == runs.load_report_html(view)
        for name in trajectories:
            loaded = json.loads(bundle.read(name))
            assert loaded["chunk_id"] == Path(name).stem and loaded["query"] == QUERY
        rows = list(csv.DictReader(io.StringIO(bundle.read("manifest.csv").decode())))
        assert tuple(rows[0]) == MANIFEST_COLUMNS
        assert [row["id"] for row in rows] == wanted
        citing = {
            i: [str(n) for n, f in enumerate(report.findings, 1) if i in f.evidence_ids]
            for i in wanted
        }
        emails = runs.load_emails(view, wanted)
        for row in rows:
            email = emails[row["id"]]
            eml = bundle.read(eml_name(row["id"]))
            assert row["eml_sha256"] == hashlib.sha256(eml).hexdigest()
            assert row["cited_by_findings"] == "; ".join(citing[row["id"]])
            assert row["message_id"] == (email.message_id or "")
            assert row["from"] == email.sender and row["subject"] == email.subject
            parsed = BytesParser(policy=policy.default).parsebytes(eml)
            assert parsed["X-RLM-Email-Id"] == email.id
            assert parsed["Message-ID"] == email.message_id
            assert parsed["Subject"] == " ".join(email.subject.split())
            assert parsed["Date"].datetime == email.date
            assert _normal(parsed.get_content()) == _normal(email.body)
        odd = next(row for row in rows if row["id"] == ODD["id"])
        assert odd["tags"] == "key; follow-up" and odd["notes"] == "Zoë, note with, commas"
        assert any(row["cited_by_findings"] for row in rows), "the report cites something"

    exports = [e for e in audit.read_entries() if e.action == audit.EXPORT and e.run == view.name]
    assert exports and exports[0].corpus == corpus.fingerprint()  # newest first

    pinned_out = tmp_path / "pinned.zip"
    export_run(run_id, pinned_out, basket=basket, pinned_only=True)
    with zipfile.ZipFile(pinned_out) as bundle:
        assert [n for n in bundle.namelist() if n.startswith("emails/")] == [eml_name(ODD["id"])]


def test_export_from_the_shell(exported_run, zenml_store, tmp_path):
    run_id, view, report, _ = exported_run
    env = {**os.environ, "ZENML_CONFIG_PATH": str(zenml_store)}
    out = tmp_path / "shell.zip"
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.export", view.name, "--out", str(out)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"run {view.name}" in done.stdout
    with zipfile.ZipFile(out) as bundle:
        assert {eml_name(i) for i in report.cited_ids} <= set(bundle.namelist())
    missing = subprocess.run(
        [sys.executable, "-m", "pipeline.export", "no-such-run", "--out", str(tmp_path / "x.zip")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and "error: no run named" in missing.stderr
    assert not (tmp_path / "x.zip").exists()
