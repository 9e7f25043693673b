"""Status from pace: behind pace, stale, per-team counts and the team chart's data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okrbot.domain.pace import (
    CHART_TEAMS,
    DEFAULT_BEHIND_PACE_POINTS,
    DEFAULT_STALE_DAYS,
    PaceObjective,
    PaceStatus,
    TeamPace,
    TeamSeries,
    behind_pace,
    expected_progress,
    pace_chart,
    pace_status,
    stale,
    team_key,
    team_pace,
)
from okrbot.domain.quarters import Quarter

Q = Quarter(2027, 1)  # 90 days: January 1 to March 31
MID = date(2027, 2, 14)  # day 45 of 90: half the quarter gone


def test_the_defaults_are_the_issues() -> None:
    assert DEFAULT_BEHIND_PACE_POINTS == 25
    assert DEFAULT_STALE_DAYS == 14
    assert CHART_TEAMS == 8


def test_expected_progress_is_the_share_of_the_quarter_gone() -> None:
    assert expected_progress(Q, MID) == 0.5
    assert expected_progress(Q, Q.first_day) == 1 / 90
    assert expected_progress(Q, Q.last_day) == 1.0
    assert expected_progress(Q, date(2026, 12, 31)) == 0.0
    assert expected_progress(Q, date(2027, 5, 1)) == 1.0
    assert expected_progress(Q, datetime(2027, 2, 14, 23, 59, tzinfo=UTC)) == 0.5


@pytest.mark.parametrize(
    ("progress", "expected", "behind"),
    [
        (0.25, 0.5, False),  # exactly 25 points: not more than 25
        (0.2499, 0.5, True),
        (0.1, 0.35, False),  # 0.35 - 0.1 is 0.24999999999999997 in floats
        (0.0, 0.26, True),
        (0.9, 0.5, False),  # ahead
        (0.0, 0.0, False),
        (1.0, 1.0, False),
    ],
)
def test_behind_pace_is_more_than_the_points_behind(
    progress: float, expected: float, behind: bool
) -> None:
    assert behind_pace(progress, expected) is behind


def test_behind_pace_takes_the_configured_points() -> None:
    assert behind_pace(0.4, 0.5, points=5)
    assert not behind_pace(0.4, 0.5, points=10)
    assert behind_pace(0.49, 0.5, points=0)
    with pytest.raises(ValueError, match="points"):
        behind_pace(0.4, 0.5, points=-1)
    with pytest.raises(ValueError, match="points"):
        behind_pace(0.4, 0.5, points=float("nan"))


@given(
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 100),
    st.floats(0, 0.5),
)
def test_more_progress_is_never_more_behind(
    progress: float, expected: float, points: float, more: float
) -> None:
    if behind_pace(min(1.0, progress + more), expected, points):
        assert behind_pace(progress, expected, points)


def test_stale_after_the_days_without_a_check_in() -> None:
    today = date(2027, 2, 15)
    assert not stale(today - timedelta(days=13), today)
    assert stale(today - timedelta(days=14), today)
    assert stale(today - timedelta(days=30), today)
    assert not stale(today, today)
    assert not stale(today - timedelta(days=6), today, days=7)
    assert stale(today - timedelta(days=7), today, days=7)


def test_stale_counts_from_publication_when_never_checked_in() -> None:
    today = date(2027, 2, 15)
    assert not stale(None, today, published=today - timedelta(days=3))
    assert stale(None, today, published=today - timedelta(days=14))
    # The last check-in wins over publication.
    assert not stale(today - timedelta(days=1), today, published=today - timedelta(days=60))
    # Neither known: stale, as the digest treats an unknown publication date.
    assert stale(None, today)
    with pytest.raises(ValueError, match="days"):
        stale(None, today, days=0)


def test_stale_takes_a_datetime_by_its_date() -> None:
    today = date(2027, 2, 15)
    assert stale(datetime(2027, 2, 1, 23, 0, tzinfo=UTC), today)
    assert not stale(datetime(2027, 2, 2, 0, 1, tzinfo=UTC), today)


def test_pace_status_of_one_objective() -> None:
    fresh = MID - timedelta(days=2)
    assert pace_status(PaceObjective("A", 0.2, fresh), Q, MID) == PaceStatus(True, False)
    assert pace_status(PaceObjective("A", 0.3, None, MID), Q, MID) == PaceStatus(False, False)
    assert pace_status(PaceObjective("A", 0.3, None), Q, MID, points=10) == PaceStatus(True, True)
    assert pace_status(PaceObjective("A", 0.6, fresh), Q, MID, days=2) == PaceStatus(False, True)


def test_team_pace_counts_per_team() -> None:
    fresh, old = MID - timedelta(days=1), MID - timedelta(days=20)
    objectives = [
        PaceObjective("Sales", 0.1, fresh),  # behind
        PaceObjective("sales ", 0.5, old),  # stale; another team: names differ in case
        PaceObjective(" Sales", 0.1, old),  # behind and stale
        PaceObjective("Ops", 0.6, fresh),
        PaceObjective(None, 0.0, None),  # behind and stale
        PaceObjective("  ", 0.5, fresh),  # a blank team is no team
    ]
    result = team_pace(objectives, Q, MID)
    assert result == (
        TeamPace("Ops", 1, 0, 0, 0.6),
        TeamPace("Sales", 2, 2, 1, pytest.approx(0.1)),  # type: ignore[arg-type]
        TeamPace("sales", 1, 0, 1, 0.5),
        TeamPace(None, 2, 1, 1, 0.25),
    )


def test_team_pace_takes_the_settings_and_nothing_gives_nothing() -> None:
    objectives = [PaceObjective("A", 0.4, MID - timedelta(days=3))]
    assert team_pace(objectives, Q, MID) == (TeamPace("A", 1, 0, 0, 0.4),)
    assert team_pace(objectives, Q, MID, points=5, days=3) == (TeamPace("A", 1, 1, 1, 0.4),)
    assert team_pace([], Q, MID) == ()


def test_team_key() -> None:
    assert team_key(" Sales ") == "Sales"
    assert team_key("") is None
    assert team_key(None) is None


def test_the_chart_has_a_line_per_team_against_the_even_pace() -> None:
    chart = pace_chart(
        [("B", [0.1, 0.2]), ("A", [0.0, 0.4]), ("A", [0.2, 0.2]), (None, [0.5, 0.5])], Q
    )
    assert chart.weeks == 13
    assert chart.even_pace[0] == 0.0
    assert chart.even_pace[-1] == 1.0
    assert len(chart.even_pace) == 14
    assert chart.even_pace[1] == pytest.approx(1 / 13)
    assert chart.series == (
        TeamSeries("A", False, 2, (0.1, pytest.approx(0.3))),  # type: ignore[arg-type]
        TeamSeries("B", False, 1, (0.1, 0.2)),
        TeamSeries(None, False, 1, (0.5, 0.5)),
    )


def test_beyond_eight_teams_the_smallest_are_merged_as_other() -> None:
    objectives: list[tuple[str | None, list[float]]] = []
    # Teams T0..T9; T0 has 10 objectives, T9 one; each objective at its team's share.
    for number in range(10):
        objectives += [(f"T{number}", [number / 10])] * (10 - number)
    chart = pace_chart(objectives, Q)
    names = [line.team for line in chart.series]
    assert names == [f"T{n}" for n in range(8)] + [None]
    other = chart.series[-1]
    assert other.other
    assert other.objectives == 3
    # The mean over the merged objectives: T8's two at 0.8 and T9's one at 0.9.
    assert other.progress == (pytest.approx((0.8 * 2 + 0.9) / 3),)
    assert not any(line.other for line in chart.series[:-1])


def test_ties_for_the_last_place_go_by_name_and_the_limit_is_a_setting() -> None:
    objectives: list[tuple[str | None, list[float]]] = [
        ("b", [0.1]),
        ("a", [0.2]),
        ("c", [0.3]),
        ("c", [0.3]),
    ]
    chart = pace_chart(objectives, Q, teams=2)
    assert [(line.team, line.other) for line in chart.series] == [
        ("a", False),
        ("c", False),
        (None, True),
    ]
    assert chart.series[-1].progress == (0.1,)
    with pytest.raises(ValueError, match="teams"):
        pace_chart(objectives, Q, teams=0)


def test_the_chart_needs_series_of_one_length() -> None:
    with pytest.raises(ValueError, match="weeks"):
        pace_chart([("A", [0.1]), ("B", [0.1, 0.2])], Q)
    empty = pace_chart([], Q)
    assert empty.series == ()
    assert len(empty.even_pace) == 14


@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C", " C", None, ""]), st.floats(0, 1)),
        max_size=30,
    ),
    st.integers(min_value=1, max_value=4),
)
def test_the_chart_keeps_every_objective_once(
    objectives: list[tuple[str | None, float]], teams: int
) -> None:
    chart = pace_chart([(team, [share]) for team, share in objectives], Q, teams=teams)
    assert sum(line.objectives for line in chart.series) == len(objectives)
    assert sum(not line.other for line in chart.series) <= teams
    total = sum(line.objectives * line.progress[0] for line in chart.series)
    assert total == pytest.approx(sum(share for _team, share in objectives))
