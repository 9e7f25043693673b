"""Calendar quarters, the time box every OKR belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, timedelta

# Once this close to the end of a quarter, people drafting new OKRs are almost
# always planning for the next one, so that becomes the default choice.
CLOSING_WINDOW_DAYS = 14

# Users type quarters by hand in slash commands, so tolerate case, a missing
# dash and stray whitespace; re.ASCII keeps non-Latin digits out of int().
_QUARTER_RE = re.compile(r"(\d{4})-?[qQ](\d)", re.ASCII)

# The digest always speaks of "week N of 13": a quarter is 90-92 days, so the
# partial 14th week (at most one day) is folded into week 13 rather than shown.
_WEEKS_PER_QUARTER = 13


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter number must be between 1 and 4, got {self.number}")
        # Outside this range the quarter's days cannot be represented as dates.
        if not MINYEAR <= self.year <= MAXYEAR:
            raise ValueError(f"year must be between {MINYEAR} and {MAXYEAR}, got {self.year}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _QUARTER_RE.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"invalid quarter {text!r}: expected a year and quarter like 2027-Q1")
        year, number = int(match.group(1)), int(match.group(2))
        if not 1 <= number <= 4:
            raise ValueError(f"invalid quarter {text!r}: the quarter number must be 1, 2, 3 or 4")
        try:
            return cls(year, number)
        except ValueError as exc:
            raise ValueError(f"invalid quarter {text!r}: {exc}") from None

    def __str__(self) -> str:
        return f"{self.year:04d}-Q{self.number}"

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        if self.number == 4:
            # Computed directly so that the last representable year still works.
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.number + 1, 1) - timedelta(days=1)

    @property
    def length_days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def weeks(self) -> int:
        """Always 13, see _WEEKS_PER_QUARTER; week_of() never returns more."""
        return _WEEKS_PER_QUARTER

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def week_of(self, day: date) -> int:
        if not self.contains(day):
            raise ValueError(f"{day.isoformat()} is not in {self}")
        return min(1 + (day - self.first_day).days // 7, self.weeks)

    def elapsed_fraction(self, day: date) -> float:
        """Share of the quarter's days up to and including `day`.

        Days outside the quarter clamp to 0.0 or 1.0 so that callers comparing
        progress against time can pass "today" for past and future quarters.
        """
        if day < self.first_day:
            return 0.0
        if day > self.last_day:
            return 1.0
        return ((day - self.first_day).days + 1) / self.length_days

    def days_left(self, day: date) -> int:
        """Days after `day` up to and including the last day; 0 once it is over."""
        return max(0, (self.last_day - day).days)


def default_quarter_for_new(today: date) -> Quarter:
    current = Quarter.containing(today)
    if current.days_left(today) < CLOSING_WINDOW_DAYS:
        return current.next()
    return current


def quarter_choices(today: date) -> tuple[Quarter, Quarter]:
    current = Quarter.containing(today)
    return current, current.next()
