"""Progress of key results and objectives."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def kr_progress(start: float, target: float, current: float | None) -> float:
    """Share of the way from start to target, clamped to 0..1; works for decreasing KRs."""
    if current is None or target == start:
        return 0.0
    share = (current - start) / (target - start)
    return min(1.0, max(0.0, share))


def kr_progress_each(start: float, target: float, values: Iterable[float | None]) -> list[float]:
    """kr_progress of each of `values` in one call, for the trend: every key result of the
    company at every week of the quarter."""
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
