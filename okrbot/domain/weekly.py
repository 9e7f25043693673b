"""The weekly rhythm's settings, as the jobs use them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from okrbot.domain.pace import DEFAULT_BEHIND_PACE_POINTS
from okrbot.domain.schedule import WeeklyTime


class Job(StrEnum):
    CHECKIN = "checkin"
    REMINDER = "reminder"
    DIGEST = "digest"


@dataclass(frozen=True)
class Schedule:
    checkin: WeeklyTime
    reminder: WeeklyTime
    digest: WeeklyTime
    # Nobody who checked in within this many days is prompted.
    quiet_days: int
    # The company's zone: the digest's clock, and everyone's whose own zone is unknown.
    zone: ZoneInfo
    # Percentage points behind the even pace that flag an objective (domain.pace).
    behind_pace_points: float = DEFAULT_BEHIND_PACE_POINTS

    def time_of(self, job: Job) -> WeeklyTime:
        return {Job.CHECKIN: self.checkin, Job.REMINDER: self.reminder, Job.DIGEST: self.digest}[
            job
        ]
