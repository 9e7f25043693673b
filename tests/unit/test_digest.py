"""The Monday digest's numbers: progress, week-on-week change, counts, staleness, order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from okrbot.domain.checkin import Confidence
from okrbot.domain.digest import (
    NO_TEAM,
    Digest,
    DigestKR,
    DigestObjective,
    DigestRow,
    Person,
    build_digest,
)
from okrbot.domain.okr import Level
from okrbot.domain.quarters import Quarter

QUARTER = Quarter(2026, 4)
# A Monday in week 9 of 2026-Q4.
TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=40)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def kr(
    current: float | None = None,
    week_ago: float | None = None,
    *,
    start: float = 0,
    target: float = 100,
) -> DigestKR:
    return DigestKR(start=start, target=target, current=current, week_ago=week_ago)


def objective(
    id: int = 1,
    *krs: DigestKR,
    title: str | None = None,
    owner_id: str | None = None,
    owner_name: str | None = "Ada Lovelace",
    team: str | None = "Product",
    confidence: Confidence | None = Confidence.ON_TRACK,
    last_check_in: datetime | None = None,
    published_at: datetime | None = LONG_AGO,
) -> DigestObjective:
    return DigestObjective(
        id=id,
        title=title if title is not None else f"Objective {id}",
        owner_id=owner_id or f"U{id:04d}",
        owner_name=owner_name,
        team=team,
        level=Level.TEAM,
        confidence=confidence,
        krs=krs or (kr(50, 50), kr(50, 50)),
        last_check_in=last_check_in if last_check_in is not None else days_ago(1),
        published_at=published_at,
    )


def build(*objectives: DigestObjective, stale_after_days: int = 7) -> Digest:
    return build_digest(QUARTER, TODAY, NOW, objectives, stale_after_days=stale_after_days)


def only_row(digest: Digest) -> DigestRow:
    (team,) = digest.teams
    (row,) = team.rows
    return row


# -- progress


def test_progress_is_the_mean_of_key_results() -> None:
    digest = build(objective(1, kr(50), kr(10, start=0, target=10)))
    assert only_row(digest).progress == pytest.approx(0.75)
    assert digest.progress == pytest.approx(0.75)


def test_decreasing_key_result_counts_the_way_down() -> None:
    # Churn from 10 % down to 5 %: at 7.5 % we are half way.
    digest = build(objective(1, kr(7.5, start=10, target=5)))
    assert only_row(digest).progress == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("key_result", "expected"),
    [
        (kr(150), 1.0),
        (kr(-20), 0.0),
        (kr(2, start=10, target=5), 1.0),
        (kr(12, start=10, target=5), 0.0),
        (kr(None), 0.0),
    ],
    ids=["overshoot", "below-start", "decreasing-overshoot", "decreasing-wrong-way", "never"],
)
def test_progress_is_clamped_and_never_checked_in_is_zero(
    key_result: DigestKR, expected: float
) -> None:
    assert only_row(build(objective(1, key_result))).progress == pytest.approx(expected)


def test_company_progress_is_the_mean_of_objectives_not_of_key_results() -> None:
    digest = build(
        objective(1, kr(100), team="A"),
        objective(2, kr(0), kr(0), kr(0), team="B"),
    )
    assert digest.progress == pytest.approx(0.5)


# -- change since last week


def test_change_is_progress_now_minus_a_week_ago() -> None:
    row = only_row(build(objective(1, kr(50, 20), kr(40, 40))))
    assert row.change == pytest.approx((0.5 + 0.4) / 2 - (0.2 + 0.4) / 2)


def test_no_value_a_week_ago_means_the_start_value() -> None:
    row = only_row(build(objective(1, kr(30, None, start=10, target=110))))
    assert row.change == pytest.approx(0.2)


def test_a_week_without_check_in_is_no_change() -> None:
    row = only_row(build(objective(1, kr(None, None), kr(None, None))))
    assert row.change == 0


@pytest.mark.parametrize(
    ("published_at", "has_change"),
    [(days_ago(3), False), (days_ago(6.9), False), (days_ago(7), True), (days_ago(8), True)],
)
def test_objectives_younger_than_a_week_have_no_change(
    published_at: datetime, has_change: bool
) -> None:
    row = only_row(build(objective(1, kr(50, None), published_at=published_at)))
    assert (row.change is not None) is has_change


def test_unknown_publication_date_counts_as_long_ago() -> None:
    row = only_row(build(objective(1, kr(50, None), published_at=None)))
    assert row.change == pytest.approx(0.5)


def test_company_change_ignores_objectives_without_one() -> None:
    # A brand-new objective at 0 % must not drag the company's change down.
    digest = build(
        objective(1, kr(60, 50)),
        objective(2, kr(30, 0)),
        objective(3, kr(0, None), published_at=days_ago(2)),
    )
    assert digest.change == pytest.approx(0.2)


def test_company_change_is_none_when_every_objective_is_new() -> None:
    assert build(objective(1, kr(50), published_at=days_ago(1))).change is None


# -- counts and attention


def test_counts_every_confidence_and_missing_check_ins() -> None:
    digest = build(
        objective(1, confidence=Confidence.ON_TRACK),
        objective(2, confidence=Confidence.ON_TRACK),
        objective(3, confidence=Confidence.AT_RISK),
        objective(4, confidence=Confidence.OFF_TRACK),
        objective(5, confidence=None),
    )
    assert dict(digest.counts) == {"on_track": 2, "at_risk": 1, "off_track": 1, "no_check_in": 1}
    assert digest.objectives == 5


def test_attention_lists_off_track_then_at_risk_worst_first_across_teams() -> None:
    digest = build(
        objective(1, kr(10), confidence=Confidence.AT_RISK, team="A"),
        objective(2, kr(90), confidence=Confidence.OFF_TRACK, team="B"),
        objective(3, kr(5), confidence=Confidence.ON_TRACK, team="A"),
        objective(4, kr(5), confidence=None, team="A"),
        objective(5, kr(40), confidence=Confidence.OFF_TRACK, team=None),
        objective(6, kr(0), confidence=Confidence.AT_RISK, team="B"),
    )
    # 4 and 3 (never checked in, published long ago) are stale: they need attention too,
    # after the declared risks.
    assert [row.objective_id for row in digest.attention] == [5, 2, 6, 1, 4, 3]


# -- stale owners


@pytest.mark.parametrize(
    ("last_check_in", "published_at", "stale"),
    [
        (days_ago(8), LONG_AGO, True),
        (days_ago(7), LONG_AGO, True),
        (days_ago(6), LONG_AGO, False),
        (None, days_ago(8), True),
        (None, days_ago(3), False),
        (None, None, True),
    ],
    ids=[
        "checked-in-8-days-ago",
        "exactly-7-days",
        "6-days",
        "never-published-8-days-ago",
        "never-published-3-days-ago",
        "never-unknown-publication",
    ],
)
def test_stale_owners(
    last_check_in: datetime | None, published_at: datetime | None, stale: bool
) -> None:
    item = replace(objective(1), last_check_in=last_check_in, published_at=published_at)
    digest = build(item)
    assert digest.stale == ((Person("U0001", "Ada Lovelace"),) if stale else ())


def test_stale_threshold_is_configurable() -> None:
    item = objective(1, last_check_in=days_ago(10))
    assert build(item, stale_after_days=14).stale == ()
    assert build(item, stale_after_days=10).stale_after_days == 10
    assert len(build(item, stale_after_days=10).stale) == 1


def test_one_neglected_objective_makes_its_owner_stale_once() -> None:
    digest = build(
        objective(1, owner_id="U1", last_check_in=days_ago(1)),
        objective(2, owner_id="U1", last_check_in=days_ago(20)),
        objective(3, owner_id="U1", last_check_in=days_ago(30)),
    )
    assert digest.stale == (Person("U1", "Ada Lovelace"),)


def test_stale_people_are_sorted_by_name_unknown_names_last() -> None:
    old = days_ago(30)
    digest = build(
        objective(1, owner_id="U1", owner_name="zoë", last_check_in=old),
        objective(2, owner_id="U2", owner_name=None, last_check_in=old),
        objective(3, owner_id="U3", owner_name="Bob", last_check_in=old),
        objective(4, owner_id="U4", owner_name="alice", last_check_in=old),
        objective(5, owner_id="U5", owner_name="Carl", last_check_in=days_ago(1)),
    )
    assert [p.id for p in digest.stale] == ["U4", "U3", "U1", "U2"]


def test_a_name_known_on_any_objective_is_used() -> None:
    old = days_ago(30)
    digest = build(
        objective(1, owner_id="U1", owner_name=None, last_check_in=old),
        objective(2, owner_id="U1", owner_name="Ada", last_check_in=old),
    )
    assert digest.stale == (Person("U1", "Ada"),)


# -- order


def test_rows_within_a_team_put_what_needs_attention_first() -> None:
    digest = build(
        objective(1, kr(10), confidence=Confidence.ON_TRACK),
        objective(2, kr(90), confidence=None),
        objective(3, kr(80), confidence=Confidence.AT_RISK),
        objective(4, kr(95), confidence=Confidence.OFF_TRACK),
        objective(5, kr(20), confidence=Confidence.AT_RISK),
        objective(6, kr(20), confidence=Confidence.AT_RISK, title="Alpha"),
        objective(7, kr(5), confidence=None),
    )
    (team,) = digest.teams
    assert [row.objective_id for row in team.rows] == [4, 6, 5, 3, 7, 2, 1]


def test_teams_are_sorted_by_name_with_no_team_last() -> None:
    digest = build(
        objective(1, kr(100), team=None),
        objective(2, kr(20), team="sales"),
        objective(3, kr(40), team="Engineering"),
        objective(4, kr(60), team="Engineering"),
        objective(5, kr(0), team="  "),
        objective(6, kr(0), team="Zeta"),
    )
    assert [team.name for team in digest.teams] == ["Engineering", "sales", "Zeta", NO_TEAM]
    assert digest.teams[0].progress == pytest.approx(0.5)
    assert [row.objective_id for row in digest.teams[-1].rows] == [5, 1]
    assert digest.teams[-1].progress == pytest.approx(0.5)


# -- the calendar and the empty company


def test_week_and_elapsed_share_of_the_quarter() -> None:
    digest = build(objective(1))
    assert (digest.quarter, digest.week, digest.weeks) == ("2026-Q4", 9, 13)
    assert digest.elapsed == pytest.approx(61 / 92)


@pytest.mark.parametrize(
    ("today", "week", "elapsed"),
    [(date(2026, 9, 28), 1, 0.0), (date(2027, 1, 4), 13, 1.0)],
)
def test_a_day_outside_the_quarter_is_pinned(today: date, week: int, elapsed: float) -> None:
    digest = build_digest(QUARTER, today, NOW, [objective(1)])
    assert (digest.week, digest.elapsed) == (week, elapsed)


def test_empty_company_is_a_valid_digest_of_zeros() -> None:
    digest = build()
    assert digest.objectives == 0
    assert digest.progress == 0
    assert digest.change is None
    assert dict(digest.counts) == {"on_track": 0, "at_risk": 0, "off_track": 0, "no_check_in": 0}
    assert (digest.teams, digest.attention, digest.stale) == ((), (), ())
    assert digest.week == 9


def test_objective_without_key_results_is_at_zero() -> None:
    item = replace(objective(1), krs=())
    row = only_row(build(item))
    assert (row.progress, row.change) == (0, 0)
