"""Progress of key results and objectives."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

MILESTONE = "milestone"
RANGE = "range"


def kr_progress(start: float, target: float, current: float | None, kind: str = "numeric") -> float:
    """Share of the way from start to target, clamped to 0..1; works for decreasing KRs.

    A milestone (0 to 1) is done or not; a range (start and target its bounds) is all
    there while the value is inside, nothing outside."""
    if current is None:
        return 0.0
    if kind == RANGE:
        return 1.0 if inside(start, target, current) else 0.0
    if kind == MILESTONE:
        return 1.0 if current >= 0.5 else 0.0
    if target == start:
        return 0.0
    share = (current - start) / (target - start)
    return min(1.0, max(0.0, share))


def inside(low: float, high: float, value: float) -> bool:
    """A range key result's value within its bounds (both included)."""
    return min(low, high) <= value <= max(low, high)


def share_inside(low: float, high: float, values: Sequence[float]) -> float:
    """A range key result's score at the quarter's close: the share of its check-ins
    that were inside the bounds (none checked in: nothing)."""
    if not values:
        return 0.0
    return sum(1 for v in values if inside(low, high, v)) / len(values)


def kr_progress_each(
    start: float, target: float, values: Iterable[float | None], kind: str = "numeric"
) -> list[float]:
    """kr_progress of each of `values` in one call, for the trend: every key result of the
    company at every week of the quarter."""
    if kind != "numeric":
        return [kr_progress(start, target, v, kind) for v in values]
    if target == start:
        return [0.0 for _ in values]
    span = target - start
    shares = []
    for value in values:
        if value is None:
            shares.append(0.0)
            continue
        share = (value - start) / span
        shares.append(1.0 if share > 1.0 else share if share > 0.0 else 0.0)
    return shares


def objective_progress(shares: Sequence[float]) -> float:
    return sum(shares) / len(shares) if shares else 0.0


def progress_bar(share: float, width: int = 10) -> str:
    filled = round(min(1.0, max(0.0, share)) * width)
    return "\u2588" * filled + "\u2591" * (width - filled)
