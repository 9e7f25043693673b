"""Engine set-up: URL normalisation and the SQLite settings that make it safe to share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

SQLITE_BUSY_TIMEOUT_MS = 5000
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


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(raw_url: str, **kwargs: Any) -> AsyncEngine:
    url = async_url(raw_url)
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's BEGIN hook, not the driver, decide when transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(BEGIN_MODE, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class DirectWriter:
    """Short writes to a SQLite file on the calling thread, with a plain synchronous
    connection (SQLAlchemy Core over pysqlite).

    Through aiosqlite every statement (BEGIN, INSERT, COMMIT) is a trip to its thread and
    back, and each trip waits for a turn of the event loop: under a burst of requests a
    three-statement transaction took 15 ms that way, for well under 1 ms of work. Here it
    is one call. The connection never waits for SQLite's lock (busy_timeout=0), so the
    event loop is never blocked on it: the caller holds this process's write lock, and when
    another process holds SQLite's, `write` raises `Busy` and the caller writes the usual
    way instead.
    """

    class Busy(Exception):
        pass

    def __init__(self, engine: AsyncEngine) -> None:
        url = engine.url.set(drivername="sqlite")
        self.engine = self._engine = create_sync_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )

        @event.listens_for(self._engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=0")
                # Checkpoints (copying the log into the database, milliseconds) are left to
                # the other connections, off the event loop's thread.
                cursor.execute("PRAGMA wal_autocheckpoint=0")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA synchronous=NORMAL")
            finally:
                cursor.close()

        @event.listens_for(self._engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    @staticmethod
    def usable(engine: AsyncEngine) -> bool:
        """A SQLite file (an in-memory database is one connection's own)."""
        database = engine.url.database or ""
        return (
            is_sqlite(engine)
            and database not in ("", ":memory:")
            and "mode=memory" not in (str(engine.url.query))
        )

    def write(self, statement: Executable, rows: list[dict[str, Any]]) -> None:
        """Run `statement` for each row in one transaction, committed on return."""
        try:
            with self._engine.begin() as connection:
                connection.execute(statement, rows)
        except OperationalError as exc:
            if "locked" in str(exc.orig) or "busy" in str(exc.orig):
                raise DirectWriter.Busy(str(exc.orig)) from None
            raise

    def dispose(self) -> None:
        self._engine.dispose()
