"""Runs of the weekly jobs, and the messages a run delivers to each recipient."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from okrbot.store.models import Delivery, JobRun
from okrbot.store.repositories.base import Repository, rowcount


class JobRunRepository(Repository):
    async def latest(self, workspace_id: str, job: str, period: str) -> JobRun | None:
        return await self.session.scalar(
            select(JobRun)
            .where(JobRun.workspace_id == workspace_id, JobRun.job == job, JobRun.period == period)
            .order_by(JobRun.attempt.desc())
            .limit(1)
        )

    def add(self, run: JobRun) -> None:
        self.session.add(run)

    async def finish(self, run_id: int, now: datetime) -> None:
        await self.session.execute(
            update(JobRun)
            .where(JobRun.id == run_id, JobRun.finished_at.is_(None))
            .values(finished_at=now)
            .execution_options(synchronize_session=False)
        )

    async def in_periods(
        self, workspace_id: str, job: str, periods: Sequence[str]
    ) -> Sequence[JobRun]:
        """The job's unfinished runs of these periods (a fan-out's runs are never finished)."""
        stmt = (
            select(JobRun)
            .where(
                JobRun.workspace_id == workspace_id,
                JobRun.job == job,
                JobRun.period.in_(list(periods)),
                JobRun.finished_at.is_(None),
            )
            .order_by(JobRun.id)
        )
        return (await self.session.scalars(stmt)).all()


class DeliveryRepository(Repository):
    def add(self, delivery: Delivery) -> None:
        self.session.add(delivery)

    async def for_run(self, run_id: int) -> Sequence[Delivery]:
        stmt = select(Delivery).where(Delivery.job_run_id == run_id).order_by(Delivery.id)
        return (await self.session.scalars(stmt)).all()

    async def unsettled(self, run_id: int, in_doubt: str) -> Sequence[Delivery]:
        """The run's deliveries in flight, or ended in doubt (their error starts `in_doubt`):
        what recovery looks at, without the run's every sent message."""
        stmt = (
            select(Delivery)
            .where(
                Delivery.job_run_id == run_id,
                Delivery.sent_at.is_(None),
                Delivery.failed_at.is_(None) | Delivery.error.startswith(in_doubt, autoescape=True),
            )
            .order_by(Delivery.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def recipients(self, workspace_id: str, job: str, period: str) -> set[str]:
        """Everyone any run of this job and week reached or is reaching."""
        stmt = (
            select(Delivery.recipient)
            .join(JobRun, JobRun.id == Delivery.job_run_id)
            .where(JobRun.workspace_id == workspace_id, JobRun.job == job, JobRun.period == period)
        )
        return set((await self.session.scalars(stmt)).all())

    async def sent_since(self, workspace_id: str, job: str, since: datetime) -> dict[str, Delivery]:
        """Each recipient's latest delivered message of `job` since `since`."""
        stmt = (
            select(Delivery)
            .join(JobRun, JobRun.id == Delivery.job_run_id)
            .where(
                JobRun.workspace_id == workspace_id,
                JobRun.job == job,
                Delivery.sent_at.is_not(None),
                Delivery.sent_at >= since,
            )
            .order_by(Delivery.sent_at)
        )
        return {d.recipient: d for d in await self.session.scalars(stmt)}

    async def recent_to(
        self, workspace_id: str, recipient: str, jobs: Sequence[str], since: datetime
    ) -> Sequence[tuple[Delivery, str]]:
        """A person's delivered messages of `jobs` since `since`, with each one's job."""
        stmt = (
            select(Delivery, JobRun.job)
            .join(JobRun, JobRun.id == Delivery.job_run_id)
            .where(
                JobRun.workspace_id == workspace_id,
                JobRun.job.in_(list(jobs)),
                Delivery.recipient == recipient,
                Delivery.sent_at >= since,
                Delivery.ts.is_not(None),
            )
            .order_by(Delivery.id)
        )
        return [(d, job) for d, job in (await self.session.execute(stmt)).all()]

    async def settle(
        self,
        delivery_id: int,
        *,
        now: datetime,
        channel: str | None = None,
        ts: str | None = None,
        error: str | None = None,
    ) -> None:
        values: dict[str, Any] = (
            {"sent_at": now, "channel": channel, "ts": ts}
            if error is None
            else {"failed_at": now, "error": error[:200]}
        )
        await self.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def retake(self, delivery_id: int, error_prefix: str, now: datetime) -> bool:
        """Claim again a delivery that ended with an error starting `error_prefix`."""
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.sent_at.is_(None),
                Delivery.failed_at.is_not(None),
                Delivery.error.startswith(error_prefix, autoescape=True),
            )
            .values(claimed_at=now, failed_at=None, error=None)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def reclaim(self, delivery_id: int, claimed_at: datetime, now: datetime) -> bool:
        """Take over a delivery whose sender died; only one process can."""
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.claimed_at == claimed_at,
                Delivery.sent_at.is_(None),
                Delivery.failed_at.is_(None),
            )
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1
