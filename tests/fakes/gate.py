"""Held requests for the fake LLM server: concurrency asserted as a property, never by timing.

Two runs (or chunks) are concurrent when the server holds a request of each open at the same
moment, not when their timestamps happen to interleave on a fast machine. A `RequestGate` on a
`FakeLLMServer` makes that observable:

    gate = RequestGate(parties=3, tasks={"plan"})
    with FakeLLMServer(gate=gate) as server:
        ...  # three chunk steps each ask for a plan
    assert gate.opened_by == "parties"  # all three first calls were held open at once

A closed gate holds every matching chat request. It opens for good when requests from
`parties` distinct groups are held at the same moment, when a test calls `release()`, or when
the server stops. `max_hold_s` is only a safety net so that a broken test fails (with
`opened_by == "max_hold"`) instead of hanging; it never decides a passing test.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Collection, Hashable

OPENED_BY = ("parties", "release", "stop", "max_hold")


class RequestGate:
    """Holds matching chat requests until a condition a test names is met (see the module doc).

    parties: open when requests of this many distinct groups are held at once (None: only
        `release()` opens the gate).
    tasks: the tasks held (`plan`, `reflect`, ...); None holds every chat request.
    group: `prompt -> group key`; a request whose key is None is not held. By default every
        request is its own group, so `parties=N` means N requests held at once.
    """

    def __init__(
        self,
        parties: int | None = None,
        *,
        tasks: Collection[str] | None = None,
        group: Callable[[str], Hashable | None] | None = None,
        max_hold_s: float = 300.0,
    ) -> None:
        if parties is not None and parties < 1:
            raise ValueError(f"parties must be >= 1, got {parties}")
        self.parties = parties
        self.tasks = frozenset(tasks) if tasks is not None else None
        self.group = group
        self.max_hold_s = max_hold_s
        self.opened_by: str | None = None
        self.held_peak = 0  # most distinct groups ever held at the same moment
        self.held_total = 0  # requests that waited at the gate
        self._held: Counter[Hashable] = Counter()
        self._numbers = itertools.count()
        self._condition = threading.Condition()

    @property
    def is_open(self) -> bool:
        return self.opened_by is not None

    def hold(self, task: str | None, prompt: str) -> None:
        """Called by the server for each chat request: returns when the request may proceed."""
        if self.is_open or (self.tasks is not None and task not in self.tasks):
            return
        key = self.group(prompt) if self.group is not None else next(self._numbers)
        if key is None:
            return
        with self._condition:
            if self.opened_by is not None:
                return
            self._held[key] += 1
            self.held_total += 1
            self.held_peak = max(self.held_peak, len(self._held))
            if self.parties is not None and len(self._held) >= self.parties:
                self._open("parties")
            self._condition.notify_all()
            try:
                if not self._condition.wait_for(lambda: self.is_open, timeout=self.max_hold_s):
                    self._open("max_hold")
            finally:
                self._held[key] -= 1
                if self._held[key] <= 0:
                    del self._held[key]

    def release(self, reason: str = "release") -> None:
        """Open the gate for good: every held request proceeds, later ones are not held."""
        with self._condition:
            self._open(reason)

    def wait_held(self, groups: int = 1, timeout_s: float = 300.0) -> bool:
        """Block until requests of `groups` distinct groups are held at once (True), the gate
        opens first, or `timeout_s` passes (False): the arrival signal a test waits on."""
        with self._condition:
            self._condition.wait_for(
                lambda: self.held_peak >= groups or self.is_open, timeout=timeout_s
            )
            return self.held_peak >= groups

    def _open(self, reason: str) -> None:
        if self.opened_by is None:
            self.opened_by = reason
        self._condition.notify_all()
