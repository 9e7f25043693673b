"""Key results that update themselves: sources attached by an admin, read daily and before
each check-in prompt, each value recorded as a check-in (`services.values`).

A failing source is shown on its owner's Home and told to them once; three failures in a
row pause it and tell the admins once. Reading is done by a `Reader` (`okrbot.sources` in
the running app), outside any unit of work: a slow source never holds a transaction.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from okrbot.domain.quarters import Quarter
from okrbot.domain.sources import (
    PAUSE_AFTER,
    Kind,
    SourceProblem,
    SourceSpec,
    SourceStatus,
    clip_error,
    daily_due,
)
from okrbot.services import values
from okrbot.services.home import queue_home_refresh
from okrbot.services.notices import OutboxKind
from okrbot.store.models import KeyResultSource
from okrbot.store.repositories import SourceRow
from okrbot.store.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Reads one source: its kind and config in, a number out, or `SourceProblem`.
Reader = Callable[[str, Mapping[str, Any]], Awaitable[float]]


class SourceRefused(Exception):
    """A source command that cannot be done: "not_found", or a `SourceProblem`'s key."""

    def __init__(self, reason: str, **details: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class SourceInfo:
    key_result_id: int
    description: str
    objective_title: str
    owner_id: str
    kind: str
    config: dict[str, Any]
    status: str
    failures: int
    last_value: float | None
    last_read_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None


@dataclass
class ReadReport:
    read: int = 0
    failed: int = 0
    paused: int = 0


def source_label(kind: str) -> str:
    """What check-ins recorded from a source say they came from."""
    return f"source:{kind}"


def _info(row: SourceRow) -> SourceInfo:
    s = row.source
    return SourceInfo(
        row.key_result_id,
        row.description,
        row.objective_title,
        row.owner_id,
        s.kind,
        dict(s.config),
        s.status,
        s.failures,
        s.last_value,
        s.last_read_at,
        s.last_success_at,
        s.last_error,
    )


def _env_names(spec: SourceSpec) -> list[str]:
    header = spec.config.get("header")
    if spec.kind is Kind.HTTP:
        return [str(header["env"])] if isinstance(header, Mapping) else []
    return [str(spec.config["env"])]


async def attach(
    uows: UnitOfWorkFactory,
    workspace_id: str,
    actor_id: str,
    key_result_id: int,
    spec: SourceSpec,
    *,
    now: datetime,
    environ: Mapping[str, str] | None = None,
) -> SourceInfo:
    """Attach (or replace) a key result's source, active with a clean slate. The caller
    has checked that the actor administers the workspace. `SourceRefused` for a key result
    that is not the workspace's, or a variable okrbot does not have."""
    env = os.environ if environ is None else environ
    for name in _env_names(spec):
        if not env.get(name):
            raise SourceRefused("env_unset", name=name)
    async with uows() as uow:
        found = await uow.objectives.key_result_of(workspace_id, key_result_id)
        if found is None or found[0].retired_at is not None:
            raise SourceRefused("not_found")
        kr, objective = found
        source = await uow.sources.of_key_result(kr.id)
        if source is None:
            source = KeyResultSource(
                key_result_id=kr.id,
                workspace_id=workspace_id,
                created_at=now,
            )
            uow.sources.add(source)
        source.kind = spec.kind.value
        source.config = dict(spec.config)
        source.created_by = actor_id
        source.updated_at = now
        _reset(source, SourceStatus.ACTIVE)
        source.last_read_on = None
        source.prompt_week = None
        source.last_value = None
        source.last_success_at = None
        source.last_read_at = None
        await uow.flush()
        row = SourceRow(
            source, kr.id, kr.description, objective.id, objective.title, objective.owner_id
        )
        info = _info(row)
        queue_home_refresh(uow, workspace_id, [objective.owner_id], now)
        await uow.commit()
    return info


def _reset(source: KeyResultSource, status: SourceStatus) -> None:
    source.status = status.value
    source.failures = 0
    source.last_error = None
    source.told_owner_at = None
    source.paused_at = None


async def switch(
    uows: UnitOfWorkFactory, workspace_id: str, key_result_id: int, *, on: bool, now: datetime
) -> SourceInfo:
    """`off` stops reading a source; `on` resumes one turned off or paused (with its
    failures forgotten). `SourceRefused("not_found")` when the key result has none."""
    async with uows() as uow:
        found = await uow.objectives.key_result_of(workspace_id, key_result_id)
        source = None if found is None else await uow.sources.of_key_result(key_result_id)
        if found is None or source is None:
            raise SourceRefused("not_found")
        kr, objective = found
        _reset(source, SourceStatus.ACTIVE if on else SourceStatus.OFF)
        if on:
            # Read again today, even if it was (and failed) already.
            source.last_read_on = None
        source.updated_at = now
        info = _info(
            SourceRow(
                source, kr.id, kr.description, objective.id, objective.title, objective.owner_id
            )
        )
        queue_home_refresh(uow, workspace_id, [objective.owner_id], now)
        await uow.commit()
    return info


async def listing(uows: UnitOfWorkFactory, workspace_id: str) -> list[SourceInfo]:
    async with uows(readonly=True) as uow:
        return [_info(row) for row in await uow.sources.in_workspace(workspace_id)]


async def failing(uows: UnitOfWork, workspace_id: str, owner_id: str) -> list[SourceInfo]:
    """The owner's sources that failed last time, for their Home (in the Home's unit)."""
    return [_info(row) for row in await uows.sources.failing_for(workspace_id, owner_id)]


async def read_daily(
    uows: UnitOfWorkFactory,
    reader: Reader,
    workspace_id: str,
    *,
    now: datetime,
    zone: ZoneInfo,
    admins: Collection[str],
) -> ReadReport:
    """Every active source not read yet today, once 06:00 has passed in `zone`."""
    day = daily_due(now, zone, None)
    if day is None:
        return ReadReport()
    quarter = str(Quarter.containing(now.astimezone(zone).date()))
    async with uows(readonly=True) as uow:
        rows = await uow.sources.readable(workspace_id, quarter)
    due = [row for row in rows if daily_due(now, zone, row.source.last_read_on) is not None]
    return await _read_each(
        uows, reader, workspace_id, due, now=now, zone=zone, admins=admins, day=day
    )


async def read_before_prompt(
    uows: UnitOfWorkFactory,
    reader: Reader,
    workspace_id: str,
    owners: Collection[str],
    week: str,
    *,
    now: datetime,
    zone: ZoneInfo,
    admins: Collection[str],
) -> ReadReport:
    """The sources of the key results of `owners`, about to be prompted for `week`: once
    per source and week."""
    quarter = str(Quarter.containing(now.astimezone(zone).date()))
    async with uows(readonly=True) as uow:
        rows = await uow.sources.readable(workspace_id, quarter, owners)
    due = [row for row in rows if row.source.prompt_week != week]
    return await _read_each(
        uows, reader, workspace_id, due, now=now, zone=zone, admins=admins, week=week
    )


async def _read_each(
    uows: UnitOfWorkFactory,
    reader: Reader,
    workspace_id: str,
    rows: list[SourceRow],
    *,
    now: datetime,
    zone: ZoneInfo,
    admins: Collection[str],
    day: str | None = None,
    week: str | None = None,
) -> ReadReport:
    report = ReadReport()
    for row in rows:
        source_id = row.source.id
        async with uows() as uow:
            claimed = (
                await uow.sources.claim_day(source_id, day)
                if day is not None
                else await uow.sources.claim_prompt(source_id, week or "")
            )
            await uow.commit()
        if not claimed:
            continue
        try:
            value = await reader(row.source.kind, row.source.config)
        except SourceProblem as exc:
            problem = str(exc)
        except Exception as exc:  # a source must never stop the others
            log.exception("reading the source of key result %s failed", row.key_result_id)
            problem = f"unexpected ({type(exc).__name__})"
        else:
            try:
                await values.record_value(
                    uows,
                    workspace_id,
                    row.key_result_id,
                    value,
                    comment=None,
                    at=None,
                    source=source_label(row.source.kind),
                    now=now,
                    zone=zone,
                    checked_in=False,
                )
            except values.ValueRefused as refused:
                problem = f"value {value:g} refused ({refused.problem or refused.reason})"
            else:
                await _succeeded(uows, row, value, now)
                report.read += 1
                continue
        paused = await _failed(uows, row, problem, now=now, admins=admins)
        report.failed += 1
        report.paused += paused
    return report


async def _succeeded(uows: UnitOfWorkFactory, row: SourceRow, value: float, now: datetime) -> None:
    async with uows() as uow:
        source = await uow.sources.get(row.source.id)
        if source is None:
            return
        had_failed = source.failures > 0
        source.failures = 0
        source.last_error = None
        source.told_owner_at = None
        source.last_value = value
        source.last_read_at = now
        source.last_success_at = now
        if had_failed:
            # The owner's Home loses its warning.
            queue_home_refresh(uow, source.workspace_id, [row.owner_id], now)
        await uow.commit()


async def _failed(
    uows: UnitOfWorkFactory,
    row: SourceRow,
    problem: str,
    *,
    now: datetime,
    admins: Collection[str],
) -> bool:
    """Count a failure; tell the owner once, and pause (telling the admins) at the third
    in a row. Whether the source was paused now."""
    error = clip_error(problem)
    log.warning("the source of key result %s failed: %s", row.key_result_id, error)
    async with uows() as uow:
        source = await uow.sources.get(row.source.id)
        if source is None or source.status != SourceStatus.ACTIVE.value:
            return False
        source.failures += 1
        source.last_error = error
        source.last_read_at = now
        details = {
            "title": row.description,
            "id": str(row.key_result_id),
            "kind": source.kind,
            "error": error,
        }
        if source.told_owner_at is None:
            source.told_owner_at = now
            _problem(uow, source.workspace_id, row, row.owner_id, "source_failed", details, now)
        paused = source.failures >= PAUSE_AFTER
        if paused:
            source.status = SourceStatus.PAUSED.value
            source.paused_at = now
            for admin in sorted(set(admins)):
                _problem(
                    uow,
                    source.workspace_id,
                    row,
                    admin,
                    "source_paused",
                    {**details, "count": str(source.failures)},
                    now,
                )
        queue_home_refresh(uow, source.workspace_id, [row.owner_id], now)
        await uow.commit()
    return paused


def _problem(
    uow: UnitOfWork,
    workspace_id: str,
    row: SourceRow,
    recipient: str,
    problem: str,
    details: dict[str, str],
    now: datetime,
) -> None:
    uow.outbox.add(
        workspace_id=workspace_id,
        kind=OutboxKind.PROBLEM,
        now=now,
        objective_id=row.objective_id,
        recipient=recipient,
        payload={"problem": problem, "details": details},
    )
