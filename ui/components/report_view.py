"""The synthesized report: answer, findings with confidence and clickable citations, evidence
gaps, failed chunks, and downloads (Markdown, HTML, JSON).

All report text comes from the model or from emails, so it is escaped before it reaches
Markdown; the HTML download is the pipeline's own (escaped) rendering, offered as a file only.
"""

from __future__ import annotations

import streamlit as st

from pipeline.cost_text import cost_text
from pipeline.schemas import Report
from pipeline.views import RunView
from ui import run_store
from ui.components.email_viewer import email_buttons
from ui.components.run_tree import render_finding_sources
from ui.components.safe_text import md_escape

CONFIDENCE_COLORS = {"high": "green", "medium": "orange", "low": "gray"}


def render_report(run: RunView, report: Report) -> None:
    st.markdown(f"### {md_escape(report.query)}")
    st.caption(
        f"Mode {md_escape(report.mode)} · model {md_escape(report.model)} · plan "
        f"{md_escape(report.plan_source or 'n/a')} · {report.totals.chunks} chunks · "
        f"{report.totals.llm_calls} LLM calls · {report.totals.input_tokens:,} / "
        f"{report.totals.output_tokens:,} tokens in / out · "
        f"{md_escape(cost_text(report.totals.cost_usd, report.totals.cost_known, report.model))}"
    )
    with st.container(border=True):
        st.markdown(md_escape(report.summary) or "_The run produced no summary._")

    st.subheader("Findings")
    results = run_store.chunk_results(run) if run.child_runs else {}
    if not report.findings:
        st.info("No findings: the chunks found no evidence for this question.")
    for index, finding in enumerate(report.findings):
        with st.container(border=True):
            st.badge(
                f"{finding.confidence} confidence",
                color=CONFIDENCE_COLORS.get(finding.confidence, "gray"),
            )
            st.markdown(md_escape(finding.text))
            if results:
                render_finding_sources(finding, results)
            email_buttons(run, finding.evidence_ids, key_prefix=f"finding_{index}")

    extra = [i for i in report.cited_ids if not any(i in f.evidence_ids for f in report.findings)]
    with st.expander(f"All cited emails ({len(report.cited_ids)})"):
        email_buttons(run, report.cited_ids, key_prefix="cited")
        if extra:
            st.caption(f"{len(extra)} cited outside the findings above.")

    st.subheader("Evidence gaps")
    if report.evidence_gaps:
        st.markdown("\n".join(f"- {md_escape(gap)}" for gap in report.evidence_gaps))
    else:
        st.caption("None reported.")

    if report.failed_chunks:
        st.subheader("Failed chunks")
        for failed in report.failed_chunks:
            st.warning(
                f"**{md_escape(failed.chunk_id)}**: {md_escape(failed.error, max_chars=800)}"
            )


def render_downloads(run: RunView, report: Report) -> None:
    stem = f"report-{run.name}"
    markdown = run_store.report_markdown(run)
    html = run_store.report_html(run)
    downloads = [
        ("Markdown", markdown, "md", "text/markdown"),
        ("HTML", html, "html", "text/html"),
        ("JSON", report.model_dump_json(indent=2), "json", "application/json"),
    ]
    row = st.container(horizontal=True, gap="small")
    for label, data, extension, mime in downloads:
        row.download_button(
            f"Download {label}",
            data=data or "",
            file_name=f"{stem}.{extension}",
            mime=mime,
            key=f"download_{label.lower()}",  # download_markdown, _html, _json
            disabled=not data,
            on_click="ignore",
        )
