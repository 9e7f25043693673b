"""Unit of work: one transaction per request or job, committed explicitly."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Protocol, TypeVar

from sqlalchemy import Table, event, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from okrbot.pacing import enter_unit, leave_unit, yield_to_answers
from okrbot.store.direct import DirectUnit
from okrbot.store.engine import (
    BEGIN_MODE,
    SQLITE_BUSY_TIMEOUT_MS,
    DirectWriter,
    create_inline_engine,
    is_busy,
    is_sqlite,
)
from okrbot.store.repositories import (
    ApprovalRepository,
    CheckInRepository,
    DecisionInboxRepository,
    DeliveryRepository,
    EventRepository,
    InboxRepository,
    JobRunRepository,
    ObjectiveRepository,
    OutboxRepository,
    PersonRepository,
    ReplyRepository,
    RevisionRepository,
    ScoringRepository,
    SourceRepository,
    TokenRepository,
    WorkspaceRepository,
)

T = TypeVar("T")


class Conflict(Exception):
    """The database refused a write for one of its constraints: mostly a unique key that
    another transaction (another process, a request delivered twice) took first."""


class UnitOfWork:
    def __init__(
        self,
        session: AsyncSession,
        write_lock: asyncio.Lock | None = None,
        *,
        fallback: Callable[[], AsyncSession] | None = None,
    ) -> None:
        self._write_lock = write_lock
        self._holding = False
        # A session to write with instead when this one's BEGIN finds SQLite's lock taken
        # by another process (a quick unit of work's, see SessionFactory).
        self._fallback = fallback
        self._attach(session)

    def _attach(self, session: AsyncSession) -> None:
        self.session = session
        self.people = PersonRepository(session)
        self.objectives = ObjectiveRepository(session)
        self.check_ins = CheckInRepository(session)
        self.scores = ScoringRepository(session)
        self.approvals = ApprovalRepository(session)
        self.outbox = OutboxRepository(session)
        self.inbox = InboxRepository(session)
        self.decisions = DecisionInboxRepository(session)
        self.job_runs = JobRunRepository(session)
        self.deliveries = DeliveryRepository(session)
        self.revisions = RevisionRepository(session)
        self.events = EventRepository(session)
        self.workspaces = WorkspaceRepository(session)
        self.tokens = TokenRepository(session)
        self.replies = ReplyRepository(session)
        self.sources = SourceRepository(session)

    async def __aenter__(self) -> UnitOfWork:
        # Before taking a connection (or the write lock), never while holding one.
        await yield_to_answers()
        if self._fallback is not None:
            # A quick unit of work never yields while it runs: one turn of the loop before
            # it, so that work doing one after another (a batch of check-ins from the
            # inbox) does not hold the loop for all of them at once.
            await asyncio.sleep(0)
        enter_unit()
        if self._write_lock is not None:
            try:
                async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
                    await self._write_lock.acquire()
                self._holding = True
            except TimeoutError:
                # As long as SQLite itself would wait: then let SQLite decide, as without it.
                pass
        if self._fallback is not None:
            try:
                # BEGIN IMMEDIATE, now: it fails at once when another process writes.
                await self.session.connection()
            except OperationalError as exc:
                if not isinstance(exc.orig, sqlite3.OperationalError) or not is_busy(exc.orig):
                    await self._abandon()
                    raise
                await self.session.close()
                self._attach(self._fallback())
            except BaseException:
                await self._abandon()
                raise
        return self

    async def _abandon(self) -> None:
        try:
            await self.session.close()
        finally:
            self._release()
            leave_unit()

    def _release(self) -> None:
        if self._holding and self._write_lock is not None:
            self._holding = False
            self._write_lock.release()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Whatever was not committed explicitly is thrown away; close() rolls back without
        # expiring what was loaded, so results stay readable after the unit of work.
        try:
            await self.session.close()
        finally:
            self._release()
            leave_unit()

    async def commit(self) -> None:
        """Raises `Conflict` when a constraint refuses what was written."""
        try:
            await self.session.commit()
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc
        finally:
            self._release()

    async def flush(self) -> None:
        """Send what was added or changed so far, inside the transaction; raises `Conflict`
        as `commit` does."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc

    def add_all(self, rows: Iterable[object]) -> None:
        """Add new rows (mapped objects) to what this unit of work will write."""
        self.session.add_all(rows)

    async def refresh(self, row: object, attributes: Iterable[str]) -> None:
        """Read `attributes` of a loaded row again from the database (values the database
        or another transaction set)."""
        await self.session.refresh(row, list(attributes))

    async def snapshot(self) -> None:
        """Make this unit of work's queries see one moment; call it before the first query.

        SQLite's read transaction already does (WAL: a snapshot from its first read), but
        PostgreSQL's default READ COMMITTED gives each query its own, so a row committed
        between two of them could show up without the rows that came with it.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})

    async def rollback(self) -> None:
        try:
            await self.session.rollback()
        finally:
            self._release()


UnitOfWorkFactory = Callable[..., UnitOfWork]


class DirectRunner(Protocol):
    """What runs work on a SQLite file's direct connection (`SessionFactory.run_direct`)."""

    async def run_direct(self, work: Callable[[DirectUnit], T]) -> T | None: ...


class SessionFactory:
    """Makes units of work; `readonly=True` ones do not take SQLite's write lock."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        writer = (
            engine.execution_options(**{BEGIN_MODE: "IMMEDIATE"}) if is_sqlite(engine) else engine
        )
        self._write = async_sessionmaker(writer, expire_on_commit=False)
        self._read = async_sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer. This process's writers queue here, first come first served,
        # instead of in SQLite's busy handler, which sleeps and retries: under load that
        # starved some writers for seconds, each holding a pooled connection meanwhile.
        self._write_lock = asyncio.Lock() if is_sqlite(engine) else None
        self._direct = DirectWriter(engine) if DirectWriter.usable(engine) else None
        # Quick write transactions on a SQLite file: their statements run on the event
        # loop's thread, with no turn of the loop between them (create_inline_engine).
        self._inline = create_inline_engine(engine) if self._direct is not None else None
        self._quick = (
            async_sessionmaker(
                self._inline.execution_options(**{BEGIN_MODE: "IMMEDIATE"}),
                expire_on_commit=False,
            )
            if self._inline is not None
            else None
        )
        self._autocommit = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else None
        )

    def __call__(self, *, readonly: bool = False, quick: bool = False) -> UnitOfWork:
        """A unit of work. A `quick` one is for a short write transaction an answer waits
        for, a few statements on rows found by key: on a SQLite file it runs on the event
        loop's thread, holding SQLite's write lock for as long as its statements take and
        not for as many turns of a busy event loop; elsewhere it is a usual one."""
        if readonly:
            return UnitOfWork(self._read())
        if quick and self._quick is not None:
            return UnitOfWork(self._quick(), self._write_lock, fallback=self._write)
        return UnitOfWork(self._write(), self._write_lock)

    async def append(
        self, entity: type[Any], rows: list[dict[str, Any]], skip_taken: str | None = None
    ) -> None:
        """Insert rows (the mapped `entity`'s columns by name), all or none, as quickly as
        the database allows, for an answer waits for it (the check-in and decision inboxes).
        With `skip_taken`, the name of a unique column, a row whose value there is taken
        already is left out, not an error: the same request delivered twice is one row, and
        the others answered with it are not refused for it.

        On a SQLite file that is one call on this thread (see DirectWriter), or a unit of
        work, which waits for SQLite's lock the usual way, when another process is writing.
        On PostgreSQL it is one Core statement in autocommit: asyncpg sends an executemany
        as one atomic batch, so the rows cost one round trip to the server instead of three
        (BEGIN, INSERT, COMMIT), each of which waited for a turn of a busy event loop.
        """
        if self._autocommit is not None:
            statement: Any = insert(entity)
            if skip_taken:
                statement = pg_insert(entity).on_conflict_do_nothing(index_elements=[skip_taken])
            async with self._autocommit.connect() as connection:
                await connection.execute(statement, rows)
            return
        if self._direct is not None and self._write_lock is not None:
            async with self._write_lock:
                try:
                    self._direct.insert(entity.__table__, rows, skip_taken)
                    return
                except DirectWriter.Busy:
                    pass
        statement = insert(entity)
        if skip_taken:
            # Only SQLite gets here: PostgreSQL always appends in autocommit, above.
            statement = sqlite_insert(entity).on_conflict_do_nothing(index_elements=[skip_taken])
        async with self() as uow:
            await uow.session.execute(statement, rows)
            await uow.commit()

    async def run_direct(self, work: Callable[[DirectUnit], T]) -> T | None:
        """`work` in one transaction on a SQLite file's direct connection (`DirectUnit`,
        plain sqlite3 on this thread: see okrbot/store/direct.py), committed when it
        returns; None, with nothing done, where there is no such connection (PostgreSQL,
        a database in memory) or another process holds SQLite's lock: the caller then
        uses a unit of work. `work` must not return None, and never waits for anything."""
        direct, lock = self._direct, self._write_lock
        if direct is None or lock is None:
            return None
        await yield_to_answers()
        # One turn of the loop before it, as a quick unit of work takes (it never yields).
        await asyncio.sleep(0)
        async with lock:

            def run(connection: sqlite3.Connection) -> T:
                def insert(table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
                    sql, params = direct.statement(table, rows)
                    direct.note(sql)
                    return [connection.execute(sql, row).lastrowid or 0 for row in params]

                return work(DirectUnit(connection, direct.dialect, insert, direct.note))

            try:
                return direct.transaction(run)
            except DirectWriter.Busy:
                return None

    @contextmanager
    def watching(self, watcher: Callable[[str], None]) -> Iterator[None]:
        """Tell `watcher` each statement sent to the database meanwhile, by any connection
        of this factory's (the SQL, once per execution)."""

        def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            watcher(statement)

        engines = [self.engine.sync_engine]
        if self._inline is not None:
            engines.append(self._inline.sync_engine)
        for engine in engines:
            event.listen(engine, "before_cursor_execute", note)
        try:
            if self._direct is not None:
                with self._direct.watching(watcher):
                    yield
            else:
                yield
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", note)

    async def dispose(self) -> None:
        if self._direct is not None:
            self._direct.dispose()
        if self._inline is not None:
            await self._inline.dispose()
