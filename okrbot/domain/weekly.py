"""The weekly rhythm's settings, as the jobs use them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

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

    def time_of(self, job: Job) -> WeeklyTime:
        return {Job.CHECKIN: self.checkin, Job.REMINDER: self.reminder, Job.DIGEST: self.digest}[
            job
        ]
