"""A key result's value sent from outside Slack (the HTTP API): when it may say it was
measured. Checking the number itself is `checkin.value_problem`, as for every check-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from okrbot.domain.quarters import Quarter

# Clocks differ a little; a value from further ahead than this is a mistake.
FUTURE_SKEW = timedelta(minutes=5)
# The longest ISO 8601 time worth reading ("2027-01-08T12:00:00.123456+01:00" is 32).
MOMENT_MAX_CHARS = 64


def parse_moment(text: str) -> datetime | None:
    """An ISO 8601 time with its offset from UTC (or Z), in UTC; None for anything else,
    a time without an offset too (whose zone would be a guess)."""
    if len(text) > MOMENT_MAX_CHARS:
        return None
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None or moment.utcoffset() is None:
            return None
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def moment_problem(at: datetime, now: datetime, quarter: Quarter, zone: tzinfo) -> str | None:
    """Why a value cannot be recorded as measured `at`, for a key result of `quarter`
    (days in the workspace's `zone`), or None: not ahead of now, not before the quarter."""
    if at > now + FUTURE_SKEW:
        return "future"
    try:
        day = at.astimezone(zone).date()
    except OverflowError:
        return "before_quarter"
    if day < quarter.first_day:
        return "before_quarter"
    return None
