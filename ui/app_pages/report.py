"""Report: the synthesized answer of the selected run, its findings and citations, downloads."""

import streamlit as st

from ui import run_store
from ui.components.evidence_list import render_bundle_download
from ui.components.report_view import render_downloads, render_report
from ui.components.run_context import require_run
from ui.components.safe_text import md_escape
from ui.components.steering import render_follow_up_form, render_rerun_form, render_run_links
from ui.errors import page_guard

st.title("Report")

with page_guard("the report"):
    run = require_run()
    render_run_links(run)
    report = run_store.report(run)
    if report is None:
        if not run.finished:
            st.info("The run is still going; the report appears when every chunk has finished.")
        else:
            st.warning(f"Run {md_escape(run.name)} {run.status} without a report.")
            for chunk in run.chunks:
                if chunk.error:
                    st.error(f"**{md_escape(chunk.id)}**: {md_escape(chunk.error, max_chars=800)}")
    else:
        render_downloads(run, report)
        render_bundle_download(run, "run_bundle")
        render_report(run, report)
        render_follow_up_form(run)
    render_rerun_form(run)
