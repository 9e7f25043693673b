from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from okrbot.domain.schedule import (
    WeeklyTime,
    due_week,
    iso_week,
    occurrence,
    parse_iso_week,
    previous_iso_week,
    week_monday,
)

OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
AUCKLAND = ZoneInfo("Pacific/Auckland")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")

FRIDAY_1300 = WeeklyTime(4, time(13, 0))
SUNDAY_0230 = WeeklyTime(6, time(2, 30))

TICK = timedelta(minutes=10)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


# --- WeeklyTime -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fri 13:00", WeeklyTime(4, time(13, 0))),
        ("Friday 13:00", WeeklyTime(4, time(13, 0))),
        ("FRI 9:05", WeeklyTime(4, time(9, 5))),
        ("mon 09:00", WeeklyTime(0, time(9, 0))),
        ("thurs 08:30", WeeklyTime(3, time(8, 30))),
        ("  sun   23:59 ", WeeklyTime(6, time(23, 59))),
        ("Tue 0:00", WeeklyTime(1, time(0, 0))),
    ],
)
def test_parse_accepts_common_spellings(text: str, expected: WeeklyTime) -> None:
    assert WeeklyTime.parse(text) == expected


@pytest.mark.parametrize(
    ("weekly", "text"),
    [
        (WeeklyTime(4, time(13, 0)), "Fri 13:00"),
        (WeeklyTime(0, time(9, 5)), "Mon 09:05"),
        (WeeklyTime(6, time(0, 0)), "Sun 00:00"),
    ],
)
def test_str_format(weekly: WeeklyTime, text: str) -> None:
    assert str(weekly) == text


@pytest.mark.parametrize("weekday", range(7))
def test_str_round_trips_through_parse(weekday: int) -> None:
    weekly = WeeklyTime(weekday, time(7, 45))
    assert WeeklyTime.parse(str(weekly)) == weekly


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("someday 13:00", "unknown weekday 'someday'"),
        ("fr 13:00", "unknown weekday 'fr'"),
        ("fri 25:00", "25:00 is not a time of day"),
        ("fri 13:60", "13:60 is not a time of day"),
        ("fri", "invalid weekly time 'fri'"),
        ("13:00", "invalid weekly time '13:00'"),
        ("fri 13:00:30", "hours and minutes only"),
        ("fri 1300", "invalid weekly time"),
        ("", "invalid weekly time"),
    ],
)
def test_parse_rejects_bad_input_with_a_hint(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match="like 'fri 13:00'") as info:
        WeeklyTime.parse(text)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("weekday", "at", "fragment"),
    [
        (7, time(13, 0), "weekday must be 0"),
        (-1, time(13, 0), "weekday must be 0"),
        (True, time(13, 0), "weekday must be 0"),
        (4, time(13, 0, 30), "whole minutes"),
        (4, time(13, 0, 0, 1), "whole minutes"),
        (4, time(13, 0, tzinfo=UTC), "without a zone"),
    ],
)
def test_weekly_time_validates(weekday: int, at: time, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        WeeklyTime(weekday, at)


# --- ISO weeks --------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (date(2026, 11, 27), "2026-W48"),
        (date(2025, 12, 29), "2026-W01"),
        (date(2026, 1, 1), "2026-W01"),
        (date(2026, 12, 31), "2026-W53"),
        (date(2027, 1, 1), "2026-W53"),
        (date(2027, 1, 3), "2026-W53"),
        (date(2027, 1, 4), "2027-W01"),
        (date(999, 6, 1), "0999-W22"),
    ],
)
def test_iso_week_uses_the_iso_year(day: date, week: str) -> None:
    assert iso_week(day) == week


@pytest.mark.parametrize(
    ("week", "previous"),
    [
        ("2026-W48", "2026-W47"),
        ("2026-W01", "2025-W52"),
        ("2027-W01", "2026-W53"),
        ("2026-W53", "2026-W52"),
    ],
)
def test_previous_iso_week(week: str, previous: str) -> None:
    assert previous_iso_week(week) == previous


def test_previous_iso_week_of_the_first_week_is_an_error() -> None:
    with pytest.raises(ValueError, match="no ISO week before"):
        previous_iso_week("0001-W01")


@pytest.mark.parametrize(
    ("week", "monday"),
    [
        ("2026-W48", date(2026, 11, 23)),
        ("2026-W01", date(2025, 12, 29)),
        ("2026-W53", date(2026, 12, 28)),
        ("2027-W01", date(2027, 1, 4)),
    ],
)
def test_week_monday(week: str, monday: date) -> None:
    assert week_monday(week) == monday
    assert monday.weekday() == 0
    assert iso_week(monday) == week


def test_parse_iso_week() -> None:
    assert parse_iso_week("2026-W48") == (2026, 48)
    assert parse_iso_week("2026-W53") == (2026, 53)


BAD_WEEKS = ["", "2026", "2026W48", "2026-w48", "2026-W4", "26-W48", " 2026-W48", "2026-Q4"]
# Weeks that look right but do not exist: 2027 has only 52 ISO weeks, and there is no year 0.
MISSING_WEEKS = ["2026-W00", "2026-W54", "2027-W53", "0000-W01"]


@pytest.mark.parametrize("week", [*BAD_WEEKS, *MISSING_WEEKS])
def test_parse_iso_week_rejects_garbage(week: str) -> None:
    with pytest.raises(ValueError, match="invalid ISO week"):
        parse_iso_week(week)


# --- occurrence -------------------------------------------------------------


@pytest.mark.parametrize(
    ("week", "when", "zone", "expected"),
    [
        # 2027-01-22 and 2026-06-26 are Fridays.
        ("2027-W03", FRIDAY_1300, OSLO, utc(2027, 1, 22, 12, 0)),
        ("2026-W26", FRIDAY_1300, OSLO, utc(2026, 6, 26, 11, 0)),
        ("2027-W03", FRIDAY_1300, NEW_YORK, utc(2027, 1, 22, 18, 0)),
        ("2026-W26", FRIDAY_1300, NEW_YORK, utc(2026, 6, 26, 17, 0)),
        ("2026-W26", FRIDAY_1300, KOLKATA, utc(2026, 6, 26, 7, 30)),
        ("2027-W03", FRIDAY_1300, KOLKATA, utc(2027, 1, 22, 7, 30)),
        # Oslo 2027-03-28: 02:00 -> 03:00, so 02:30 does not exist; 03:00 CEST.
        ("2027-W12", SUNDAY_0230, OSLO, utc(2027, 3, 28, 1, 0)),
        # Oslo 2026-10-25: 03:00 -> 02:00, so 02:30 happens twice; first is CEST.
        ("2026-W43", SUNDAY_0230, OSLO, utc(2026, 10, 25, 0, 30)),
        # New York 2027-03-14: 02:00 -> 03:00; 03:00 EDT.
        ("2027-W10", SUNDAY_0230, NEW_YORK, utc(2027, 3, 14, 7, 0)),
        # New York 2026-11-01: 02:00 -> 01:00, so 01:30 happens twice; first is EDT.
        ("2026-W44", WeeklyTime(6, time(1, 30)), NEW_YORK, utc(2026, 11, 1, 5, 30)),
        # The same wall times a week earlier, for contrast: plain standard/summer time.
        ("2027-W11", SUNDAY_0230, OSLO, utc(2027, 3, 21, 1, 30)),
        ("2026-W42", SUNDAY_0230, OSLO, utc(2026, 10, 18, 0, 30)),
    ],
)
def test_occurrence(week: str, when: WeeklyTime, zone: ZoneInfo, expected: datetime) -> None:
    result = occurrence(week, when, zone)
    assert result == expected
    assert result.utcoffset() == timedelta(0)


def test_occurrence_in_a_gap_reads_as_the_end_of_the_gap_locally() -> None:
    local = occurrence("2027-W12", SUNDAY_0230, OSLO).astimezone(OSLO)
    assert (local.hour, local.minute) == (3, 0)
    assert local.utcoffset() == timedelta(hours=2)


def test_occurrence_in_a_half_hour_gap() -> None:
    # Lord Howe Island moves its clocks by 30 minutes: 02:00 -> 02:30 on 2026-10-04.
    result = occurrence("2026-W40", WeeklyTime(6, time(2, 10)), ZoneInfo("Australia/Lord_Howe"))
    local = result.astimezone(ZoneInfo("Australia/Lord_Howe"))
    assert (local.date(), local.hour, local.minute) == (date(2026, 10, 4), 2, 30)


# --- due_week ---------------------------------------------------------------

# Friday 2026-11-27 13:00 in Oslo (CET, +01:00) is 12:00 UTC.


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 11, 23, 0, 0), None),  # Monday, long before
        (utc(2026, 11, 27, 11, 59), None),  # a minute before
        (utc(2026, 11, 27, 11, 59, 59, 999999), None),
        (utc(2026, 11, 27, 12, 0), "2026-W48"),  # exactly at
        (utc(2026, 11, 27, 12, 1), "2026-W48"),
        (utc(2026, 11, 28, 9, 0), "2026-W48"),  # Saturday
        (utc(2026, 11, 29, 22, 59), "2026-W48"),  # Sunday 23:59 local, same week
        (utc(2026, 11, 29, 23, 0), None),  # Monday 00:00 local, next week
        (utc(2026, 12, 4, 12, 0), "2026-W49"),  # next Friday
    ],
)
def test_due_week_around_the_moment(now: datetime, expected: str | None) -> None:
    assert due_week(now, FRIDAY_1300, OSLO) == expected


def test_due_week_accepts_now_in_any_zone() -> None:
    instant = utc(2026, 11, 29, 22, 59)
    for zone in (NEW_YORK, KOLKATA, timezone(timedelta(hours=-3))):
        assert due_week(instant.astimezone(zone), FRIDAY_1300, OSLO) == "2026-W48"


def test_due_week_rejects_naive_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_week(datetime(2026, 11, 27, 13, 0), FRIDAY_1300, OSLO)


def test_people_far_apart_can_be_in_different_weeks_at_the_same_instant() -> None:
    monday_0900 = WeeklyTime(0, time(9, 0))
    instant = utc(2026, 11, 29, 21, 0)
    # Auckland (+13:00) is already at Monday 10:00; Los Angeles (-08:00) is at Sunday 13:00.
    assert iso_week(instant.astimezone(AUCKLAND).date()) == "2026-W49"
    assert iso_week(instant.astimezone(LOS_ANGELES).date()) == "2026-W48"
    assert due_week(instant, monday_0900, AUCKLAND) == "2026-W49"
    assert due_week(instant, monday_0900, LOS_ANGELES) == "2026-W48"
    # An hour earlier Auckland's Monday moment had not yet come.
    assert due_week(instant - timedelta(hours=2), monday_0900, AUCKLAND) is None


# --- simulated ticking across DST changes -----------------------------------


def ticks(
    start: datetime, end: datetime, *, down: tuple[datetime, datetime] | None = None
) -> Iterator[datetime]:
    """UTC instants every 10 minutes in [start, end), minus any in the `down` interval."""
    now = start.astimezone(UTC)
    while now < end:
        if down is None or not down[0] <= now < down[1]:
            yield now
        now += TICK


def run_job_table(
    instants: Iterator[datetime], when: WeeklyTime, zone: ZoneInfo
) -> tuple[dict[str, datetime], list[tuple[datetime, str | None]]]:
    """Tick like the app does: claim a week the first time it is due and not yet claimed.

    The dict stands in for the (job, week) unique key; the log of every answer lets
    the tests check that nothing was doubled under another key or skipped.
    """
    claimed: dict[str, datetime] = {}
    log: list[tuple[datetime, str | None]] = []
    for now in instants:
        week = due_week(now, when, zone)
        log.append((now, week))
        if week is not None and week not in claimed:
            claimed[week] = now
    return claimed, log


def local_midnight_monday(week: str, zone: ZoneInfo) -> datetime:
    return datetime.combine(week_monday(week), time(0, 0), tzinfo=zone).astimezone(UTC)


def wall_clock_reached(now: datetime, week: str, when: WeeklyTime, zone: ZoneInfo) -> bool:
    """What a person looking at their own wall clock would say: is it that time yet this week?

    Independent of `occurrence`, to cross-check it.
    """
    local = now.astimezone(zone)
    if iso_week(local.date()) != week:
        return False
    return (local.weekday(), local.time()) >= (when.weekday, when.at)


DST_CHANGES = [
    pytest.param(OSLO, date(2026, 10, 25), id="oslo-fall-back"),
    pytest.param(OSLO, date(2027, 3, 28), id="oslo-spring-forward"),
    pytest.param(NEW_YORK, date(2026, 11, 1), id="new-york-fall-back"),
    pytest.param(NEW_YORK, date(2027, 3, 14), id="new-york-spring-forward"),
]

# "sun 01:30" is the ambiguous hour in New York, "sun 02:30" is in Oslo.
SCHEDULES = ["fri 13:00", "mon 09:00", "sun 02:30", "sun 01:30"]


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize(("zone", "change_day"), DST_CHANGES)
def test_ticking_across_a_dst_change_runs_each_week_once_on_time(
    zone: ZoneInfo, change_day: date, schedule: str
) -> None:
    when = WeeklyTime.parse(schedule)
    change_week = iso_week(change_day)
    before = previous_iso_week(change_week)
    after = iso_week(week_monday(change_week) + timedelta(days=7))
    start = local_midnight_monday(before, zone)
    end = local_midnight_monday(iso_week(week_monday(after) + timedelta(days=7)), zone)
    # The window must really contain the change for the test to mean anything.
    assert start.astimezone(zone).utcoffset() != end.astimezone(zone).utcoffset()

    claimed, log = run_job_table(ticks(start, end), when, zone)

    assert list(claimed) == [before, change_week, after]
    all_ticks = [now for now, _ in log]
    for week, claimed_at in claimed.items():
        moment = occurrence(week, when, zone)
        assert claimed_at == min(now for now in all_ticks if now >= moment)
        assert timedelta(0) <= claimed_at - moment < TICK
        first_by_wall_clock = min(
            now for now in all_ticks if wall_clock_reached(now, week, when, zone)
        )
        assert claimed_at == first_by_wall_clock

    # Once due, a week stays due until its local end, and no other week is offered:
    # anything else would be a second run under another key or a run skipped.
    for now, answer in log:
        local_week = iso_week(now.astimezone(zone).date())
        expected = local_week if now >= claimed[local_week] else None
        assert answer == expected, now

    # The same wall time a week apart is 7 days apart give or take the DST shift.
    instants = list(claimed.values())
    for earlier, later in itertools.pairwise(instants):
        assert abs(later - earlier - timedelta(days=7)) <= timedelta(hours=1)


@pytest.mark.parametrize(
    ("zone", "schedule", "down_from_local", "week", "runs_that_week"),
    [
        # Down from Friday 02:00 to Saturday 08:00, before the Oslo fall-back.
        pytest.param(
            OSLO, "fri 13:00", datetime(2026, 10, 23, 2, 0), "2026-W43", True, id="oslo-fri"
        ),
        # Down from Saturday noon to Sunday evening across the spring-forward gap.
        pytest.param(
            OSLO, "sun 02:30", datetime(2027, 3, 27, 12, 0), "2027-W12", True, id="oslo-sun-gap"
        ),
        # Down over Sunday 02:30 and back in the next week: that week is not run late.
        pytest.param(
            OSLO, "sun 02:30", datetime(2027, 3, 27, 20, 0), "2027-W12", False, id="oslo-sun-late"
        ),
        # Down from Sunday noon, back Monday evening after the 09:00 moment.
        pytest.param(
            OSLO, "mon 09:00", datetime(2026, 10, 25, 12, 0), "2026-W44", True, id="oslo-mon"
        ),
        pytest.param(
            NEW_YORK, "fri 13:00", datetime(2027, 3, 11, 20, 0), "2027-W10", True, id="ny-fri"
        ),
        # Down from Saturday 22:00 EDT to Monday 03:00 EST across the fall-back.
        pytest.param(
            NEW_YORK, "sun 01:30", datetime(2026, 10, 31, 22, 0), "2026-W44", False, id="ny-sun"
        ),
        # Down from Saturday noon EDT to Sunday 17:00 EST, over the twice-seen 01:30.
        pytest.param(
            NEW_YORK, "sun 01:30", datetime(2026, 10, 31, 12, 0), "2026-W44", True, id="ny-sun-back"
        ),
    ],
)
def test_a_process_down_for_30_hours_catches_up_only_within_the_week(
    zone: ZoneInfo, schedule: str, down_from_local: datetime, week: str, runs_that_week: bool
) -> None:
    when = WeeklyTime.parse(schedule)
    down_from = down_from_local.replace(tzinfo=zone).astimezone(UTC)
    back = down_from + timedelta(hours=30)
    next_week = iso_week(week_monday(week) + timedelta(days=7))
    moment = occurrence(week, when, zone)
    assert down_from < moment < back

    start = local_midnight_monday(week, zone)
    end = local_midnight_monday(next_week, zone) + timedelta(days=7)
    claimed, _ = run_job_table(ticks(start, end, down=(down_from, back)), when, zone)

    if runs_that_week:
        assert iso_week(back.astimezone(zone).date()) == week
        assert claimed[week] == back
    else:
        assert iso_week(back.astimezone(zone).date()) == next_week
        assert week not in claimed
    # Being down does not disturb the following week.
    assert claimed[next_week] == occurrence(next_week, when, zone)
