"""Approve clicks answered before they are applied.

Slack's answer to a click waits for one durable row in the decision inbox (written with
the other answers' rows of that moment, as check-ins are: `inbox.Inbox`). The decision is
applied from the row right after the answer, in the transaction that marks the row done;
a crash in between leaves the row for any process to apply later (`recover`). Marking it
done first makes that exactly once: of two processes that try, only one marks the row.

The row's key is the click itself (workspace, user, action and Slack's `action_ts`), and
unique: the same click delivered again writes no second row, so it has no second effect,
not even a second note. Done rows are kept a day for that, far longer than Slack accepts
a request's signature.

A row that cannot be applied (an error, not a refusal) is tried again, and after
`inbox.MAX_TRIES` put aside with its reason; the decider is asked to decide again.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from okrbot.services import approvals
from okrbot.services.approvals import DecisionResult, RequestRef
from okrbot.services.common import Actor, OrganisationOf
from okrbot.services.inbox import (
    GRACE,
    RECOVER_BATCH,
    count_failure,
)
from okrbot.store.models import InboxDecision
from okrbot.store.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

APPROVE = "approve"
# How long a done row is kept, to know the same click delivered again.
KEEP_DONE = timedelta(days=1)
# What the decider is told when their decision was put aside.
FAILED = "decision_failed"


@dataclass(frozen=True)
class Click:
    """A click on a decision's button, as the inbox keeps it."""

    workspace_id: str
    user_id: str
    channel_id: str | None
    action: str
    value: str
    # Slack's action_ts: every click has its own, a redelivery the same.
    action_ts: str | None
    received_at: datetime

    def row(self) -> dict[str, Any]:
        """The inbox row's columns (every one of them: the fast writers want them all)."""
        key = (
            f"{self.workspace_id}:{self.user_id}:{self.action}:{self.action_ts}"[:255]
            if self.action_ts
            else None
        )
        return {
            "id": secrets.token_hex(16),
            "workspace_id": self.workspace_id,
            "user_id": self.user_id,
            "channel_id": self.channel_id,
            "action": self.action,
            "value": self.value[:255],
            "click_key": key,
            "received_at": self.received_at,
            "done_at": None,
            "tries": 0,
            "retry_at": None,
            "dead_at": None,
            "reason": None,
        }


class Fate(StrEnum):
    APPLIED = "applied"
    # Not applied, for a reason the decider is told (stale, already decided, not theirs).
    REFUSED = "refused"
    # Another process took the row first, or it was never written (the same click again).
    GONE = "gone"
    FAILED = "failed"
    # Failed for the last time: put aside, and the decider asked to decide again.
    DEAD = "dead"


@dataclass(frozen=True)
class Applied:
    fate: Fate
    workspace_id: str = ""
    user_id: str = ""
    channel_id: str | None = None
    ref: RequestRef | None = None
    result: DecisionResult | None = None


class NotSetUp(LookupError):
    """The workspace has no organisation (not installed, or not set up yet)."""


async def apply(
    uow: UnitOfWorkFactory, item_id: str, *, organisation: OrganisationOf, now: datetime
) -> Applied:
    """Apply the decision a row holds, in the transaction that marks the row done.

    A refusal marks it done too: the click was dealt with. An error leaves it for another
    try, counted, and puts it aside after its last. Raises only when even counting fails.
    """
    try:
        return await _apply(uow, item_id, organisation=organisation, now=now)
    except Exception as exc:
        log.exception("applying decision %s failed", item_id)
        failure = exc
    counted = await count_failure(
        uow, lambda unit: unit.decisions, item_id, failure, now=now, problem=FAILED, what="decision"
    )
    if counted is None:
        return Applied(Fate.GONE)
    if counted.dead_at is None:
        return Applied(Fate.FAILED)
    assert isinstance(counted, InboxDecision)
    return Applied(Fate.DEAD, counted.workspace_id, counted.user_id, counted.channel_id)


async def _apply(
    uow: UnitOfWorkFactory, item_id: str, *, organisation: OrganisationOf, now: datetime
) -> Applied:
    # Quick: one decision's rows, and every answer that needs the write lock waits for it.
    async with uow(quick=True) as unit:
        item = await unit.decisions.take(item_id, now)
        if item is None:
            return Applied(Fate.GONE)
        where = (item.workspace_id, item.user_id, item.channel_id)
        try:
            ref = RequestRef.decode(item.value)
        except ValueError:
            # The listener checks this before writing the row; a row from elsewhere.
            await unit.commit()
            return Applied(Fate.REFUSED, *where)
        org = await organisation(unit, item.workspace_id)
        if org is None:
            raise NotSetUp(item.workspace_id)
        # Decided as of the click, not as of whoever applies it later.
        result = await approvals.decide(
            unit,
            Actor(item.workspace_id, item.user_id),
            org,
            ref,
            approve=item.action == APPROVE,
            now=item.received_at,
        )
        if result.applied:
            # decide committed, marking the row done with it.
            return Applied(Fate.APPLIED, *where, ref=ref, result=result)
        # A refusal changed nothing but may have rolled back (a click that lost a race):
        # the row is marked done again, on its own.
        await unit.rollback()
        if await unit.decisions.take(item_id, now) is None:
            return Applied(Fate.GONE)
        await unit.commit()
    return Applied(Fate.REFUSED, *where, ref=ref, result=result)


async def recover(
    uow: UnitOfWorkFactory,
    *,
    organisation: OrganisationOf,
    now: datetime,
    grace: timedelta = GRACE,
    limit: int = RECOVER_BATCH,
) -> list[Applied]:
    """Apply rows older than `grace`, oldest first, each tried once at most (as
    `inbox.recover`), and forget done rows older than `KEEP_DONE`; returns what became
    of each row dealt with."""
    async with uow() as unit:
        await unit.decisions.forget_done(now - KEEP_DONE)
        await unit.commit()
    outcomes: list[Applied] = []
    tried: set[str] = set()
    while True:
        async with uow(readonly=True) as unit:
            waiting = await unit.decisions.waiting(now - grace, limit, now)
        fresh = [item_id for item_id in waiting if item_id not in tried]
        if not fresh:
            return outcomes
        for item_id in fresh:
            tried.add(item_id)
            try:
                outcome = await apply(uow, item_id, organisation=organisation, now=now)
            except Exception:
                log.exception("applying decision %s failed; it is tried again later", item_id)
                continue
            if outcome.fate not in (Fate.GONE, Fate.FAILED):
                outcomes.append(outcome)
