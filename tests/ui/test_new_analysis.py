"""New analysis through AppTest: opens ready on the bundled sample, widgets drive state,
uploads are previewed or refused with a clear message, and a launch hands the key to the
launcher only (never to the page or the upload folder)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline import audit, launch, state_folder
from pipeline.launch import LaunchHandle, LaunchStatus
from ui.components import corpus_preview

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")
KEY = "sk-test-SECRET-appt"


def _page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [t.value for t in at.text]
    parts += [e.value for e in (*at.info, *at.warning, *at.error, *at.success, *at.caption)]
    parts += [str(m.value) for m in at.metric]
    return "\n".join(parts)


@pytest.fixture
def app(zenml_store) -> AppTest:
    return AppTest.from_file(APP, default_timeout=120).run()


def test_opens_ready_on_the_sample_in_deterministic_mode(app):
    assert not app.exception and not app.error
    assert app.radio(key="corpus_choice").value == "sample"
    assert {m.label: m.value for m in app.metric}["Emails"] == "359"
    assert "Mode: **deterministic**" in _page_text(app)
    assert app.button(key="launch").disabled  # no question yet
    senders = app.dataframe[0].value  # the count first, so a long sender never hides it
    assert list(senders.columns) == ["emails", "top senders"]
    assert senders["emails"].is_monotonic_decreasing and senders["emails"].iloc[0] > 1


def test_widgets_drive_session_state(app):
    example = app.selectbox(key="example_query").options[2]
    app.selectbox(key="example_query").select(example).run()
    assert app.text_area(key="query").value == example
    app.slider(key="max_chunks").set_value(7).run()
    app.slider(key="max_iterations").set_value(3).run()
    assert (app.session_state["max_chunks"], app.session_state["max_iterations"]) == (7, 3)
    assert not app.button(key="launch").disabled

    app.text_input(key="base_url").input("http://127.0.0.1:9/v1").run()
    assert "Mode: **model** `gpt-4o-mini` at `http://127.0.0.1:9/v1`" in _page_text(app)
    app.switch_page("app_pages/runs.py").run()  # values survive a page switch
    app.switch_page("app_pages/new_analysis.py").run()
    assert app.slider(key="max_chunks").value == 7
    assert app.text_area(key="query").value == example


def test_a_bad_upload_is_refused_with_what_to_do(app):
    app.radio(key="corpus_choice").set_value("upload").run()
    app.file_uploader(key="upload_file").set_value(("notes.json", b"{oops", "application/json"))
    app.run()
    assert not app.exception
    (error,) = app.error
    assert "notes\\.json could not be read" in error.value
    assert "or pick the bundled sample" in error.value and "Traceback" not in error.value
    assert app.button(key="launch").disabled


def test_an_upload_is_previewed_with_its_problems(app):
    rows = [
        {
            "id": "a1",
            "date": "2024-01-02T10:00:00+00:00",
            "from": "x@example.com",
            "subject": "Hi",
            "body": "one",
        },
        {
            "id": "a2",
            "date": "2024-02-03T10:00:00+00:00",
            "from": "y@example.com",
            "subject": "Yo",
            "body": "two",
        },
        "not an email",
    ]
    app.radio(key="corpus_choice").set_value("upload").run()
    app.file_uploader(key="upload_file").set_value(
        ("mail.json", json.dumps(rows).encode(), "application/json")
    )
    app.run()
    assert not app.exception and not app.error
    assert {m.label: m.value for m in app.metric}["Emails"] == "2"
    assert "2024-01-02" in _page_text(app) and "2024-02-03" in _page_text(app)
    assert app.warning, "the problems table is announced"
    assert len(app.dataframe) == 2  # top senders and the problems


def test_launch_passes_the_key_to_the_launcher_only(app, monkeypatch, tmp_path):
    calls = []

    def fake_launch_run(
        source_path, query, budget, llm, *, api_key=None, share_server_key=True, run_name=None
    ):
        calls.append(
            {"source": source_path, "query": query, "budget": budget, "llm": llm, "key": api_key,
             "share": share_server_key}
        )  # fmt: skip
        log = tmp_path / "stderr.log"
        log.write_text(
            'Traceback (most recent call last):\n  File "x.py"\nerror: the pipeline failed: '
            "APIConnectionError: Connection error.\n"
        )
        return LaunchHandle(run_name="rlm-not-in-store", pid=2**22 + 7, log_path=str(log),
                            started_at=datetime.now(UTC))  # fmt: skip

    monkeypatch.setattr(launch, "launch_run", fake_launch_run)
    monkeypatch.setattr(
        launch, "launch_status",
        lambda handle, api_key=None: LaunchStatus("exited", 1, Path(handle.log_path).read_text()),
    )  # fmt: skip
    monkeypatch.setattr(corpus_preview, "UPLOAD_DIR", tmp_path / "uploads")
    monkeypatch.setattr(state_folder, "STATE_ROOT", tmp_path / "state")  # the audit log

    data = json.dumps([{"id": "k1", "from": "a@b.c", "subject": "s", "body": "b"}]).encode()
    app.radio(key="corpus_choice").set_value("upload").run()
    app.file_uploader(key="upload_file").set_value(("box.json", data, "application/json")).run()
    app.text_area(key="query").input("Who wrote?").run()
    app.text_input(key="api_key_input").input(KEY).run()
    assert app.text_input(key="api_key_input").value == ""  # never sent back to the browser
    assert app.session_state["api_key"] == KEY
    assert "An API key is set for this browser session." in _page_text(app)
    app.slider(key="max_chunks").set_value(2).run()
    app.button(key="launch").click().run()

    (call,) = calls
    assert call["key"] == KEY and call["llm"].mode == "llm" and call["budget"].max_chunks == 2
    assert call["share"] is True  # local use: the server's key may be used, as before
    saved = Path(call["source"])
    assert saved.parent == tmp_path / "uploads" and saved.read_bytes() == data
    assert saved.name == f"{corpus_preview.sha256_of(data)}.json"
    assert KEY.encode() not in b"".join(p.read_bytes() for p in saved.parent.iterdir())
    assert "key" not in call["llm"].model_dump_json().lower()
    (entry,) = audit.read_entries()  # the launch is audited: who, what, on which corpus
    assert (entry.action, entry.run) == ("launch", "rlm-not-in-store")
    assert entry.corpus == f"box.json ({saved.name})" and entry.who.startswith("local session ")
    assert "Who wrote?" in entry.detail
    assert KEY not in audit.audit_path().read_text()

    # The run never showed up: the failure is explained, without the traceback or the key.
    assert app.session_state["selected_run"] == "rlm-not-in-store"
    sidebar = " ".join(c.value for c in app.sidebar.caption)  # drawn before the click: rerun
    assert "rlm\\-not\\-in\\-store · starting" in sidebar and "None yet" not in sidebar, sidebar
    (error,) = app.error
    assert "The run could not start" in error.value and "could not be reached" in error.value
    assert "Traceback" not in error.value
    assert KEY not in _page_text(app)


def test_a_launch_that_raises_is_shown_as_a_message(app, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(launch, "launch_run", refuse)
    app.text_area(key="query").input("Anything?").run()
    app.button(key="launch").click().run()
    assert not app.exception
    (error,) = app.error
    assert "The run could not start" in error.value and "no space left on device" in error.value
    assert app.session_state["active_launch"] is None
