"""Slack retries an event it thinks was not answered in time: handle each one once."""

from __future__ import annotations

from datetime import datetime, timedelta

from okrbot.store.uow import Conflict, UnitOfWork

KEEP_FOR = timedelta(days=1)


async def first_time(uow: UnitOfWork, workspace_id: str, event_id: str, now: datetime) -> bool:
    """True for an event not seen before; the unique key decides, also across processes."""
    uow.events.add(workspace_id, event_id, now)
    try:
        await uow.commit()
    except Conflict:
        return False
    return True


async def forget_old(uow: UnitOfWork, now: datetime) -> int:
    removed = await uow.events.forget_before(now - KEEP_FOR)
    await uow.commit()
    return removed
