"""Open from this machine through AppTest: the data root is listed, a maildir folder is
previewed and launched, and paths outside the root (typed, or through a symbolic link) are
refused with a clear message."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline import launch
from pipeline.launch import LaunchHandle, LaunchStatus
from ui.components import local_source

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")


def write_maildir(root: Path) -> None:
    """An Enron-style tree: user/folder/N. files written by the email package."""
    for folder, number, sender in (("inbox", 1, "dana"), ("inbox", 2, "lee"), ("sent", 1, "ana")):
        msg = EmailMessage()
        msg["From"] = f"{sender}@northwind.com"
        msg["To"] = "ops@northwind.com"
        msg["Subject"] = f"Valve report {folder} {number}"
        msg["Date"] = f"Thu, {10 + number} Mar 2024 09:05:00 +0000"
        msg.set_content("The valve inspection is attached.")
        path = root / "ruiz-d" / folder / f"{number}."
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(msg.as_bytes())


@pytest.fixture
def data_root(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "mailboxes"
    write_maildir(root / "enron")
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.json").write_text('[{"from": "x@y", "subject": "secret", "body": "b"}]')
    (root / "escape").symlink_to(outside)
    monkeypatch.setenv(local_source.DATA_DIR_ENV, str(root))
    return root


@pytest.fixture
def app(zenml_store, data_root) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.radio(key="corpus_choice").set_value("local").run()
    return at


def test_data_root_is_listed_and_a_maildir_folder_previewed(app, data_root):
    assert not app.exception
    options = app.selectbox(key="local_pick").options
    assert {"enron/", "enron/ruiz-d/", "escape/"} <= set(options)
    app.selectbox(key="local_pick").select("enron/").run()
    assert not app.exception and not app.error
    assert {m.label: m.value for m in app.metric}["Emails"] == "3"
    assert any("enron · format folder" in c.value for c in app.caption)


def test_paths_outside_the_root_are_refused_with_what_to_do(app, data_root):
    app.selectbox(key="local_pick").select("escape/").run()
    (error,) = app.error
    assert "leads outside the data folder" in error.value
    assert "through a symbolic link" in error.value
    assert app.button(key="launch").disabled

    app.text_input(key="local_path").input("../private/secret.json").run()
    (error,) = app.error
    assert "leads outside the data folder" in error.value and "secret" not in str(app.metric)
    app.text_input(key="local_path").input(str(data_root.parent / "private")).run()
    assert "leads outside the data folder" in app.error[0].value


def test_launch_on_a_folder_from_the_data_root(app, data_root, monkeypatch, tmp_path):
    calls = []

    def fake_launch_run(source_path, query, budget, llm, *, api_key=None, run_name=None, **_):
        calls.append(source_path)
        return LaunchHandle(run_name="rlm-local", pid=2**22 + 9, log_path=str(tmp_path / "log"),
                            started_at=datetime.now(UTC))  # fmt: skip

    monkeypatch.setattr(launch, "launch_run", fake_launch_run)
    monkeypatch.setattr(launch, "launch_status", lambda h, api_key=None: LaunchStatus("running"))
    app.text_input(key="local_path").input("enron/ruiz-d").run()
    assert {m.label: m.value for m in app.metric}["Emails"] == "3"
    app.text_area(key="query").input("Who reported on the valve?").run()
    app.button(key="launch").click().run()
    assert not app.exception
    assert calls == [str((data_root / "enron" / "ruiz-d").resolve())]
    assert app.session_state["selected_run"] == "rlm-local"
