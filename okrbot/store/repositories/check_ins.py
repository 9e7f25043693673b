"""Check-ins: the values people report for their key results, and what they check in on."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import Table, and_, bindparam, case, func, insert, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by

from okrbot.store.models import CheckIn, CheckInValue, KeyResult, Objective
from okrbot.store.repositories.base import Repository, in_quarter, published_in


class MeasuredValue(NamedTuple):
    """A value of one key result from outside Slack, recorded as a check-in of its own."""

    workspace_id: str
    objective_id: int
    key_result_id: int
    author_id: str
    confidence: str
    comment: str | None
    value: float
    at: datetime
    source: str


# The HTTP API's statements, built once: at a thousand values a second, building a
# statement again for every batch (and working out its cache key) cost more than running
# it. Core statements on the tables: the ORM's bulk path adds nothing for plain rows.
_CHECK_IN = cast("Table", CheckIn.__table__)
_KEY_RESULT = cast("Table", KeyResult.__table__)
_OBJECTIVE = cast("Table", Objective.__table__)
_ADD_MEASURED = insert(_CHECK_IN).returning(_CHECK_IN.c.id, sort_by_parameter_order=True)
_ADD_MEASURED_VALUES = insert(cast("Table", CheckInValue.__table__))
_KEEP_LATEST = (
    update(_KEY_RESULT)
    .where(
        _KEY_RESULT.c.id == bindparam("kr"),
        _KEY_RESULT.c.current_at.is_(None) | (_KEY_RESULT.c.current_at <= bindparam("at")),
    )
    .values(current_value=bindparam("new_value"), current_at=bindparam("at"))
)
_KEEP_LAST_CHECK_IN = (
    update(_OBJECTIVE)
    .where(
        _OBJECTIVE.c.id == bindparam("objective"),
        _OBJECTIVE.c.last_check_in_at.is_(None)
        | (_OBJECTIVE.c.last_check_in_at <= bindparam("at")),
    )
    .values(last_check_in_at=bindparam("at"))
)
_LATEST_OF = select(_KEY_RESULT.c.id, _KEY_RESULT.c.current_value, _KEY_RESULT.c.current_at).where(
    _KEY_RESULT.c.id.in_(bindparam("ids", expanding=True))
)


def latest_of(
    rows: Sequence[MeasuredValue],
) -> tuple[dict[int, MeasuredValue], dict[int, datetime]]:
    """Of many values: each key result's latest (the last given of those measured at the
    same time), and each objective's latest time."""
    latest: dict[int, MeasuredValue] = {}
    objectives: dict[int, datetime] = {}
    for r in rows:
        kept = latest.get(r.key_result_id)
        if kept is None or kept.at <= r.at:
            latest[r.key_result_id] = r
        if r.objective_id not in objectives or objectives[r.objective_id] < r.at:
            objectives[r.objective_id] = r.at
    return latest, objectives


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
    kind: str | None
    # The key result's own owner (None: the objective's owner).
    kr_owner: str | None
    # The objective's owner.
    owner_id: str
    # Whether the person owns the objective (else only their own key results are listed).
    owned: bool


class CheckInRepository(Repository):
    async def checkable(self, workspace_id: str, owner_id: str, quarter: str) -> list[CheckableRow]:
        """A person's published objectives of a quarter, each with its live key results in
        order, then the others' in which they own live key results, with those alone: a
        row per key result, objectives by id. One query for plain rows, not entities: this
        runs before the answer to every check-in."""
        owned = Objective.owner_id == owner_id
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
                KeyResult.kind,
                KeyResult.owner_id,
                Objective.owner_id,
                case((owned, True), else_=False),
            )
            .outerjoin(
                KeyResult,
                and_(
                    KeyResult.objective_id == Objective.id,
                    KeyResult.retired_at.is_(None),
                    owned | (KeyResult.owner_id == owner_id),
                ),
            )
            .where(
                Objective.workspace_id == workspace_id,
                owned | (KeyResult.owner_id == owner_id),
                Objective.quarter == quarter,
                Objective.status == "approved",
            )
            .order_by(case((owned, 0), else_=1), Objective.id, KeyResult.position)
        )
        return [
            CheckableRow._make((*row[:-1], bool(row[-1])))
            for row in (await self.session.execute(stmt)).all()
        ]

    async def add_values(self, values: Sequence[tuple[int, int, float]], at: datetime) -> None:
        """(check-in, key result, value) rows, in one statement (executemany)."""
        if values:
            await self.session.execute(
                insert(CheckInValue),
                [
                    {"check_in_id": c, "key_result_id": k, "value": v, "created_at": at}
                    for c, k, v in values
                ],
            )

    async def note_latest(
        self, check_ins: Sequence[tuple[int, str | None, dict[int, float]]], at: datetime
    ) -> None:
        """Keep the latest check-in of each (objective, confidence, values by key result) on
        the rows themselves (history stays in check_in): two statements (executemany) for
        any number of objectives. A key result of another objective (a forged id) matches
        nothing. A confidence of None (a key result owner's check-in of values alone)
        leaves the objective's confidence and last check-in as they are."""
        if not check_ins:
            return
        connection = await self.session.connection()
        objectives = [
            {"objective": o, "new_confidence": confidence}
            for o, confidence, _ in check_ins
            if confidence is not None
        ]
        if objectives:
            await connection.execute(
                update(Objective)
                .where(Objective.id == bindparam("objective"))
                .values(confidence=bindparam("new_confidence"), last_check_in_at=at),
                objectives,
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
        live = (*published_in(workspace_id, quarter), KeyResult.retired_at.is_(None))
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

    async def stored_already(self, submission_key: str) -> bool:
        """Whether a check-in from this very submission is stored."""
        found = await self.session.scalar(
            select(CheckIn.id).where(CheckIn.submission_key == submission_key).limit(1)
        )
        return found is not None

    async def in_quarter(self, workspace_id: str, quarter: str) -> Sequence[CheckIn]:
        """Every check-in of a quarter's objectives, by objective and in the order made."""
        stmt = (
            select(CheckIn)
            .where(CheckIn.objective_id.in_(in_quarter(workspace_id, quarter)))
            .order_by(CheckIn.objective_id, CheckIn.created_at, CheckIn.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def values_in_quarter(
        self, workspace_id: str, quarter: str
    ) -> list[tuple[int, int, float]]:
        """(check-in id, key result position, value) of every value checked in for a
        quarter's objectives, by check-in and position."""
        stmt = (
            select(CheckInValue.check_in_id, KeyResult.position, CheckInValue.value)
            .join(KeyResult, KeyResult.id == CheckInValue.key_result_id)
            .where(KeyResult.objective_id.in_(in_quarter(workspace_id, quarter)))
            .order_by(CheckInValue.check_in_id, KeyResult.position)
        )
        rows = (await self.session.execute(stmt)).all()
        return [(check_in, position, value) for check_in, position, value in rows]

    async def values_of(self, key_result_ids: Sequence[int]) -> dict[int, list[float]]:
        """Every value checked in for each of these key results, in the order they were
        checked in: what a range key result is scored on."""
        found: dict[int, list[float]] = {kr_id: [] for kr_id in key_result_ids}
        if not found:
            return found
        stmt = (
            select(CheckInValue.key_result_id, CheckInValue.value)
            .where(CheckInValue.key_result_id.in_(list(found)))
            .order_by(CheckInValue.key_result_id, CheckInValue.id)
        )
        for kr_id, value in (await self.session.execute(stmt)).all():
            found[kr_id].append(value)
        return found

    async def latest_sources(
        self, key_result_ids: Collection[int]
    ) -> dict[int, tuple[str, datetime]]:
        """Where each key result's latest value (the one it stands at) came from: the
        source of the check-in that recorded it ("slack", "api:NAME", "source:http"...)
        and when. Key results never checked in are left out."""
        found: dict[int, tuple[str, datetime]] = {}
        ids = sorted(key_result_ids)
        # In slices: SQLite caps how many values one statement may bind.
        for start in range(0, len(ids), 500):
            stmt = (
                select(CheckInValue.key_result_id, CheckIn.source, CheckInValue.created_at)
                .join(KeyResult, KeyResult.id == CheckInValue.key_result_id)
                .join(CheckIn, CheckIn.id == CheckInValue.check_in_id)
                .where(
                    CheckInValue.key_result_id.in_(ids[start : start + 500]),
                    CheckInValue.created_at == KeyResult.current_at,
                )
                # Two values at the same moment: the one recorded last is the latest.
                .order_by(CheckInValue.key_result_id, CheckInValue.id)
            )
            for kr_id, source, at in (await self.session.execute(stmt)).all():
                found[kr_id] = (source, at)
        return found

    def add(self, check_in: CheckIn) -> None:
        self.session.add(check_in)

    async def add_measured(self, rows: Sequence[MeasuredValue]) -> None:
        """Check-ins of one value each (the HTTP API's), all in two statements: the
        check-ins (their ids returned in the rows' order), then their values."""
        if not rows:
            return
        connection = await self.session.connection()
        ids = await connection.execute(
            _ADD_MEASURED,
            [
                {
                    "workspace_id": r.workspace_id,
                    "objective_id": r.objective_id,
                    "author_id": r.author_id,
                    "confidence": r.confidence,
                    "comment": r.comment,
                    "created_at": r.at,
                    "source": r.source,
                }
                for r in rows
            ],
        )
        await connection.execute(
            _ADD_MEASURED_VALUES,
            [
                {
                    "check_in_id": c,
                    "key_result_id": r.key_result_id,
                    "value": r.value,
                    "created_at": r.at,
                }
                for c, r in zip(ids.scalars().all(), rows, strict=True)
            ],
        )

    async def note_measured(
        self, rows: Sequence[MeasuredValue]
    ) -> dict[int, tuple[float | None, datetime | None]]:
        """`note_value` for many values at once: each key result keeps the latest of its
        values (unless a later one is there already), each objective its latest time; the
        key results' latest (value, time) after, by id."""
        latest, objectives = latest_of(rows)
        if not latest:
            return {}
        connection = await self.session.connection()
        await connection.execute(
            _KEEP_LATEST, [{"kr": k, "new_value": r.value, "at": r.at} for k, r in latest.items()]
        )
        await connection.execute(
            _KEEP_LAST_CHECK_IN, [{"objective": o, "at": at} for o, at in objectives.items()]
        )
        found = await connection.execute(_LATEST_OF, {"ids": list(latest)})
        return {kr: (value, at) for kr, value, at in found}

    async def note_value(
        self,
        objective_id: int,
        key_result_id: int,
        value: float,
        at: datetime,
        *,
        checked_in: bool = True,
    ) -> tuple[float | None, datetime | None]:
        """Keep a value made at `at` as the key result's latest, and `at` as its objective's
        last check-in (unless not `checked_in`: a value read from a data source is no
        check-in of the owner's), unless a later one is there already (a value sent late,
        or two sent at once); the key result's latest (value, time) after."""
        await self.session.execute(
            update(KeyResult)
            .where(
                KeyResult.id == key_result_id,
                KeyResult.current_at.is_(None) | (KeyResult.current_at <= at),
            )
            .values(current_value=value, current_at=at)
        )
        if checked_in:
            await self.session.execute(
                update(Objective)
                .where(
                    Objective.id == objective_id,
                    Objective.last_check_in_at.is_(None) | (Objective.last_check_in_at <= at),
                )
                .values(last_check_in_at=at)
            )
        row = (
            await self.session.execute(
                select(KeyResult.current_value, KeyResult.current_at).where(
                    KeyResult.id == key_result_id
                )
            )
        ).one()
        return row[0], row[1]
