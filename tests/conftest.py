from __future__ import annotations

import asyncio
import graphlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from okrbot.sandbox.harness import FrozenClock
from okrbot.store import schema
from tests.support import stand_ins
from tests.support.sandbox import Sandbox

# Wednesday in the middle of 2026-Q4; Oslo is UTC+1.
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

# Opt-in, so that a machine without PostgreSQL runs the suite exactly as before: when set,
# every test that uses `database_url` runs once on SQLite and once on PostgreSQL (except
# those marked sqlite_only or one_database).
POSTGRES_URL = os.environ.get("OKRBOT_TEST_POSTGRES_URL", "")
POSTGRES_TEMPLATE = f"okrbot_template_{uuid.uuid4().hex[:12]}"  # one per test session
# Databases made from the template, emptied after their test for the next one: creating a
# database from the template costs about 0.3 s, emptying one about a quarter of that.
POSTGRES_POOL: list[str] = []

T = TypeVar("T")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: the test inspects SQLite itself (files, PRAGMAs, locks)"
    )
    config.addinivalue_line(
        "markers",
        "one_database: a real-process test whose point is how the process behaves (signals,"
        " Slack's answers), not SQL; SQLite only, since the SQL it relies on is proven on"
        " both databases by other tests (each names them)",
    )
    config.addinivalue_line(
        "markers",
        "violates_slack_limits: the test makes a Slack stand-in refuse something on purpose"
        " and asserts on its violations itself",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if not POSTGRES_URL or "backend" not in metafunc.fixturenames:
        return
    definition = metafunc.definition
    if definition.get_closest_marker("sqlite_only") or definition.get_closest_marker(
        "one_database"
    ):
        return
    metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(autouse=True)
def slack_limits(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails the test when a Slack stand-in it started refused something as Slack would:
    every stand-in in tests/support registers itself as it starts."""
    stand_ins.take()
    yield
    started = stand_ins.take()
    if request.node.get_closest_marker("violates_slack_limits"):
        return
    violations = [f"{name}: {line}" for name, fake in started for line in fake.violations]
    assert violations == [], "the app sent something Slack refuses"


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


def postgres_database_url(database: str) -> str:
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


def _in_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    # Its own thread and event loop, so it cannot disturb the loop pytest-asyncio runs tests in.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def admin_sql(*statements: str) -> None:
    # asyncpg straight, not SQLAlchemy: CREATE/DROP DATABASE cannot run in a transaction.
    url = make_url(POSTGRES_URL)
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        for statement in statements:
            for attempt in range(5):
                try:
                    await connection.execute(statement)
                    break
                except asyncpg.exceptions.InsufficientPrivilegeError:
                    # DROP ... WITH (FORCE) cannot end an autovacuum worker that has just
                    # started on the database; it is gone in a moment.
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.2)
    finally:
        await connection.close()


async def _connect(database: str) -> asyncpg.Connection:
    url = make_url(POSTGRES_URL)
    return await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, database=database
    )


# What a test database must still have to be emptied and used again: the template's tables,
# indexes, sequences, columns, types and migration. A test that changed any of it (dropped
# a table, say) leaves a database that is dropped instead.
_SHAPE = """
SELECT md5(
    (SELECT coalesce(string_agg(c.relname || ':' || c.relkind::text, ',' ORDER BY c.relname), '')
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public')
    || '|' ||
    (SELECT coalesce(string_agg(
                table_name::text || '.' || column_name::text || ':' || data_type
                || ':' || is_nullable || ':' || coalesce(column_default, ''),
                ',' ORDER BY table_name, column_name), '')
       FROM information_schema.columns WHERE table_schema = 'public')
    || '|' ||
    (SELECT coalesce(string_agg(t.typname::text, ',' ORDER BY t.typname), '')
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c'))
)
"""


async def _shape(database: str) -> str:
    connection = await _connect(database)
    try:
        version = await connection.fetchval(
            "SELECT string_agg(version_num, ',') FROM alembic_version"
        )
        return f"{await connection.fetchval(_SHAPE)}:{version}"
    finally:
        await connection.close()


async def _emptied(database: str, shape: str) -> bool:
    """Empty `database` as the template left it; False when it cannot be (drop it then)."""
    connection = await _connect(database)
    try:
        # As DROP ... WITH (FORCE) would: a test that failed before disposing its engine
        # must not hold a lock the truncation waits for.
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        await connection.execute("SET lock_timeout = '5s'")
        try:
            version = await connection.fetchval(
                "SELECT string_agg(version_num, ',') FROM alembic_version"
            )
            if f"{await connection.fetchval(_SHAPE)}:{version}" != shape:
                return False
            # DELETE, not TRUNCATE: a test leaves a few rows, and deleting them is several
            # times quicker than the new files a truncation makes; referencing tables first.
            tables = await connection.fetch(
                "SELECT quote_ident(tablename) FROM pg_tables"
                " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
            references = await connection.fetch(
                "SELECT quote_ident(t.relname), quote_ident(r.relname)"
                " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
                " JOIN pg_class r ON r.oid = c.confrelid WHERE c.contype = 'f'"
            )
            first: dict[str, set[str]] = {table: set() for (table,) in tables}
            for table, referenced in references:
                if table != referenced:
                    first.setdefault(referenced, set()).add(table)
            order = list(graphlib.TopologicalSorter(first).static_order())
            sequences = await connection.fetch(
                "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = 'public'"
            )
            await connection.execute(
                "; ".join(
                    # Names quoted by quote_ident, from the database's own catalogue.
                    [f"DELETE FROM {table}" for table in order]  # noqa: S608
                    + [f"ALTER SEQUENCE {sequence} RESTART" for (sequence,) in sequences]
                )
            )
        except (asyncpg.PostgresError, graphlib.CycleError):
            return False
        return True
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test copies the file instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "okrbot.db"
    schema.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """Migrated once; each test gets a database created from it."""
    # FORCE: a run that was killed may have left the template, and connections to it, behind.
    _in_thread(
        admin_sql(
            f"DROP DATABASE IF EXISTS {POSTGRES_TEMPLATE} WITH (FORCE)",
            f"CREATE DATABASE {POSTGRES_TEMPLATE}",
        )
    )
    # Alembic's env.py disposes its engine, which matters: CREATE DATABASE ... TEMPLATE
    # refuses while anything else is connected to the template.
    schema.upgrade(postgres_database_url(POSTGRES_TEMPLATE))
    yield POSTGRES_TEMPLATE
    _in_thread(
        admin_sql(
            *(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" for name in POSTGRES_POOL),
            f"DROP DATABASE IF EXISTS {POSTGRES_TEMPLATE} WITH (FORCE)",
        )
    )
    POSTGRES_POOL.clear()


@pytest.fixture(scope="session")
def postgres_shape(postgres_template: str) -> str:
    """The template's shape, which a database must keep to be used again."""
    return _in_thread(_shape(postgres_template))


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "postgresql":
        # A database as the template is: made from it, or one an earlier test used, emptied.
        template = request.getfixturevalue("postgres_template")
        shape = request.getfixturevalue("postgres_shape")
        if POSTGRES_POOL:
            name = POSTGRES_POOL.pop()
        else:
            name = f"test_{uuid.uuid4().hex}"
            _in_thread(admin_sql(f"CREATE DATABASE {name} TEMPLATE {template}"))
        yield postgres_database_url(name)
        if _in_thread(_emptied(name, shape)):
            POSTGRES_POOL.append(name)
        else:
            # FORCE: a test that fails before disposing its engine must not make it fail.
            _in_thread(admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        return
    path = tmp_path / "okrbot.db"
    shutil.copy(request.getfixturevalue("migrated_template"), path)
    yield f"sqlite:///{path}"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def box(database_url: str, clock: FrozenClock) -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(database_url, clock=clock)
    async with sandbox:
        yield sandbox


@pytest.fixture
async def org_box(box: Sandbox) -> Sandbox:
    """The sandbox with the standard org chart imported."""
    await box.import_org()
    return box
