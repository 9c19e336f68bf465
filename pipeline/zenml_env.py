"""Project-local ZenML configuration, applied before `zenml` is imported anywhere.

Every entry point (CLI, launcher, tests) calls `configure()` first, so ZenML state lives in
`.rlm/zenml` inside the repo (or wherever ZENML_CONFIG_PATH already points), analytics stay off,
and step sources resolve against the repo root, not Streamlit's `__main__`. The store holds
confidential mail, so its folder is owner-only and so is everything this process and its children
create (umask 077, see `pipeline.state_folder`).
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline import ast_guard, state_folder

REPO_ROOT = state_folder.REPO_ROOT
DEFAULT_CONFIG_PATH = state_folder.STATE_ROOT / "zenml"


def configure(config_path: str | os.PathLike[str] | None = None) -> Path:
    """Set the ZenML environment variables for this process (and its children); return the
    config folder. An explicit `config_path` wins over an inherited ZENML_CONFIG_PATH."""
    state_folder.restrict_umask()
    ast_guard.install()  # ZenML parses step sources in many threads at once
    path = Path(config_path or os.environ.get("ZENML_CONFIG_PATH") or DEFAULT_CONFIG_PATH)
    state_folder.make_private_dir(path)
    os.environ["ZENML_CONFIG_PATH"] = str(path)
    os.environ["ZENML_ANALYTICS_OPT_IN"] = "false"
    os.environ["ZENML_CUSTOM_SOURCE_ROOT"] = str(REPO_ROOT)
    os.environ.setdefault("ZENML_LOGGING_VERBOSITY", "WARN")
    os.environ.setdefault("ZENML_ENABLE_RICH_TRACEBACK", "false")
    os.environ.setdefault("ZENML_DYNAMIC_PIPELINE_WORKER_COUNT", "10")
    return path


def open_store() -> None:
    """Open the configured store (on first use: create and migrate the database) under a file
    lock, so two processes starting at once (the workbench and its dashboard server) never both
    create it. Call `configure()` first."""
    import fcntl

    from zenml.client import Client

    lock_path = Path(os.environ["ZENML_CONFIG_PATH"]) / ".store-open.lock"
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            Client().zen_store  # noqa: B018 - the property access creates and migrates the store
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
