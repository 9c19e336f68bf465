"""Progress of a long ingestion: emails so far, emails per second and the phase, logged every
few seconds (on stderr in the CLI) so half a million emails never look like a hang.

`IngestProgress.for_size(source, n_bytes)` returns a reporter only for inputs of at least
`PROGRESS_MIN_BYTES`; smaller ones ingest in a blink and get `None`. The child process of an
isolated ingestion prints the same lines (prefixed `PREFIX`) on its stderr, and the parent
forwards them to its own log (`tools.ingest.isolated`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

PREFIX = "ingest progress:"
PROGRESS_MIN_BYTES = 32 << 20
EVERY_S = 2.0
CHECK_EVERY_EMAILS = 1_000


class IngestProgress:
    """Counts emails and logs a line at most every `every_s` seconds, and at each new phase."""

    def __init__(
        self,
        source: str,
        *,
        every_s: float = EVERY_S,
        clock: Callable[[], float] = time.monotonic,
        emit: Callable[[str], None] | None = None,
    ):
        self.source = source
        self.every_s = every_s
        self._clock = clock
        self._emit = emit or logger.info
        self._started = clock()
        self._last = self._started
        self.phase_name = "reading"
        self.emails = 0

    @classmethod
    def for_size(cls, source: str, n_bytes: int) -> IngestProgress | None:
        return cls(source) if n_bytes >= PROGRESS_MIN_BYTES else None

    def phase(self, name: str) -> None:
        self.phase_name = name
        self._report()

    def count(self, emails: int) -> None:
        """`emails` read so far; cheap enough to call per email (checks the clock every 1,000)."""
        self.emails = emails
        if emails % CHECK_EVERY_EMAILS == 0 and self._clock() - self._last >= self.every_s:
            self._report()

    def line(self) -> str:
        elapsed = max(self._clock() - self._started, 1e-9)
        return (
            f"{PREFIX} {self.source}: {self.phase_name}, {self.emails:,} emails, "
            f"{self.emails / elapsed:,.0f} emails/s, {elapsed:.0f} s"
        )

    def _report(self) -> None:
        self._last = self._clock()
        self._emit(self.line())
