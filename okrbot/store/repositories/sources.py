"""Key results' data sources: what is read, claimed once a day, and how it went."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update

from okrbot.store.models import KeyResult, KeyResultSource, Objective
from okrbot.store.repositories.base import Repository, rowcount


@dataclass(frozen=True)
class SourceRow:
    """A source with what is shown of its key result and objective."""

    source: KeyResultSource
    key_result_id: int
    description: str
    objective_id: int
    objective_title: str
    owner_id: str


class SourceRepository(Repository):
    def add(self, source: KeyResultSource) -> None:
        self.session.add(source)

    async def of_key_result(self, key_result_id: int) -> KeyResultSource | None:
        return await self.session.scalar(
            select(KeyResultSource).where(KeyResultSource.key_result_id == key_result_id)
        )

    def _rows(self) -> Any:
        return (
            select(
                KeyResultSource,
                KeyResult.id,
                KeyResult.description,
                Objective.id,
                Objective.title,
                Objective.owner_id,
            )
            .join(KeyResult, KeyResult.id == KeyResultSource.key_result_id)
            .join(Objective, Objective.id == KeyResult.objective_id)
        )

    async def _listed(self, stmt: Any) -> list[SourceRow]:
        result = await self.session.execute(stmt)
        return [SourceRow(*row) for row in result.all()]

    async def in_workspace(self, workspace_id: str) -> list[SourceRow]:
        """Every source of the workspace, by key result."""
        stmt = (
            self._rows()
            .where(KeyResultSource.workspace_id == workspace_id)
            .order_by(KeyResultSource.key_result_id)
        )
        return await self._listed(stmt)

    async def readable(
        self, workspace_id: str, quarter: str, owners: Collection[str] | None = None
    ) -> list[SourceRow]:
        """The active sources of the live key results of the quarter's published
        objectives (of `owners` only, when given)."""
        stmt = self._rows().where(
            KeyResultSource.workspace_id == workspace_id,
            KeyResultSource.status == "active",
            KeyResult.retired_at.is_(None),
            Objective.workspace_id == workspace_id,
            Objective.quarter == quarter,
            Objective.status == "approved",
        )
        if owners is not None:
            stmt = stmt.where(Objective.owner_id.in_(sorted(owners)))
        return await self._listed(stmt.order_by(KeyResultSource.id))

    async def failing_for(self, workspace_id: str, owner_id: str) -> list[SourceRow]:
        """The owner's sources whose last read failed, or that are paused."""
        stmt = (
            self._rows()
            .where(
                KeyResultSource.workspace_id == workspace_id,
                Objective.owner_id == owner_id,
                KeyResult.retired_at.is_(None),
                KeyResultSource.status != "off",
                or_(KeyResultSource.failures > 0, KeyResultSource.status == "paused"),
            )
            .order_by(KeyResultSource.key_result_id)
        )
        return await self._listed(stmt)

    async def claim_day(self, source_id: int, day: str) -> bool:
        """Take the day's read of an active source: of two processes only one can."""
        result = await self.session.execute(
            update(KeyResultSource)
            .where(
                KeyResultSource.id == source_id,
                KeyResultSource.status == "active",
                or_(KeyResultSource.last_read_on.is_(None), KeyResultSource.last_read_on != day),
            )
            .values(last_read_on=day)
        )
        return rowcount(result) == 1

    async def claim_prompt(self, source_id: int, week: str) -> bool:
        """Take the read before the check-in prompt of `week`."""
        result = await self.session.execute(
            update(KeyResultSource)
            .where(
                KeyResultSource.id == source_id,
                KeyResultSource.status == "active",
                or_(KeyResultSource.prompt_week.is_(None), KeyResultSource.prompt_week != week),
            )
            .values(prompt_week=week)
        )
        return rowcount(result) == 1

    async def get(self, source_id: int) -> KeyResultSource | None:
        return await self.session.get(KeyResultSource, source_id)
