"""`pipeline.memory`: the weighted semaphore that makes big chunk steps take turns in one process,
and the estimate of a chunk's memory from its stored size."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.memory import BYTES_PER_EMAIL, MemoryBudget, estimate_chunk_bytes
from tools.models import Corpus, Email
from tools.stored import StoredCorpus, corpus_summary

WAIT_S = 10  # safety net only: every wait below is ended by an event, not by time


def _hold(budget: MemoryBudget, n_bytes: int, entered: threading.Event, release: threading.Event,
          log: list[str], name: str, waiting: threading.Event | None = None) -> threading.Thread:  # fmt: skip
    def on_wait(held: int) -> None:
        log.append(f"{name} waits ({held})")
        if waiting is not None:
            waiting.set()

    def work() -> None:
        with budget.reserve(n_bytes, on_wait=on_wait):
            log.append(f"{name} in")
            entered.set()
            release.wait(WAIT_S)
        log.append(f"{name} out")

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_reservations_that_fit_run_together_and_the_rest_wait_their_turn() -> None:
    budget = MemoryBudget(100)
    log: list[str] = []
    a_in, b_in, c_in = threading.Event(), threading.Event(), threading.Event()
    release_a, release_b, release_c = threading.Event(), threading.Event(), threading.Event()
    a = _hold(budget, 60, a_in, release_a, log, "a")
    assert a_in.wait(WAIT_S)
    b = _hold(budget, 30, b_in, release_b, log, "b")  # 60 + 30 fits
    assert b_in.wait(WAIT_S) and budget.reserved_bytes == 90
    c_waits = threading.Event()
    c = _hold(budget, 50, c_in, release_c, log, "c", c_waits)  # 90 + 50 does not
    assert c_waits.wait(WAIT_S)
    assert "c waits (90)" in log
    assert not c_in.is_set()
    release_b.set()
    b.join(WAIT_S)
    assert not c_in.is_set()  # 60 + 50 still does not fit
    release_a.set()
    a.join(WAIT_S)
    assert c_in.wait(WAIT_S) and budget.reserved_bytes == 50
    release_c.set()
    c.join(WAIT_S)
    assert budget.reserved_bytes == 0
    assert log.index("c in") > log.index("a out") > log.index("c waits (90)")
    assert log.count("c waits (90)") == 1 and not any(x.startswith(("a w", "b w")) for x in log)


def test_a_reservation_bigger_than_the_budget_runs_alone() -> None:
    budget = MemoryBudget(100)
    with budget.reserve(500):
        assert budget.reserved_bytes == 500
    assert budget.reserved_bytes == 0


def test_the_budget_is_released_when_the_work_fails() -> None:
    budget = MemoryBudget(100)
    with pytest.raises(RuntimeError), budget.reserve(80):
        raise RuntimeError("chunk failed")
    assert budget.reserved_bytes == 0


def test_zero_capacity_never_waits() -> None:
    budget = MemoryBudget(0)
    waits: list[int] = []
    with budget.reserve(10**12), budget.reserve(10**12, on_wait=waits.append):
        assert budget.reserved_bytes == 2 * 10**12
    assert waits == []


def test_estimate_follows_the_stored_size_of_the_range(tmp_path: Path) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    emails = [
        Email(id=f"m{i:03d}", date=base + timedelta(hours=i),
              body=("long text " * 400) if i >= 50 else "short")
        for i in range(100)
    ]  # fmt: skip
    corpus = Corpus(emails)
    path = tmp_path / "c.parquet"
    corpus.write_parquet(str(path), row_group_size=10)
    stored = StoredCorpus.from_file(path, corpus_summary(corpus))
    short, long = estimate_chunk_bytes(stored, 0, 50), estimate_chunk_bytes(stored, 50, 100)
    assert 0 < short < long and long > 50 * 4_000  # bodies of 4,000 characters weigh in
    assert estimate_chunk_bytes(stored, 0, 100) == pytest.approx(short + long, rel=0.01)
    assert estimate_chunk_bytes(corpus, 10, 30) == 20 * BYTES_PER_EMAIL  # not stored: per email
