"""When weekly things happen, per person, in their own time zone.

The scheduler ticks every minute, or once after being down for hours, and asks
`due_week` whether this week's moment has passed. A unique (job, ISO week) key in
the database makes each weekly run happen once, so this module only has to name
the week and the moment consistently: it never decides whether a run happened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_HINT = "use a weekday and a time, like 'fri 13:00'"

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# People type schedules by hand, so any unambiguous prefix of three letters or
# more ("fri", "thurs", "Friday") names the day; three letters is the shortest
# prefix that never collides (tu/th, sa/su).
_MIN_DAY_PREFIX = 3

# re.ASCII keeps non-Latin digits out of int(); a seconds part is matched on
# purpose so the error can say why it was refused instead of "invalid".
_WEEKLY_RE = re.compile(r"([a-z]+)\s+(\d{1,2}):(\d{2})(:\d{2})?", re.ASCII | re.IGNORECASE)

# Week keys are compared as strings in the job table, so only the canonical
# spelling is accepted: a lenient parser would hide a caller building keys wrongly.
_ISO_WEEK_RE = re.compile(r"(\d{4})-W(\d{2})", re.ASCII)


@dataclass(frozen=True)
class WeeklyTime:
    """A local wall-clock moment in the week, such as Friday 13:00."""

    weekday: int  # 0 = Monday ... 6 = Sunday, as date.weekday()
    at: time

    def __post_init__(self) -> None:
        # bool is an int, but WeeklyTime(True, ...) is always a mistake.
        if isinstance(self.weekday, bool) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday!r}")
        # The time is read in each person's own zone, so a fixed zone here would
        # silently contradict that.
        if self.at.tzinfo is not None:
            raise ValueError(f"the time must be a local wall-clock time without a zone: {self.at}")
        # Ticks are a minute apart, so finer precision would only suggest an
        # accuracy the scheduler cannot deliver.
        if self.at.second or self.at.microsecond:
            raise ValueError(f"the time must be whole minutes, got {self.at}")

    @classmethod
    def parse(cls, text: str) -> WeeklyTime:
        """Read "fri 13:00", "Friday 13:00", "FRI 9:05" and the like."""
        match = _WEEKLY_RE.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"invalid weekly time {text!r}: {_HINT}")
        name, hour, minute, seconds = match.groups()
        weekday = _weekday_from_name(name)
        if weekday is None:
            raise ValueError(f"invalid weekly time {text!r}: unknown weekday {name!r}; {_HINT}")
        if seconds is not None:
            raise ValueError(f"invalid weekly time {text!r}: give hours and minutes only; {_HINT}")
        if int(hour) > 23 or int(minute) > 59:
            raise ValueError(
                f"invalid weekly time {text!r}: {hour}:{minute} is not a time of day; {_HINT}"
            )
        return cls(weekday, time(int(hour), int(minute)))

    def __str__(self) -> str:
        return f"{_DAY_NAMES[self.weekday][:3].title()} {self.at:%H:%M}"


def _weekday_from_name(name: str) -> int | None:
    lowered = name.lower()
    if len(lowered) < _MIN_DAY_PREFIX:
        return None
    for number, day in enumerate(_DAY_NAMES):
        if day.startswith(lowered):
            return number
    return None


def iso_week(day: date) -> str:
    """The ISO week key of `day`, like "2026-W48".

    The year is the ISO year, which differs from the calendar year around New
    Year: 2027-01-01 belongs to "2026-W53".
    """
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def parse_iso_week(week: str) -> tuple[int, int]:
    """Split "2026-W48" into (2026, 48), refusing weeks the ISO year does not have."""
    match = _ISO_WEEK_RE.fullmatch(week)
    if match is None:
        raise ValueError(f"invalid ISO week {week!r}: expected a key like 2026-W48")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        # Validates week 53 against the year, which only some years have.
        date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValueError(f"invalid ISO week {week!r}: {exc}") from None
    return year, number


def week_monday(week: str) -> date:
    year, number = parse_iso_week(week)
    return date.fromisocalendar(year, number, 1)


def previous_iso_week(week: str) -> str:
    """The week before `week`, crossing into the previous ISO year (52 or 53 weeks)."""
    try:
        return iso_week(week_monday(week) - timedelta(days=7))
    except OverflowError:
        raise ValueError(f"there is no ISO week before {week!r}") from None


def occurrence(week: str, when: WeeklyTime, zone: ZoneInfo) -> datetime:
    """The UTC instant at which `when`, read on the clocks in `zone`, happens in `week`.

    Daylight-saving changes make some wall times special:

    * A time that does not exist because the clocks jump over it (02:30 on a
      night they go from 02:00 to 03:00) maps to the first instant after the
      jump, 03:00 local. Pushing it later by the size of the jump, as Python
      does by default, would put it at 03:30 for no reason anyone could guess.
    * A time that happens twice because the clocks go back (02:30 on a night
      they go from 03:00 to 02:00) maps to its first occurrence (fold=0), so the
      run is not held back by an hour the clock shows twice.
    """
    day = week_monday(week) + timedelta(days=when.weekday)
    wall = datetime.combine(day, when.at)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    return _end_of_gap(wall, zone)


def _end_of_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    # For a wall time inside a gap, fold=1 reads it with the offset after the
    # jump and fold=0 with the one before, so the two instants bracket the
    # transition. Offsets are not always whole hours (Lord Howe shifts by 30
    # minutes) and zones do not say where their gaps start, so the transition
    # is found by bisecting on whole seconds, the resolution of tz data.
    earlier = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    later = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    low, high = 0, int((later - earlier).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if (earlier + timedelta(seconds=middle)).astimezone(zone).replace(tzinfo=None) > wall:
            high = middle
        else:
            low = middle
    return earlier + timedelta(seconds=high)


def due_week(now: datetime, when: WeeklyTime, zone: ZoneInfo) -> str | None:
    """The week whose run of `when` should have happened by `now`, if any.

    The week is the ISO week of `now`'s local date in `zone`, and it is due once
    its occurrence has passed. So a run missed while the process was down still
    happens when it comes back within that local week, and a week that has ended
    is never run late: a Friday check-in prompt arriving on Monday would be noise.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got naive {now.isoformat()}")
    week = iso_week(now.astimezone(zone).date())
    if now >= occurrence(week, when, zone):
        return week
    return None
