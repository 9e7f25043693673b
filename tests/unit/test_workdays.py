from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from okrbot.domain.workdays import add_working_days

OSLO = ZoneInfo("Europe/Oslo")


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (datetime(2026, 11, 23, 15, 0), datetime(2026, 11, 25, 15, 0)),  # Mon -> Wed
        (datetime(2026, 11, 26, 9, 0), datetime(2026, 11, 30, 9, 0)),  # Thu -> Mon
        (datetime(2026, 11, 27, 15, 0), datetime(2026, 12, 1, 15, 0)),  # Fri -> Tue
        (datetime(2026, 11, 28, 11, 0), datetime(2026, 12, 2, 0, 0)),  # Sat -> Wed 00:00
        (datetime(2026, 11, 29, 23, 0), datetime(2026, 12, 2, 0, 0)),  # Sun -> Wed 00:00
    ],
)
def test_two_working_days(start: datetime, due: datetime) -> None:
    assert add_working_days(start.replace(tzinfo=OSLO), 2) == due.replace(tzinfo=OSLO)
