"""Sending one message to many people: paced, bounded, resumable, never twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from okrbot.services import shutdown
from okrbot.services.ports import Clock, DeliveryError, MessageRef
from okrbot.store.models import Delivery
from okrbot.store.repositories import IN_DOUBT_PREFIX
from okrbot.store.uow import Conflict, UnitOfWorkFactory

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
# A send gets the delivery's marker, which the message carries in its metadata so that a
# delivery whose outcome is unknown can be looked for in Slack before it is sent again.
Send = Callable[[str, str], Awaitable[MessageRef]]
# Looks for the message with a marker sent to a recipient between two moments.
Find = Callable[[str, str, datetime, datetime], Awaitable[MessageRef | None]]

# A claimed delivery not settled within this time belonged to a process that died. A send
# takes at most a few Web API timeouts; OKRBOT_FANOUT_LEASE_SECONDS changes it.
LEASE = timedelta(minutes=5)
MAX_TRIES = 6
# How long a look-up may wait out rate limits and outages before the message is in doubt:
# a few of conversations.history's once-a-minute turns for apps outside the Marketplace.
PATIENCE = timedelta(minutes=4)
# The pause after an outage (a 5xx, a timeout) before the same call is tried again.
OUTAGE_PAUSE = 5.0
# Posts to one channel: Slack allows about one a second, bursts aside.
CHANNEL_INTERVAL = 1.0
# A delivery's error when nobody can tell whether it went out; an admin resends it.
IN_DOUBT = IN_DOUBT_PREFIX


class Pacer:
    """Spreads sends evenly at `per_minute`, and holds everyone back after a 429."""

    def __init__(self, per_minute: int, clock: Callable[[], float], sleep: Sleep) -> None:
        self.interval = 60.0 / per_minute
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()
        self._channels: dict[str, float] = {}

    async def wait(self) -> None:
        async with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
            delay = start - now
        if delay > 0:
            await self._sleep(delay)

    async def wait_channel(self, channel: str) -> None:
        """At most one post a second to `channel`: Slack's per-channel limit."""
        async with self._lock:
            now = self._clock()
            start = max(now, self._channels.get(channel, 0.0))
            self._channels[channel] = start + CHANNEL_INTERVAL
            delay = start - now
        if delay > 0:
            await self._sleep(delay)

    def channel_free_in(self, channel: str) -> float:
        """Seconds until `channel` may have its next post (0: now); reserves nothing."""
        return max(0.0, self._channels.get(channel, 0.0) - self._clock())

    def take_channel(self, channel: str) -> None:
        """A post to `channel` goes now: the next one waits its second."""
        now = self._clock()
        self._channels[channel] = max(now, self._channels.get(channel, 0.0)) + CHANNEL_INTERVAL

    async def pause(self, seconds: float) -> None:
        """This caller waits; the others go on (a look-up's limit is not the posts')."""
        await self._sleep(seconds)

    def hold(self, seconds: float) -> None:
        """Slack said wait (Retry-After): nobody sends before then."""
        self._next = max(self._next, self._clock() + seconds)


class Outcome(Enum):
    SENT = "sent"
    FOUND = "found"  # it had gone out after all: recorded, not sent again
    FAILED = "failed"
    IN_DOUBT = "in_doubt"


@dataclass(frozen=True)
class Pending:
    """A message in another process's claim: settled by it, or after `until` by anyone."""

    recipient: str
    until: datetime


@dataclass
class FanOutReport:
    sent: int = 0
    already: int = 0
    failed: int = 0
    recovered: int = 0
    # Recipients whose message may or may not have gone out, this pass's and earlier ones'.
    in_doubt: list[str] = field(default_factory=list)
    # Of those, the ones this pass put in doubt: told to the admins once, now.
    newly_in_doubt: list[str] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)

    def add(self, other: FanOutReport) -> None:
        self.sent += other.sent
        self.already += other.already
        self.failed += other.failed
        self.recovered += other.recovered
        self.in_doubt += other.in_doubt
        self.newly_in_doubt += other.newly_in_doubt
        self.pending += other.pending

    def count(self, outcome: Outcome, recipient: str) -> None:
        if outcome is Outcome.SENT:
            self.sent += 1
        elif outcome is Outcome.FOUND:
            self.recovered += 1
        elif outcome is Outcome.FAILED:
            self.failed += 1
        else:
            self.newly_in_doubt.append(recipient)


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
        lease: timedelta = LEASE,
        patience: timedelta = PATIENCE,
    ) -> None:
        self._uow = uow
        self.pacer = pacer
        self._clock = clock
        self._concurrency = concurrency
        self.lease = lease
        self._patience = patience

    async def claim(self, run_id: int, recipient: str) -> Delivery | None:
        """Insert the delivery row; of two processes only one succeeds."""
        async with self._uow() as uow:
            delivery = Delivery(job_run_id=run_id, recipient=recipient, claimed_at=self._clock())
            uow.deliveries.add(delivery)
            try:
                await uow.commit()
            except Conflict:
                return None
            return delivery

    async def look(
        self, recipient: str, marker: str, since: datetime, find: Find
    ) -> MessageRef | None:
        """Whether the message went out: waits out rate limits and outages, up to a
        deadline. Raises DeliveryError when Slack refuses the look-up or the deadline
        passes: then nobody can tell."""
        deadline = self._clock() + self._patience
        while True:
            try:
                return await find(recipient, marker, since, self._clock())
            except DeliveryError as exc:
                if not exc.retryable:
                    raise
                wait = exc.retry_after if exc.retry_after is not None else OUTAGE_PAUSE
                if self._clock() + timedelta(seconds=wait) > deadline:
                    raise
                log.info("looking for %s again in %ss: Slack said %s", marker, wait, exc.code)
                await self.pacer.pause(wait)

    async def deliver(self, delivery: Delivery, send: Send, find: Find | None) -> Outcome:
        """Send a claimed delivery, waiting out rate limits; record how it went. After an
        outcome that may have been a success, the message is looked for before it is sent
        again; without a way to look (`find` None) it is in doubt."""
        return (await self.send(delivery, send, find))[0]

    async def send(
        self, delivery: Delivery, send: Send, find: Find | None = None
    ) -> tuple[Outcome, MessageRef | None]:
        """`deliver`, with the message when it is in Slack (a thread's parent is needed)."""
        error = "gave_up"
        for _ in range(MAX_TRIES):
            await self.pacer.wait()
            try:
                ref = await send(delivery.recipient, marker(delivery.id))
            except DeliveryError as exc:
                error = exc.code
                if exc.retry_after is not None:
                    self.pacer.hold(exc.retry_after)
                    continue
                if exc.ambiguous:
                    found = await self._look_or_doubt(delivery, find, exc.code)
                    if isinstance(found, Outcome):
                        return found, None
                    if found is not None:
                        await self._settle(delivery.id, channel=found.channel, ts=found.ts)
                        return Outcome.FOUND, found
                if exc.retryable:
                    self.pacer.hold(OUTAGE_PAUSE)
                    continue
                break
            await self._settle(delivery.id, channel=ref.channel, ts=ref.ts)
            return Outcome.SENT, ref
        log.warning("delivery %s to %s failed: %s", delivery.id, delivery.recipient, error)
        await self._settle(delivery.id, error=error)
        return Outcome.FAILED, None

    async def _look_or_doubt(
        self, delivery: Delivery, find: Find | None, why: str
    ) -> MessageRef | Outcome | None:
        if find is None:
            await self._doubt(delivery, why)
            return Outcome.IN_DOUBT
        try:
            return await self.look(
                delivery.recipient, marker(delivery.id), delivery.claimed_at, find
            )
        except DeliveryError as exc:
            await self._doubt(delivery, exc.code)
            return Outcome.IN_DOUBT

    async def _doubt(self, delivery: Delivery, code: str) -> None:
        # Never sent twice on a guess: the admins are told, and `--resend-in-doubt` sends it.
        log.error(
            "delivery %s to %s is in doubt (%s): not sent again until an admin resends it",
            delivery.id,
            delivery.recipient,
            code,
        )
        await self._settle(delivery.id, error=f"{IN_DOUBT}{code}")

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

    async def to_each(
        self, run_id: int, recipients: Sequence[str], send: Send, find: Find | None = None
    ) -> FanOutReport:
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
                report.count(await self.deliver(delivery, send, find), recipient)

        await asyncio.gather(*(worker() for _ in range(self._concurrency)))
        report.in_doubt += report.newly_in_doubt
        return report

    def stale(self, delivery: Delivery, now: datetime) -> bool:
        return (
            delivery.sent_at is None
            and delivery.failed_at is None
            and delivery.claimed_at < now - self.lease
        )

    async def take_over(self, delivery: Delivery) -> bool:
        """Take a stale claim over; of two processes only one succeeds."""
        async with self._uow() as uow:
            won = await uow.deliveries.reclaim(delivery.id, delivery.claimed_at, self._clock())
            await uow.commit()
        return won

    async def resume(
        self, delivery: Delivery, send: Send, find: Find
    ) -> tuple[Outcome, MessageRef | None]:
        """A delivery taken over from a process that died, perhaps mid-send: looked for in
        Slack first, sent only if it is not there, so nobody gets it twice."""
        found = await self._look_or_doubt(delivery, find, "lookup")
        if isinstance(found, Outcome):
            return found, None
        if found is not None:
            await self._settle(delivery.id, channel=found.channel, ts=found.ts)
            return Outcome.FOUND, found
        return await self.send(delivery, send, find)

    async def retake_in_doubt(self, delivery: Delivery) -> bool:
        """Claim a delivery in doubt again, for an admin who asked for it to be resent."""
        async with self._uow() as uow:
            won = await uow.deliveries.retake(delivery.id, IN_DOUBT, self._clock())
            await uow.commit()
        return won

    async def recover(self, run_id: int, send: Send, find: Find) -> FanOutReport:
        """Settles the run's stale claims; reports what is in doubt and what another
        process still holds."""
        report = FanOutReport()
        now = self._clock()
        async with self._uow(readonly=True) as uow:
            rows = list(await uow.deliveries.unsettled(run_id, IN_DOUBT))
        for delivery in rows:
            if delivery.failed_at is not None:
                if (delivery.error or "").startswith(IN_DOUBT):
                    report.in_doubt.append(delivery.recipient)
                continue
            if not self.stale(delivery, now):
                report.pending.append(Pending(delivery.recipient, delivery.claimed_at + self.lease))
                continue
            if shutdown.requested() or not await self.take_over(delivery):
                continue
            outcome, _ref = await self.resume(delivery, send, find)
            report.count(outcome, delivery.recipient)
        report.in_doubt += report.newly_in_doubt
        return report

    async def resend_in_doubt(self, run_id: int, send: Send, find: Find) -> FanOutReport:
        """An admin's word: the run's messages in doubt are sent (a look-up that works now
        still spares anyone a second one)."""
        report = FanOutReport()
        async with self._uow(readonly=True) as uow:
            rows = [
                d
                for d in await uow.deliveries.unsettled(run_id, IN_DOUBT)
                if d.failed_at is not None
            ]
        for delivery in rows:
            if not await self.retake_in_doubt(delivery):
                continue
            try:
                found = await find(
                    delivery.recipient, marker(delivery.id), delivery.claimed_at, self._clock()
                )
            except DeliveryError:
                found = None
            if found is not None:
                await self._settle(delivery.id, channel=found.channel, ts=found.ts)
                report.recovered += 1
                continue
            # Told to send: a second failing look-up does not stop it.
            report.count(await self.deliver(delivery, send, None), delivery.recipient)
        report.in_doubt += report.newly_in_doubt
        return report
