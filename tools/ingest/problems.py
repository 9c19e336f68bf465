"""What went wrong while reading a corpus: per-record `IngestProblem`s and the whole-file `IngestError`.

`ProblemLog` collects problems during one ingestion. A corpus with half a million naive dates would
otherwise carry half a million identical reports, so each kind of problem keeps its first
`DETAILED_PER_KIND` occurrences and folds the rest into one closing line that says how many more
there were. The true totals stay available as `rejected` and `repaired`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["rejected", "repaired"]

DETAILED_PER_KIND = 100


class IngestProblem(BaseModel):
    """One record that was dropped ("rejected") or kept after a fix ("repaired")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    location: str
    severity: Severity
    reason: str

    def describe(self) -> str:
        return f"{self.source} {self.location}: {self.severity}: {self.reason}"


class IngestError(ValueError):
    """Nothing usable could be read (unreadable, oversized, unknown format, zero emails).

    The message says what and where; `problems` lists the record-level problems seen before giving up.
    """

    def __init__(self, message: str, problems: Iterable[IngestProblem] = ()):
        super().__init__(message)
        self.problems: list[IngestProblem] = list(problems)


class ProblemLog:
    """Collects problems of one ingestion, keeping the first few of each kind in full."""

    def __init__(self, detailed_per_kind: int = DETAILED_PER_KIND):
        self.detailed_per_kind = detailed_per_kind
        self._problems: list[IngestProblem] = []
        self._seen_per_kind: Counter[str] = Counter()
        self._folded: dict[str, tuple[str, Severity, str]] = {}
        self.rejected = 0
        self.repaired = 0

    def add(
        self, source: str, location: str, severity: Severity, reason: str, kind: str = ""
    ) -> None:
        """Record a problem; `kind` groups similar problems for folding (defaults to the reason)."""
        if severity == "rejected":
            self.rejected += 1
        else:
            self.repaired += 1
        kind = f"{severity}:{kind or reason}"
        self._seen_per_kind[kind] += 1
        if self._seen_per_kind[kind] <= self.detailed_per_kind:
            self._problems.append(
                IngestProblem(source=source, location=location, severity=severity, reason=reason)
            )
        elif kind not in self._folded:
            self._folded[kind] = (source, severity, reason)

    def reject(self, source: str, location: str, reason: str, kind: str = "") -> None:
        self.add(source, location, "rejected", reason, kind)

    def repair(self, source: str, location: str, reason: str, kind: str = "") -> None:
        self.add(source, location, "repaired", reason, kind)

    @property
    def total(self) -> int:
        return self.rejected + self.repaired

    def first_rejection(self) -> IngestProblem | None:
        return next((p for p in self._problems if p.severity == "rejected"), None)

    def problems(self) -> list[IngestProblem]:
        """The detailed problems, then one line per kind that had more than were kept."""
        folded = []
        for kind, (source, severity, example) in self._folded.items():
            more = self._seen_per_kind[kind] - self.detailed_per_kind
            folded.append(
                IngestProblem(
                    source=source,
                    location=f"{more:,} more records",
                    severity=severity,
                    reason=f"same kind of problem as: {example}",
                )
            )
        return self._problems + folded
