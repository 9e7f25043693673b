"""The HTTP API's values written on a SQLite file with plain sqlite3, in one call.

At a thousand values a second the API's transaction (read the key results, insert the
check-ins and their values, keep each key result's latest, queue the Homes' refreshes)
was the busiest thing in the process: through SQLAlchemy it cost 150 to 190 µs of CPU a
value, and the event loop waited for it while it ran. The same statements through sqlite3,
with the columns' own SQLAlchemy processors for what goes in and comes out (so the rows
are stored and read exactly as the ORM stores and reads them), cost a fraction of that.

`DirectUnit` has the few reads and writes that transaction needs, with the repositories'
meaning (`ObjectiveRepository.key_results_of`, `CheckInRepository.add_measured` and
`note_measured`, `OutboxRepository.waiting_for` and `add`); PostgreSQL, and SQLite when
another process holds its lock, go through those repositories instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, inspect
from sqlalchemy.engine import Dialect

from okrbot.store.models import CheckIn, CheckInValue, KeyResult, Objective, OutboxMessage
from okrbot.store.repositories.check_ins import MeasuredValue, latest_of

Convert = Callable[[Any], Any]
Insert = Callable[[Table, Sequence[dict[str, Any]]], list[int]]


def _table(entity: type[Any]) -> Table:
    return cast("Table", entity.__table__)


class _Reader:
    """Rows of a table's columns as sqlite3 gives them, back into what the ORM holds."""

    def __init__(self, entity: type[Any], dialect: Dialect) -> None:
        table = _table(entity)
        # As the ORM's loader makes an entity from a row: an instance with its state, the
        # columns' values in its dict (the constructor's events cost ten times as much).
        self._manager = inspect(entity).class_manager
        self.names = [c.name for c in table.columns]
        # key_results_of tells objectives apart by their first column.
        assert self.names[0] == "id", table.name
        self.select = ", ".join(f"{table.name}.{n}" for n in self.names)
        self._convert: list[Convert | None] = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in table.columns
        ]

    def values(self, row: Sequence[Any]) -> dict[str, Any]:
        return {
            name: value if convert is None else convert(value)
            for name, convert, value in zip(self.names, self._convert, row, strict=True)
        }

    def entity(self, row: Sequence[Any]) -> Any:
        """The row as an entity attached to no session."""
        made = self._manager.new_instance()
        made.__dict__.update(self.values(row))
        return made


class DirectOutbox:
    """`OutboxRepository.add`, on the direct connection."""

    def __init__(self, insert: Insert) -> None:
        self._insert = insert

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
        not_before: datetime | None = None,
    ) -> None:
        self._insert(
            _table(OutboxMessage),
            [
                {
                    "workspace_id": workspace_id,
                    "kind": kind,
                    "objective_id": objective_id,
                    "approval_id": approval_id,
                    "recipient": recipient,
                    "payload": payload or {},
                    "created_at": now,
                    "next_attempt_at": now if not_before is None else max(now, not_before),
                    "attempts": 0,
                }
            ],
        )


class DirectUnit:
    """A transaction on the direct connection (see `SessionFactory.run_direct`): what the
    API's values need to be checked and written, nothing else."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        dialect: Dialect,
        insert: Insert,
        watch: Callable[[str], None],
    ) -> None:
        self._connection = connection
        self._watch = watch
        self._key_results = _Reader(KeyResult, dialect)
        self._objectives = _Reader(Objective, dialect)
        self._insert = insert
        moment = _table(KeyResult).c.current_at.type.dialect_impl(dialect)
        self._moment_in: Convert | None = moment.bind_processor(dialect)
        self._moment_out: Convert | None = moment.result_processor(dialect, None)
        self.outbox = DirectOutbox(insert)

    def _run(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        self._watch(sql)
        return self._connection.execute(sql, params)

    def _moment(self, value: datetime | None) -> Any:
        return value if value is None or self._moment_in is None else self._moment_in(value)

    def key_results_of(
        self, wanted: Collection[tuple[str, int]]
    ) -> dict[tuple[str, int], tuple[KeyResult, Objective]]:
        """As `ObjectiveRepository.key_results_of`: loaded here, attached to no session."""
        ids = sorted({kr for _, kr in wanted})
        if not ids:
            return {}
        krs, objectives = self._key_results, self._objectives
        rows = self._run(
            f"SELECT {krs.select}, {objectives.select} FROM key_result "  # noqa: S608 - column names
            "JOIN objective ON objective.id = key_result.objective_id "
            f"WHERE key_result.id IN ({', '.join('?' * len(ids))})",
            ids,
        ).fetchall()
        found: dict[tuple[str, int], tuple[KeyResult, Objective]] = {}
        made: dict[int, Objective] = {}
        split = len(krs.names)
        for row in rows:
            objective: Objective | None = made.get(row[split])
            if objective is None:
                objective = made[row[split]] = objectives.entity(row[split:])
            kr: KeyResult = krs.entity(row[:split])
            if (objective.workspace_id, kr.id) in wanted:
                found[objective.workspace_id, kr.id] = (kr, objective)
        return found

    def add_measured(self, rows: Sequence[MeasuredValue]) -> None:
        """As `CheckInRepository.add_measured`."""
        ids = self._insert(
            _table(CheckIn),
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
        self._insert(
            _table(CheckInValue),
            [
                {
                    "check_in_id": c,
                    "key_result_id": r.key_result_id,
                    "value": r.value,
                    "created_at": r.at,
                }
                for c, r in zip(ids, rows, strict=True)
            ],
        )

    def note_measured(
        self, rows: Sequence[MeasuredValue]
    ) -> dict[int, tuple[float | None, datetime | None]]:
        """As `CheckInRepository.note_measured`."""
        latest, objectives = latest_of(rows)
        if not latest:
            return {}
        keep = (
            "UPDATE key_result SET current_value = ?, current_at = ? "
            "WHERE id = ? AND (current_at IS NULL OR current_at <= ?)"
        )
        self._watch(keep)
        self._connection.executemany(
            keep,
            [(r.value, self._moment(r.at), kr, self._moment(r.at)) for kr, r in latest.items()],
        )
        last = (
            "UPDATE objective SET last_check_in_at = ? "
            "WHERE id = ? AND (last_check_in_at IS NULL OR last_check_in_at <= ?)"
        )
        self._watch(last)
        self._connection.executemany(
            last, [(self._moment(at), o, self._moment(at)) for o, at in objectives.items()]
        )
        ids = list(latest)
        found = self._run(
            "SELECT id, current_value, current_at FROM key_result "  # noqa: S608 - placeholders
            f"WHERE id IN ({', '.join('?' * len(ids))})",
            ids,
        ).fetchall()
        out = self._moment_out
        return {
            kr: (value, at if at is None or out is None else out(at)) for kr, value, at in found
        }

    def waiting_for(
        self, workspace_id: str, kind: str, recipients: Iterable[str], now: datetime
    ) -> set[str]:
        """As `OutboxRepository.waiting_for` (SQLite has no row locks to take)."""
        people = sorted(recipients)
        if not people:
            return set()
        found = self._run(
            "SELECT recipient FROM outbox WHERE workspace_id = ? AND kind = ? "  # noqa: S608
            f"AND recipient IN ({', '.join('?' * len(people))}) "
            "AND sent_at IS NULL AND failed_at IS NULL "
            "AND (claimed_until IS NULL OR claimed_until < ?)",
            [workspace_id, kind, *people, self._moment(now)],
        ).fetchall()
        return {r for (r,) in found if r is not None}
