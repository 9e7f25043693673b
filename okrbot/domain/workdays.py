"""Working days: Monday to Friday, in the person's own time zone."""

from __future__ import annotations

from datetime import datetime, timedelta


def add_working_days(moment: datetime, days: int) -> datetime:
    """The same local time `days` working days later; a weekend moment counts from the
    Monday after it (a request sent on Saturday is waiting from Monday morning)."""
    current = moment
    if current.weekday() >= 5:
        monday = current + timedelta(days=7 - current.weekday())
        current = monday.replace(hour=0, minute=0, second=0, microsecond=0)
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def local_day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
