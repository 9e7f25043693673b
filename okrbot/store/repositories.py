"""Queries, one repository per aggregate. State changes that race are conditional updates."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from okrbot.store.models import (
    Approval,
    CheckIn,
    CheckInValue,
    Delivery,
    InboxCheckIn,
    InboxDecision,
    JobRun,
    KeyResult,
    Objective,
    OutboxMessage,
    Person,
    Revision,
    SeenEvent,
    Workspace,
)


def _published(workspace_id: str, quarter: str) -> tuple[ColumnElement[bool], ...]:
    """A workspace's published objectives of a quarter: the set most views start from."""
    return (
        Objective.workspace_id == workspace_id,
        Objective.quarter == quarter,
        Objective.status == "approved",
    )


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


class CheckableRow(NamedTuple):
    """An objective and one of its live key results (None for one without any)."""

    objective_id: int
    title: str
    quarter: str
    confidence: str | None
    last_check_in_at: datetime | None
    kr_id: int | None
    description: str | None
    unit: str | None
    start: float | None
    target: float | None
    current: float | None
    current_at: datetime | None


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


class PersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
        if _rowcount(result) == 1:
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


class ObjectiveRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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

    async def published(self, workspace_id: str, quarters: Iterable[str]) -> Sequence[Objective]:
        stmt = (
            select(Objective)
            .where(
                Objective.workspace_id == workspace_id,
                Objective.quarter.in_(list(quarters)),
                Objective.status == "approved",
            )
            .order_by(Objective.quarter, Objective.level, Objective.id)
        )
        return (await self.session.scalars(stmt)).all()

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
                *_published(workspace_id, quarter),
            )
            .order_by(Objective.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def owners_in(self, workspace_id: str, quarter: str) -> list[tuple[str, datetime | None]]:
        """Everyone with a published objective this quarter, and their latest check-in."""
        stmt = (
            select(Objective.owner_id, func.max(Objective.last_check_in_at))
            .where(
                *_published(workspace_id, quarter),
            )
            .group_by(Objective.owner_id)
            .order_by(Objective.owner_id)
        )
        # max() keeps the column's type, so the dates come back aware like any other.
        return [(owner, last) for owner, last in (await self.session.execute(stmt)).all()]

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
                    *_published(workspace_id, quarter),
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
            .where(*_published(workspace_id, quarter))
            .order_by(Objective.id)
        )
        krs = await connection.execute(
            select(
                KeyResult.id,
                KeyResult.objective_id,
                KeyResult.start_value,
                KeyResult.target_value,
                KeyResult.current_value,
            )
            .join(Objective, Objective.id == KeyResult.objective_id)
            .where(*_published(workspace_id, quarter), KeyResult.retired_at.is_(None))
            .order_by(KeyResult.objective_id, KeyResult.position)
        )
        return [ProgressObjective(*row) for row in objectives], [ProgressKR(*row) for row in krs]

    async def values_by_moment(
        self, workspace_id: str, quarter: str, moments: Sequence[datetime]
    ) -> Iterator[tuple[int, int, float]]:
        """Every value checked in for the live key results of the quarter's published
        objectives, each key result's in the order they were checked in, as (key result
        id, index of the first of `moments` (in order) at or after it, value): one query.

        A quarter has hundreds of thousands of them, so the database compares the times
        (no timestamp is read here), the rows come through Core (the ORM's row handling
        would add a third), and the values are made as they are iterated, in the unit of
        work. PostgreSQL sends one row of arrays per key result: asyncpg's records for
        every value cost more (in the cycle collector, mostly) than the query saves. SQLite
        reads the values in the order asked for as it walks the objective, key result and
        value indexes, so it need not sort."""
        index = case(
            *((CheckInValue.created_at <= moment, number) for number, moment in enumerate(moments)),
            else_=len(moments),
        )
        connection = await self.session.connection()
        live = (*_published(workspace_id, quarter), KeyResult.retired_at.is_(None))
        if connection.dialect.name == "postgresql":
            in_order = (CheckInValue.created_at, CheckInValue.id)
            grouped = (
                select(
                    CheckInValue.key_result_id,
                    func.array_agg(aggregate_order_by(index, *in_order)),
                    func.array_agg(aggregate_order_by(CheckInValue.value, *in_order)),
                )
                .join(KeyResult, KeyResult.id == CheckInValue.key_result_id)
                .join(Objective, Objective.id == KeyResult.objective_id)
                .where(*live)
                .group_by(CheckInValue.key_result_id)
            )
            rows = await connection.execute(grouped)
            return (
                (kr_id, at, value)
                for kr_id, indexes, values in rows
                for at, value in zip(indexes, values, strict=True)
            )
        stmt = (
            select(CheckInValue.key_result_id, index, CheckInValue.value)
            .join(KeyResult, KeyResult.id == CheckInValue.key_result_id)
            .join(Objective, Objective.id == KeyResult.objective_id)
            .where(*live)
            .order_by(Objective.id, KeyResult.position, CheckInValue.created_at, CheckInValue.id)
        )
        result = await connection.execute(stmt)
        return ((kr_id, at, value) for kr_id, at, value in result)

    async def unscored_owners(self, workspace_id: str, quarter: str) -> list[tuple[str, int]]:
        stmt = (
            select(Objective.owner_id, func.count(Objective.id))
            .where(
                *_published(workspace_id, quarter),
                Objective.score.is_(None),
            )
            .group_by(Objective.owner_id)
            .order_by(Objective.owner_id)
        )
        return [(owner, int(count)) for owner, count in (await self.session.execute(stmt)).all()]

    async def record_scores(
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

    async def add_check_in_values(
        self, values: Sequence[tuple[int, int, float]], at: datetime
    ) -> None:
        """(check-in, key result, value) rows, in one statement (executemany)."""
        if values:
            await self.session.execute(
                insert(CheckInValue),
                [
                    {"check_in_id": c, "key_result_id": k, "value": v, "created_at": at}
                    for c, k, v in values
                ],
            )

    async def close_quarter(self, workspace_id: str, quarter: str, now: datetime) -> int:
        """Published objectives of an ended quarter become closed: history, not deleted."""
        result = await self.session.execute(
            update(Objective)
            .where(
                *_published(workspace_id, quarter),
            )
            .values(status="closed", updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)

    async def owned_by(self, workspace_id: str, owner_id: str) -> Sequence[Objective]:
        stmt = self._with_details(
            select(Objective)
            .where(Objective.workspace_id == workspace_id, Objective.owner_id == owner_id)
            .order_by(Objective.quarter.desc(), Objective.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def checkable(self, workspace_id: str, owner_id: str, quarter: str) -> list[CheckableRow]:
        """A person's published objectives of a quarter, each with its live key results in
        order: a row per key result, objectives by id. One query for plain rows, not
        entities: this runs before the answer to every check-in."""
        stmt = (
            select(
                Objective.id,
                Objective.title,
                Objective.quarter,
                Objective.confidence,
                Objective.last_check_in_at,
                KeyResult.id,
                KeyResult.description,
                KeyResult.unit,
                KeyResult.start_value,
                KeyResult.target_value,
                KeyResult.current_value,
                KeyResult.current_at,
            )
            .outerjoin(
                KeyResult,
                and_(KeyResult.objective_id == Objective.id, KeyResult.retired_at.is_(None)),
            )
            .where(
                Objective.workspace_id == workspace_id,
                Objective.owner_id == owner_id,
                Objective.quarter == quarter,
                Objective.status == "approved",
            )
            .order_by(Objective.id, KeyResult.position)
        )
        return [CheckableRow._make(row) for row in (await self.session.execute(stmt)).all()]

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

    async def note_check_ins(
        self, check_ins: Sequence[tuple[int, str, dict[int, float]]], at: datetime
    ) -> None:
        """Keep the latest check-in of each (objective, confidence, values by key result) on
        the rows themselves (history stays in check_in): two statements (executemany) for
        any number of objectives. A key result of another objective (a forged id) matches
        nothing."""
        if not check_ins:
            return
        connection = await self.session.connection()
        await connection.execute(
            update(Objective)
            .where(Objective.id == bindparam("objective"))
            .values(confidence=bindparam("new_confidence"), last_check_in_at=at),
            [{"objective": o, "new_confidence": confidence} for o, confidence, _ in check_ins],
        )
        values = [
            {"objective": o, "kr": kr_id, "new_value": value}
            for o, _, krs in check_ins
            for kr_id, value in krs.items()
        ]
        if values:
            await connection.execute(
                update(KeyResult)
                .where(
                    KeyResult.id == bindparam("kr"),
                    KeyResult.objective_id == bindparam("objective"),
                )
                .values(current_value=bindparam("new_value"), current_at=at),
                values,
            )

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
        return _rowcount(result) == 1

    async def revise_key_results(
        self,
        objective: Objective,
        live: Sequence[KeyResult],
        rows: Sequence[tuple[str, float, float, str]],
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
        for description, start, target, unit in rows:
            kr = by_description.pop(same(description), None)
            if kr is not None:
                kr.description, kr.start_value, kr.target_value, kr.unit = (
                    description,
                    start,
                    target,
                    unit,
                )
                kept.add(kr.id)
                continue
            objective.key_results.append(
                KeyResult(
                    position=next_position,
                    description=description,
                    start_value=start,
                    target_value=target,
                    unit=unit,
                )
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

    def add_key_results(
        self, objective: Objective, rows: Sequence[tuple[str, float, float, str]]
    ) -> None:
        """A new objective's key results, numbered from 1."""
        for position, (description, start, target, unit) in enumerate(rows, start=1):
            objective.key_results.append(
                KeyResult(
                    position=position,
                    description=description,
                    start_value=start,
                    target_value=target,
                    unit=unit,
                )
            )

    async def teams(self, workspace_id: str, quarter: str) -> list[str]:
        """Teams of the org chart and of the quarter's published objectives (an objective
        keeps the team its owner had when it was written)."""
        people = select(Person.team).where(
            Person.workspace_id == workspace_id, Person.team.is_not(None)
        )
        published = select(Objective.team).where(
            *_published(workspace_id, quarter),
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
                *_published(workspace_id, quarter),
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


class ApprovalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
        return _rowcount(result) == 1

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
            if _rowcount(result):
                marked.add(objective_id)
        return marked

    async def set_message(self, approval_id: int, channel: str, ts: str) -> None:
        await self.session.execute(
            update(Approval)
            .where(Approval.id == approval_id)
            .values(message_channel=channel, message_ts=ts)
            .execution_options(synchronize_session=False)
        )


# The outbox's and the fan-out's mark of a message nobody can tell went out.
IN_DOUBT_PREFIX = "in_doubt:"


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
                next_attempt_at=now,
                attempts=0,
            )
        )

    async def forget_sent_before(self, moment: datetime) -> int:
        """Messages long delivered: nothing reads them again."""
        result = await self.session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.sent_at < moment)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)

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
        return _rowcount(result) == 1

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
        return _rowcount(result)

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
        return _rowcount(result)

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


class InboxRepository:
    """Check-ins answered but not stored yet. A row is taken by deleting it: of two
    processes that try, one deletes it and the other finds nothing. Dead rows (see
    `failed`) stay, out of everyone's way."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
            .where(InboxCheckIn.id == item_id, InboxCheckIn.dead_at.is_(None))
            .returning(InboxCheckIn)
            .execution_options(synchronize_session=False)
        )
        return result.one_or_none()

    async def discard(self, item_id: str) -> bool:
        result = await self.session.execute(
            delete(InboxCheckIn)
            .where(InboxCheckIn.id == item_id, InboxCheckIn.dead_at.is_(None))
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) > 0

    async def stored_already(self, submission_key: str) -> bool:
        """Whether a check-in from this very submission is stored."""
        found = await self.session.scalar(
            select(CheckIn.id).where(CheckIn.submission_key == submission_key).limit(1)
        )
        return found is not None

    async def failed(
        self, item_id: str, *, reason: str, retry_at: datetime, dead_after: int, now: datetime
    ) -> InboxCheckIn | None:
        """Counts a failed try; the row as it is now, dead once it has had `dead_after`
        tries. None when it is gone (or dead already)."""
        tries = InboxCheckIn.tries + 1
        result = await self.session.scalars(
            update(InboxCheckIn)
            .where(InboxCheckIn.id == item_id, InboxCheckIn.dead_at.is_(None))
            .values(
                tries=tries,
                retry_at=retry_at,
                reason=reason[:200],
                dead_at=case((tries >= dead_after, now), else_=None),
            )
            .returning(InboxCheckIn)
            .execution_options(synchronize_session=False)
        )
        return result.one_or_none()

    async def waiting(self, received_by: datetime, limit: int, now: datetime) -> list[str]:
        """Live rows received by a moment and not waiting to be tried again after `now`,
        oldest first."""
        rows = await self.session.scalars(
            select(InboxCheckIn.id)
            .where(
                InboxCheckIn.received_at <= received_by,
                InboxCheckIn.dead_at.is_(None),
                _due(InboxCheckIn.retry_at, now),
            )
            .order_by(InboxCheckIn.received_at, InboxCheckIn.id)
            .limit(limit)
        )
        return list(rows.all())

    async def count(self) -> int:
        """Rows still to store (dead ones are not)."""
        return int(
            await self.session.scalar(
                select(func.count()).select_from(InboxCheckIn).where(InboxCheckIn.dead_at.is_(None))
            )
            or 0
        )

    async def dead(self) -> list[InboxCheckIn]:
        rows = await self.session.scalars(
            select(InboxCheckIn)
            .where(InboxCheckIn.dead_at.is_not(None))
            .order_by(InboxCheckIn.dead_at)
        )
        return list(rows.all())


def _due(retry_at: Any, now: datetime) -> ColumnElement[bool]:
    """Never tried, or its next try is due."""
    return cast("ColumnElement[bool]", retry_at.is_(None) | (retry_at <= now))


class DecisionInboxRepository:
    """Clicks answered but not applied yet. A row is taken by marking it done: of two
    processes that try, one marks it and the other finds it done."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def take(self, item_id: str, now: datetime) -> InboxDecision | None:
        """Marks the row done and returns it; None when it is done already (or dead)."""
        result = await self.session.scalars(
            update(InboxDecision)
            .where(
                InboxDecision.id == item_id,
                InboxDecision.done_at.is_(None),
                InboxDecision.dead_at.is_(None),
            )
            .values(done_at=now)
            .returning(InboxDecision)
            .execution_options(synchronize_session=False)
        )
        return result.one_or_none()

    async def failed(
        self, item_id: str, *, reason: str, retry_at: datetime, dead_after: int, now: datetime
    ) -> InboxDecision | None:
        """Counts a failed try, as `InboxRepository.failed`."""
        tries = InboxDecision.tries + 1
        result = await self.session.scalars(
            update(InboxDecision)
            .where(
                InboxDecision.id == item_id,
                InboxDecision.done_at.is_(None),
                InboxDecision.dead_at.is_(None),
            )
            .values(
                tries=tries,
                retry_at=retry_at,
                reason=reason[:200],
                dead_at=case((tries >= dead_after, now), else_=None),
            )
            .returning(InboxDecision)
            .execution_options(synchronize_session=False)
        )
        return result.one_or_none()

    async def waiting(self, received_by: datetime, limit: int, now: datetime) -> list[str]:
        rows = await self.session.scalars(
            select(InboxDecision.id)
            .where(
                InboxDecision.received_at <= received_by,
                InboxDecision.done_at.is_(None),
                InboxDecision.dead_at.is_(None),
                _due(InboxDecision.retry_at, now),
            )
            .order_by(InboxDecision.received_at, InboxDecision.id)
            .limit(limit)
        )
        return list(rows.all())

    async def forget_done(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(InboxDecision)
            .where(InboxDecision.done_at < before)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)

    async def count(self) -> int:
        """Rows still to apply."""
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(InboxDecision)
                .where(InboxDecision.done_at.is_(None), InboxDecision.dead_at.is_(None))
            )
            or 0
        )

    async def dead(self) -> list[InboxDecision]:
        rows = await self.session.scalars(
            select(InboxDecision)
            .where(InboxDecision.dead_at.is_not(None))
            .order_by(InboxDecision.dead_at)
        )
        return list(rows.all())


class JobRunRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(self, workspace_id: str, job: str, period: str) -> JobRun | None:
        return await self.session.scalar(
            select(JobRun)
            .where(JobRun.workspace_id == workspace_id, JobRun.job == job, JobRun.period == period)
            .order_by(JobRun.attempt.desc())
            .limit(1)
        )

    def add(self, run: JobRun) -> None:
        self.session.add(run)

    async def finish(self, run_id: int, now: datetime) -> None:
        await self.session.execute(
            update(JobRun)
            .where(JobRun.id == run_id, JobRun.finished_at.is_(None))
            .values(finished_at=now)
            .execution_options(synchronize_session=False)
        )

    async def in_periods(
        self, workspace_id: str, job: str, periods: Sequence[str]
    ) -> Sequence[JobRun]:
        """The job's unfinished runs of these periods (a fan-out's runs are never finished)."""
        stmt = (
            select(JobRun)
            .where(
                JobRun.workspace_id == workspace_id,
                JobRun.job == job,
                JobRun.period.in_(list(periods)),
                JobRun.finished_at.is_(None),
            )
            .order_by(JobRun.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def unfinished(self, workspace_id: str, job: str) -> Sequence[JobRun]:
        stmt = (
            select(JobRun)
            .where(
                JobRun.workspace_id == workspace_id,
                JobRun.job == job,
                JobRun.finished_at.is_(None),
            )
            .order_by(JobRun.id)
        )
        return (await self.session.scalars(stmt)).all()


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, delivery: Delivery) -> None:
        self.session.add(delivery)

    async def for_run(self, run_id: int) -> Sequence[Delivery]:
        stmt = select(Delivery).where(Delivery.job_run_id == run_id).order_by(Delivery.id)
        return (await self.session.scalars(stmt)).all()

    async def unsettled(self, run_id: int, in_doubt: str) -> Sequence[Delivery]:
        """The run's deliveries in flight, or ended in doubt (their error starts `in_doubt`):
        what recovery looks at, without the run's every sent message."""
        stmt = (
            select(Delivery)
            .where(
                Delivery.job_run_id == run_id,
                Delivery.sent_at.is_(None),
                Delivery.failed_at.is_(None) | Delivery.error.startswith(in_doubt, autoescape=True),
            )
            .order_by(Delivery.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def recipients(self, workspace_id: str, job: str, period: str) -> set[str]:
        """Everyone any run of this job and week reached or is reaching."""
        stmt = (
            select(Delivery.recipient)
            .join(JobRun, JobRun.id == Delivery.job_run_id)
            .where(JobRun.workspace_id == workspace_id, JobRun.job == job, JobRun.period == period)
        )
        return set((await self.session.scalars(stmt)).all())

    async def sent_since(self, workspace_id: str, job: str, since: datetime) -> dict[str, Delivery]:
        """Each recipient's latest delivered message of `job` since `since`."""
        stmt = (
            select(Delivery)
            .join(JobRun, JobRun.id == Delivery.job_run_id)
            .where(
                JobRun.workspace_id == workspace_id,
                JobRun.job == job,
                Delivery.sent_at.is_not(None),
                Delivery.sent_at >= since,
            )
            .order_by(Delivery.sent_at)
        )
        return {d.recipient: d for d in await self.session.scalars(stmt)}

    async def recent_to(
        self, workspace_id: str, recipient: str, jobs: Sequence[str], since: datetime
    ) -> Sequence[tuple[Delivery, str]]:
        """A person's delivered messages of `jobs` since `since`, with each one's job."""
        stmt = (
            select(Delivery, JobRun.job)
            .join(JobRun, JobRun.id == Delivery.job_run_id)
            .where(
                JobRun.workspace_id == workspace_id,
                JobRun.job.in_(list(jobs)),
                Delivery.recipient == recipient,
                Delivery.sent_at >= since,
                Delivery.ts.is_not(None),
            )
            .order_by(Delivery.id)
        )
        return [(d, job) for d, job in (await self.session.execute(stmt)).all()]

    async def settle(
        self,
        delivery_id: int,
        *,
        now: datetime,
        channel: str | None = None,
        ts: str | None = None,
        error: str | None = None,
    ) -> None:
        values: dict[str, Any] = (
            {"sent_at": now, "channel": channel, "ts": ts}
            if error is None
            else {"failed_at": now, "error": error[:200]}
        )
        await self.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def retake(self, delivery_id: int, error_prefix: str, now: datetime) -> bool:
        """Claim again a delivery that ended with an error starting `error_prefix`."""
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.sent_at.is_(None),
                Delivery.failed_at.is_not(None),
                Delivery.error.startswith(error_prefix, autoescape=True),
            )
            .values(claimed_at=now, failed_at=None, error=None)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def reclaim(self, delivery_id: int, claimed_at: datetime, now: datetime) -> bool:
        """Take over a delivery whose sender died; only one process can."""
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.claimed_at == claimed_at,
                Delivery.sent_at.is_(None),
                Delivery.failed_at.is_(None),
            )
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1


class RevisionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
        return _rowcount(result) == 1


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def forget_before(self, moment: datetime) -> int:
        """Delivery bookkeeping, not anyone's data: old rows only slow the unique key."""
        result = await self.session.execute(
            delete(SeenEvent)
            .where(SeenEvent.seen_at < moment)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)


class WorkspaceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
