"""The rules of each kind of key result: validation of the form, progress and score."""

from __future__ import annotations

from okrbot.domain.checkin import value_problem
from okrbot.domain.okr import Kind, RawKeyResult, RawObjective, validate_objective
from okrbot.domain.progress import kr_progress, kr_progress_each, share_inside
from okrbot.domain.trend import TrendKR, progress_at


def form(*krs: RawKeyResult) -> RawObjective:
    return RawObjective(title="T", level="team", quarter="2026-Q4", key_results=list(krs))


def validate(*krs: RawKeyResult) -> tuple[object, dict[str, str]]:
    draft, errors = validate_objective(form(*krs), allowed_quarters=("2026-Q4",))
    return draft, {e.field: e.key for e in errors}


def test_a_milestone_needs_no_start_or_target_and_is_stored_zero_to_one() -> None:
    draft, errors = validate(
        RawKeyResult("Launch", kind="milestone"),
        RawKeyResult("Users", "0", "10", kind="numeric"),
    )
    assert errors == {}
    assert draft is not None
    launch = draft.key_results[0]  # type: ignore[attr-defined]
    assert (launch.kind, launch.start, launch.target) == (Kind.MILESTONE, 0.0, 1.0)


def test_a_range_needs_both_bounds_low_below_high() -> None:
    _, errors = validate(
        RawKeyResult("Uptime", "100", "99.5", kind="range"),
        RawKeyResult("Latency", "", "", kind="range"),
    )
    assert errors == {
        "kr1_target": "form.range.order",
        "kr2_start": "form.start.empty",
        "kr2_target": "form.target.empty",
    }
    _, errors = validate(RawKeyResult("A", "1", "2", kind="odd"), RawKeyResult("B", "1", "2"))
    assert errors == {"kr1_kind": "form.kr.kind.choose"}


def test_a_kind_alone_does_not_fill_a_slot() -> None:
    assert RawKeyResult(kind="numeric").is_blank


def test_progress_of_each_kind() -> None:
    assert kr_progress(0, 1, None, "milestone") == 0.0
    assert kr_progress(0, 1, 1, "milestone") == 1.0
    assert kr_progress(0, 1, 0, "milestone") == 0.0
    assert kr_progress(99.5, 100, 99.7, "range") == 1.0
    assert kr_progress(99.5, 100, 100, "range") == 1.0
    assert kr_progress(99.5, 100, 99.4, "range") == 0.0
    assert kr_progress(99.5, 100, None, "range") == 0.0
    assert kr_progress_each(99.5, 100, [None, 99.6, 98.0], "range") == [0.0, 1.0, 0.0]
    trend = progress_at(
        {1: TrendKR(1, 99.5, 100, "range"), 2: TrendKR(1, 0, 1, "milestone")},
        {1: [99.0, 99.9], 2: [0.0, 1.0]},
        [0, 1],
    )
    assert trend == [0.0, 1.0]


def test_a_range_is_scored_by_the_share_of_check_ins_inside() -> None:
    assert share_inside(99.5, 100, []) == 0.0
    assert share_inside(99.5, 100, [99.9, 98.7, 99.95]) == 2 / 3


def test_values_each_kind_takes() -> None:
    assert value_problem(0.0, 0, 1, "milestone") is None
    assert value_problem(2.0, 0, 1, "milestone") == "checkin.error.milestone"
    # Close bounds still leave room for a bad day: 0 % uptime is news, not a typo.
    assert value_problem(0.0, 99.5, 100, "range") is None
    assert value_problem(1e6, 99.5, 100, "range") == "checkin.error.absurd"
