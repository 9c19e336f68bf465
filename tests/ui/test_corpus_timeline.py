"""The Timeline's cited-email markers: close ones stack so each stays visible and clickable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ui.components.corpus_timeline import marker_rows

DAY = timedelta(days=1)
T0 = datetime(2024, 7, 1, tzinfo=UTC)


def test_markers_closer_than_the_gap_stack_and_far_ones_share_the_bottom_row() -> None:
    dates = [T0 + 3 * DAY, T0, T0 + DAY, T0 + 40 * DAY, T0 + 2 * DAY]
    rows = marker_rows(dates, min_gap=5 * DAY)
    assert rows == [3, 0, 1, 0, 2]  # the first four days stack; day 40 is clear of day 0


def test_a_row_is_reused_once_its_last_marker_is_far_enough() -> None:
    dates = [T0, T0 + DAY, T0 + 6 * DAY, T0 + 7 * DAY]
    assert marker_rows(dates, min_gap=5 * DAY) == [0, 1, 0, 1]
    # no two markers of one row closer than the gap, whatever the order given
    rows = marker_rows(list(reversed(dates)), min_gap=5 * DAY)
    for row in set(rows):
        placed = sorted(d for d, r in zip(reversed(dates), rows, strict=True) if r == row)
        assert all(b - a >= 5 * DAY for a, b in zip(placed, placed[1:], strict=False))


def test_no_dates_no_rows_and_a_zero_gap_keeps_one_row() -> None:
    assert marker_rows([], min_gap=DAY) == []
    assert marker_rows([T0, T0, T0], min_gap=timedelta(0)) == [0, 0, 0]
