"""Sending one message to many people: paced, bounded, resumable, never twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from okrbot.services import shutdown
from okrbot.services.ports import Clock, DeliveryError, MessageRef
from okrbot.store.models import Delivery
from okrbot.store.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
# A send gets the delivery's marker, which the message carries in its metadata so that a
# delivery whose sender died can be looked for in Slack before it is sent again.
Send = Callable[[str, str], Awaitable[MessageRef]]
Find = Callable[[str, str, datetime], Awaitable[MessageRef | None]]

# A claimed delivery not settled within this time belonged to a process that died.
LEASE = timedelta(minutes=5)
MAX_TRIES = 6


class Pacer:
    """Spreads sends evenly at `per_minute`, and holds everyone back after a 429."""

    def __init__(self, per_minute: int, clock: Callable[[], float], sleep: Sleep) -> None:
        self.interval = 60.0 / per_minute
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
            delay = start - now
        if delay > 0:
            await self._sleep(delay)

    def hold(self, seconds: float) -> None:
        """Slack said wait (Retry-After): nobody sends before then."""
        self._next = max(self._next, self._clock() + seconds)


@dataclass
class FanOutReport:
    sent: int = 0
    already: int = 0
    failed: int = 0
    recovered: int = 0
    in_doubt: list[str] = field(default_factory=list)

    def add(self, other: FanOutReport) -> None:
        self.sent += other.sent
        self.already += other.already
        self.failed += other.failed
        self.recovered += other.recovered
        self.in_doubt += other.in_doubt


def marker(delivery_id: int) -> str:
    return f"okrbot-delivery-{delivery_id}"


class FanOut:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        pacer: Pacer,
        clock: Clock,
        *,
        concurrency: int,
    ) -> None:
        self._uow = uow
        self._pacer = pacer
        self._clock = clock
        self._concurrency = concurrency

    async def claim(self, run_id: int, recipient: str) -> Delivery | None:
        """Insert the delivery row; of two processes only one succeeds."""
        async with self._uow() as uow:
            delivery = Delivery(job_run_id=run_id, recipient=recipient, claimed_at=self._clock())
            uow.deliveries.add(delivery)
            try:
                await uow.commit()
            except IntegrityError:
                return None
            return delivery

    async def send(self, delivery: Delivery, send: Send) -> MessageRef | None:
        """Send a claimed delivery, waiting out rate limits; record how it went."""
        error = "gave_up"
        for _ in range(MAX_TRIES):
            await self._pacer.wait()
            try:
                ref = await send(delivery.recipient, marker(delivery.id))
            except DeliveryError as exc:
                error = exc.code
                if exc.retry_after is not None:
                    self._pacer.hold(exc.retry_after)
                    continue
                if exc.retryable:
                    self._pacer.hold(5.0)
                    continue
                break
            await self._settle(delivery.id, channel=ref.channel, ts=ref.ts)
            return ref
        log.warning("delivery %s to %s failed: %s", delivery.id, delivery.recipient, error)
        await self._settle(delivery.id, error=error)
        return None

    async def _settle(
        self,
        delivery_id: int,
        *,
        channel: str | None = None,
        ts: str | None = None,
        error: str | None = None,
    ) -> None:
        async with self._uow() as uow:
            await uow.deliveries.settle(
                delivery_id, now=self._clock(), channel=channel, ts=ts, error=error
            )
            await uow.commit()

    async def to_each(self, run_id: int, recipients: Sequence[str], send: Send) -> FanOutReport:
        """One message per recipient, `concurrency` at a time; recipients reached before
        (by this process or another, before a crash or not) are skipped."""
        report = FanOutReport()
        queue: asyncio.Queue[str] = asyncio.Queue()
        for recipient in recipients:
            queue.put_nowait(recipient)

        async def worker() -> None:
            # At shutdown the messages in flight finish and the rest stay unclaimed.
            while not queue.empty() and not shutdown.requested():
                recipient = queue.get_nowait()
                delivery = await self.claim(run_id, recipient)
                if delivery is None:
                    report.already += 1
                    continue
                if await self.send(delivery, send) is None:
                    report.failed += 1
                else:
                    report.sent += 1

        await asyncio.gather(*(worker() for _ in range(self._concurrency)))
        return report

    async def recover(self, run_id: int, send: Send, find: Find) -> FanOutReport:
        """Deliveries claimed by a process that died before settling them: look for the
        message in Slack; send it only if it is not there, so nobody gets it twice."""
        report = FanOutReport()
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            stuck = [
                d
                for d in await uow.deliveries.for_run(run_id)
                if d.sent_at is None and d.failed_at is None and d.claimed_at < now - LEASE
            ]
        for delivery in stuck:
            if shutdown.requested():
                break
            async with self._uow() as uow:
                won = await uow.deliveries.reclaim(delivery.id, delivery.claimed_at, now)
                await uow.commit()
            if not won:
                continue
            try:
                found = await find(delivery.recipient, marker(delivery.id), delivery.claimed_at)
            except DeliveryError as exc:
                # Cannot tell whether it went out: better one missed prompt than two.
                log.warning(
                    "delivery %s to %s is in doubt (%s); not sending it again",
                    delivery.id,
                    delivery.recipient,
                    exc.code,
                )
                await self._settle(delivery.id, error=f"in_doubt:{exc.code}")
                report.in_doubt.append(delivery.recipient)
                continue
            if found is not None:
                await self._settle(delivery.id, channel=found.channel, ts=found.ts)
                report.recovered += 1
            elif await self.send(delivery, send) is not None:
                report.sent += 1
            else:
                report.failed += 1
        return report
