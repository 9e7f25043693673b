"""Schema version checks and upgrades through Alembic."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from okrbot.store.engine import BEGIN_MODE, connect, create_engine

log = logging.getLogger(__name__)

# PostgreSQL advisory lock key held while migrating (bytes of "okrbot"): instances that
# migrate one database at once take turns, and the later ones find it at head.
MIGRATION_LOCK_KEY = 0x6F6B72626F74
# How long a SQLite migration waits for another's write lock (its normal wait is 5 s).
SQLITE_MIGRATION_WAIT_MS = 10 * 60 * 1000
WAITING = "waiting for another okrbot to let go of the database before migrating"


def migrations_dir() -> Path:
    """The source tree's migrations/, or the copy installed inside the package."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package.parent / "migrations", package / "_migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("okrbot's migrations are missing from this installation")


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with connect(engine) as opened:
        return await opened.run_sync(_current)


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking (it runs an event loop of its own): call from a thread or the CLI.

    Safe to run from several instances at once: one migrates while the others wait (a
    PostgreSQL advisory lock, SQLite's write lock), then find the schema up to date.
    """
    asyncio.run(_upgrade(url, revision))


async def _upgrade(url: str, revision: str) -> None:
    # NullPool: the connection is closed, not pooled, at the end, which also ends its
    # session and so releases the advisory lock whatever happened.
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with connect(engine) as opened:
            await opened.run_sync(_upgrade_locked, alembic_config(url), revision)
    finally:
        await engine.dispose()


def _upgrade_locked(connection: Connection, config: Config, revision: str) -> None:
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        _postgres_lock(connection)
    elif connection.dialect.name == "sqlite":
        _sqlite_wait_turn(connection)
        connection.execution_options(**{BEGIN_MODE: "IMMEDIATE"})
    # One transaction for the whole upgrade, begun here and handed to Alembic's env.py:
    # on SQLite its BEGIN IMMEDIATE is what makes a second instance wait.
    with connection.begin():
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    if postgres:
        connection.execute(select(func.pg_advisory_unlock(MIGRATION_LOCK_KEY)))
        connection.commit()


def _postgres_lock(connection: Connection) -> None:
    """A session lock, taken outside the migration's transaction so that the migration
    reads the version table only after the instance before it has committed."""
    if not connection.scalar(select(func.pg_try_advisory_lock(MIGRATION_LOCK_KEY))):
        log.info(WAITING)
        connection.execute(select(func.pg_advisory_lock(MIGRATION_LOCK_KEY)))
    connection.commit()


def _sqlite_wait_turn(connection: Connection) -> None:
    """Wait as long as another instance's migration takes (not the usual 5 s), and say so
    when there is one."""
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=0")
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except connection.dialect.loaded_dbapi.OperationalError:
            log.info(WAITING)
        else:
            cursor.execute("ROLLBACK")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_MIGRATION_WAIT_MS}")
    finally:
        cursor.close()


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


class SchemaOutOfDate(Exception):
    def __init__(self, current: str | None, head: str | None, *, auto: bool = True) -> None:
        # OKRBOT_AUTO_MIGRATE is read by the commands that start the app, not by the
        # ones that only read (export): there it would be advice that does nothing.
        alternative = " (or set OKRBOT_AUTO_MIGRATE=true)" if auto else ""
        self.current, self.head = current, head
        super().__init__(
            f"the database schema is at {current or 'nothing (empty database)'} but this "
            f"okrbot needs {head}: run `okrbot migrate`{alternative}"
        )


async def check_at_head(engine: AsyncEngine, *, auto: bool = True) -> None:
    """Raise `SchemaOutOfDate` unless the database's schema is the one this okrbot needs
    (`auto`: whether its message mentions OKRBOT_AUTO_MIGRATE)."""
    current = await current_revision(engine)
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(current, head, auto=auto)
