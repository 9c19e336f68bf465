"""The corpus library on New analysis (AppTest): every corpus an analysis ingested is listed;
picking one launches an analysis on it by id (no file is saved or read); removing one takes it
out of the list."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipeline import launch, library
from pipeline.launch import LaunchHandle, LaunchStatus

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")


def test_picking_a_library_corpus_launches_an_analysis_on_it(finished_run, monkeypatch, tmp_path):
    corpus_id = finished_run["corpus"]["id"]  # the session's CLI run ingested the sample
    calls = []

    def fake_launch_run(source_path, query, budget, llm, *, api_key=None, corpus_id=None, **_):
        calls.append({"source": source_path, "query": query, "corpus_id": corpus_id})
        return LaunchHandle(run_name="rlm-library-pick", pid=2**22 + 9,
                            log_path=str(tmp_path / "stderr.log"), started_at=datetime.now(UTC))  # fmt: skip

    monkeypatch.setattr(launch, "launch_run", fake_launch_run)
    monkeypatch.setattr(
        launch, "launch_status", lambda handle, api_key=None: LaunchStatus("running")
    )

    app = AppTest.from_file(APP, default_timeout=120).run()
    app.radio(key="corpus_choice").set_value("library").run()
    assert not app.exception
    picker = app.selectbox(key="library_corpus")
    assert any(corpus_id[:8] in label for label in picker.options)
    picker.select(corpus_id).run()
    assert app.selectbox(key="library_corpus").value == corpus_id
    assert {m.label: m.value for m in app.metric}["Emails"] == "359"
    app.text_area(key="query").input("Who approved the valve deferral?").run()
    app.button(key="launch").click().run()

    (call,) = calls
    assert call["corpus_id"] == corpus_id and call["source"] == ""
    assert call["query"] == "Who approved the valve deferral?"
    assert app.session_state["selected_run"] == "rlm-library-pick"


def test_a_removed_corpus_leaves_the_library(finished_run, zenml_store):
    from zenml.utils.tag_utils import add_tags

    app = AppTest.from_file(APP, default_timeout=120).run()
    app.radio(key="corpus_choice").set_value("library").run()
    before = {entry.id: entry for entry in library.entries()}
    picked = app.selectbox(key="library_corpus").value
    assert picked in before
    try:
        app.button(key="library_remove").click().run()
        assert not app.exception
        assert {entry.id for entry in library.entries()} == set(before) - {picked}
        if len(before) == 1:
            assert "The library is empty" in " ".join(info.value for info in app.info)
        else:
            labels = app.selectbox(key="library_corpus").options
            assert all(picked[:8] not in label for label in labels)
    finally:  # put it back for the other tests of the session
        tags = [library.LIBRARY_TAG, library.source_tag(before[picked].source_sha256)]
        add_tags(tags=tags, artifact_version_id=before[picked].id)
    assert picked in {entry.id for entry in library.entries()}
