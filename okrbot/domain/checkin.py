"""Weekly check-ins: how confident people are, and which numbers make sense."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import NamedTuple

from okrbot.domain.okr import ABS_VALUE_MAX, parse_number


class Confidence(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"

    @property
    def label(self) -> str:
        return {"on_track": "On track", "at_risk": "At risk", "off_track": "Off track"}[self.value]

    @property
    def emoji(self) -> str:
        return {
            "on_track": ":large_green_circle:",
            "at_risk": ":large_yellow_circle:",
            "off_track": ":red_circle:",
        }[self.value]

    @property
    def urgency(self) -> int:
        """Sort key: what needs attention first."""
        return {"off_track": 0, "at_risk": 1, "on_track": 3}[self.value]


class Bounds(NamedTuple):
    """A key result as a new value is checked against it."""

    kr_id: int
    start: float
    target: float
    kind: str = "numeric"


COMMENT_MAX = 1000
# Beyond this many times the distance from start to target, a value is a typo, not news.
ABSURD_FACTOR = 100.0


def check_value(
    text: str | None, start: float, target: float, kind: str = "numeric"
) -> tuple[float | None, str | None]:
    """(value, error key) for a key result's new value as typed."""
    if text is None or not text.strip():
        return None, "checkin.error.empty"
    value = parse_number(text)
    if value is None:
        return None, "checkin.error.number"
    problem = value_problem(value, start, target, kind)
    if problem is not None:
        return None, problem
    return value, None


def value_problem(value: float, start: float, target: float, kind: str = "numeric") -> str | None:
    """The error key for a key result's new value, already a number, or None when it may be
    recorded: the form's check (`check_value`) and a check-in by reply both come here.
    A milestone takes 1 (done) or 0 (not done)."""
    if not math.isfinite(value):
        return "checkin.error.number"
    if kind == "milestone":
        return None if value in (0.0, 1.0) else "checkin.error.milestone"
    span = abs(target - start)
    if kind == "range":
        # Bounds close together (99.5 to 100) say nothing of how far outside a value may be.
        span = max(span, abs(start), abs(target))
    if abs(value) > ABS_VALUE_MAX or abs(value - start) > ABSURD_FACTOR * span:
        return "checkin.error.absurd"
    return None


def parse_confidence(text: str | None) -> Confidence | None:
    try:
        return Confidence((text or "").strip())
    except ValueError:
        return None


def clean_comment(text: str | None) -> tuple[str | None, str | None]:
    comment = (text or "").strip()
    if len(comment) > COMMENT_MAX:
        return None, "checkin.error.comment_long"
    return comment or None, None


def pages(sizes: list[int], budget: int, overhead: int = 3) -> list[list[int]]:
    """Split items (each taking `size + overhead` blocks) into pages within `budget` blocks.

    Returns lists of indexes; an item never spans two pages.
    """
    result: list[list[int]] = []
    current: list[int] = []
    used = 0
    for index, size in enumerate(sizes):
        cost = size + overhead
        if current and used + cost > budget:
            result.append(current)
            current, used = [], 0
        current.append(index)
        used += cost
    if current:
        result.append(current)
    return result
