"""The outbox of messages to send, and the two inboxes of answered requests (check-ins,
clicks) whose work is still to do."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    true,
    update,
)

from okrbot.store.models import InboxCheckIn, InboxDecision, OutboxMessage
from okrbot.store.repositories.base import Repository, due, rowcount

# The outbox's and the fan-out's mark of a message nobody can tell went out.
IN_DOUBT_PREFIX = "in_doubt:"

# Built once: the HTTP API asks it for every batch of values.
_WAITING_FOR = (
    select(OutboxMessage.recipient)
    .where(
        OutboxMessage.workspace_id == bindparam("workspace"),
        OutboxMessage.kind == bindparam("kind"),
        OutboxMessage.recipient.in_(bindparam("recipients", expanding=True)),
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        (OutboxMessage.claimed_until.is_(None)) | (OutboxMessage.claimed_until < bindparam("now")),
    )
    .with_for_update()
)


class OutboxRepository(Repository):
    def add(
        self,
        *,
        workspace_id: str,
        kind: str,
        now: datetime,
        objective_id: int | None = None,
        approval_id: int | None = None,
        recipient: str | None = None,
        payload: dict[str, Any] | None = None,
        not_before: datetime | None = None,
    ) -> None:
        self.session.add(
            OutboxMessage(
                workspace_id=workspace_id,
                kind=kind,
                objective_id=objective_id,
                approval_id=approval_id,
                recipient=recipient,
                payload=payload or {},
                created_at=now,
                next_attempt_at=now if not_before is None else max(now, not_before),
                attempts=0,
            )
        )

    async def waiting_for(
        self, workspace_id: str, kind: str, recipients: Collection[str], now: datetime
    ) -> set[str]:
        """Which of these people have a message of `kind` waiting that nobody is sending
        yet (a claim that lapsed counts as waiting). On PostgreSQL the rows are locked
        until the commit: a process claiming one meanwhile claims it after, so what it
        sends reflects this transaction's writes."""
        if not recipients:
            return set()
        found = await self.session.scalars(
            _WAITING_FOR,
            {"workspace": workspace_id, "kind": kind, "recipients": list(recipients), "now": now},
        )
        return {r for r in found if r is not None}

    async def forget_sent_before(self, moment: datetime) -> int:
        """Messages long delivered: nothing reads them again."""
        result = await self.session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.sent_at < moment)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result)

    async def due(
        self, now: datetime, limit: int, *, exclude: Collection[int] = ()
    ) -> Sequence[int]:
        """Messages to send now, oldest first, but those in `exclude` (waiting their turn
        in this process)."""
        stmt = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.failed_at.is_(None),
                OutboxMessage.next_attempt_at <= now,
                (OutboxMessage.claimed_until.is_(None)) | (OutboxMessage.claimed_until < now),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if exclude:
            stmt = stmt.where(OutboxMessage.id.not_in(list(exclude)))
        return (await self.session.scalars(stmt)).all()

    async def put_back(self, message_id: int) -> None:
        """Unclaim a message not attempted after all (its conversation's pace): as if
        this claim had not been made."""
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(claimed_until=None, attempts=OutboxMessage.attempts - 1)
            .execution_options(synchronize_session=False)
        )

    async def claim(
        self, message_id: int, now: datetime, lease: timedelta, *, seen: int | None = None
    ) -> bool:
        """Only one dispatcher (in any process) wins a message; a crashed one's lease expires.
        With `seen`, only if no other claim came since the row was read with that many
        attempts (every claim counts one)."""
        unchanged = OutboxMessage.attempts == seen if seen is not None else true()
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.failed_at.is_(None),
                (OutboxMessage.claimed_until.is_(None)) | (OutboxMessage.claimed_until < now),
                unchanged,
            )
            .values(claimed_until=now + lease, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def get(self, message_id: int, *, fresh: bool = False) -> OutboxMessage | None:
        """`fresh`: read again, past what this session has seen (after an update)."""
        return await self.session.get(OutboxMessage, message_id, populate_existing=fresh)

    async def in_doubt(self, workspace_id: str) -> Sequence[OutboxMessage]:
        """Messages nobody can tell went out, waiting for an admin's word."""
        stmt = (
            select(OutboxMessage)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.failed_at.is_not(None),
                OutboxMessage.last_error.startswith(IN_DOUBT_PREFIX, autoescape=True),
            )
            .order_by(OutboxMessage.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def resend_in_doubt(self, workspace_id: str, now: datetime) -> int:
        """An admin's word: the messages in doubt are due again, and posted without a
        look-up (a message in doubt is one that could not be looked for)."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.failed_at.is_not(None),
                OutboxMessage.last_error.startswith(IN_DOUBT_PREFIX, autoescape=True),
            )
            .values(failed_at=None, claimed_until=None, next_attempt_at=now, last_error="resend")
            .execution_options(synchronize_session=False)
        )
        return rowcount(result)

    async def absorb_refreshes(
        self, workspace_id: str, recipient: str, kind: str, keep: int, now: datetime
    ) -> int:
        """Mark the person's other waiting refreshes of `kind` sent: the one being sent
        (`keep`) is built after them, so it shows what they would have shown."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.recipient == recipient,
                OutboxMessage.kind == kind,
                OutboxMessage.id != keep,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.failed_at.is_(None),
                (OutboxMessage.claimed_until.is_(None)) | (OutboxMessage.claimed_until < now),
            )
            .values(sent_at=now, claimed_until=None, last_error=f"sent with {keep}")
            .execution_options(synchronize_session=False)
        )
        return rowcount(result)

    async def finish(
        self,
        message_id: int,
        *,
        now: datetime,
        sent: bool = False,
        failed_error: str | None = None,
        retry_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"claimed_until": None}
        if sent:
            values["sent_at"] = now
        elif failed_error is not None:
            values.update(failed_at=now, last_error=failed_error[:200])
        elif retry_at is not None:
            values.update(next_attempt_at=retry_at, last_error=(error or "")[:200])
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def is_pending(self, kind: str, approval_id: int) -> bool:
        found = await self.session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.kind == kind,
                OutboxMessage.approval_id == approval_id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.failed_at.is_(None),
            )
            .limit(1)
        )
        return found is not None


Row = TypeVar("Row", InboxCheckIn, InboxDecision)


class _Inbox(Repository, Generic[Row]):
    """What both inboxes do alike. A row is live until it is taken, or put aside (dead)
    after its last failed try; dead rows stay, out of everyone's way."""

    model: type[Row]

    def _live(self) -> tuple[ColumnElement[bool], ...]:
        return (self.model.dead_at.is_(None),)

    async def failed(
        self, item_id: str, *, reason: str, retry_at: datetime, dead_after: int, now: datetime
    ) -> Row | None:
        """Counts a failed try; the row as it is now, dead once it has had `dead_after`
        tries. None when it is gone (or not live any more)."""
        tries = self.model.tries + 1
        result = await self.session.scalars(
            update(self.model)
            .where(self.model.id == item_id, *self._live())
            .values(
                tries=tries,
                retry_at=retry_at,
                reason=reason[:200],
                dead_at=case((tries >= dead_after, now), else_=None),
            )
            .returning(self.model)
            .execution_options(synchronize_session=False)
        )
        return result.one_or_none()

    async def waiting(self, received_by: datetime, limit: int, now: datetime) -> list[str]:
        """Live rows received by a moment and not waiting to be tried again after `now`,
        oldest first."""
        rows = await self.session.scalars(
            select(self.model.id)
            .where(
                self.model.received_at <= received_by,
                *self._live(),
                due(self.model.retry_at, now),
            )
            .order_by(self.model.received_at, self.model.id)
            .limit(limit)
        )
        return list(rows.all())

    async def count(self) -> int:
        """Live rows: work still to do."""
        return int(
            await self.session.scalar(
                select(func.count()).select_from(self.model).where(*self._live())
            )
            or 0
        )

    async def dead(self) -> list[Row]:
        rows = await self.session.scalars(
            select(self.model).where(self.model.dead_at.is_not(None)).order_by(self.model.dead_at)
        )
        return list(rows.all())


class InboxRepository(_Inbox[InboxCheckIn]):
    """Check-ins answered but not stored yet. A row is taken by deleting it: of two
    processes that try, one deletes it and the other finds nothing."""

    model = InboxCheckIn

    async def add_all(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """One INSERT for all of them (each row the table's columns by name): the answers
        waiting for it share one commit."""
        # Core's executemany of one compiled statement: a VALUES list of a new length each
        # time would be compiled each time.
        await self.session.execute(insert(cast("Table", InboxCheckIn.__table__)), list(rows))

    async def take(self, item_id: str) -> InboxCheckIn | None:
        """Deletes the row and returns what it held; None when it is gone already (or dead)."""
        result = await self.session.scalars(
            delete(InboxCheckIn)
            .where(InboxCheckIn.id == item_id, *self._live())
            .returning(InboxCheckIn)
            .execution_options(synchronize_session=False)
        )
        return result.one_or_none()

    async def discard(self, item_id: str) -> bool:
        result = await self.session.execute(
            delete(InboxCheckIn)
            .where(InboxCheckIn.id == item_id, *self._live())
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) > 0


class DecisionInboxRepository(_Inbox[InboxDecision]):
    """Clicks answered but not applied yet. A row is taken by marking it done: of two
    processes that try, one marks it and the other finds it done."""

    model = InboxDecision

    def _live(self) -> tuple[ColumnElement[bool], ...]:
        return (InboxDecision.done_at.is_(None), *super()._live())

    async def take(self, item_id: str, now: datetime) -> InboxDecision | None:
        """Marks the row done and returns it; None when it is done already (or dead)."""
        result = await self.session.scalars(
            update(InboxDecision)
            .where(InboxDecision.id == item_id, *self._live())
            .values(done_at=now)
            .returning(InboxDecision)
            .execution_options(synchronize_session=False)
        )
        return result.one_or_none()

    async def forget_done(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(InboxDecision)
            .where(InboxDecision.done_at < before)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result)
