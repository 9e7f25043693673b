"""The digest's one pass over a quarter's check-ins: values by moment, then progress."""

from __future__ import annotations

import random

import pytest

from okrbot.domain.progress import kr_progress, kr_progress_each, objective_progress
from okrbot.domain.trend import TrendKR, objectives_progress_at, progress_at, values_at


def test_each_moment_has_the_latest_value_up_to_it() -> None:
    checked = [
        (1, 0, 10.0),
        (1, 0, 12.0),  # later in the same week: it wins
        (1, 2, 30.0),  # nothing in week 1: week 0's value carries on
        (2, 1, 5.0),
        (2, 3, 99.0),  # after the last moment: counts at none
    ]
    assert values_at(checked, 3) == {1: [12.0, 12.0, 30.0], 2: [None, 5.0, 5.0]}


def test_key_results_may_come_interleaved() -> None:
    together = [(1, 0, 1.0), (1, 1, 2.0), (2, 0, 3.0), (2, 1, 4.0)]
    interleaved = [(1, 0, 1.0), (2, 0, 3.0), (1, 1, 2.0), (2, 1, 4.0)]
    assert values_at(interleaved, 2) == values_at(together, 2)


def test_progress_is_the_mean_of_objectives_means() -> None:
    krs = {
        1: TrendKR(objective_id=10, start=0, target=100),
        2: TrendKR(objective_id=10, start=10, target=0),  # decreasing
        3: TrendKR(objective_id=20, start=0, target=4),
        4: TrendKR(objective_id=30, start=5, target=5),  # no way to progress
    }
    values = {1: [50.0, 100.0], 2: [None, 5.0], 3: [8.0, 8.0], 4: [7.0, 7.0]}
    assert progress_at(krs, values, [0, 1]) == pytest.approx(
        [(0.25 + 1.0 + 0.0) / 3, (0.75 + 1.0 + 0.0) / 3]
    )
    # Only some moments, in any order.
    assert progress_at(krs, values, [1]) == pytest.approx([(0.75 + 1.0) / 3])


def test_each_objectives_progress_for_the_chart_of_teams() -> None:
    krs = {
        1: TrendKR(objective_id=10, start=0, target=100),
        2: TrendKR(objective_id=10, start=10, target=0),
        3: TrendKR(objective_id=20, start=0, target=4),  # never checked in
    }
    values = {1: [50.0, 100.0], 2: [None, 5.0]}
    found = objectives_progress_at(krs, values, [0, 1])
    assert found.keys() == {10, 20}
    assert found[10] == pytest.approx([0.25, 0.75])
    assert found[20] == [0.0, 0.0]


def test_one_pass_agrees_with_the_definition() -> None:
    rng = random.Random(3)
    krs = {
        k: TrendKR(k // 3, rng.choice((0.0, 10.0)), rng.choice((0.0, 5.0, 20.0))) for k in range(60)
    }
    values = {
        k: [rng.choice((None, rng.uniform(-5, 25))) for _ in range(6)] for k in range(0, 60, 2)
    }
    expected = []
    for index in range(6):
        by_objective: dict[int, list[float]] = {}
        for k, kr in krs.items():
            value = values[k][index] if k in values else None
            by_objective.setdefault(kr.objective_id, []).append(
                kr_progress(kr.start, kr.target, value)
            )
        expected.append(objective_progress([objective_progress(v) for v in by_objective.values()]))
    assert progress_at(krs, values, range(6)) == expected


def test_progress_of_many_values_at_once_is_kr_progress_of_each() -> None:
    values = [None, -3.0, 0.0, 2.5, 5.0, 7.0]
    for start, target in ((0.0, 5.0), (5.0, 0.0), (2.0, 2.0)):
        assert kr_progress_each(start, target, values) == [
            kr_progress(start, target, v) for v in values
        ]
