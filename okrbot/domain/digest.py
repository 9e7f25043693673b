"""The Monday digest: where the company's OKRs stand, computed without Slack or storage.

Decisions worth knowing when reading a digest:

* A key result never checked in counts as 0 %; so does one that had no value a week
  ago (its start value is the baseline), which is exactly what last week's digest showed.
* An objective's week-on-week change is None only when it was published less than
  7 days before `now`: a week ago it did not exist, and comparing it with 0 % would
  report its whole progress as this week's gain.
* The company's change is the mean of the objectives' changes (those that have one),
  not "mean now minus mean a week ago": otherwise every newly published objective at
  0 % would show up as the company going backwards.
* An unknown `published_at` (None) is treated as "published long ago": the objective
  takes part in changes, and if it was never checked in its owner is stale.
* An owner is stale when *any* of their objectives has gone `stale_after_days` days
  without a check-in (counting from publication if it never had one). Check-ins are
  per objective, so an owner keeping one objective up to date while abandoning another
  still needs the nudge.

`now` and every datetime in the input must agree on being timezone-aware or naive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType

from okrbot.domain import pace
from okrbot.domain.checkin import Confidence
from okrbot.domain.okr import Level
from okrbot.domain.pace import TeamPace
from okrbot.domain.progress import kr_progress, objective_progress
from okrbot.domain.quarters import Quarter

NO_TEAM = "No team"
COUNT_KEYS = ("on_track", "at_risk", "off_track", "no_check_in")
DEFAULT_STALE_AFTER_DAYS = 7

_WEEK = timedelta(days=7)
# Confidence.urgency leaves 2 free for this: an objective nobody has checked in on is a
# bigger worry than one on track, but a smaller one than a declared risk.
_NO_CHECK_IN_URGENCY = 2


# Slots: a company's digest holds tens of thousands of these.
@dataclass(frozen=True, slots=True)
class DigestKR:
    start: float
    target: float
    # None: never checked in, which counts as no progress.
    current: float | None
    # None: no value yet a week ago, so the start value was the standing then.
    week_ago: float | None
    kind: str = "numeric"


@dataclass(frozen=True, slots=True)
class DigestObjective:
    id: int
    title: str
    owner_id: str
    owner_name: str | None
    team: str | None
    level: Level
    confidence: Confidence | None
    krs: tuple[DigestKR, ...]
    last_check_in: datetime | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class DigestRow:
    objective_id: int
    title: str
    owner_id: str
    owner_name: str | None
    progress: float
    change: float | None
    confidence: Confidence | None
    level: Level
    # Status from pace (domain.pace), beside the owner's confidence, never instead of it.
    behind_pace: bool = False
    stale: bool = False


@dataclass(frozen=True)
class TeamSection:
    name: str
    progress: float
    rows: tuple[DigestRow, ...]


@dataclass(frozen=True)
class Person:
    id: str
    name: str | None


@dataclass(frozen=True)
class Digest:
    quarter: str
    week: int
    weeks: int
    elapsed: float
    objectives: int
    progress: float
    change: float | None
    counts: Mapping[str, int]
    teams: tuple[TeamSection, ...]
    attention: tuple[DigestRow, ...]
    stale: tuple[Person, ...]
    # Carried along so the message can say "7+ days" without repeating the setting.
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS
    # Stale and behind-pace objectives, counted per team.
    team_pace: tuple[TeamPace, ...] = ()


def build_digest(
    quarter: Quarter,
    today: date,
    now: datetime,
    objectives: Sequence[DigestObjective],
    *,
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
    behind_pace_points: float = pace.DEFAULT_BEHIND_PACE_POINTS,
) -> Digest:
    """An objective behind pace or stale (domain.pace) needs attention whatever its
    confidence; its row says which, next to the confidence its owner chose."""
    expected = pace.expected_progress(quarter, today)
    rows = [_row(objective, now, today, expected, behind_pace_points) for objective in objectives]

    counts = dict.fromkeys(COUNT_KEYS, 0)
    for row in rows:
        counts[row.confidence.value if row.confidence else "no_check_in"] += 1

    changes = [row.change for row in rows if row.change is not None]

    # A digest may be built for a quarter that has not started or is already over
    # (a late run, a manual rerun); pin the week instead of refusing.
    pinned = min(max(today, quarter.first_day), quarter.last_day)

    return Digest(
        quarter=str(quarter),
        week=quarter.week_of(pinned),
        weeks=quarter.weeks,
        elapsed=quarter.elapsed_fraction(today),
        objectives=len(rows),
        progress=objective_progress([row.progress for row in rows]),
        change=sum(changes) / len(changes) if changes else None,
        counts=MappingProxyType(counts),
        teams=_teams(objectives, rows),
        attention=tuple(
            sorted(
                (
                    row
                    for row in rows
                    if _urgency(row) < _NO_CHECK_IN_URGENCY or row.behind_pace or row.stale
                ),
                key=_row_order,
            )
        ),
        stale=_stale(objectives, now, timedelta(days=stale_after_days)),
        stale_after_days=stale_after_days,
        team_pace=pace.team_pace(
            [
                pace.PaceObjective(
                    objective.team,
                    row.progress,
                    _date(objective.last_check_in),
                    _date(objective.published_at),
                )
                for objective, row in zip(objectives, rows, strict=True)
            ],
            quarter,
            today,
            points=behind_pace_points,
        ),
    )


def _date(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None


def _row(
    objective: DigestObjective, now: datetime, today: date, expected: float, points: float
) -> DigestRow:
    progress = objective_progress(
        [kr_progress(kr.start, kr.target, kr.current, kr.kind) for kr in objective.krs]
    )
    change: float | None = None
    if objective.published_at is None or now - objective.published_at >= _WEEK:
        # kr_progress treats None as the start value, which is what "no value a week
        # ago" means.
        before = objective_progress(
            [kr_progress(kr.start, kr.target, kr.week_ago, kr.kind) for kr in objective.krs]
        )
        change = progress - before
    return DigestRow(
        objective_id=objective.id,
        title=objective.title,
        owner_id=objective.owner_id,
        owner_name=objective.owner_name,
        progress=progress,
        change=change,
        confidence=objective.confidence,
        level=objective.level,
        behind_pace=pace.behind_pace(progress, expected, points),
        stale=pace.stale(
            _date(objective.last_check_in), today, published=_date(objective.published_at)
        ),
    )


def _urgency(row: DigestRow) -> int:
    return row.confidence.urgency if row.confidence else _NO_CHECK_IN_URGENCY


def _row_order(row: DigestRow) -> tuple[int, float, str, int]:
    # The id last keeps the order stable between runs when everything else ties.
    return (_urgency(row), row.progress, row.title.casefold(), row.objective_id)


def _team_key(team: str | None) -> str | None:
    # A blank team name from the org chart is no team, not a team called "".
    if team is None:
        return None
    return team.strip() or None


def _teams(
    objectives: Sequence[DigestObjective], rows: Sequence[DigestRow]
) -> tuple[TeamSection, ...]:
    grouped: dict[str | None, list[DigestRow]] = {}
    for objective, row in zip(objectives, rows, strict=True):
        grouped.setdefault(_team_key(objective.team), []).append(row)
    order = sorted(grouped, key=lambda team: (team is None, (team or "").casefold(), team or ""))
    return tuple(
        TeamSection(
            name=NO_TEAM if team is None else team,
            progress=objective_progress([row.progress for row in grouped[team]]),
            rows=tuple(sorted(grouped[team], key=_row_order)),
        )
        for team in order
    )


def _stale(
    objectives: Sequence[DigestObjective], now: datetime, after: timedelta
) -> tuple[Person, ...]:
    names: dict[str, str | None] = {}
    stale: set[str] = set()
    for objective in objectives:
        if names.get(objective.owner_id) is None:
            names[objective.owner_id] = objective.owner_name
        since = objective.last_check_in or objective.published_at
        if since is None or now - since >= after:
            stale.add(objective.owner_id)
    people = [Person(owner, names[owner]) for owner in stale]
    # People without a known name go last, ordered by id so the list is stable.
    people.sort(key=lambda p: (p.name is None, (p.name or "").casefold(), p.name or "", p.id))
    return tuple(people)
