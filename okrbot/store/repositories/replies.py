"""Check-ins by reply: which DMs were read, and the state a reply's check-in replaced."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update

from okrbot.store.models import CheckIn, CheckInReply, CheckInValue, KeyResult, Objective
from okrbot.store.repositories.base import Repository, rowcount


class ReplyRepository(Repository):
    async def of_message(self, workspace_id: str, channel: str, ts: str) -> CheckInReply | None:
        return await self.session.scalar(
            select(CheckInReply).where(
                CheckInReply.workspace_id == workspace_id,
                CheckInReply.channel == channel,
                CheckInReply.ts == ts,
            )
        )

    async def get(self, reply_id: int) -> CheckInReply | None:
        return await self.session.get(CheckInReply, reply_id)

    def add(self, reply: CheckInReply) -> None:
        self.session.add(reply)

    async def forget_before(self, moment: datetime) -> int:
        """Replies handled before `moment` and not recorded (again) since."""
        result = await self.session.execute(
            delete(CheckInReply)
            .where(
                CheckInReply.handled_at < moment,
                (CheckInReply.recorded_at.is_(None)) | (CheckInReply.recorded_at < moment),
            )
            .execution_options(synchronize_session=False)
        )
        return rowcount(result)

    async def helped_since(self, workspace_id: str, user_id: str, since: datetime) -> bool:
        """Whether the person was sent the help text at or after `since`."""
        found = await self.session.scalar(
            select(CheckInReply.id)
            .where(
                CheckInReply.workspace_id == workspace_id,
                CheckInReply.user_id == user_id,
                CheckInReply.outcome == "help",
                CheckInReply.handled_at >= since,
            )
            .limit(1)
        )
        return found is not None

    async def take_for_undo(self, reply_id: int, now: datetime) -> bool:
        """Mark a recorded reply undone, if it still is recorded: of two clicks (or two
        processes) only one gets True."""
        result = await self.session.execute(
            update(CheckInReply)
            .where(CheckInReply.id == reply_id, CheckInReply.outcome == "recorded")
            .values(outcome="undone", undone_at=now)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def state_of(self, objective_ids: Collection[int]) -> dict[str, Any]:
        """What a check-in of these objectives changes, as it is now (JSON-ready): each
        objective's confidence and last check-in, each live key result's current value."""
        ids = list(objective_ids)
        objectives = await self.session.execute(
            select(Objective.id, Objective.confidence, Objective.last_check_in_at).where(
                Objective.id.in_(ids)
            )
        )
        krs = await self.session.execute(
            select(KeyResult.id, KeyResult.current_value, KeyResult.current_at).where(
                KeyResult.objective_id.in_(ids)
            )
        )
        return {
            "objectives": [[o, confidence, _iso(at)] for o, confidence, at in objectives.all()],
            "key_results": [[k, value, _iso(at)] for k, value, at in krs.all()],
        }

    async def restore(self, state: dict[str, Any]) -> None:
        """Put back what `state_of` kept."""
        connection = await self.session.connection()
        objectives = [
            {"objective": int(o), "old_confidence": c, "old_at": _time(at)}
            for o, c, at in state.get("objectives", [])
        ]
        if objectives:
            await connection.execute(
                update(Objective)
                .where(Objective.id == bindparam("objective"))
                .values(
                    confidence=bindparam("old_confidence"), last_check_in_at=bindparam("old_at")
                ),
                objectives,
            )
        krs = [
            {"kr": int(k), "old_value": v, "old_at": _time(at)}
            for k, v, at in state.get("key_results", [])
        ]
        if krs:
            await connection.execute(
                update(KeyResult)
                .where(KeyResult.id == bindparam("kr"))
                .values(current_value=bindparam("old_value"), current_at=bindparam("old_at")),
                krs,
            )

    async def remove_check_ins(self, check_in_ids: Sequence[int]) -> None:
        """Delete check-ins (a reply's, undone) with their values."""
        ids = list(check_in_ids)
        if not ids:
            return
        await self.session.execute(
            delete(CheckInValue)
            .where(CheckInValue.check_in_id.in_(ids))
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            delete(CheckIn).where(CheckIn.id.in_(ids)).execution_options(synchronize_session=False)
        )

    async def superseded(self, check_in_ids: Sequence[int]) -> bool:
        """Whether a later check-in of any of these check-ins' objectives exists."""
        ids = list(check_in_ids)
        if not ids:
            return False
        objectives = select(CheckIn.objective_id).where(CheckIn.id.in_(ids)).scalar_subquery()
        found = await self.session.scalar(
            select(CheckIn.id)
            .where(CheckIn.objective_id.in_(objectives), CheckIn.id > max(ids))
            .limit(1)
        )
        return found is not None

    async def check_in_ids(self, submission_key: str) -> list[int]:
        """The check-ins stored with this key, by objective."""
        rows = await self.session.scalars(
            select(CheckIn.id)
            .where(CheckIn.submission_key == submission_key)
            .order_by(CheckIn.objective_id)
        )
        return list(rows.all())


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(text: Any) -> datetime | None:
    return None if not text else datetime.fromisoformat(str(text))
