"""Objectives and their key results: writing them, moving them through their statuses,
and finding and browsing them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, case, func, select, update
from sqlalchemy.orm import selectinload

from okrbot.store.models import CheckIn, CheckInValue, KeyResult, Objective, Person
from okrbot.store.repositories.base import Repository, in_quarter, published_in, rowcount

# A key result as written: description, start, target, unit, kind and its own owner (None:
# the objective's owner).
KeyResultRow = tuple[str, float, float, str, str, str | None]


class ProgressObjective(NamedTuple):
    """A published objective as the digest reads it: a row, not an entity."""

    id: int
    title: str
    owner_id: str
    team: str | None
    level: str
    confidence: str | None
    last_check_in_at: datetime | None
    published_at: datetime | None


class ProgressKR(NamedTuple):
    id: int
    objective_id: int
    start: float
    target: float
    current: float | None
    kind: str


class ObjectiveRepository(Repository):
    @staticmethod
    def _with_details(stmt: Select[Objective]) -> Select[Objective]:
        return stmt.options(selectinload(Objective.key_results), selectinload(Objective.aligned_to))

    def add(self, objective: Objective) -> None:
        self.session.add(objective)

    async def get(self, workspace_id: str, objective_id: int) -> Objective | None:
        stmt = self._with_details(
            select(Objective).where(
                Objective.workspace_id == workspace_id, Objective.id == objective_id
            )
        )
        return await self.session.scalar(stmt)

    async def by_submission_key(self, workspace_id: str, key: str) -> Objective | None:
        return await self.session.scalar(
            select(Objective).where(
                Objective.workspace_id == workspace_id, Objective.submission_key == key
            )
        )

    async def alignable(
        self, workspace_id: str, quarters: Iterable[str], *, exclude: int | None, limit: int
    ) -> list[tuple[int, str, str, str, str]]:
        """(id, quarter, level, title, owner) of the published objectives a new one may
        support: by quarter, company ones first, then team, then personal, then by id; the
        first `limit` only. Rows, not entities: the form is opened by everyone, and loading
        a whole company's objectives to show a hundred made it the slow part."""
        rank = case({"company": 0, "team": 1}, value=Objective.level, else_=2)
        stmt = (
            select(
                Objective.id,
                Objective.quarter,
                Objective.level,
                Objective.title,
                Objective.owner_id,
            )
            .where(
                Objective.workspace_id == workspace_id,
                Objective.quarter.in_(list(quarters)),
                Objective.status == "approved",
            )
            .order_by(Objective.quarter, rank, Objective.id)
            .limit(limit)
        )
        if exclude is not None:
            stmt = stmt.where(Objective.id != exclude)
        rows = (await self.session.execute(stmt)).all()
        return [(id_, quarter, level, title, owner) for id_, quarter, level, title, owner in rows]

    async def approved_in(self, workspace_id: str, quarter: str) -> Sequence[Objective]:
        """Every published objective of a quarter with its key results: two queries."""
        stmt = (
            select(Objective)
            .options(selectinload(Objective.key_results))
            .where(
                *published_in(workspace_id, quarter),
            )
            .order_by(Objective.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def owners_in(self, workspace_id: str, quarter: str) -> list[tuple[str, datetime | None]]:
        """Everyone with a published objective this quarter, and their latest check-in."""
        stmt = (
            select(Objective.owner_id, func.max(Objective.last_check_in_at))
            .where(
                *published_in(workspace_id, quarter),
            )
            .group_by(Objective.owner_id)
            .order_by(Objective.owner_id)
        )
        # max() keeps the column's type, so the dates come back aware like any other.
        return [(owner, last) for owner, last in (await self.session.execute(stmt)).all()]

    async def with_key_results_of(
        self, workspace_id: str, quarter: str, owners: Sequence[str]
    ) -> list[tuple[str, Objective]]:
        """(key result owner, objective) for each published objective of the quarter in
        which one of `owners` owns a live key result (other than the objective's owner),
        by owner and objective."""
        found: list[tuple[str, Objective]] = []
        for start in range(0, len(owners), 500):
            chunk = list(owners[start : start + 500])
            stmt = (
                select(KeyResult.owner_id, Objective)
                .join(Objective, Objective.id == KeyResult.objective_id)
                .options(selectinload(Objective.key_results))
                .where(
                    *published_in(workspace_id, quarter),
                    KeyResult.retired_at.is_(None),
                    KeyResult.owner_id.in_(chunk),
                    KeyResult.owner_id != Objective.owner_id,
                )
                .order_by(KeyResult.owner_id, Objective.id)
            )
            for owner, objective in (await self.session.execute(stmt)).all():
                # One row per key result: an owner of two in one objective lists it once.
                if owner and (not found or found[-1] != (owner, objective)):
                    found.append((owner, objective))
        return found

    async def owners_of(self, objective_ids: Collection[int]) -> list[str]:
        """The owners of these objectives and of their live key results, each once: whose
        Home a change to their values shows on."""
        ids = sorted(set(objective_ids))
        if not ids:
            return []
        objectives = await self.session.scalars(
            select(Objective.owner_id).where(Objective.id.in_(ids)).order_by(Objective.id)
        )
        key_results = await self.session.scalars(
            select(KeyResult.owner_id)
            .where(
                KeyResult.objective_id.in_(ids),
                KeyResult.retired_at.is_(None),
                KeyResult.owner_id.is_not(None),
            )
            .order_by(KeyResult.id)
        )
        return list(dict.fromkeys([*objectives.all(), *(o for o in key_results.all() if o)]))

    async def key_result_owners_in(
        self, workspace_id: str, quarter: str
    ) -> list[tuple[str, datetime | None]]:
        """Everyone who owns a live key result of someone else's published objective this
        quarter, and the earliest of those key results' latest check-in by them (None when
        one has none): what their prompt and reminder go by. A value the objective's owner
        gave it is not their check-in, nor is one read from a data source; one sent through
        the API is, as it is the objective owner's."""
        theirs = (
            select(func.max(CheckInValue.created_at))
            .join(CheckIn, CheckIn.id == CheckInValue.check_in_id)
            .where(
                CheckInValue.key_result_id == KeyResult.id,
                (CheckIn.author_id == KeyResult.owner_id) | CheckIn.source.startswith("api:"),
            )
            .correlate(KeyResult)
            .scalar_subquery()
        )
        stmt = (
            select(KeyResult.owner_id, theirs)
            .join(Objective, Objective.id == KeyResult.objective_id)
            .where(
                *published_in(workspace_id, quarter),
                KeyResult.retired_at.is_(None),
                KeyResult.owner_id.is_not(None),
                KeyResult.owner_id != Objective.owner_id,
            )
            .order_by(KeyResult.owner_id)
        )
        earliest: dict[str, datetime | None] = {}
        for owner, last in (await self.session.execute(stmt)).all():
            if owner is None:
                continue
            if owner not in earliest:
                earliest[owner] = last
            else:
                before = earliest[owner]
                earliest[owner] = None if before is None or last is None else min(before, last)
        return list(earliest.items())

    async def approved_of_owners(
        self, workspace_id: str, quarter: str, owners: Sequence[str]
    ) -> list[Objective]:
        found: list[Objective] = []
        # In slices: SQLite caps how many values one statement may bind.
        for start in range(0, len(owners), 500):
            stmt = (
                select(Objective)
                .options(selectinload(Objective.key_results))
                .where(
                    *published_in(workspace_id, quarter),
                    Objective.owner_id.in_(list(owners[start : start + 500])),
                )
                .order_by(Objective.id)
            )
            found += (await self.session.scalars(stmt)).all()
        return found

    async def published_progress(
        self, workspace_id: str, quarter: str
    ) -> tuple[list[ProgressObjective], list[ProgressKR]]:
        """The quarter's published objectives (by id) and their live key results (by
        objective and position), as plain rows through Core: two queries, and no entities
        to build for a company's thousands of them."""
        connection = await self.session.connection()
        objectives = await connection.execute(
            select(
                Objective.id,
                Objective.title,
                Objective.owner_id,
                Objective.team,
                Objective.level,
                Objective.confidence,
                Objective.last_check_in_at,
                Objective.published_at,
            )
            .where(*published_in(workspace_id, quarter))
            .order_by(Objective.id)
        )
        krs = await connection.execute(
            select(
                KeyResult.id,
                KeyResult.objective_id,
                KeyResult.start_value,
                KeyResult.target_value,
                KeyResult.current_value,
                KeyResult.kind,
            )
            .join(Objective, Objective.id == KeyResult.objective_id)
            .where(*published_in(workspace_id, quarter), KeyResult.retired_at.is_(None))
            .order_by(KeyResult.objective_id, KeyResult.position)
        )
        return [ProgressObjective(*row) for row in objectives], [ProgressKR(*row) for row in krs]

    async def owned_by(self, workspace_id: str, owner_id: str) -> Sequence[Objective]:
        stmt = self._with_details(
            select(Objective)
            .where(Objective.workspace_id == workspace_id, Objective.owner_id == owner_id)
            .order_by(Objective.quarter.desc(), Objective.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def approved_of(
        self, workspace_id: str, owner_id: str, quarter: str
    ) -> Sequence[Objective]:
        stmt = (
            select(Objective)
            .options(selectinload(Objective.key_results))
            .where(
                Objective.workspace_id == workspace_id,
                Objective.owner_id == owner_id,
                Objective.quarter == quarter,
                Objective.status == "approved",
            )
            .order_by(Objective.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def transition(
        self,
        objective_id: int,
        *,
        version: int,
        from_statuses: Iterable[str],
        to_status: str,
        now: datetime,
        published: bool = False,
        new_version: int | None = None,
    ) -> bool:
        """Move the objective only if it is still at `version` in one of `from_statuses`."""
        values: dict[str, Any] = {"status": to_status, "updated_at": now}
        if published:
            values["published_at"] = now
        if new_version is not None:
            values["version"] = new_version
        result = await self.session.execute(
            update(Objective)
            .where(
                Objective.id == objective_id,
                Objective.version == version,
                Objective.status.in_(list(from_statuses)),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def revise_key_results(
        self,
        objective: Objective,
        live: Sequence[KeyResult],
        rows: Sequence[KeyResultRow],
        now: datetime,
    ) -> None:
        """Apply an approved change. A key result keeps its identity, and its check-ins,
        while it measures the same thing (the same description); a new one gets a new row;
        one the change dropped is retired, its history kept."""

        def same(text: str) -> str:
            return " ".join(text.casefold().split())

        by_description = {same(kr.description): kr for kr in live}
        highest = await self.session.scalar(
            select(func.max(KeyResult.position)).where(KeyResult.objective_id == objective.id)
        )
        next_position = int(highest or 0) + 1
        kept: set[int] = set()
        for description, start, target, unit, kind, owner in rows:
            kr = by_description.pop(same(description), None)
            if kr is not None:
                kr.description, kr.start_value, kr.target_value, kr.unit, kr.kind = (
                    description,
                    start,
                    target,
                    unit,
                    kind,
                )
                kr.owner_id = owner
                kept.add(kr.id)
                continue
            objective.key_results.append(
                _key_result(next_position, (description, start, target, unit, kind, owner))
            )
            next_position += 1
        for kr in live:
            if kr.id not in kept:
                kr.retired_at = now

    async def mark_withdrawn(self, objective_id: int, now: datetime) -> None:
        await self.session.execute(
            update(Objective)
            .where(Objective.id == objective_id)
            .values(withdrawn_at=now)
            .execution_options(synchronize_session=False)
        )

    def add_key_results(self, objective: Objective, rows: Sequence[KeyResultRow]) -> None:
        """A new objective's key results, numbered from 1."""
        for position, row in enumerate(rows, start=1):
            objective.key_results.append(_key_result(position, row))

    async def teams(self, workspace_id: str, quarter: str) -> list[str]:
        """Teams of the org chart and of the quarter's published objectives (an objective
        keeps the team its owner had when it was written)."""
        people = select(Person.team).where(
            Person.workspace_id == workspace_id, Person.team.is_not(None)
        )
        published = select(Objective.team).where(
            *published_in(workspace_id, quarter),
            Objective.team.is_not(None),
        )
        rows = await self.session.execute(people.union(published))
        return sorted({team for (team,) in rows.all() if team})

    async def approved_where(
        self,
        workspace_id: str,
        quarter: str,
        *,
        teams: Sequence[str] | None = None,
        level: str | None = None,
    ) -> Sequence[Objective]:
        """A quarter's published objectives of some teams or of one level, with key results."""
        stmt = (
            select(Objective)
            .options(selectinload(Objective.key_results))
            .where(
                *published_in(workspace_id, quarter),
            )
            .order_by(Objective.id)
        )
        if teams is not None:
            stmt = stmt.where(Objective.team.in_(list(teams)))
        if level is not None:
            stmt = stmt.where(Objective.level == level)
        return (await self.session.scalars(stmt)).all()

    async def findable(
        self, workspace_id: str, quarter: str, viewer: str
    ) -> list[tuple[int, str, str, str]]:
        """(id, title, owner, level) of what a person may look up by title: the quarter's
        published objectives and their own of this quarter or later. Titles only, so that
        matching a few words costs one light query whatever the company's size."""
        stmt = (
            select(Objective.id, Objective.title, Objective.owner_id, Objective.level)
            .where(
                Objective.workspace_id == workspace_id,
                ((Objective.quarter == quarter) & (Objective.status == "approved"))
                # "2026-Q4" < "2027-Q1": quarters sort as text.
                | ((Objective.owner_id == viewer) & (Objective.quarter >= quarter)),
            )
            .order_by(Objective.id)
        )
        return [
            (i, title, owner, level) for i, title, owner, level in await self.session.execute(stmt)
        ]

    async def supporting(self, workspace_id: str, objective_id: int) -> Sequence[Objective]:
        """Objectives aligned to this one, whatever their status, with key results."""
        stmt = (
            select(Objective)
            .options(selectinload(Objective.key_results))
            .where(Objective.workspace_id == workspace_id, Objective.aligned_to_id == objective_id)
            .order_by(Objective.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def in_quarter(self, workspace_id: str, quarter: str) -> Sequence[Objective]:
        """All of a quarter's objectives in any status, by id (without their details)."""
        stmt = (
            select(Objective)
            .where(Objective.workspace_id == workspace_id, Objective.quarter == quarter)
            .order_by(Objective.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def key_results_in_quarter(self, workspace_id: str, quarter: str) -> Sequence[KeyResult]:
        """Every key result of a quarter's objectives, retired ones too, by objective and
        position."""
        stmt = (
            select(KeyResult)
            .where(KeyResult.objective_id.in_(in_quarter(workspace_id, quarter)))
            .order_by(KeyResult.objective_id, KeyResult.position)
        )
        return (await self.session.scalars(stmt)).all()

    async def key_results_of(
        self, wanted: Collection[tuple[str, int]]
    ) -> dict[tuple[str, int], tuple[KeyResult, Objective]]:
        """`key_result_of` for many (workspace, key result id) pairs: one query; another
        workspace's key result is not found for a pair."""
        if not wanted:
            return {}
        found = {}
        rows = await self.session.execute(_KEY_RESULTS_OF, {"ids": list({kr for _, kr in wanted})})
        for kr, objective in rows.all():
            if (objective.workspace_id, kr.id) in wanted:
                found[objective.workspace_id, kr.id] = (kr, objective)
        return found

    async def key_result_of(
        self, workspace_id: str, key_result_id: int
    ) -> tuple[KeyResult, Objective] | None:
        """A key result (retired or not) of one of the workspace's objectives, with its
        objective: one query. None for another workspace's."""
        stmt = (
            select(KeyResult, Objective)
            .join(Objective, Objective.id == KeyResult.objective_id)
            .where(KeyResult.id == key_result_id, Objective.workspace_id == workspace_id)
        )
        row = (await self.session.execute(stmt)).first()
        return None if row is None else (row[0], row[1])


# Built once: the HTTP API reads its values' key results with it, a batch at a time.
_KEY_RESULTS_OF = (
    select(KeyResult, Objective)
    .join(Objective, Objective.id == KeyResult.objective_id)
    .where(KeyResult.id.in_(bindparam("ids", expanding=True)))
)


def _key_result(position: int, row: KeyResultRow) -> KeyResult:
    description, start, target, unit, kind, owner = row
    return KeyResult(
        position=position,
        description=description,
        start_value=start,
        target_value=target,
        unit=unit,
        kind=kind,
        owner_id=owner,
    )
