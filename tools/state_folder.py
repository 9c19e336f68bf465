"""The project's state folder (`.rlm/` at the repo root, or `RLM_STATE_DIR`), and the one place
files and folders inside it are created, so their permissions are set in one place.

Pure Python: no streamlit, zenml or openai imports.
"""

from __future__ import annotations

import os
from pathlib import Path

STATE_ENV = "RLM_STATE_DIR"
REPO_ROOT = Path(__file__).resolve().parent.parent
FOLDER_MODE = 0o700  # owner only: the folder holds evidence, notes and run state


def state_dir() -> Path:
    """The state folder: `RLM_STATE_DIR` when set, else `.rlm/` in the repo."""
    return Path(os.environ.get(STATE_ENV) or REPO_ROOT / ".rlm")


def state_path(*parts: str) -> Path:
    """`state_dir()/parts...`, with every folder up to it created (owner-only)."""
    path = state_dir().joinpath(*parts)
    folder = path.parent
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    return path
