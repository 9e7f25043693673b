"""Engine set-up: URL normalisation and the SQLite settings that make it safe to share."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy import Table, event, insert, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Connection, Dialect, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_MS = 5000
T = TypeVar("T")
# Between tries at switching a new database file to WAL while another connection does too.
WAL_RETRY_PAUSE_S = 0.002
# An INSERT with positional placeholders, and each one's column with the conversion of its
# Python value into what the driver stores (None: as it is).
# The statement, and for each of its placeholders: the column, its bind processor and the
# value a row without it gets (the column's scalar default, or NULL).
Plan = tuple[str, list[tuple[str, Any, Any]]]
# Execution option read by the BEGIN hook: write transactions take SQLite's write lock up
# front, because a deferred transaction that later writes fails at once with SQLITE_BUSY.
BEGIN_MODE = "okrbot_begin"


def async_url(raw: str) -> URL:
    """Accept the URLs people write (sqlite:///x.db, postgresql://...) and pick async drivers."""
    url = make_url(raw)
    backend = url.get_backend_name()
    if backend == "sqlite" and url.drivername != "sqlite+aiosqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    elif backend == "postgresql" and url.drivername != "postgresql+asyncpg":
        url = url.set(drivername="postgresql+asyncpg")
    return url


class DatabaseUnavailable(Exception):
    """The database could not be opened: one line naming DATABASE_URL and the reason."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused: is the database server running, on that host and port?"
    if isinstance(exc, socket.gaierror):
        return "no such host"
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, DBAPIError):
        # The driver's own words ('database "x" does not exist', 'password authentication
        # failed ...'), without SQLAlchemy's wrapping and its link to its docs.
        return (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


@asynccontextmanager
async def connect(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """`engine.connect()`, where failing to connect at all is `DatabaseUnavailable` (what
    the commands print as one line), and what fails later is whatever it is."""
    connecting = engine.connect()
    try:
        await connecting.start()
    except (OSError, TimeoutError, DBAPIError) as exc:
        # As it was written: the async driver is our choice, not the operator's.
        written = engine.url.set(drivername=engine.url.get_backend_name())
        shown = written.render_as_string(hide_password=True)
        raise DatabaseUnavailable(f"DATABASE_URL: cannot open {shown}: {_reason(exc)}") from None
    try:
        yield connecting
    finally:
        await connecting.close()


def sqlite_file(raw: str) -> Path | None:
    """The file a SQLite URL names; None for another database or one held in memory."""
    url = make_url(raw)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:") or "memory" in str(url.query):
        return None
    return Path(database)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(raw_url: str, **kwargs: Any) -> AsyncEngine:
    url = async_url(raw_url)
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def enter_wal(
    execute: Callable[[str], Any],
    *,
    timeout_s: float = SQLITE_BUSY_TIMEOUT_MS / 1000,
    clock: Callable[[], float] = time.monotonic,
    pause: Callable[[float], None] = time.sleep,
) -> None:
    """Put the database in WAL mode (a no-op once it is: the mode is kept in the file).

    On a new file that several connections open at once (two `okrbot migrate` started
    together), each holds a read lock and wants the exclusive one to switch: SQLite sees
    the deadlock and answers "database is locked" at once, without waiting for its busy
    timeout. That answer only means "not now", so the switch is tried again, for as long
    as the busy timeout would have waited.
    """
    deadline = clock() + timeout_s
    while True:
        try:
            execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or clock() >= deadline:
                raise
        pause(WAL_RETRY_PAUSE_S)


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLite's lock is held elsewhere (SQLITE_BUSY / SQLITE_LOCKED)."""
    return "locked" in str(exc) or "busy" in str(exc)


def _configure_sqlite(
    engine: AsyncEngine, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, checkpoints: bool = True
) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's BEGIN hook, not the driver, decide when transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # The WAL switch waits as long as the usual connections do, whatever the busy
            # timeout after.
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            enter_wal(cursor.execute)
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            if not checkpoints:
                cursor.execute("PRAGMA wal_autocheckpoint=0")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(BEGIN_MODE, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class _RunAtOnce:
    """Stands in for the queue to aiosqlite's worker thread: each call is run as it is
    handed over, on the calling thread, and its future is done before `put_nowait`
    returns, so awaiting it does not wait for a turn of the event loop."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:
            if future is not None and not future.done():
                future.set_exception(exc)
            elif future is None:
                raise
            return
        if future is not None and not future.done():
            future.set_result(result)


class _InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection without its thread: each statement runs on the calling
    thread (see `create_inline_engine`). It relies on how aiosqlite hands calls over (a
    `_tx` queue of (future, call) pairs, read by the thread `__await__` starts), as
    SQLAlchemy's own aiosqlite dialect does; tests/unit/test_engine.py checks it still
    holds."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunAtOnce()  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        # No thread to start: the connection is made here and now.
        return self._connect().__await__()


def create_inline_engine(engine: AsyncEngine) -> AsyncEngine:
    """An engine on `engine`'s SQLite file whose statements run on the calling thread, for
    short write transactions that an answer waits for (the API's values).

    Through aiosqlite each statement is a trip to its thread and back, and each trip waits
    for a turn of the event loop: under a burst a transaction of eight statements held
    SQLite's write lock for eight turns of a busy loop, and every answer that needed the
    lock (a check-in's row in the inbox) waited for them. Here the same transaction holds
    it for the milliseconds its statements take. Its connection never waits for SQLite's
    lock (busy_timeout=0), so the event loop is never blocked on it: BEGIN raises SQLite's
    "database is locked" when another process holds the lock, and the caller writes the
    usual way instead (`is_busy`). Checkpoints are left to the other connections, off the
    event loop's thread. One connection: the process's write lock lets one writer in.
    """
    database = engine.url.database or ""

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, isolation_level=None, check_same_thread=False)

    async def connect() -> aiosqlite.Connection:
        return await _InlineConnection(connector)

    inline = create_async_engine(engine.url, async_creator=connect, pool_size=1, max_overflow=0)
    _configure_sqlite(inline, busy_timeout_ms=0, checkpoints=False)
    return inline


def _scalar_default(column: Any) -> Any:
    default = column.default
    return default.arg if default is not None and default.is_scalar else None


class DirectWriter:
    """Short writes to a SQLite file on the calling thread, with a plain sqlite3 connection.

    Through aiosqlite every statement (BEGIN, INSERT, COMMIT) is a trip to its thread and
    back, and each trip waits for a turn of the event loop: under a burst of requests a
    three-statement transaction took 15 ms that way, for well under 1 ms of work. Here it
    is one call. The connection never waits for SQLite's lock (busy_timeout=0), so the
    event loop is never blocked on it: the caller holds this process's write lock, and when
    another process holds SQLite's, `insert` raises `Busy` and the caller writes the usual
    way instead.

    The values go through the columns' own SQLAlchemy bind processors, so they are stored
    exactly as the ORM stores and reads them. Through SQLAlchemy's Core and its pool the
    same 20-row transaction cost about 2.5 times as much as through sqlite3 (connection
    checkout, execution contexts, each row's parameters processed on their own).
    """

    class Busy(Exception):
        pass

    def __init__(self, engine: AsyncEngine) -> None:
        self._dialect = engine.dialect
        self._plans: dict[tuple[str, str | None], Plan] = {}
        self._watchers: list[Callable[[str], None]] = []
        connection = sqlite3.connect(
            engine.url.database or "", isolation_level=None, check_same_thread=False
        )
        enter_wal(connection.execute)
        for pragma in (
            "PRAGMA busy_timeout=0",
            # Checkpoints (copying the log into the database, milliseconds) are left to the
            # other connections, off the event loop's thread.
            "PRAGMA wal_autocheckpoint=0",
            "PRAGMA foreign_keys=ON",
            "PRAGMA synchronous=NORMAL",
        ):
            connection.execute(pragma)
        self._connection = connection

    @staticmethod
    def usable(engine: AsyncEngine) -> bool:
        """A SQLite file (an in-memory database is one connection's own)."""
        database = engine.url.database or ""
        return (
            is_sqlite(engine)
            and database not in ("", ":memory:")
            and "mode=memory" not in (str(engine.url.query))
        )

    def insert(
        self, table: Table, rows: list[dict[str, Any]], skip_taken: str | None = None
    ) -> None:
        """INSERT `rows` (the columns' values by name; a column left out gets its default)
        into `table`, in one transaction committed on return. With `skip_taken`, a row
        whose value in that unique column is taken already is left out."""
        sql, params = self.statement(table, rows, skip_taken)
        self.note(sql)

        def insert_all(connection: sqlite3.Connection) -> None:
            connection.executemany(sql, params)

        self.transaction(insert_all)

    def statement(
        self, table: Table, rows: Sequence[dict[str, Any]], skip_taken: str | None = None
    ) -> tuple[str, list[tuple[Any, ...]]]:
        """The INSERT of `table` with positional placeholders, and each row's parameters as
        SQLAlchemy would bind them (a column left out gets its default)."""
        sql, plan = self._plans.get((table.name, skip_taken)) or self._plan(table, skip_taken)
        params = [
            tuple(
                [
                    value if convert is None else convert(value)
                    for name, convert, default in plan
                    for value in (row.get(name, default),)
                ]
            )
            for row in rows
        ]
        return sql, params

    def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` on the connection in one transaction, committed when it returns and
        rolled back when it raises; `Busy` when another process holds SQLite's lock."""
        connection = self._connection
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise DirectWriter.Busy(str(exc)) from None
            raise
        try:
            result = work(connection)
            connection.execute("COMMIT")
        except BaseException as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                # As SQLAlchemy raises it from the other connections (IntegrityError, ...).
                raise DBAPIError.instance("", (), exc, sqlite3.Error) from exc
            raise
        return result

    @property
    def dialect(self) -> Dialect:
        return self._dialect

    def note(self, sql: str) -> None:
        """Tell the watchers a statement runs."""
        for watcher in self._watchers:
            watcher(sql)

    def _plan(self, table: Table, skip_taken: str | None) -> Plan:
        statement = (
            sqlite_insert(table).on_conflict_do_nothing(index_elements=[skip_taken])
            if skip_taken
            else insert(table)
        )
        compiled = statement.compile(dialect=self._dialect)
        # SQLite's placeholders are positional, in the order the statement names them.
        order = list(compiled.positiontup or ())
        columns = {c.name: c for c in table.columns}
        plan = (
            str(compiled),
            [
                (
                    n,
                    columns[n].type.dialect_impl(self._dialect).bind_processor(self._dialect),
                    _scalar_default(columns[n]),
                )
                for n in order
            ],
        )
        self._plans[table.name, skip_taken] = plan
        return plan

    @contextmanager
    def watching(self, watcher: Callable[[str], None]) -> Iterator[None]:
        """Tell `watcher` each statement this writer runs (what SQLAlchemy's
        before_cursor_execute event is for the other connections)."""
        self._watchers.append(watcher)
        try:
            yield
        finally:
            self._watchers.remove(watcher)

    def dispose(self) -> None:
        self._connection.close()


def backend_of(raw_url: str) -> str | None:
    """The database a URL names (`sqlite`, `postgresql`, ...), or None when it is not a
    database URL at all."""
    try:
        return make_url(raw_url).get_backend_name()
    except ArgumentError:
        return None


async def ping(engine: AsyncEngine) -> None:
    """One round trip to the database; raises what the driver raises when it cannot."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
