"""Objectives as the approval path leaves them, built straight for the database: for the
tests and benchmarks about what comes after (check-ins, digests, fan-outs, the Home tab).
The caller adds them to its unit of work (bench/ imports this module too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from okrbot.domain.okr import Level, Status
from okrbot.store.models import KeyResult, Objective


@dataclass(frozen=True)
class Measure:
    """A key result: from `start` to `target`, in `unit`."""

    description: str
    start: float = 0.0
    target: float = 100.0
    unit: str = "%"


def measures(count: int) -> list[Measure]:
    """`count` key results, "Key result 1" onwards, each from 0 to 100 %."""
    return [Measure(f"Key result {n}") for n in range(1, count + 1)]


def objective(
    *,
    workspace_id: str,
    owner_id: str,
    title: str,
    quarter: str,
    now: datetime,
    team: str | None = None,
    level: Level = Level.PERSONAL,
    status: Status = Status.APPROVED,
    key_results: Sequence[Measure] | None = None,
) -> Objective:
    """An objective at version 1 with its key results (three by default), published `now`
    when approved."""
    return Objective(
        workspace_id=workspace_id,
        owner_id=owner_id,
        level=level.value,
        team=team,
        quarter=quarter,
        title=title,
        description="",
        status=status.value,
        version=1,
        created_at=now,
        updated_at=now,
        published_at=now if status is Status.APPROVED else None,
        key_results=[
            KeyResult(
                position=position,
                description=measure.description,
                start_value=measure.start,
                target_value=measure.target,
                unit=measure.unit,
            )
            for position, measure in enumerate(
                measures(3) if key_results is None else key_results, start=1
            )
        ],
    )
