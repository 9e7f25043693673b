"""Claiming a job's run for a period: by inserting it, which only one process can."""

from __future__ import annotations

import logging
from typing import Any

from okrbot.services.ports import Clock
from okrbot.store.models import JobRun
from okrbot.store.uow import Conflict, UnitOfWorkFactory

log = logging.getLogger(__name__)


async def claim(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    workspace_id: str,
    job: str,
    period: str,
    attempt: int,
    payload: dict[str, Any] | None = None,
    *,
    finished: bool = False,
) -> JobRun | None:
    """The new run, or None when another process (or an earlier tick) has it. A run
    `finished` at its claim has nothing to send: claiming it is all there is to do, and
    in one transaction no crash can leave it open for recovery to find."""
    now = clock()
    async with uow_factory() as uow:
        run = JobRun(
            workspace_id=workspace_id,
            job=job,
            period=period,
            attempt=attempt,
            started_at=now,
            finished_at=now if finished else None,
            payload=payload or {},
        )
        uow.job_runs.add(run)
        try:
            await uow.commit()
        except Conflict:
            return None
    log.info("claimed %s for %s (attempt %s) in %s", job, period, attempt, workspace_id)
    return run


async def current(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    workspace_id: str,
    job: str,
    period: str,
    *,
    force: bool = False,
) -> JobRun:
    """The period's run of `job`: the one claimed already, or a new one; `force` starts a
    new attempt."""
    while True:
        async with uow_factory(readonly=True) as uow:
            latest = await uow.job_runs.latest(workspace_id, job, period)
        if latest is not None and not force:
            return latest
        attempt = latest.attempt + 1 if latest is not None else 0
        claimed = await claim(uow_factory, clock, workspace_id, job, period, attempt)
        if claimed is not None:
            return claimed
        force = False
