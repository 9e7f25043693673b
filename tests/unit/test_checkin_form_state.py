"""What the check-in form carries in private_metadata, and checking it without a database."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okrbot.domain.checkin import Bounds, pages
from okrbot.domain.okr import ABS_VALUE_MAX
from okrbot.i18n import ENGLISH
from okrbot.services.checkins import (
    PAGE_BLOCKS,
    PER_OBJECTIVE_BLOCKS,
    CheckInPage,
    KRState,
    ObjectiveState,
    RawCheckIn,
    validate,
)
from okrbot.slack.blocks.checkin import checkin_modal
from okrbot.slack.blocks.common import PageState
from okrbot.slack.limits import PRIVATE_METADATA_MAX

# The largest id an Integer column holds on PostgreSQL; SQLite's start at 1 the same way.
ID_MAX = 2**31 - 1
# Seventeen significant digits and a sign: as long as a float within the limits gets.
LONGEST = -123456.78901234567
KR_MIN, KR_MAX = 2, 5


def fullest(objectives: int) -> list[int]:
    """The most key results `objectives` objectives can have on one page."""
    sizes = [KR_MIN] * objectives
    used = objectives * (KR_MIN + PER_OBJECTIVE_BLOCKS)
    for i in range(objectives):
        extra = min(KR_MAX - KR_MIN, PAGE_BLOCKS - used)
        sizes[i] += max(0, extra)
        used += max(0, extra)
    return sizes


def page_of(sizes: list[int]) -> CheckInPage:
    next_id = iter(range(ID_MAX, 0, -1))
    objectives = tuple(
        ObjectiveState(
            id=next(next_id),
            title="x" * 150,
            quarter="2026-Q4",
            confidence=None,
            last_check_in_at=None,
            key_results=tuple(
                KRState(next(next_id), n, "y" * 300, "z" * 30, LONGEST, -LONGEST, None, None)
                for n in range(1, size + 1)
            ),
        )
        for size in sizes
    )
    return CheckInPage(objectives, (), len(objectives))


def test_the_fullest_last_page_carries_its_bounds_within_slacks_limit() -> None:
    longest = 0
    most_objectives = PAGE_BLOCKS // (KR_MIN + PER_OBJECTIVE_BLOCKS)
    for count in range(1, most_objectives + 1):
        sizes = fullest(count)
        assert len(pages(sizes, PAGE_BLOCKS, PER_OBJECTIVE_BLOCKS)) == 1
        page = page_of(sizes)
        metadata = checkin_modal(page, ENGLISH)["private_metadata"]
        assert len(metadata) <= PRIVATE_METADATA_MAX, (count, sum(sizes), len(metadata))
        state = PageState.decode(metadata)
        # Carried whole, not dropped for being too long.
        assert state.page == [
            (o.id, tuple(Bounds(kr.id, kr.start, kr.target) for kr in o.key_results))
            for o in page.objectives
        ]
        longest = max(longest, len(metadata))
    # One more objective than that does not fit on a page at all.
    assert len(pages(fullest(most_objectives + 1), PAGE_BLOCKS, PER_OBJECTIVE_BLOCKS)) == 2
    assert longest > 2000, "the worst case is the one measured"


def test_a_page_with_more_after_it_carries_no_bounds() -> None:
    page = page_of([3, 3])
    paged = CheckInPage(page.objectives, (1, 2, 3), 5)
    state = PageState.decode(checkin_modal(paged, ENGLISH)["private_metadata"])
    assert state.rest == (1, 2, 3)
    assert state.page is None


finite = st.floats(min_value=-ABS_VALUE_MAX, max_value=ABS_VALUE_MAX, allow_nan=False)


@given(st.lists(st.tuples(st.integers(1, ID_MAX), finite, finite), min_size=1, max_size=5))
def test_bounds_come_back_exactly(krs: list[tuple[int, float, float]]) -> None:
    bounds = tuple(Bounds(*kr) for kr in krs)
    state = PageState.decode(PageState((7,), (), {7: bounds}).encode())
    assert state.page == [(7, bounds)]


@pytest.mark.parametrize(
    "b",
    [
        {"7": "1,0,nan"},
        {"7": "1,0,inf"},
        {"7": "1,0"},
        {"7": "x,0,1"},
        {"7": "1,~AAA,1"},
        {"7": 5},
        [1, 2],
        None,
    ],
)
def test_malformed_bounds_are_no_bounds(b: object) -> None:
    state = PageState.decode(json.dumps({"ids": [7], "rest": [], "b": b}))
    assert state.ids == (7,)
    assert state.page is None


def test_bounds_for_only_some_objectives_are_not_enough() -> None:
    state = PageState((7, 8), (), {7: (Bounds(1, 0, 10),)})
    assert PageState.decode(state.encode()).page is None


def test_validation_without_the_database_uses_the_carried_bounds() -> None:
    page = [(7, (Bounds(1, 0.0, 100.0), Bounds(2, 8.0, 5.0)))]
    good = RawCheckIn({"kr_1": "40", "kr_2": "6,5", "conf_7": "at_risk", "note_7": ""})
    assert validate(page, good) == []
    bad = RawCheckIn({"kr_1": "1e9", "kr_2": "", "conf_7": "sure", "note_7": "n" * 1001})
    assert sorted((e.field, e.key) for e in validate(page, bad)) == [
        ("conf_7", "checkin.error.confidence"),
        ("kr_1", "checkin.error.absurd"),
        ("kr_2", "checkin.error.empty"),
        ("note_7", "checkin.error.comment_long"),
    ]
