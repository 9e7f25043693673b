"""Reminding approvers of requests they have left for two working days: once per request,
and never more than one nudge a day for anyone."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from okrbot.domain.workdays import add_working_days, local_day_start
from okrbot.services.ports import Clock, DeliveryError, MessageRef
from okrbot.store.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

WAIT_WORKING_DAYS = 2


@dataclass(frozen=True)
class Waiting:
    objective_id: int
    title: str
    author_id: str
    since: datetime


@dataclass(frozen=True)
class Nudge:
    approver_id: str
    waiting: tuple[Waiting, ...]
    # The approver's Slack locale, for the words.
    locale: str | None = None


class NudgeMessenger(Protocol):
    async def send_nudge(self, nudge: Nudge) -> MessageRef: ...


def zone_of(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


async def claim_daily_slot(
    uow_factory: UnitOfWorkFactory, workspace_id: str, user_id: str, now: datetime, zone: ZoneInfo
) -> bool:
    """The person's one nudge of the (local) day, if nobody took it yet."""
    async with uow_factory() as uow:
        won = await uow.people.claim_nudge(
            workspace_id, user_id, now, local_day_start(now.astimezone(zone))
        )
        await uow.commit()
    return won


async def nudge_approvers(
    uow_factory: UnitOfWorkFactory,
    messenger: NudgeMessenger,
    workspace_id: str,
    clock: Clock,
    zone: ZoneInfo,
) -> int:
    now = clock()
    async with uow_factory(readonly=True) as uow:
        pending = await uow.approvals.waiting(workspace_id)
        zones = await uow.people.zones(workspace_id)
        locales = await uow.people.locales(workspace_id)
    overdue: dict[str, list[Waiting]] = defaultdict(list)
    for approval, title, author in pending:
        approver_zone = zone_of(zones.get(approval.approver_id), zone)
        waiting_since = approval.created_at.astimezone(approver_zone)
        if now >= add_working_days(waiting_since, WAIT_WORKING_DAYS):
            overdue[approval.approver_id].append(
                Waiting(approval.objective_id, title, author, approval.created_at)
            )
    sent = 0
    for approver, items in sorted(overdue.items()):
        approver_zone = zone_of(zones.get(approver), zone)
        if not await claim_daily_slot(uow_factory, workspace_id, approver, now, approver_zone):
            continue  # nudged already today: tomorrow, then
        async with uow_factory() as uow:
            claimed = await uow.approvals.mark_nudged(
                workspace_id, [w.objective_id for w in items], approver, now
            )
            await uow.commit()
        mine = tuple(w for w in items if w.objective_id in claimed)
        if not mine:
            continue
        try:
            await messenger.send_nudge(Nudge(approver, mine, locales.get(approver)))
        except DeliveryError as exc:
            # Marked first, sent second: a nudge is worth at most one message.
            log.warning("could not nudge %s: %s", approver, exc.code)
            continue
        sent += 1
    return sent
