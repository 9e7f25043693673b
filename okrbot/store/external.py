"""Reading one number from someone else's database: a key result's SQL source.

Never okrbot's own store. The connection is opened for the one query and closed after it,
read-only, with a time limit: on PostgreSQL a READ ONLY transaction and a statement
timeout, on SQLite the file opened read-only (`mode=ro`) and interrupted past the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from okrbot.domain.sources import SourceProblem, as_number, query_problem
from okrbot.store.engine import async_url


def _sqlite_file(raw: str) -> tuple[bool, str]:
    """Whether the SQLite file exists, and its read-only URI."""
    url = make_url(raw)
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise SourceProblem("bad_database_url")
    path = Path(database).resolve()
    return path.is_file(), f"{path.as_uri()}?mode=ro"


async def read_number(raw_url: str, query: str, seconds: float) -> float:
    """The one number the query returns; `SourceProblem` says why there is none."""
    problem = query_problem(query)
    if problem is not None:
        raise SourceProblem(problem)
    try:
        backend = make_url(raw_url).get_backend_name()
    except ArgumentError:
        raise SourceProblem("bad_database_url") from None
    if backend == "sqlite":
        exists, uri = await asyncio.to_thread(_sqlite_file, raw_url)
        if not exists:
            raise SourceProblem("database_error", reason="no such SQLite file")
        return await _read_sqlite(uri, query, seconds)
    if backend == "postgresql":
        return await _read_postgres(raw_url, query, seconds)
    raise SourceProblem("bad_database_url")


async def _read_sqlite(uri: str, query: str, seconds: float) -> float:
    raw: list[aiosqlite.Connection] = []

    async def opened() -> Any:
        # Read-only by the URI: SQLite itself refuses any write on this connection.
        connection = await aiosqlite.connect(uri, uri=True, timeout=seconds)
        raw.append(connection)
        return connection

    engine = create_async_engine("sqlite+aiosqlite://", async_creator=opened, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            try:
                async with asyncio.timeout(seconds):
                    return await _one_number(connection, query)
            except TimeoutError:
                for held in raw:
                    with contextlib.suppress(Exception):
                        await held.interrupt()
                raise SourceProblem("timed_out", seconds=f"{seconds:g}") from None
    except SQLAlchemyError as exc:
        raise SourceProblem("database_error", reason=_reason(exc)) from None
    finally:
        await engine.dispose()


async def _read_postgres(raw_url: str, query: str, seconds: float) -> float:
    millis = str(int(seconds * 1000))
    engine = create_async_engine(
        async_url(raw_url),
        poolclass=NullPool,
        connect_args={
            "timeout": seconds,
            "server_settings": {
                "statement_timeout": millis,
                "default_transaction_read_only": "on",
            },
        },
    )
    try:
        async with asyncio.timeout(seconds * 2), engine.connect() as connection:
            await connection.execute(text("SET TRANSACTION READ ONLY"))
            await connection.execute(text(f"SET LOCAL statement_timeout = {millis}"))
            number = await _one_number(connection, query)
            await connection.rollback()
            return number
    except TimeoutError:
        raise SourceProblem("timed_out", seconds=f"{seconds:g}") from None
    except (SQLAlchemyError, OSError) as exc:
        raise SourceProblem("database_error", reason=_reason(exc)) from None
    finally:
        await engine.dispose()


async def _one_number(connection: AsyncConnection, query: str) -> float:
    # As written: no bind parameters (a ":x" in the query is the query's own).
    result = await connection.exec_driver_sql(query)
    rows = result.fetchmany(2)
    if len(rows) != 1 or len(rows[0]) != 1:
        raise SourceProblem(
            "one_row", rows=str(len(rows)), columns=str(len(rows[0]) if rows else 0)
        )
    value = rows[0][0]
    if value is not None and not isinstance(value, bool | int | float | str):
        # Decimal and the like.
        try:
            value = float(value)
        except (TypeError, ValueError):
            value = str(value)
    return as_number(value)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0][:200]
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
