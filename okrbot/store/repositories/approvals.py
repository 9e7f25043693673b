"""Approvals of objectives, and revisions: changes to published ones awaiting theirs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update

from okrbot.store.models import Approval, Objective, Revision
from okrbot.store.repositories.base import Repository, in_quarter, rowcount


class ApprovalRepository(Repository):
    def add(self, approval: Approval) -> None:
        self.session.add(approval)

    async def get(
        self, workspace_id: str, objective_id: int, version: int, stage: str
    ) -> Approval | None:
        return await self.session.scalar(
            select(Approval).where(
                Approval.workspace_id == workspace_id,
                Approval.objective_id == objective_id,
                Approval.version == version,
                Approval.stage == stage,
            )
        )

    async def by_id(self, approval_id: int) -> Approval | None:
        return await self.session.get(Approval, approval_id)

    async def for_objective(self, workspace_id: str, objective_id: int) -> Sequence[Approval]:
        stmt = (
            select(Approval)
            .where(Approval.workspace_id == workspace_id, Approval.objective_id == objective_id)
            .order_by(Approval.version, Approval.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def for_objectives(
        self, workspace_id: str, objective_ids: Sequence[int]
    ) -> dict[int, list[Approval]]:
        """Every objective's approvals in one query, oldest first."""
        grouped: dict[int, list[Approval]] = {i: [] for i in objective_ids}
        if not objective_ids:
            return grouped
        stmt = (
            select(Approval)
            .where(
                Approval.workspace_id == workspace_id,
                Approval.objective_id.in_(list(objective_ids)),
            )
            .order_by(Approval.version, Approval.id)
        )
        for approval in await self.session.scalars(stmt):
            grouped[approval.objective_id].append(approval)
        return grouped

    async def decide(
        self,
        approval_id: int,
        *,
        outcome: str,
        by: str | None,
        at: datetime,
        reason: str | None = None,
    ) -> bool:
        result = await self.session.execute(
            update(Approval)
            .where(Approval.id == approval_id, Approval.outcome == "pending")
            .values(outcome=outcome, decided_by=by, decided_at=at, reason=reason)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def older_versions(self, objective_id: int, before_version: int) -> Sequence[Approval]:
        stmt = select(Approval).where(
            Approval.objective_id == objective_id, Approval.version < before_version
        )
        return (await self.session.scalars(stmt)).all()

    async def waiting(self, workspace_id: str) -> list[tuple[Approval, str, str]]:
        """Pending requests never nudged about, still current, with title and author."""
        stmt = (
            select(Approval, Objective.title, Objective.owner_id)
            .join(Objective, Objective.id == Approval.objective_id)
            .where(
                # Pending means current (see store.home); changes to published objectives
                # included.
                Approval.workspace_id == workspace_id,
                Approval.outcome == "pending",
                Approval.nudged_at.is_(None),
            )
            .order_by(Approval.id)
        )
        return [(a, title, owner) for a, title, owner in (await self.session.execute(stmt)).all()]

    async def mark_nudged(
        self, workspace_id: str, objective_ids: Sequence[int], approver_id: str, now: datetime
    ) -> set[int]:
        """Mark the approver's pending requests nudged; returns those this call marked."""
        marked: set[int] = set()
        for objective_id in objective_ids:
            result = await self.session.execute(
                update(Approval)
                .where(
                    Approval.workspace_id == workspace_id,
                    Approval.objective_id == objective_id,
                    Approval.approver_id == approver_id,
                    Approval.outcome == "pending",
                    Approval.nudged_at.is_(None),
                )
                .values(nudged_at=now)
                .execution_options(synchronize_session=False)
            )
            if rowcount(result):
                marked.add(objective_id)
        return marked

    async def set_message(self, approval_id: int, channel: str, ts: str) -> None:
        await self.session.execute(
            update(Approval)
            .where(Approval.id == approval_id)
            .values(message_channel=channel, message_ts=ts)
            .execution_options(synchronize_session=False)
        )

    async def in_quarter(self, workspace_id: str, quarter: str) -> Sequence[Approval]:
        """Every approval of the quarter's objectives, in any status, by objective and then
        as they happened (rows are inserted as the chain advances: the id orders them)."""
        stmt = (
            select(Approval)
            .where(Approval.objective_id.in_(in_quarter(workspace_id, quarter)))
            .order_by(Approval.objective_id, Approval.id)
        )
        return (await self.session.scalars(stmt)).all()


class RevisionRepository(Repository):
    def add(self, revision: Revision) -> None:
        self.session.add(revision)

    async def get(self, objective_id: int, version: int) -> Revision | None:
        return await self.session.scalar(
            select(Revision).where(
                Revision.objective_id == objective_id, Revision.version == version
            )
        )

    async def pending(self, objective_id: int) -> Sequence[Revision]:
        stmt = select(Revision).where(
            Revision.objective_id == objective_id,
            Revision.status.in_(["awaiting_manager", "awaiting_ceo"]),
        )
        return (await self.session.scalars(stmt)).all()

    async def for_requests(
        self, pairs: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], Revision]:
        """The changes some requests are about, by (objective id, version): one query."""
        if not pairs:
            return {}
        wanted = set(pairs)
        stmt = select(Revision).where(Revision.objective_id.in_({o for o, _ in pairs}))
        return {
            (r.objective_id, r.version): r
            for r in await self.session.scalars(stmt)
            if (r.objective_id, r.version) in wanted
        }

    async def latest_version(self, objective_id: int) -> int:
        found = await self.session.scalar(
            select(func.max(Revision.version)).where(Revision.objective_id == objective_id)
        )
        return int(found or 0)

    async def move(
        self, revision_id: int, *, from_statuses: Sequence[str], to_status: str, now: datetime
    ) -> bool:
        """Conditional, like an objective's: of two concurrent decisions one applies."""
        result = await self.session.execute(
            update(Revision)
            .where(Revision.id == revision_id, Revision.status.in_(list(from_statuses)))
            .values(status=to_status, decided_at=now)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1
