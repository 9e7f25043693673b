"""People okrbot knows: their directory entries and their nudges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from okrbot.store.models import Person
from okrbot.store.repositories.base import Repository, rowcount


class PersonRepository(Repository):
    async def get(self, workspace_id: str, user_id: str) -> Person | None:
        return await self.session.scalar(
            select(Person).where(Person.workspace_id == workspace_id, Person.user_id == user_id)
        )

    async def zones(self, workspace_id: str) -> dict[str, str | None]:
        stmt = select(Person.user_id, Person.tz).where(Person.workspace_id == workspace_id)
        return {user_id: tz for user_id, tz in (await self.session.execute(stmt)).all()}

    async def locales(self, workspace_id: str) -> dict[str, str | None]:
        stmt = select(Person.user_id, Person.locale).where(Person.workspace_id == workspace_id)
        return {user_id: locale for user_id, locale in (await self.session.execute(stmt)).all()}

    async def directory_stale(self, workspace_id: str, cutoff: datetime) -> bool:
        stmt = (
            select(Person.id)
            .where(
                Person.workspace_id == workspace_id,
                (Person.directory_synced_at.is_(None)) | (Person.directory_synced_at < cutoff),
            )
            .limit(1)
        )
        return await self.session.scalar(stmt) is not None

    async def claim_nudge(
        self, workspace_id: str, user_id: str, now: datetime, day_start: datetime
    ) -> bool:
        """Take the person's nudge of the day; people okrbot has no row for are not capped."""
        result = await self.session.execute(
            update(Person)
            .where(
                Person.workspace_id == workspace_id,
                Person.user_id == user_id,
                (Person.last_nudged_at.is_(None)) | (Person.last_nudged_at < day_start),
            )
            .values(last_nudged_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 1:
            return True
        return await self.get(workspace_id, user_id) is None

    async def all(self, workspace_id: str) -> Sequence[Person]:
        rows = await self.session.scalars(
            select(Person).where(Person.workspace_id == workspace_id).order_by(Person.user_id)
        )
        return rows.all()

    def add(self, person: Person) -> None:
        self.session.add(person)

    async def names(self, workspace_id: str) -> dict[str, str | None]:
        """Everyone's name as the directory has it (None when unknown), in one query."""
        stmt = select(Person.user_id, Person.display_name).where(
            Person.workspace_id == workspace_id
        )
        return {user_id: name for user_id, name in (await self.session.execute(stmt)).all()}

    async def display_names(self, workspace_id: str) -> dict[str, str]:
        """Everyone's known name in one query: browsing names every owner on the page."""
        stmt = select(Person.user_id, Person.display_name).where(
            Person.workspace_id == workspace_id, Person.display_name.is_not(None)
        )
        rows = (await self.session.execute(stmt)).all()
        return {user_id: name for user_id, name in rows if name}
