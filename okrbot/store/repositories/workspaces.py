"""Workspaces okrbot is installed in, and the Slack events it has handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, union

from okrbot.store.models import Objective, Person, SeenEvent, Workspace
from okrbot.store.repositories.base import Repository, rowcount


class WorkspaceRepository(Repository):
    async def get(self, team_id: str) -> Workspace | None:
        return await self.session.get(Workspace, team_id)

    async def installed(self) -> list[Workspace]:
        """Workspaces whose jobs run: installed, not removed since."""
        result = await self.session.scalars(
            select(Workspace).where(Workspace.uninstalled_at.is_(None)).order_by(Workspace.team_id)
        )
        return list(result)

    def add(self, workspace: Workspace) -> None:
        self.session.add(workspace)

    async def known(self) -> list[str]:
        """Every workspace the database knows, from its people and its objectives, sorted."""
        stmt = union(select(Person.workspace_id), select(Objective.workspace_id))
        return sorted((await self.session.scalars(stmt)).all())


class EventRepository(Repository):
    def add(self, workspace_id: str, event_id: str, now: datetime) -> None:
        """Note an event as handled; committing it fails (`Conflict`) for one seen before."""
        self.session.add(SeenEvent(workspace_id=workspace_id, event_id=event_id[:64], seen_at=now))

    async def forget_before(self, moment: datetime) -> int:
        """Delivery bookkeeping, not anyone's data: old rows only slow the unique key."""
        result = await self.session.execute(
            delete(SeenEvent)
            .where(SeenEvent.seen_at < moment)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result)
