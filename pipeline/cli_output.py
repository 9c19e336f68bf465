"""What `python -m pipeline.run` prints when a run ends: the JSON contract (`result_json`, read
back from the ZenML store, with the corpus the run used) and the readable summary.
"""

from __future__ import annotations

from typing import Any

from pipeline.cost_text import cost_text


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
