"""Threads rebuilt from headers and from the subject fallback, quoted text, who-emails-whom
counts, and the stored corpus index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.desk import corpus_index as load_or_build
from pipeline.desk import index_path
from pipeline.state_folder import is_owner_only, write_private
from tools import people
from tools.corpus_index import CorpusIndex
from tools.models import Corpus, Email
from tools.threads import (
    ThreadFields,
    assign_threads,
    normalise_subject,
    person_key,
    split_quoted,
)

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def _at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def test_headers_join_replies_and_references_across_subject_changes():
    emails = [
        ThreadFields("a", _at(0), message_id="<a@x>", subject="Budget"),
        ThreadFields("b", _at(1), message_id="<b@x>", in_reply_to="<a@x>", subject="Re: Budget"),
        # subject changed, and its parent is missing: References still names the root
        ThreadFields("c", _at(2), message_id="<c@x>", reference="<a@x>", subject="new topic"),
        ThreadFields("d", _at(3), message_id="<d@x>", in_reply_to="<c@x>", subject="Re: new"),
        ThreadFields("z", _at(4), message_id="<z@x>", subject="Budget 2025"),
    ]
    keys = assign_threads(emails)
    assert keys == {"a": "a", "b": "a", "c": "a", "d": "a", "z": "z"}


def test_thread_key_is_the_first_email_even_when_a_reply_is_listed_first():
    emails = [
        ThreadFields("reply", _at(5), message_id="<r@x>", in_reply_to="<root@x>"),
        ThreadFields("root", _at(1), message_id="<root@x>"),
    ]
    assert assign_threads(emails) == {"reply": "root", "root": "root"}


def test_conversation_ids_join_without_message_ids():
    emails = [
        ThreadFields("a", _at(0), reference="thread-0001", subject="one"),
        ThreadFields("b", _at(1), reference="thread-0001", subject="two"),
        ThreadFields("c", _at(2), reference="thread-0002", subject="one"),
    ]
    keys = assign_threads(emails)
    assert keys["a"] == keys["b"] == "a" and keys["c"] == "c"


def test_fallback_joins_normalised_subject_and_shared_participants():
    dana, lee = "Dana <dana@x.com>", "lee@x.com"
    emails = [
        ThreadFields(
            "a", _at(0), message_id="<a@x>", subject="Budget Q3", participants=(dana, lee)
        ),
        ThreadFields("b", _at(1), subject="RE: re:  budget q3", participants=("LEE@x.com", dana)),
        # same subject, nobody in common: another conversation
        ThreadFields("c", _at(2), subject="Budget Q3", participants=("pat@z.com", "sam@z.com")),
        # no subject: never joined by subject
        ThreadFields("d", _at(3), subject="", participants=(dana, lee)),
        ThreadFields("e", _at(4), subject="", participants=(dana, lee)),
    ]
    keys = assign_threads(emails)
    assert keys["a"] == keys["b"] == "a"
    assert keys["c"] == "c" and keys["d"] == "d" and keys["e"] == "e"


def test_forwarded_mail_stays_with_its_conversation():
    emails = [
        ThreadFields("a", _at(0), subject="Valve report", participants=("ann@x", "bob@x")),
        # forwarded without reply headers to a new person: Bob links it
        ThreadFields("f", _at(1), subject="FW: Valve report", participants=("bob@x", "cy@x")),
        # forwarded by a client that keeps References
        ThreadFields(
            "g", _at(2), message_id="<g@x>", reference="<f@x>", subject="Fwd: Valve report"
        ),
        ThreadFields("h", _at(0), message_id="<f@x>", subject="Valve report (draft)"),
        # forwarded by someone outside it: a separate conversation
        ThreadFields("o", _at(3), subject="[Fwd] Valve report", participants=("eve@y", "joe@y")),
    ]
    keys = assign_threads(emails)
    assert keys["a"] == keys["f"] == "a"
    assert keys["g"] == keys["h"] == "h"
    assert keys["o"] == "o"


def test_normalise_subject_person_key_and_quoted_text():
    assert normalise_subject("Re: FW: Fwd:  Cedar  Memo") == "cedar memo"
    assert normalise_subject("RE[2]: AW: Plan") == "plan"
    assert person_key("Dana Smith <Dana.Smith@X.com>") == "dana.smith@x.com"
    assert person_key("  kim@y.com ") == "kim@y.com"
    assert person_key("Legal Team") == "legal team"
    own, quoted = split_quoted("Fine by me.\n\nOn Thu, Jan 5, Kevin wrote:\n> Can we meet?\n")
    assert own == "Fine by me." and quoted.startswith("On Thu") and "> Can we meet?" in quoted
    own, quoted = split_quoted("See below\n-----Original Message-----\nFrom: a\nhello")
    assert own == "See below" and quoted.startswith("-----Original Message-----")
    own, quoted = split_quoted("FYI\n---------- Forwarded message ---------\nFrom: b")
    assert own == "FYI" and "Forwarded message" in quoted
    assert split_quoted("No quotes here.\nJust text.") == ("No quotes here.\nJust text.", "")


def test_message_counts_volumes_and_top_graph():
    senders = ["Ann <ann@x>", "ann@x", "bob@x", "cy@x", "ann@x", ""]
    recipients = [
        ["bob@x", "Bob <BOB@x>", "cy@x"],  # bob listed twice: one message
        ["bob@x"],
        ["ann@x"],
        ["ann@x", "cy@x"],  # to self: not an edge
        ["dee@x"],
        ["bob@x"],  # no sender: not counted
    ]
    counts = people.message_counts(senders, recipients)
    assert counts == {
        ("ann@x", "bob@x"): 2,
        ("ann@x", "cy@x"): 1,
        ("bob@x", "ann@x"): 1,
        ("cy@x", "ann@x"): 1,
        ("ann@x", "dee@x"): 1,
    }
    volume = people.volumes(counts)
    assert volume == {"ann@x": 6, "bob@x": 3, "cy@x": 2, "dee@x": 1}
    graph = people.top_graph(counts, top_n=3)
    assert set(graph.nodes) == {"ann@x", "bob@x", "cy@x"}
    assert graph["ann@x"]["bob@x"]["weight"] == 2 and graph.nodes["ann@x"]["volume"] == 6
    assert not graph.has_edge("ann@x", "dee@x")
    positions = people.layout(graph)
    assert positions == people.layout(graph) and set(positions) == set(graph.nodes)


def _email(email_id: str, hours: int, sender: str, to: tuple[str, ...], **extra) -> Email:
    return Email(id=email_id, date=_at(hours), sender=sender, to=to, **extra)


@pytest.fixture
def corpus() -> Corpus:
    return Corpus(
        [
            _email("m1", 0, "ann@x", ("bob@x",), subject="Plan", message_id="<1@x>"),
            _email("m2", 1, "bob@x", ("ann@x",), subject="Re: Plan", in_reply_to="<1@x>"),
            _email("m3", 2, "cy@x", ("ann@x", "bob@x"), subject="Lunch"),
            _email("m4", 3, "ann@x", ("bob@x",), subject="RE: Plan", thread_id="<1@x>"),
        ]
    )


def test_corpus_index_is_built_once_and_read_back(corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("RLM_DESK_DIR", str(tmp_path))
    index = load_or_build(corpus)
    assert index.thread_ids("m2") == ["m1", "m2", "m4"] and index.thread_ids("m3") == ["m3"]
    assert index.emails_of("Bob <bob@x>") == ["m1", "m2", "m3", "m4"]
    assert index.emails_of("cy@x", {"m1", "m2"}) == []
    assert index.message_counts({"m1", "m4"}) == {("ann@x", "bob@x"): 2}
    path = index_path(corpus.fingerprint())
    assert is_owner_only(path) and is_owner_only(path.parent)
    stored = CorpusIndex.load(path)
    assert stored is not None and stored.threads == index.threads and stored.dates == index.dates
    # a second call reads the file: a marker thread written into it comes back
    stored.threads[0] = "marker"
    write_private(path, stored.to_bytes())
    assert load_or_build(corpus).threads[0] == "marker"
