"""Status from pace: how far an objective is against how much of the quarter has gone.

Two flags sit beside the confidence an objective's owner chose, never in its place:

* **behind pace**: the objective's progress is more than `points` percentage points
  (25 unless configured) below the expected progress, which is the share of the
  quarter's days gone up to and including today (`Quarter.elapsed_fraction`). Exactly
  `points` behind is not behind.
* **stale**: no check-in for `days` days or more (14 unless configured), counted from
  the last check-in, or from publication for an objective never checked in; an
  objective with neither date known is stale.

Dates are the calendar dates where the reader lives: the caller turns timestamps into
local dates first (a `datetime` passed in is taken by its own date).

The digest counts both per team (`team_pace`) and charts each team's progress through
the quarter against the even pace (`pace_chart`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from okrbot.domain.progress import objective_progress
from okrbot.domain.quarters import Quarter

DEFAULT_BEHIND_PACE_POINTS = 25.0
DEFAULT_STALE_DAYS = 14
# Team lines in the chart; the others are merged into one "other" line.
CHART_TEAMS = 8


def expected_progress(quarter: Quarter, today: date) -> float:
    """The share of `quarter` gone by the end of `today`: 0.0 before it, 1.0 after it."""
    return quarter.elapsed_fraction(_day(today))


def behind_pace(
    progress: float, expected: float, points: float = DEFAULT_BEHIND_PACE_POINTS
) -> bool:
    """True when `progress` (0..1) is more than `points` percentage points below
    `expected` (0..1). The difference is rounded to 1e-9 points first, so float noise
    (0.35 - 0.1) does not decide a case right at the limit."""
    if not math.isfinite(points) or points < 0:
        raise ValueError(f"points must be a finite number of 0 or more, got {points}")
    return round((expected - progress) * 100, 9) > points


def stale(
    last_check_in: date | None,
    today: date,
    days: int = DEFAULT_STALE_DAYS,
    *,
    published: date | None = None,
) -> bool:
    """True when the objective has had no check-in for `days` days or more: counted from
    `last_check_in`, or from `published` when it was never checked in; with neither, it
    is stale (as the digest treats an unknown publication date: long ago)."""
    if days < 1:
        raise ValueError(f"days must be 1 or more, got {days}")
    since = last_check_in if last_check_in is not None else published
    if since is None:
        return True
    return (_day(today) - _day(since)).days >= days


@dataclass(frozen=True)
class PaceObjective:
    """What the pace of one published objective needs."""

    team: str | None
    progress: float
    last_check_in: date | None
    published: date | None = None


@dataclass(frozen=True)
class PaceStatus:
    behind_pace: bool
    stale: bool


def pace_status(
    objective: PaceObjective,
    quarter: Quarter,
    today: date,
    *,
    points: float = DEFAULT_BEHIND_PACE_POINTS,
    days: int = DEFAULT_STALE_DAYS,
) -> PaceStatus:
    """Both flags of one objective, for Home, `/okr show` and the digest."""
    return PaceStatus(
        behind_pace=behind_pace(objective.progress, expected_progress(quarter, today), points),
        stale=stale(objective.last_check_in, today, days, published=objective.published),
    )


@dataclass(frozen=True)
class TeamPace:
    """One team's line in the digest. `team` None: objectives of no team."""

    team: str | None
    objectives: int
    behind_pace: int
    stale: int
    progress: float


def team_pace(
    objectives: Sequence[PaceObjective],
    quarter: Quarter,
    today: date,
    *,
    points: float = DEFAULT_BEHIND_PACE_POINTS,
    days: int = DEFAULT_STALE_DAYS,
) -> tuple[TeamPace, ...]:
    """Per team: how many objectives, how many behind pace, how many stale, and the mean
    progress. Team names are trimmed, a blank one is no team; teams come by name
    (ignoring case), no team last."""
    expected = expected_progress(quarter, today)
    grouped: dict[str | None, list[PaceObjective]] = {}
    for objective in objectives:
        grouped.setdefault(team_key(objective.team), []).append(objective)
    result = []
    for team in sorted(grouped, key=_team_order):
        members = grouped[team]
        result.append(
            TeamPace(
                team=team,
                objectives=len(members),
                behind_pace=sum(behind_pace(o.progress, expected, points) for o in members),
                stale=sum(
                    stale(o.last_check_in, today, days, published=o.published) for o in members
                ),
                progress=objective_progress([o.progress for o in members]),
            )
        )
    return tuple(result)


@dataclass(frozen=True)
class TeamSeries:
    """One line of the chart. `team` None with `other` False: objectives of no team;
    `other` True: the teams beyond the chart's limit, merged."""

    team: str | None
    other: bool
    objectives: int
    # Progress (0..1) at the end of week 1, 2, ... so far.
    progress: tuple[float, ...]


@dataclass(frozen=True)
class PaceChart:
    weeks: int
    # The even pace at the end of week 0, 1, ... `weeks`: 0.0 up to 1.0.
    even_pace: tuple[float, ...]
    series: tuple[TeamSeries, ...]


def pace_chart(
    objectives: Sequence[tuple[str | None, Sequence[float]]],
    quarter: Quarter,
    *,
    teams: int = CHART_TEAMS,
) -> PaceChart:
    """The chart of each team's progress against the even pace.

    `objectives` is (team, progress at the end of each week so far) of every published
    objective, all series of the same length (ValueError otherwise). A team's line is
    the mean of its objectives' progress each week. With more than `teams` teams, the
    `teams` with the most objectives (then by name) get their own line and the rest one
    "other" line, the mean over all their objectives. Lines come by team name (ignoring
    case), no team after the teams, "other" last, so a team keeps its place (and colour)
    from week to week.
    """
    if teams < 1:
        raise ValueError(f"teams must be 1 or more, got {teams}")
    lengths = {len(series) for _team, series in objectives}
    if len(lengths) > 1:
        raise ValueError(f"every objective needs as many weeks, got {sorted(lengths)}")
    length = lengths.pop() if lengths else 0
    grouped: dict[str | None, list[Sequence[float]]] = {}
    for team, series in objectives:
        grouped.setdefault(team_key(team), []).append(series)
    shown = sorted(grouped, key=lambda t: (-len(grouped[t]), *_team_order(t)))[:teams]
    rest = [series for team in grouped if team not in shown for series in grouped[team]]
    lines = [
        TeamSeries(team, False, len(grouped[team]), _mean(grouped[team], length))
        for team in sorted(shown, key=_team_order)
    ]
    if rest:
        lines.append(TeamSeries(None, True, len(rest), _mean(rest, length)))
    weeks = quarter.weeks
    return PaceChart(
        weeks=weeks,
        even_pace=tuple(week / weeks for week in range(weeks + 1)),
        series=tuple(lines),
    )


def team_key(team: str | None) -> str | None:
    """A team's name as it groups objectives: trimmed; a blank name is no team."""
    if team is None:
        return None
    return team.strip() or None


def _team_order(team: str | None) -> tuple[bool, str, str]:
    return (team is None, (team or "").casefold(), team or "")


def _mean(series: Sequence[Sequence[float]], length: int) -> tuple[float, ...]:
    return tuple(objective_progress([s[week] for s in series]) for week in range(length))


def _day(moment: date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment
