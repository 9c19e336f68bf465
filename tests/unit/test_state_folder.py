"""The state folder is owner-only: folders 0700, files 0600, whoever creates them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import state_folder
from pipeline.launch import launch_run
from pipeline.schemas import Budget, LLMSettings
from tests.fakes.llm_server import FakeLLMServer


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def loose_umask() -> None:
    """A permissive umask, as a shared machine may have: the helpers must not depend on it."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_state_dir_creates_every_level_owner_only(tmp_path: Path, loose_umask) -> None:
    root = tmp_path / ".rlm"
    folder = state_folder.state_dir("library", "by-hash", root=root)
    assert folder == root / "library" / "by-hash"
    for level in (root, root / "library", folder):
        assert mode(level) == 0o700, level


def test_existing_loose_folder_is_tightened(tmp_path: Path) -> None:
    root = tmp_path / ".rlm"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    state_folder.state_dir("uploads", root=root)
    assert mode(root) == 0o700 and mode(root / "uploads") == 0o700


def test_private_files_are_0600_and_writes_are_atomic(tmp_path: Path, loose_umask) -> None:
    target = tmp_path / "state" / "nested" / "basket.json"
    state_folder.write_private(target, '{"items": []}')
    assert target.read_text() == '{"items": []}'
    assert mode(target) == 0o600 and mode(target.parent) == 0o700
    assert [p.name for p in target.parent.iterdir()] == ["basket.json"]  # no .part left

    log = tmp_path / "state" / "run.log"
    log.write_text("old\n")
    os.chmod(log, 0o644)
    with state_folder.open_private(log, "a") as handle:
        handle.write("new\n")
    assert log.read_text() == "old\nnew\n" and mode(log) == 0o600
    with pytest.raises(ValueError, match="writes only"):
        state_folder.open_private(log, "r")


def test_secure_tree_tightens_an_older_checkout(tmp_path: Path) -> None:
    root = tmp_path / ".rlm"
    (root / "zenml" / "local_stores").mkdir(parents=True)
    files = [root / "zenml" / "zenml.db", root / "zenml" / "local_stores" / "corpus.parquet"]
    for path in files:
        path.write_bytes(b"mail")
        os.chmod(path, 0o644)
    for folder in (root, root / "zenml", root / "zenml" / "local_stores"):
        os.chmod(folder, 0o755)
    outside = tmp_path / "shared.txt"
    outside.write_text("not ours to change")
    os.chmod(outside, 0o644)
    (root / "link").symlink_to(outside)

    assert state_folder.secure_tree(root) == 5
    for path in files:
        assert mode(path) == 0o600
    for folder in (root, root / "zenml", root / "zenml" / "local_stores"):
        assert mode(folder) == 0o700
    assert mode(outside) == 0o644  # a symlink is not followed
    assert state_folder.secure_tree(root) == 0  # nothing left to change


def test_processes_we_start_create_owner_only_files(tmp_path: Path, loose_umask) -> None:
    """After `zenml_env.configure()` (every entry point calls it) files that other code creates
    with plain `open`/`mkdir` are owner-only too, and so are those of child processes."""
    code = (
        "import os, subprocess, sys\n"
        "from pipeline import zenml_env\n"
        f"zenml_env.configure({str(tmp_path / 'zenml')!r})\n"
        f"os.mkdir({str(tmp_path / 'made_here')!r})\n"
        f"open({str(tmp_path / 'made_here' / 'file.txt')!r}, 'w').write('x')\n"
        f"subprocess.run(['touch', {str(tmp_path / 'by_child.txt')!r}], check=True)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=state_folder.REPO_ROOT)
    assert mode(tmp_path / "zenml") == 0o700
    assert mode(tmp_path / "made_here") == 0o700
    assert mode(tmp_path / "made_here" / "file.txt") == 0o600
    assert mode(tmp_path / "by_child.txt") == 0o600


def test_launch_files_are_owner_only(tmp_path: Path, loose_umask) -> None:
    """The launch folder, its logs and launch.json are private even under a loose umask."""
    with FakeLLMServer() as server:
        handle = launch_run(
            "/nonexistent/mail.json",  # the run fails at once: we only look at the files
            "Who?",
            Budget(max_chunks=1, max_iterations=2),
            LLMSettings(mode="llm", base_url=server.base_url),
            launch_root=tmp_path / "launches",
        )
    folder = Path(handle.log_path).parent
    assert mode(tmp_path / "launches") == 0o700 and mode(folder) == 0o700
    for name in ("stderr.log", "stdout.json", "launch.json"):
        assert mode(folder / name) == 0o600, name
    os.waitpid(handle.pid, 0)


def test_rlm_state_dir_moves_the_whole_state_folder(tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    env = {**os.environ, "RLM_STATE_DIR": str(moved)}
    code = (
        "from pipeline import audit, launch, state_folder\n"
        "print(state_folder.STATE_ROOT)\n"
        "print(launch.LAUNCH_ROOT)\n"
        "print(audit.audit_path())\n"
        "print(state_folder.state_dir('library'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=state_folder.REPO_ROOT,
    ).stdout.splitlines()
    assert out[0] == str(moved) and out[1] == str(moved / "launches")
    assert out[2] == str(moved / "audit.log")
    assert out[3] == str(moved / "library") and state_folder.is_owner_only(moved / "library")


def test_the_test_session_never_writes_into_the_checkouts_state_folder() -> None:
    assert state_folder.STATE_ROOT != state_folder.REPO_ROOT / ".rlm"
    assert os.environ["RLM_STATE_DIR"] == str(state_folder.STATE_ROOT)
