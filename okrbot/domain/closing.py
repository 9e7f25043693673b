"""The quarter's close: scoring in its last two weeks, a report when it has ended."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from zoneinfo import ZoneInfo

from okrbot.domain.progress import objective_progress
from okrbot.domain.quarters import CLOSING_WINDOW_DAYS, Quarter

# The scoring ask and the report go out in the morning, local time.
CLOSE_AT = time(10, 0)
# How long after a quarter's end its report may still be posted (an app that was down).
REPORT_WITHIN_DAYS = 14


def scoring_due(now: datetime, zone: ZoneInfo) -> Quarter | None:
    """The quarter to score, once the person's local date is in its last two weeks."""
    local = now.astimezone(zone)
    quarter = Quarter.containing(local.date())
    if quarter.days_left(local.date()) < CLOSING_WINDOW_DAYS and local.time() >= CLOSE_AT:
        return quarter
    return None


def report_due(now: datetime, zone: ZoneInfo) -> Quarter | None:
    """The quarter that has just ended, in the company's zone, for its report."""
    local = now.astimezone(zone)
    current = Quarter.containing(local.date())
    since_start = (local.date() - current.first_day).days
    if since_start < REPORT_WITHIN_DAYS and local.time() >= CLOSE_AT:
        return current.previous()
    return None


def parse_score(text: str | None) -> tuple[float | None, str | None]:
    """(score, error): 0.0 to 1.0, a decimal comma allowed, or a percentage: "70%", or a
    whole number from 2 to 100 ("70"). "1.5" is an error, not 1.5%."""
    cleaned = (text or "").strip().replace(",", ".")
    if not cleaned:
        return None, "score.error.empty"
    percent = cleaned.endswith("%")
    try:
        value = float(cleaned.rstrip("%").strip())
    except ValueError:
        return None, "score.error.number"
    if percent or (value > 1.0 and value == int(value)):
        value /= 100.0
    if not 0.0 <= value <= 1.0:
        return None, "score.error.range"
    return round(value, 2), None


def suggested_score(progress: float) -> float:
    """Progress rounded to a tenth: where scoring starts from."""
    return round(min(1.0, max(0.0, progress)) * 10) / 10


def objective_score(kr_scores: Sequence[float]) -> float:
    return round(objective_progress(kr_scores), 2)
