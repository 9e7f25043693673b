"""The Alembic migrations, the SQLite engine settings and the schema check at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from okrbot.bootstrap import build
from okrbot.config import Settings
from okrbot.store import schema
from okrbot.store.direct import DirectUnit
from okrbot.store.engine import SQLITE_BUSY_TIMEOUT_MS, DirectWriter, create_engine, enter_wal
from okrbot.store.models import Base, InboxCheckIn, Person
from okrbot.store.uow import SessionFactory, UnitOfWork

TABLES = {
    "api_token",
    "approval",
    "check_in",
    "check_in_value",
    "check_in_reply",
    "check_in_inbox",
    "decision_inbox",
    "delivery",
    "job_run",
    "key_result_source",
    "key_result",
    "objective",
    "outbox",
    "workspace",
    "slack_installations",
    "slack_bots",
    "slack_oauth_states",
    "person",
    "revision",
    "seen_event",
}


def _tables(path: Path) -> set[str]:
    # A plain sqlite3 connection, so the check does not depend on okrbot's engine set-up.
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    return {name for (name,) in rows}


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    schema.upgrade(_sqlite_url(path))

    engine = sa.create_engine(_sqlite_url(path))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
            revision = context.get_current_revision()
    finally:
        engine.dispose()

    assert differences == []
    assert revision == schema.head_revision()
    assert _tables(path) == TABLES | {"alembic_version"}


def test_downgrade_to_base_and_upgrade_again(tmp_path: Path) -> None:
    path = tmp_path / "roundtrip.db"
    url = _sqlite_url(path)

    schema.upgrade(url)
    assert _tables(path) >= TABLES

    schema.downgrade(url, "base")
    assert _tables(path) <= {"alembic_version"}
    with sqlite3.connect(path) as connection:
        indexes = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    assert indexes == []

    schema.upgrade(url)
    assert _tables(path) == TABLES | {"alembic_version"}
    with sqlite3.connect(path) as connection:
        (version,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version == schema.head_revision()


async def test_sqlite_engine_applies_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine(_sqlite_url(tmp_path / "pragmas.db"))
    try:
        async with engine.connect() as connection:
            journal = await connection.scalar(sa.text("PRAGMA journal_mode"))
            busy = await connection.scalar(sa.text("PRAGMA busy_timeout"))
            foreign_keys = await connection.scalar(sa.text("PRAGMA foreign_keys"))
    finally:
        await engine.dispose()

    assert journal == "wal"
    assert busy == SQLITE_BUSY_TIMEOUT_MS
    assert busy > 0
    assert foreign_keys == 1


# Opening a new file from several connections at once is where SQLite refuses the switch
# to WAL without waiting (each holds a read lock and wants the exclusive one): about one
# round in seven of four connections failed so before enter_wal retried.
RACE_ROUNDS = 40
RACERS = 4


def test_connections_opening_a_new_file_at_once_all_switch_it_to_wal(tmp_path: Path) -> None:
    failures: list[str] = []
    for round_ in range(RACE_ROUNDS):
        path = tmp_path / f"race{round_}.db"
        together = threading.Barrier(RACERS)

        def racer(path: Path = path, together: threading.Barrier = together) -> None:
            connection = sqlite3.connect(path, isolation_level=None)
            try:
                together.wait()
                enter_wal(connection.execute)
            except sqlite3.OperationalError as exc:
                failures.append(str(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=racer) for _ in range(RACERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with sqlite3.connect(path) as check:
            assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert failures == []


async def test_engines_and_the_direct_writer_opening_a_new_file_at_once_all_connect(
    tmp_path: Path,
) -> None:
    for round_ in range(RACE_ROUNDS // 4):
        url = _sqlite_url(tmp_path / f"engines{round_}.db")
        engines = [create_engine(url) for _ in range(RACERS)]
        try:

            async def journal(engine: AsyncEngine) -> str | None:
                async with engine.connect() as connection:
                    return await connection.scalar(sa.text("PRAGMA journal_mode"))

            writer = asyncio.to_thread(DirectWriter, engines[0])
            *modes, direct = await asyncio.gather(*(journal(e) for e in engines), writer)
            direct.dispose()
        finally:
            for engine in engines:
                await engine.dispose()
        assert modes == ["wal"] * RACERS


def test_enter_wal_retries_only_a_busy_database_and_only_as_long_as_the_busy_timeout() -> None:
    now = [0.0]
    tries: list[str] = []

    def busy_twice(sql: str) -> None:
        tries.append(sql)
        if len(tries) <= 2:
            raise sqlite3.OperationalError("database is locked")

    enter_wal(busy_twice, clock=lambda: now[0], pause=lambda s: now.__setitem__(0, now[0] + s))
    assert tries == ["PRAGMA journal_mode=WAL"] * 3

    def always_busy(sql: str) -> None:
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(sqlite3.OperationalError, match="locked"):
        enter_wal(
            always_busy,
            timeout_s=0.01,
            clock=lambda: now[0],
            pause=lambda s: now.__setitem__(0, now[0] + s),
        )

    broken: list[str] = []

    def not_a_database(sql: str) -> None:
        broken.append(sql)
        raise sqlite3.OperationalError("file is not a database")

    with pytest.raises(sqlite3.OperationalError, match="not a database"):
        enter_wal(not_a_database, pause=lambda s: pytest.fail("waited on an error of another kind"))
    assert len(broken) == 1


def _other_writer_error(path: Path) -> str | None:
    """What a second connection's BEGIN IMMEDIATE says, or None when it gets the lock."""
    # busy_timeout 0: a held write lock shows up as an immediate error instead of a wait.
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("PRAGMA busy_timeout=0")
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            return str(exc)
        connection.execute("ROLLBACK")
        return None
    finally:
        connection.close()


# PostgreSQL has row locks and no database-wide write lock to take up front.
@pytest.mark.sqlite_only
async def test_write_unit_of_work_takes_the_write_lock_when_it_begins(
    database_url: str,
) -> None:
    path = Path(database_url.removeprefix("sqlite:///"))
    engine = create_engine(database_url)
    factory = SessionFactory(engine)
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    try:
        # Only a read so far: a DEFERRED transaction would hold no write lock yet, so a
        # lock here can only come from BEGIN IMMEDIATE.
        async with factory() as uow:
            assert await uow.people.all("T1") == []
            assert _other_writer_error(path) == "database is locked"

        async with factory() as uow:
            uow.people.add(
                Person(
                    workspace_id="T1",
                    user_id="U0AAA0001",
                    source="org_chart",
                    created_at=now,
                    updated_at=now,
                )
            )
            await uow.session.flush()
            assert _other_writer_error(path) == "database is locked"
            await uow.commit()
            # The lock goes with the commit, or every later writer would wait for it.
            assert _other_writer_error(path) is None

        # The control case: the same read in a read-only unit of work leaves writers free.
        async with factory(readonly=True) as uow:
            assert [p.user_id for p in await uow.people.all("T1")] == ["U0AAA0001"]
            assert _other_writer_error(path) is None
    finally:
        await engine.dispose()


def _settings(database_url: str, *, auto_migrate: bool) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-test",
        slack_signing_secret="secret",
        # Nothing here talks to Slack; an unused loopback port keeps it that way.
        slack_api_url="http://127.0.0.1:9/api/",
        database_url=database_url,
        ceo="U0CEO0001",
        channel="C0OKRS001",
        auto_migrate=auto_migrate,
    )


async def test_check_schema_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    app = build(_settings(_sqlite_url(path), auto_migrate=False))
    try:
        with pytest.raises(schema.SchemaOutOfDate, match="okrbot migrate"):
            await app.check_schema()
    finally:
        await app.close()
    assert _tables(path) == set()


async def test_check_schema_upgrades_when_auto_migrate_is_on(tmp_path: Path) -> None:
    path = tmp_path / "auto.db"
    app = build(_settings(_sqlite_url(path), auto_migrate=True))
    try:
        await app.check_schema()
        assert await schema.current_revision(app.engine) == schema.head_revision()
        # A second start on the now current schema has nothing to do and must not fail.
        await app.check_schema()
    finally:
        await app.close()
    assert _tables(path) == TABLES | {"alembic_version"}


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _inbox_row(item_id: str) -> dict[str, object]:
    return {
        "id": item_id,
        "workspace_id": "T1",
        "user_id": "U0AAA0001",
        "objectives": [[1, [2, 3]]],
        "fields": {"kr_2": "40"},
        "received_at": datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    }


@pytest.mark.sqlite_only
async def test_append_writes_on_the_loop_and_waits_the_usual_way_when_another_process_writes(
    database_url: str,
) -> None:
    path = Path(database_url.removeprefix("sqlite:///"))
    engine = create_engine(database_url)
    factory = SessionFactory(engine)
    try:
        # Nobody else writing: written at once, by the direct connection (no aiosqlite).
        sent: list[str] = []

        def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            sent.append(statement.split()[0].upper())

        sa.event.listen(engine.sync_engine, "before_cursor_execute", note)
        direct: list[str] = []
        with factory.watching(direct.append):
            await factory.append(InboxCheckIn, [_inbox_row("a" * 32), _inbox_row("b" * 32)])
        assert "INSERT" not in sent
        assert [s.split()[0] for s in direct] == ["INSERT"]
        async with factory(readonly=True) as uow:
            assert await uow.inbox.count() == 2

        # Another process holds SQLite's write lock: the event loop is not blocked, and the
        # rows go in through a unit of work once the lock is free.
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        appending = asyncio.create_task(factory.append(InboxCheckIn, [_inbox_row("c" * 32)]))
        for _ in range(50):
            await asyncio.sleep(0)
        assert not appending.done()
        other.execute("COMMIT")
        other.close()
        await asyncio.wait_for(appending, timeout=10)
        assert "INSERT" in sent
        async with factory(readonly=True) as uow:
            assert await uow.inbox.count() == 3
    finally:
        await factory.dispose()
        await engine.dispose()


async def test_append_writes_all_the_rows_or_none(database_url: str) -> None:
    engine = create_engine(database_url)
    factory = SessionFactory(engine)
    try:
        await factory.append(InboxCheckIn, [_inbox_row("a" * 32)])
        # The second row's id is taken: the first, new one must not stay behind either.
        with pytest.raises(sa.exc.IntegrityError):
            await factory.append(InboxCheckIn, [_inbox_row("b" * 32), _inbox_row("a" * 32)])
        await factory.append(InboxCheckIn, [_inbox_row("c" * 32), _inbox_row("d" * 32)])
        async with factory(readonly=True) as uow:
            ids = (await uow.session.scalars(sa.select(InboxCheckIn.id))).all()
    finally:
        await factory.dispose()
        await engine.dispose()
    assert sorted(ids) == ["a" * 32, "c" * 32, "d" * 32]


async def test_append_on_postgresql_is_one_statement_without_begin_or_commit(
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's own round trips")
    engine = create_engine(database_url)
    sent: list[str] = []

    @sa.event.listens_for(engine.sync_engine, "connect")
    def log_queries(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.driver_connection.add_query_logger(
            lambda record: sent.append(record.query.split()[0].rstrip(";").upper())
        )

    factory = SessionFactory(engine)
    try:
        await factory.append(InboxCheckIn, [_inbox_row("a" * 32), _inbox_row("b" * 32)])
        async with factory(readonly=True) as uow:
            assert await uow.inbox.count() == 2
    finally:
        await factory.dispose()
        await engine.dispose()
    # The append's, then the read's own transaction.
    assert sent[: sent.index("BEGIN")] == ["INSERT"]


class _Turns:
    """Counts turns of the event loop: a task that yields and counts, until stopped."""

    def __init__(self) -> None:
        self.count = 0
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0)
            self.count += 1

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def _write_a_few(uow: UnitOfWork, item_id: str) -> None:
    """Statements of a short transaction: a read, an insert, a read back, a commit."""
    await uow.inbox.count()
    await uow.inbox.add_all([_inbox_row(item_id)])
    await uow.inbox.count()
    await uow.commit()


@pytest.mark.sqlite_only
async def test_a_quick_unit_of_work_runs_its_statements_without_a_turn_of_the_loop(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    factory = SessionFactory(engine)
    try:
        turns = _Turns()
        await asyncio.sleep(0)
        async with factory(quick=True) as uow:
            before = turns.count
            await _write_a_few(uow, "a" * 32)
            quick_turns = turns.count - before
        async with factory() as uow:
            before = turns.count
            await _write_a_few(uow, "b" * 32)
            usual_turns = turns.count - before
        await turns.stop()
        async with factory(readonly=True) as uow:
            assert await uow.inbox.count() == 2
    finally:
        await factory.dispose()
        await engine.dispose()
    # Through aiosqlite's thread each statement waits for a turn of the loop; inline none.
    assert quick_turns == 0
    assert usual_turns >= 4


@pytest.mark.sqlite_only
async def test_a_quick_unit_of_work_writes_the_usual_way_when_another_process_writes(
    database_url: str,
) -> None:
    path = Path(database_url.removeprefix("sqlite:///"))
    engine = create_engine(database_url)
    factory = SessionFactory(engine)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        turns = _Turns()
        # BEGIN finds the lock taken at once (the loop is not blocked on it): the unit of
        # work goes on with a usual session, which waits for the lock off the loop.
        async with factory(quick=True) as uow:
            assert uow.session.get_bind().pool is engine.sync_engine.pool
            writing = asyncio.create_task(_write_a_few(uow, "c" * 32))
            for _ in range(50):
                await asyncio.sleep(0)
            assert not writing.done()
            other.execute("COMMIT")
            await asyncio.wait_for(writing, timeout=10)
        assert turns.count >= 50
        await turns.stop()
        # And the next quick one is quick again.
        async with factory(quick=True) as uow:
            assert uow.session.get_bind().pool is not engine.sync_engine.pool
            await _write_a_few(uow, "d" * 32)
        async with factory(readonly=True) as uow:
            assert await uow.inbox.count() == 2
    finally:
        other.close()
        await factory.dispose()
        await engine.dispose()


async def test_a_quick_unit_of_work_is_a_usual_one_elsewhere(database_url: str) -> None:
    engine = create_engine(database_url)
    factory = SessionFactory(engine)
    try:
        async with factory(quick=True) as uow:
            await _write_a_few(uow, "e" * 32)
            if not database_url.startswith("sqlite"):
                assert uow.session.get_bind().pool is engine.sync_engine.pool
        async with factory(readonly=True) as uow:
            assert await uow.inbox.count() == 1
    finally:
        await factory.dispose()
        await engine.dispose()


@pytest.mark.sqlite_only
async def test_the_direct_connection_stores_times_as_the_orm_does(database_url: str) -> None:
    """SQLite compares times as text: a row written directly and one written through a
    unit of work must have the same text for the same moment."""
    path = Path(database_url.removeprefix("sqlite:///"))
    engine = create_engine(database_url)
    factory = SessionFactory(engine)
    try:
        await factory.append(InboxCheckIn, [_inbox_row("a" * 32)])
        async with factory() as uow:
            await uow.inbox.add_all([_inbox_row("b" * 32)])
            await uow.commit()
    finally:
        await factory.dispose()
        await engine.dispose()
    with sqlite3.connect(path) as check:
        stored = check.execute("SELECT id, received_at FROM check_in_inbox ORDER BY id").fetchall()
    assert stored == [
        ("a" * 32, "2026-11-25 12:00:00.000000"),
        ("b" * 32, "2026-11-25 12:00:00.000000"),
    ]


def _nothing_waiting(unit: DirectUnit) -> set[str]:
    return unit.waiting_for("T1", "dm", {"U1"}, NOW)


@pytest.mark.sqlite_only
async def test_direct_work_is_refused_while_another_process_writes(database_url: str) -> None:
    path = Path(database_url.removeprefix("sqlite:///"))
    engine = create_engine(database_url)
    factory = SessionFactory(engine)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        # At once, and nothing done: the caller writes through a unit of work instead.
        assert (
            await factory.run_direct(lambda unit: unit.waiting_for("T1", "dm", {"U1"}, NOW)) is None
        )
        other.execute("COMMIT")
        assert (
            await factory.run_direct(lambda unit: unit.waiting_for("T1", "dm", {"U1"}, NOW))
            == set()
        )
    finally:
        other.close()
        await factory.dispose()
        await engine.dispose()


async def test_direct_work_is_for_a_sqlite_file_only(database_url: str) -> None:
    engine = create_engine(database_url)
    factory = SessionFactory(engine)
    try:
        found = await factory.run_direct(_nothing_waiting)
    finally:
        await factory.dispose()
        await engine.dispose()
    assert found == (set() if database_url.startswith("sqlite") else None)
