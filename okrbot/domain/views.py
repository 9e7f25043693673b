"""Read models handed to the presentation layer: plain, immutable snapshots."""

from __future__ import annotations

from dataclasses import dataclass

from okrbot.domain.okr import Kind, Level, Status


@dataclass(frozen=True)
class KeyResultView:
    position: int
    description: str
    start: float
    target: float
    unit: str
    kind: Kind = Kind.NUMERIC
    # Its own owner, when not the objective's owner.
    owner: str | None = None


@dataclass(frozen=True)
class ObjectiveView:
    id: int
    version: int
    owner_id: str
    level: Level
    team: str | None
    quarter: str
    title: str
    description: str
    status: Status
    key_results: tuple[KeyResultView, ...]
    aligned_to_id: int | None = None
    aligned_to_title: str | None = None
    aligned_to_owner: str | None = None


@dataclass(frozen=True)
class AlignOption:
    id: int
    quarter: str
    level: Level
    title: str
    owner_id: str
