"""Key results' values from outside Slack (the HTTP API): recorded as check-ins like the
form's, and read back as `okrbot export --format json` has them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from okrbot.domain.checkin import Confidence, clean_comment, value_problem
from okrbot.domain.okr import Kind, Status
from okrbot.domain.quarters import Quarter
from okrbot.domain.values import moment_problem
from okrbot.services.export import KeyResultRecord, QuarterExport, export_quarter, key_result_record
from okrbot.services.home import queue_home_refresh
from okrbot.store.models import CheckIn
from okrbot.store.uow import UnitOfWorkFactory


class ValueRefused(Exception):
    """Why a value was not recorded: `reason` is "not_found", "not_open" or "invalid",
    `problem` says more ("checkin.error.absurd", "future", ...)."""

    def __init__(self, reason: str, problem: str = "", **details: object) -> None:
        super().__init__(reason, problem)
        self.reason = reason
        self.problem = problem
        self.details = details


@dataclass(frozen=True)
class KeyResultInfo:
    """A key result as the export has it, with its objective."""

    objective_id: int
    objective_status: str
    quarter: str
    record: KeyResultRecord


@dataclass(frozen=True)
class RecordedValue:
    value: float
    at: datetime
    comment: str | None
    source: str
    key_result: KeyResultInfo


async def record_value(
    uows: UnitOfWorkFactory,
    workspace_id: str,
    key_result_id: int,
    value: float | bool,
    *,
    comment: str | None,
    at: datetime | None,
    source: str,
    now: datetime,
    zone: tzinfo,
) -> RecordedValue:
    """Record a value of one of the workspace's key results, measured `at` (default: now),
    as a check-in of its objective by the objective's owner, which keeps the objective's
    confidence (on track for one never checked in). It is the key result's latest value
    unless a later one is recorded already. `ValueRefused` says why not."""
    moment = at or now
    async with uows() as uow:
        found = await uow.objectives.key_result_of(workspace_id, key_result_id)
        if found is None:
            raise ValueRefused("not_found")
        kr, objective = found
        if objective.status != Status.APPROVED.value:
            raise ValueRefused("not_open", "objective", status=objective.status)
        if kr.retired_at is not None:
            raise ValueRefused("not_open", "retired")
        if isinstance(value, bool):
            # true and false are a milestone's done and not done, and nothing else's.
            if kr.kind != Kind.MILESTONE:
                raise ValueRefused("invalid", "checkin.error.boolean")
            value = float(value)
        problem = value_problem(value, kr.start_value, kr.target_value, kr.kind)
        if problem is not None:
            raise ValueRefused("invalid", problem, start=kr.start_value, target=kr.target_value)
        text, problem = clean_comment(comment)
        if problem is not None:
            raise ValueRefused("invalid", problem)
        problem = moment_problem(moment, now, Quarter.parse(objective.quarter), zone)
        if problem is not None:
            raise ValueRefused("invalid", problem, quarter=objective.quarter)
        check_in = CheckIn(
            workspace_id=workspace_id,
            objective_id=objective.id,
            author_id=objective.owner_id,
            confidence=objective.confidence or Confidence.ON_TRACK.value,
            comment=text,
            created_at=moment,
            source=source,
        )
        uow.check_ins.add(check_in)
        await uow.flush()
        await uow.check_ins.add_values([(check_in.id, kr.id, value)], moment)
        current, current_at = await uow.check_ins.note_value(objective.id, kr.id, value, moment)
        # The owner's Home shows the new value, as after a check-in from the form.
        queue_home_refresh(uow, workspace_id, [objective.owner_id], now)
        record = key_result_record(kr)
        info = KeyResultInfo(
            objective.id,
            objective.status,
            objective.quarter,
            replace(record, current=current, current_at=current_at),
        )
        await uow.commit()
    return RecordedValue(value, moment, text, source, info)


async def key_result(
    uows: UnitOfWorkFactory, workspace_id: str, key_result_id: int
) -> KeyResultInfo | None:
    """One of the workspace's key results, None for any other id."""
    async with uows(readonly=True) as uow:
        found = await uow.objectives.key_result_of(workspace_id, key_result_id)
        if found is None:
            return None
        kr, objective = found
        return KeyResultInfo(
            objective.id, objective.status, objective.quarter, key_result_record(kr)
        )


async def quarter(
    uows: UnitOfWorkFactory, workspace_id: str, wanted: Quarter, now: datetime
) -> QuarterExport:
    """The workspace's objectives of a quarter, as `okrbot export` has them."""
    async with uows(readonly=True) as uow:
        await uow.snapshot()
        return await export_quarter(uow, workspace_id, wanted, now=now)
