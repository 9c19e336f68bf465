"""The analyst's desk through AppTest, on a real finished run: a cited email opens in its thread
and is pinned and tagged there; People lists a person's emails; Timeline marks the cited emails;
Evidence lists, filters and bundles the basket."""

from __future__ import annotations

import io
import zipfile

import pytest

from pipeline import desk
from tools.basket import Basket
from ui import routes, state
from ui.components.pin_controls import key_id
from ui.components.safe_text import md_escape, short

pytestmark = pytest.mark.pipeline


def _clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _first_cited(finished_run: dict) -> str:
    return finished_run["report"]["findings"][0]["evidence_ids"][0]


@pytest.fixture
def basket(tmp_path, monkeypatch) -> Basket:
    monkeypatch.setenv("RLM_DESK_DIR", str(tmp_path))
    return desk.basket()


def test_a_cited_email_opens_in_its_thread_and_is_pinned_and_tagged(
    open_page, finished_run, basket
):
    email_id = _first_cited(finished_run)
    at = open_page(routes.REPORT, run_id=finished_run["run_id"])
    at.button(key="finding_0_0").click().run()
    _clean(at)
    assert any(c.value.startswith("Thread of ") for c in at.caption)
    key = key_id(email_id)
    pin = at.button(key=f"pin_thread_{key}")
    assert pin.label == "Pin to evidence"
    pin.click().run()
    _clean(at)
    tags = at.multiselect(key=f"tags_thread_{key}")
    tags.set_value(["key", "my theory"]).run()
    at.text_area(key=f"note_thread_{key}").input("Check the date").run()
    _clean(at)
    ((corpus, count),) = basket.corpora()
    item = basket.get(corpus, email_id)
    assert count == 1 and item.tags == ["key", "my theory"] and item.note == "Check the date"
    assert item.run_id == finished_run["run_id"]


def test_people_page_lists_a_persons_emails(open_page, finished_run):
    at = open_page(routes.PEOPLE, run_id=finished_run["run_id"])
    _clean(at)
    assert at.get("plotly_chart")
    picker = at.selectbox(key=state.PEOPLE_PERSON)
    person = picker.options[0]
    picker.select(person).run()
    _clean(at)
    corpus_line = next(m.value for m in at.markdown if m.value.startswith("**In the corpus:**"))
    assert int(corpus_line.split()[-2]) > 0
    assert at.button(key="person_corpus_0")
    at.segmented_control(key=state.PEOPLE_SCOPE).set_value("run").run()
    _clean(at)
    assert at.get("plotly_chart")


def test_timeline_page_marks_cited_emails_and_chunks(open_page, finished_run):
    at = open_page(routes.TIMELINE, run_id=finished_run["run_id"])
    _clean(at)
    assert at.get("plotly_chart")
    cited = len(finished_run["report"]["cited_ids"])
    assert any(f"the {cited} emails the report cites" in c.value for c in at.caption)
    from pipeline import runs

    first = finished_run["report"]["cited_ids"][0]
    email = runs.load_emails(runs.get_run(finished_run["run_id"]), [first])[first]
    hover = at.button(key="timeline_cited_0").help  # what the email is, before opening it
    assert md_escape(email.date.strftime("%Y-%m-%d %H:%M")) in hover
    assert md_escape(short(email.subject, 90)) in hover and "Open this email" in hover
    at.button(key="timeline_cited_0").click().run()
    _clean(at)
    assert any(c.value.startswith("Thread of ") for c in at.caption)


def test_evidence_page_lists_filters_and_bundles(open_page, finished_run, basket):
    at = open_page(routes.EVIDENCE)
    _clean(at)
    assert any("Nothing pinned yet" in i.value for i in at.info)

    from pipeline import runs

    view = runs.get_run(finished_run["run_id"])
    corpus = runs.load_corpus(view)
    ids = finished_run["report"]["cited_ids"][:2]
    for email_id, tags in zip(ids, (["key"], ["follow-up"]), strict=True):
        basket.pin(corpus.fingerprint(), corpus.get(email_id), view.run_id)
        basket.set_tags(corpus.fingerprint(), email_id, tags)

    at = open_page(routes.EVIDENCE)
    _clean(at)
    assert any(c.value.startswith("2 pinned emails") for c in at.caption)
    when = corpus.get(ids[0]).date.strftime("%Y-%m-%d %H:%M")  # no "T" between date and time
    shown = [m.value.replace("\\", "") for m in at.markdown]  # md_escape's backslashes off
    assert any(f"{ids[0]} · {when} · " in text for text in shown), when
    at.selectbox(key=state.EVIDENCE_TAG).select("follow-up").run()
    _clean(at)
    assert any(c.value.startswith("1 pinned email,") for c in at.caption)
    at.button(key="build_basket_bundle").click().run()
    _clean(at)
    download = at.get("download_button")
    assert [d.proto.label for d in download] == ["Download evidence bundle"]


def test_report_offers_a_run_bundle(open_page, finished_run):
    from pipeline.export import export_run

    at = open_page(routes.REPORT, run_id=finished_run["run_id"])
    at.button(key="build_run_bundle").click().run()
    _clean(at)
    assert len(at.get("download_button")) == 4
    buffer = io.BytesIO()
    export_run(finished_run["run_id"], buffer)
    with zipfile.ZipFile(buffer) as bundle:
        assert "manifest.csv" in bundle.namelist()
