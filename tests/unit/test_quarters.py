from datetime import date

import pytest

from okrbot.domain.quarters import (
    CLOSING_WINDOW_DAYS,
    Quarter,
    default_quarter_for_new,
    quarter_choices,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-Q1", Quarter(2027, 1)),
        ("2027q1", Quarter(2027, 1)),
        (" 2027-q1 ", Quarter(2027, 1)),
        ("2026-Q4", Quarter(2026, 4)),
        ("2030Q3", Quarter(2030, 3)),
    ],
)
def test_parse_accepts_common_spellings(text: str, expected: Quarter) -> None:
    assert Quarter.parse(text) == expected


@pytest.mark.parametrize("quarter", [Quarter(2027, 1), Quarter(2026, 4), Quarter(999, 2)])
def test_str_round_trips_through_parse(quarter: Quarter) -> None:
    assert Quarter.parse(str(quarter)) == quarter


def test_str_format() -> None:
    assert str(Quarter(2027, 1)) == "2027-Q1"
    assert str(Quarter(999, 2)) == "0999-Q2"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "expected a year and quarter like 2027-Q1"),
        ("2027", "expected a year and quarter like 2027-Q1"),
        ("Q1-2027", "expected a year and quarter like 2027-Q1"),
        ("2027-Q", "expected a year and quarter like 2027-Q1"),
        ("27-Q1", "expected a year and quarter like 2027-Q1"),
        ("2027--Q1", "expected a year and quarter like 2027-Q1"),
        ("2027-Q12", "expected a year and quarter like 2027-Q1"),
        ("2027-Q5", "the quarter number must be 1, 2, 3 or 4"),
        ("2027-Q0", "the quarter number must be 1, 2, 3 or 4"),
        ("0000-Q1", "year must be between 1 and 9999"),
        ("\u0662\u0660\u0662\u0667-Q1", "expected a year and quarter like 2027-Q1"),
    ],
)
def test_parse_rejects_bad_input(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match="invalid quarter") as info:
        Quarter.parse(text)
    assert fragment in str(info.value)


@pytest.mark.parametrize(("year", "number"), [(2027, 0), (2027, 5), (0, 1), (10000, 1)])
def test_constructor_validates(year: int, number: int) -> None:
    with pytest.raises(ValueError, match="must be between"):
        Quarter(year, number)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 1, 1), Quarter(2027, 1)),
        (date(2027, 3, 31), Quarter(2027, 1)),
        (date(2027, 4, 1), Quarter(2027, 2)),
        (date(2027, 6, 30), Quarter(2027, 2)),
        (date(2027, 7, 1), Quarter(2027, 3)),
        (date(2027, 10, 1), Quarter(2027, 4)),
        (date(2027, 12, 31), Quarter(2027, 4)),
    ],
)
def test_containing_boundary_days(day: date, expected: Quarter) -> None:
    assert Quarter.containing(day) == expected


@pytest.mark.parametrize(
    ("quarter", "following"),
    [
        (Quarter(2026, 4), Quarter(2027, 1)),
        (Quarter(2027, 1), Quarter(2027, 2)),
        (Quarter(2027, 3), Quarter(2027, 4)),
    ],
)
def test_next_and_previous(quarter: Quarter, following: Quarter) -> None:
    assert quarter.next() == following
    assert following.previous() == quarter


def test_ordering_follows_time() -> None:
    quarters = [Quarter(2027, 2), Quarter(2026, 4), Quarter(2027, 1)]
    assert sorted(quarters) == [Quarter(2026, 4), Quarter(2027, 1), Quarter(2027, 2)]


@pytest.mark.parametrize(
    ("quarter", "first", "last", "length"),
    [
        (Quarter(2027, 1), date(2027, 1, 1), date(2027, 3, 31), 90),
        (Quarter(2028, 1), date(2028, 1, 1), date(2028, 3, 31), 91),
        (Quarter(2027, 2), date(2027, 4, 1), date(2027, 6, 30), 91),
        (Quarter(2027, 3), date(2027, 7, 1), date(2027, 9, 30), 92),
        (Quarter(2027, 4), date(2027, 10, 1), date(2027, 12, 31), 92),
        (Quarter(9999, 4), date(9999, 10, 1), date(9999, 12, 31), 92),
    ],
)
def test_first_and_last_day(quarter: Quarter, first: date, last: date, length: int) -> None:
    assert quarter.first_day == first
    assert quarter.last_day == last
    assert quarter.length_days == length


def test_leap_day_belongs_to_q1_2028() -> None:
    assert Quarter(2028, 1).contains(date(2028, 2, 29))
    assert Quarter.containing(date(2028, 2, 29)) == Quarter(2028, 1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 12, 31), True),
        (date(2027, 10, 1), True),
        (date(2027, 9, 30), False),
        (date(2028, 1, 1), False),
    ],
)
def test_contains(day: date, expected: bool) -> None:
    assert Quarter(2027, 4).contains(day) is expected


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (date(2027, 10, 1), 1),
        (date(2027, 10, 7), 1),
        (date(2027, 10, 8), 2),
        (date(2027, 12, 23), 12),
        (date(2027, 12, 24), 13),
        # Days 92 and 91 would start a 14th week; they are folded into week 13.
        (date(2027, 12, 30), 13),
        (date(2027, 12, 31), 13),
    ],
)
def test_week_of(day: date, week: int) -> None:
    assert Quarter(2027, 4).week_of(day) == week


def test_week_of_last_day_of_short_quarter() -> None:
    assert Quarter(2027, 1).week_of(date(2027, 3, 31)) == 13


def test_weeks_is_always_thirteen() -> None:
    assert Quarter(2027, 1).weeks == 13
    assert Quarter(2027, 4).weeks == 13


@pytest.mark.parametrize("day", [date(2027, 9, 30), date(2028, 1, 1)])
def test_week_of_rejects_days_outside(day: date) -> None:
    with pytest.raises(ValueError, match="is not in 2027-Q4"):
        Quarter(2027, 4).week_of(day)


@pytest.mark.parametrize(
    ("day", "fraction"),
    [
        (date(2027, 1, 1), 1 / 90),
        (date(2027, 2, 14), 45 / 90),
        (date(2027, 3, 31), 1.0),
        (date(2026, 12, 31), 0.0),
        (date(2027, 4, 1), 1.0),
    ],
)
def test_elapsed_fraction(day: date, fraction: float) -> None:
    assert Quarter(2027, 1).elapsed_fraction(day) == pytest.approx(fraction)


@pytest.mark.parametrize(
    ("day", "left"),
    [
        (date(2026, 12, 31), 0),
        (date(2026, 12, 18), 13),
        (date(2026, 12, 17), 14),
        (date(2026, 10, 1), 91),
        (date(2027, 1, 5), 0),
    ],
)
def test_days_left(day: date, left: int) -> None:
    assert Quarter(2026, 4).days_left(day) == left


def test_closing_window_is_two_weeks() -> None:
    assert CLOSING_WINDOW_DAYS == 14


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # 14 days left: still planning the current quarter.
        (date(2026, 12, 17), Quarter(2026, 4)),
        # 13 days left: inside the closing window, so default to the next one.
        (date(2026, 12, 18), Quarter(2027, 1)),
        (date(2026, 12, 31), Quarter(2027, 1)),
        (date(2027, 1, 1), Quarter(2027, 1)),
        (date(2027, 3, 17), Quarter(2027, 1)),
        (date(2027, 3, 18), Quarter(2027, 2)),
    ],
)
def test_default_quarter_for_new(today: date, expected: Quarter) -> None:
    assert default_quarter_for_new(today) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 31), (Quarter(2026, 4), Quarter(2027, 1))),
        (date(2027, 5, 10), (Quarter(2027, 2), Quarter(2027, 3))),
    ],
)
def test_quarter_choices(today: date, expected: tuple[Quarter, Quarter]) -> None:
    assert quarter_choices(today) == expected
