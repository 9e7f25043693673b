"""A quarter's OKRs with their whole history, for `okrbot export`.

Everything is read in one read-only unit of work with a fixed number of queries, whatever
the size of the company: objectives, then their key results, approvals, check-ins and
check-in values each in one query joined back to the quarter's objectives (a subquery, not
a list of ids, so a big quarter cannot hit a backend's limit on bound parameters).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from okrbot.domain.progress import kr_progress, objective_progress
from okrbot.domain.quarters import Quarter
from okrbot.store.models import Approval, CheckIn, KeyResult
from okrbot.store.uow import UnitOfWork

Row = TypeVar("Row")
Record = TypeVar("Record")


@dataclass(frozen=True)
class KeyResultRecord:
    id: int
    position: int
    description: str
    start: float
    target: float
    unit: str
    current: float | None
    current_at: datetime | None
    score: float | None
    retired_at: datetime | None
    # numeric, milestone or range (domain.okr.Kind)
    kind: str = "numeric"
    # Its own owner; None: the objective's owner.
    owner: str | None = None

    @property
    def progress(self) -> float:
        return kr_progress(self.start, self.target, self.current, self.kind)


@dataclass(frozen=True)
class ApprovalRecord:
    version: int
    stage: str
    approver_id: str
    outcome: str
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    requested_at: datetime


@dataclass(frozen=True)
class CheckInValueRecord:
    # The key result's position within its objective: stable, and what people see.
    key_result: int
    value: float


@dataclass(frozen=True)
class CheckInRecord:
    author_id: str
    created_at: datetime
    confidence: str
    comment: str | None
    values: tuple[CheckInValueRecord, ...]
    # "slack", or "api:<token name>" for a value sent to the HTTP API.
    source: str = "slack"


@dataclass(frozen=True)
class ObjectiveRecord:
    id: int
    level: str
    team: str | None
    owner_id: str
    title: str
    description: str
    status: str
    version: int
    aligned_to_id: int | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    withdrawn_at: datetime | None
    confidence: str | None
    last_check_in_at: datetime | None
    score: float | None
    scored_at: datetime | None
    key_results: tuple[KeyResultRecord, ...]
    approvals: tuple[ApprovalRecord, ...]
    check_ins: tuple[CheckInRecord, ...]

    @property
    def progress(self) -> float:
        """Over the key results still in force: a retired one no longer counts."""
        return objective_progress([kr.progress for kr in self.key_results if kr.retired_at is None])


@dataclass(frozen=True)
class QuarterExport:
    workspace_id: str | None
    quarter: Quarter
    exported_at: datetime
    objectives: tuple[ObjectiveRecord, ...]
    # Display names of the people the export mentions, where Slack's directory gave one.
    names: Mapping[str, str]


async def snapshot(uow: UnitOfWork) -> None:
    """Make the unit of work's queries see one moment; call it before the first query (a
    check-in committed between two of them could otherwise show up without its values)."""
    await uow.snapshot()


async def workspaces(uow: UnitOfWork) -> list[str]:
    """Every workspace the database knows, from its people and its objectives."""
    return await uow.workspaces.known()


async def export_quarter(
    uow: UnitOfWork, workspace_id: str | None, quarter: Quarter, *, now: datetime
) -> QuarterExport:
    """All of the quarter's objectives in any status, sorted by id: six queries."""
    if workspace_id is None:
        return QuarterExport(None, quarter, now, (), {})
    ws, q = workspace_id, str(quarter)
    objectives = await uow.objectives.in_quarter(ws, q)
    # Retired key results too: their check-in values would otherwise point at nothing.
    key_results = _grouped(await uow.objectives.key_results_in_quarter(ws, q), _key_result_record)
    approvals = _grouped(await uow.approvals.in_quarter(ws, q), _approval_record)
    values = _grouped(await uow.check_ins.values_in_quarter(ws, q), _value_record)
    check_ins = _grouped(
        await uow.check_ins.in_quarter(ws, q), lambda c: _check_in_record(c, values)
    )
    names = await uow.people.display_names(workspace_id)

    records = tuple(
        ObjectiveRecord(
            id=o.id,
            level=o.level,
            team=o.team,
            owner_id=o.owner_id,
            title=o.title,
            description=o.description,
            status=o.status,
            version=o.version,
            aligned_to_id=o.aligned_to_id,
            created_at=o.created_at,
            updated_at=o.updated_at,
            published_at=o.published_at,
            withdrawn_at=o.withdrawn_at,
            confidence=o.confidence,
            last_check_in_at=o.last_check_in_at,
            score=o.score,
            scored_at=o.scored_at,
            key_results=tuple(key_results.get(o.id, ())),
            approvals=tuple(approvals.get(o.id, ())),
            check_ins=tuple(check_ins.get(o.id, ())),
        )
        for o in objectives
    )
    mentioned = {
        person
        for o in records
        for person in (
            o.owner_id,
            *(a.approver_id for a in o.approvals),
            *(a.decided_by for a in o.approvals if a.decided_by),
            *(c.author_id for c in o.check_ins),
        )
    }
    return QuarterExport(
        workspace_id=workspace_id,
        quarter=quarter,
        exported_at=now,
        objectives=records,
        names={user: names[user] for user in sorted(mentioned) if user in names},
    )


def _grouped(
    rows: Iterable[Row], make: Callable[[Row], tuple[int, Record]]
) -> dict[int, list[Record]]:
    """Records made from rows, grouped by the id `make` gives with each (the objective's,
    or the check-in's), in the rows' order."""
    grouped: dict[int, list[Record]] = defaultdict(list)
    for row in rows:
        key, record = make(row)
        grouped[key].append(record)
    return grouped


def _key_result_record(kr: KeyResult) -> tuple[int, KeyResultRecord]:
    return kr.objective_id, key_result_record(kr)


def key_result_record(kr: KeyResult) -> KeyResultRecord:
    return KeyResultRecord(
        id=kr.id,
        position=kr.position,
        description=kr.description,
        start=kr.start_value,
        target=kr.target_value,
        unit=kr.unit,
        current=kr.current_value,
        current_at=kr.current_at,
        score=kr.score,
        retired_at=kr.retired_at,
        kind=kr.kind,
        owner=kr.owner_id,
    )


def _approval_record(a: Approval) -> tuple[int, ApprovalRecord]:
    return a.objective_id, ApprovalRecord(
        version=a.version,
        stage=a.stage,
        approver_id=a.approver_id,
        outcome=a.outcome,
        reason=a.reason,
        decided_by=a.decided_by,
        decided_at=a.decided_at,
        requested_at=a.created_at,
    )


def _value_record(row: tuple[int, int, float]) -> tuple[int, CheckInValueRecord]:
    check_in_id, position, value = row
    return check_in_id, CheckInValueRecord(position, value)


def _check_in_record(
    c: CheckIn, values: Mapping[int, list[CheckInValueRecord]]
) -> tuple[int, CheckInRecord]:
    return c.objective_id, CheckInRecord(
        author_id=c.author_id,
        created_at=c.created_at,
        confidence=c.confidence,
        comment=c.comment,
        values=tuple(values.get(c.id, ())),
        source=c.source,
    )
