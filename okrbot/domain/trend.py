"""The company's progress through the quarter, week by week, from check-in history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from okrbot.domain.progress import kr_progress_each, objective_progress


@dataclass(frozen=True)
class TrendKR:
    objective_id: int
    start: float
    target: float
    kind: str = "numeric"


def values_at(
    checked: Iterable[tuple[int, int, float]], moments: int
) -> dict[int, list[float | None]]:
    """Each key result's latest value at each of `moments` moments.

    `checked` is (key result id, index of the first moment the value counts at, value),
    each key result's in the order they were checked in (faster when a key result's come
    together); an index past the last moment counts at none. One pass over the values,
    then one over each key result's moments.
    """
    latest: dict[int, list[float | None]] = {}
    current: int | None = None
    slots: list[float | None] = []
    for kr_id, index, value in checked:
        if kr_id != current:
            current = kr_id
            found = latest.get(kr_id)
            if found is None:
                found = latest[kr_id] = [None] * moments
            slots = found
        if index < moments:
            slots[index] = value
    for slots in latest.values():
        previous: float | None = None
        for index, slot in enumerate(slots):
            if slot is None:
                slots[index] = previous
            else:
                previous = slot
    return latest


class KRBounds(Protocol):
    """What the trend needs of a key result; TrendKR is one, and so is a row with these."""

    @property
    def objective_id(self) -> int: ...
    @property
    def start(self) -> float: ...
    @property
    def target(self) -> float: ...
    @property
    def kind(self) -> str: ...


def progress_at(
    krs: Mapping[int, KRBounds],
    values: Mapping[int, Sequence[float | None]],
    indexes: Sequence[int],
) -> list[float]:
    """Overall progress at each moment of `indexes`, from `values_at`'s values: the mean
    of `objectives_progress_at`'s objectives."""
    shares = list(objectives_progress_at(krs, values, indexes).values())
    return [
        objective_progress([share[position] for share in shares])
        for position in range(len(indexes))
    ]


def objectives_progress_at(
    krs: Mapping[int, KRBounds],
    values: Mapping[int, Sequence[float | None]],
    indexes: Sequence[int],
) -> dict[int, list[float]]:
    """Each objective's progress at each moment of `indexes`, from `values_at`'s values,
    by objective id; an objective with no key result in `krs` is not in it.

    Each objective's sums are built key result by key result, in one pass over the key
    results: the digest runs this for every key result of the company."""
    sums: dict[int, list[float]] = {}
    counts: dict[int, int] = defaultdict(int)
    for kr_id, kr in krs.items():
        row = sums.get(kr.objective_id)
        if row is None:
            row = sums[kr.objective_id] = [0.0] * len(indexes)
        counts[kr.objective_id] += 1
        slots = values.get(kr_id)
        if slots is None:
            continue  # never checked in: at its start, no progress
        progress = kr_progress_each(
            kr.start, kr.target, [slots[index] for index in indexes], kr.kind
        )
        for position, share in enumerate(progress):
            row[position] += share
    return {
        objective: [total / counts[objective] for total in row] for objective, row in sums.items()
    }
