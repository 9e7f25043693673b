from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from okrbot.domain.closing import (
    objective_score,
    parse_score,
    report_due,
    scoring_due,
    suggested_score,
)
from okrbot.domain.quarters import Quarter

OSLO = ZoneInfo("Europe/Oslo")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 17, 12, 0, tzinfo=UTC), None),  # 14 days left: not yet
        (datetime(2026, 12, 18, 8, 59, tzinfo=UTC), None),  # 09:59 in Oslo
        (datetime(2026, 12, 18, 9, 0, tzinfo=UTC), Quarter(2026, 4)),
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), None),  # 2027 in Oslo: a new quarter
    ],
)
def test_scoring_is_due_in_the_last_two_weeks(now: datetime, expected: Quarter | None) -> None:
    assert scoring_due(now, OSLO) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 31, 12, 0, tzinfo=UTC), None),
        (datetime(2027, 1, 1, 8, 0, tzinfo=UTC), None),  # 09:00 in Oslo
        (datetime(2027, 1, 1, 9, 0, tzinfo=UTC), Quarter(2026, 4)),
        (datetime(2027, 1, 14, 12, 0, tzinfo=UTC), Quarter(2026, 4)),
        (datetime(2027, 1, 15, 12, 0, tzinfo=UTC), None),  # too late: two weeks gone
    ],
)
def test_the_report_is_due_after_the_quarter(now: datetime, expected: Quarter | None) -> None:
    assert report_due(now, OSLO) == expected


@pytest.mark.parametrize(
    ("text", "score", "error"),
    [
        ("0.7", 0.7, None),
        ("0,65", 0.65, None),
        ("70%", 0.7, None),
        ("70", 0.7, None),
        ("1", 1.0, None),
        ("0", 0.0, None),
        ("", None, "score.error.empty"),
        ("abc", None, "score.error.number"),
        ("-0.1", None, "score.error.range"),
        ("150%", None, "score.error.range"),
        ("1.5", None, "score.error.range"),
        ("101", None, "score.error.range"),
    ],
)
def test_scores(text: str, score: float | None, error: str | None) -> None:
    assert parse_score(text) == (score, error)


def test_suggestions_and_objective_scores() -> None:
    assert suggested_score(0.66) == 0.7
    assert suggested_score(1.4) == 1.0
    assert objective_score([0.7, 0.6, 1.0]) == 0.77
