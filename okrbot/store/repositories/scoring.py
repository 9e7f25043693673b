"""Scoring a quarter that ended, and closing it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update

from okrbot.store.models import KeyResult, Objective
from okrbot.store.repositories.base import Repository, published_in, rowcount


class ScoringRepository(Repository):
    async def unscored_owners(self, workspace_id: str, quarter: str) -> list[tuple[str, int]]:
        stmt = (
            select(Objective.owner_id, func.count(Objective.id))
            .where(
                *published_in(workspace_id, quarter),
                Objective.score.is_(None),
            )
            .group_by(Objective.owner_id)
            .order_by(Objective.owner_id)
        )
        return [(owner, int(count)) for owner, count in (await self.session.execute(stmt)).all()]

    async def record(
        self, objective_id: int, kr_scores: dict[int, float], score: float, now: datetime
    ) -> None:
        await self._set(
            objective_id,
            {"score": score, "scored_at": now},
            {kr_id: {"score": value} for kr_id, value in kr_scores.items()},
        )

    async def _set(
        self,
        objective_id: int,
        objective_values: dict[str, Any],
        kr_values: dict[int, dict[str, Any]],
    ) -> None:
        """Update an objective and some of its key results; a key result of another
        objective (a forged id) matches nothing."""
        await self.session.execute(
            update(Objective)
            .where(Objective.id == objective_id)
            .values(**objective_values)
            .execution_options(synchronize_session=False)
        )
        # One statement for the key results (executemany), not one each: every statement is
        # a round trip to the database (to SQLite's thread), on the way to Slack's answer.
        rows: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for kr_id, values in kr_values.items():
            rows.setdefault(tuple(sorted(values)), []).append(
                {"kr_id": kr_id, **{f"new_{name}": value for name, value in values.items()}}
            )
        connection = await self.session.connection()
        for names, params in rows.items():
            await connection.execute(
                update(KeyResult)
                .where(KeyResult.id == bindparam("kr_id"), KeyResult.objective_id == objective_id)
                .values({name: bindparam(f"new_{name}") for name in names}),
                params,
            )

    async def close_quarter(self, workspace_id: str, quarter: str, now: datetime) -> int:
        """Published objectives of an ended quarter become closed: history, not deleted."""
        result = await self.session.execute(
            update(Objective)
            .where(
                *published_in(workspace_id, quarter),
            )
            .values(status="closed", updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result)
