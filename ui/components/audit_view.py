"""The audit log on the Runs page: who launched, exported or marked runs failed, newest first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pipeline import audit

SHOWN = 200
COLUMNS = ["when", "action", "who", "corpus", "run", "detail"]


def audit_frame(entries: list[audit.AuditEntry]) -> pd.DataFrame:
    rows = [
        {
            "when": entry.at,
            "action": entry.action.replace("_", " "),
            "who": entry.who,
            "corpus": entry.corpus or "",
            "run": entry.run or "",
            "detail": entry.detail or "",
        }
        for entry in entries
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def render_audit_log() -> None:
    """The newest entries of `.rlm/audit.log` in a collapsed section."""
    entries = audit.read_entries(limit=SHOWN)
    with st.expander(f"Audit log ({len(entries)} most recent actions)", expanded=False):
        if not entries:
            st.caption("No launches, exports or runs marked failed yet.")
            return
        st.caption(f"Newest first; kept in {audit.audit_path()} (owner-only).")
        st.dataframe(
            audit_frame(entries),
            hide_index=True,
            key="audit_log",
            column_config={"when": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")},
        )
