"""Unit of work: one transaction per request or job, committed explicitly."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from okrbot.store.engine import BEGIN_MODE, is_sqlite
from okrbot.store.repositories import (
    ApprovalRepository,
    DeliveryRepository,
    EventRepository,
    JobRunRepository,
    ObjectiveRepository,
    OutboxRepository,
    PersonRepository,
    RevisionRepository,
)


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.people = PersonRepository(session)
        self.objectives = ObjectiveRepository(session)
        self.approvals = ApprovalRepository(session)
        self.outbox = OutboxRepository(session)
        self.job_runs = JobRunRepository(session)
        self.deliveries = DeliveryRepository(session)
        self.revisions = RevisionRepository(session)
        self.events = EventRepository(session)

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Whatever was not committed explicitly is thrown away; close() rolls back without
        # expiring what was loaded, so results stay readable after the unit of work.
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


UnitOfWorkFactory = Callable[..., UnitOfWork]


class SessionFactory:
    """Makes units of work; `readonly=True` ones do not take SQLite's write lock."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        writer = (
            engine.execution_options(**{BEGIN_MODE: "IMMEDIATE"}) if is_sqlite(engine) else engine
        )
        self._write = async_sessionmaker(writer, expire_on_commit=False)
        self._read = async_sessionmaker(engine, expire_on_commit=False)

    def __call__(self, *, readonly: bool = False) -> UnitOfWork:
        maker = self._read if readonly else self._write
        return UnitOfWork(maker())
