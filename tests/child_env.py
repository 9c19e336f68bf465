"""The environment tests give the processes they start (CLI runs, Streamlit servers).

A child starts without model credentials or workbench settings (`OPENAI_*`, `RLM_*`), so no
developer's key, endpoint, auth or data folder leaks into a test, except the test session's own
throwaway state and desk folders (`RLM_STATE_DIR`, `RLM_DESK_DIR`, set in `tests/conftest.py`):
what a child writes there (audit log, launch logs, library memo, basket) is what the test reads,
and never the checkout's `.rlm/`.
"""

from __future__ import annotations

import os

DROPPED_PREFIXES = ("OPENAI_", "RLM_")
KEPT = ("RLM_STATE_DIR", "RLM_DESK_DIR")


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment minus model and workbench settings (but `KEPT`), plus `extra`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name in KEPT or not name.startswith(DROPPED_PREFIXES)
    }
    env.update(extra)
    return env
