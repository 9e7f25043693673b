"""Status from pace for one published objective, as Home and `/okr show` show it: the
flags of `domain.pace`, and the numbers their words need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from okrbot.domain import pace
from okrbot.domain.quarters import Quarter


@dataclass(frozen=True)
class PaceFlags:
    behind_pace: bool
    stale: bool
    progress: float
    # The share of the quarter gone (0..1).
    expected: float
    stale_days: int = pace.DEFAULT_STALE_DAYS

    @property
    def any(self) -> bool:
        return self.behind_pace or self.stale


def flags(
    quarter: str,
    progress: float,
    last_check_in_at: datetime | None,
    published_at: datetime | None,
    today: date,
    *,
    points: float = pace.DEFAULT_BEHIND_PACE_POINTS,
) -> PaceFlags | None:
    """The flags of an objective of `quarter`, or None when `today` is not in it (a
    quarter over or to come has no pace to keep)."""
    try:
        period = Quarter.parse(quarter)
    except ValueError:
        return None
    if not period.contains(today):
        return None
    status = pace.pace_status(
        pace.PaceObjective(
            None,
            progress,
            last_check_in_at.date() if last_check_in_at else None,
            published_at.date() if published_at else None,
        ),
        period,
        today,
        points=points,
    )
    return PaceFlags(
        status.behind_pace, status.stale, progress, pace.expected_progress(period, today)
    )
