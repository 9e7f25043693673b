"""The company's progress through the quarter, week by week, from check-in history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from okrbot.domain.progress import kr_progress, objective_progress


@dataclass(frozen=True)
class TrendKR:
    objective_id: int
    start: float
    target: float


def weekly_progress(
    krs: Mapping[int, TrendKR],
    history: Iterable[tuple[int, datetime, float]],
    moments: Sequence[datetime],
) -> list[float]:
    """Overall progress (the mean of objectives' progress) at each of `moments`.

    `history` is (key result id, when, value) of every check-in value; a key result with
    no value yet at a moment counts at its start. One pass over the history.
    """
    by_kr: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    for kr_id, at, value in history:
        if kr_id in krs:
            by_kr[kr_id].append((at, value))
    for values in by_kr.values():
        values.sort()
    objectives: dict[int, list[int]] = defaultdict(list)
    for kr_id, kr in krs.items():
        objectives[kr.objective_id].append(kr_id)

    series: list[float] = []
    for moment in moments:
        shares = []
        for kr_ids in objectives.values():
            progress = []
            for kr_id in kr_ids:
                kr = krs[kr_id]
                latest = None
                for at, value in by_kr.get(kr_id, ()):
                    if at > moment:
                        break
                    latest = value
                progress.append(kr_progress(kr.start, kr.target, latest))
            shares.append(objective_progress(progress))
        series.append(objective_progress(shares))
    return series
