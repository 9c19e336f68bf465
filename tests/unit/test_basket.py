"""The evidence basket: pin, tag, note, filter, per-corpus separation, and persistence across a
restart (a fresh process opening the same state folder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline import desk
from pipeline.state_folder import is_owner_only
from tools.basket import DEFAULT_TAGS, clean_tags
from tools.models import Email

REPO_ROOT = Path(__file__).resolve().parents[2]


def _email(email_id: str, day: int) -> Email:
    return Email(
        id=email_id,
        date=datetime(2024, 1, day, tzinfo=UTC),
        sender="dana@x.com",
        subject=f"Subject {email_id}",
    )


def test_pin_tag_note_filter_and_unpin(tmp_path, monkeypatch):
    monkeypatch.setenv("RLM_DESK_DIR", str(tmp_path))
    basket = desk.basket()
    assert basket.path == tmp_path / "evidence.sqlite3" and is_owner_only(basket.path)
    basket.pin("corpus-a", _email("e-2", 2), run_id="run-1")
    basket.pin("corpus-a", _email("e-1", 1), run_id="run-1")
    basket.pin("corpus-b", _email("e-1", 1), run_id="run-9")
    basket.set_tags("corpus-a", "e-1", ["Key", " follow-up ", "key", "", "my own tag"])
    basket.set_note("corpus-a", "e-1", "Dana forwarded it the day before.")
    basket.pin("corpus-a", _email("e-1", 1), run_id="run-2")  # pinning again keeps the item

    item = basket.get("corpus-a", "e-1")
    assert item is not None and item.run_id == "run-1"
    assert item.tags == ["key", "follow-up", "my own tag"]
    assert item.note == "Dana forwarded it the day before."
    assert [i.email_id for i in basket.items("corpus-a")] == ["e-1", "e-2"]  # date order
    assert [i.email_id for i in basket.items("corpus-a", tag="follow-up")] == ["e-1"]
    assert basket.items("corpus-a", tag="privileged") == []
    assert basket.get("corpus-b", "e-1").tags == []  # other corpus untouched
    assert dict(basket.corpora()) == {"corpus-a": 2, "corpus-b": 1}
    assert basket.tag_counts("corpus-a") == {"key": 1, "follow-up": 1, "my own tag": 1}

    basket.unpin("corpus-a", "e-2")
    assert basket.get("corpus-a", "e-2") is None
    with pytest.raises(KeyError, match="not pinned"):
        basket.set_note("corpus-a", "e-2", "gone")
    assert "privileged" in DEFAULT_TAGS and clean_tags(["A  b", "a b"]) == ["a b"]


def test_basket_survives_a_restart(tmp_path):
    """One process pins and tags; a new process, started later on the same state folder,
    reads it back."""
    env = {**os.environ, "RLM_DESK_DIR": str(tmp_path)}
    write = (
        "from datetime import UTC, datetime\n"
        "from pipeline.desk import basket\nfrom tools.models import Email\n"
        "b = basket()\n"
        "b.pin('fp', Email(id='nw-7', date=datetime(2024,1,3,tzinfo=UTC), subject='Valve'), 'r1')\n"
        "b.set_tags('fp', 'nw-7', ['key', 'privileged'])\nb.set_note('fp', 'nw-7', 'read twice')\n"
    )
    read = (
        "import json\nfrom pipeline.desk import basket\n"
        "i = basket().get('fp', 'nw-7')\n"
        "print(json.dumps([i.subject, i.tags, i.note, i.run_id]))\n"
    )
    for code in (write, read):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["Valve", ["key", "privileged"], "read twice", "r1"]
    assert (tmp_path / "evidence.sqlite3").exists()
