"""The App Home's reads: each section is a bounded page plus a count, whatever the size of
the company, so opening Home costs the same handful of queries for everyone."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from okrbot.domain.okr import Level, Status
from okrbot.domain.workflow import Outcome
from okrbot.store.models import Approval, KeyResult, Objective

IN_FLIGHT = (Status.AWAITING_MANAGER.value, Status.AWAITING_CEO.value, Status.REJECTED.value)


class HomeQueries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def mine(self, workspace_id: str, owner_id: str, quarter: str) -> Sequence[Objective]:
        """The owner's published objectives of `quarter`, and those still on their way (or
        back with them) for `quarter` or later: next quarter's are written in this one."""
        stmt = (
            select(Objective)
            .options(selectinload(Objective.key_results))
            .where(
                Objective.workspace_id == workspace_id,
                Objective.owner_id == owner_id,
                or_(
                    and_(Objective.status == Status.APPROVED.value, Objective.quarter == quarter),
                    # "2026-Q4" < "2027-Q1": quarters sort as text.
                    and_(Objective.status.in_(IN_FLIGHT), Objective.quarter >= quarter),
                ),
            )
            .order_by(Objective.quarter, Objective.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def key_results_of(
        self, workspace_id: str, owner_id: str, quarter: str, limit: int
    ) -> tuple[list[Objective], int]:
        """A page of the others' published objectives of `quarter` in which the person
        owns a live key result (their own objectives are in `mine`), and how many there
        are in all."""
        conditions: list[ColumnElement[bool]] = [
            Objective.workspace_id == workspace_id,
            Objective.quarter == quarter,
            Objective.status == Status.APPROVED.value,
            Objective.owner_id != owner_id,
            select(KeyResult.id)
            .where(
                KeyResult.objective_id == Objective.id,
                KeyResult.owner_id == owner_id,
                KeyResult.retired_at.is_(None),
            )
            .exists(),
        ]
        rows = await self.session.scalars(
            select(Objective)
            .options(selectinload(Objective.key_results))
            .where(*conditions)
            .order_by(Objective.id)
            .limit(limit)
        )
        found = list(rows.all())
        if len(found) < limit:
            # Most people own none, or a few: the page is all there is.
            return found, len(found)
        total = await self.session.scalar(
            select(func.count()).select_from(Objective).where(*conditions)
        )
        return found, int(total or 0)

    @staticmethod
    def _waiting(workspace_id: str, approver_id: str) -> ColumnElement[bool]:
        # A pending request is always current: moving on decides it, and a resubmission,
        # a newer change or a withdrawal marks it superseded or cancelled. A change to a
        # published objective is requested at a version above the objective's own.
        return and_(
            Approval.workspace_id == workspace_id,
            Approval.approver_id == approver_id,
            Approval.outcome == Outcome.PENDING.value,
        )

    async def waiting_for(
        self, workspace_id: str, approver_id: str, limit: int
    ) -> tuple[list[tuple[Approval, Objective]], int]:
        """The oldest `limit` requests waiting for the approver, and how many there are."""
        where = self._waiting(workspace_id, approver_id)
        joined = Objective.id == Approval.objective_id
        rows = await self.session.execute(
            select(Approval, Objective)
            .join(Objective, joined)
            .options(selectinload(Objective.key_results))
            .where(where)
            .order_by(Approval.created_at, Approval.id)
            .limit(limit)
        )
        total = await self.session.scalar(
            select(func.count()).select_from(Approval).join(Objective, joined).where(where)
        )
        return [(a, o) for a, o in rows.all()], int(total or 0)

    async def published(
        self,
        workspace_id: str,
        quarter: str,
        limit: int,
        *,
        team: str | None = None,
        level: Level | None = None,
        not_owner: str | None = None,
    ) -> tuple[list[Objective], int]:
        """A page of the quarter's published objectives (a team's, or a level's), higher
        levels first, and how many there are in all."""
        conditions: list[ColumnElement[bool]] = [
            Objective.workspace_id == workspace_id,
            Objective.quarter == quarter,
            Objective.status == Status.APPROVED.value,
        ]
        if team is not None:
            conditions.append(Objective.team == team)
        if level is not None:
            conditions.append(Objective.level == level.value)
        if not_owner is not None:
            conditions.append(Objective.owner_id != not_owner)
        rank = case(
            (Objective.level == Level.COMPANY.value, 0),
            (Objective.level == Level.TEAM.value, 1),
            else_=2,
        )
        rows = await self.session.scalars(
            select(Objective)
            .options(selectinload(Objective.key_results))
            .where(*conditions)
            .order_by(rank, Objective.id)
            .limit(limit)
        )
        total = await self.session.scalar(
            select(func.count()).select_from(Objective).where(*conditions)
        )
        return list(rows.all()), int(total or 0)
