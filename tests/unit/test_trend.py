from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from okrbot.domain.trend import TrendKR, weekly_progress
from okrbot.i18n import translator
from okrbot.slack.chart import progress_chart

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def week(n: int) -> datetime:
    return T0 + timedelta(days=7 * n)


def test_progress_follows_the_history_week_by_week() -> None:
    krs = {
        1: TrendKR(objective_id=10, start=0, target=100),
        2: TrendKR(objective_id=10, start=10, target=0),  # decreasing
        3: TrendKR(objective_id=20, start=0, target=4),
    }
    history = [
        (1, week(1) - timedelta(hours=1), 50.0),
        (2, week(2) - timedelta(hours=1), 5.0),
        (1, week(2) - timedelta(hours=1), 100.0),
        (3, week(3) - timedelta(days=1), 8.0),  # past the target: counts as done
        (99, week(1), 1.0),  # a key result of another quarter is ignored
    ]
    series = weekly_progress(krs, history, [week(1), week(2), week(3)])
    # Objective 10: mean of its KRs; objective 20: its one KR; overall: mean of objectives.
    assert series == pytest.approx([(0.25 + 0) / 2, (0.75 + 0) / 2, (0.75 + 1) / 2])


def test_no_key_results_is_zero() -> None:
    assert weekly_progress({}, [], [week(1)]) == [0.0]


def test_the_chart_is_a_png_in_either_language() -> None:
    for language in ("en", "nb"):
        png = progress_chart([0.1, 0.2, 0.35], 13, "2026-Q4", translator(language))
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(png) > 5_000
