"""Posting a message and its thread replies as parts of one run, each part at most once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from okrbot.services import shutdown
from okrbot.services.fanout import FanOut, FanOutReport
from okrbot.services.ports import Clock, DeliveryError, MessageRef
from okrbot.store.models import JobRun
from okrbot.store.uow import UnitOfWorkFactory

Part = dict[str, Any]
PostPart = Callable[[str, Part, str | None, str], Awaitable[MessageRef]]
FindMarked = Callable[[str, str, datetime], Awaitable[MessageRef | None]]


class ThreadPoster:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        fanout: FanOut,
        clock: Clock,
        post_part: PostPart,
        find_marked: FindMarked,
    ) -> None:
        self._uow = uow
        self._fanout = fanout
        self._clock = clock
        self._post_part = post_part
        self._find = find_marked

    async def post(
        self,
        run: JobRun,
        channel: str,
        parts: Sequence[Part],
        *,
        after_parent: Callable[[str], Awaitable[None]] | None = None,
        on_failure: Callable[[], Awaitable[None]] | None = None,
    ) -> FanOutReport:
        """Parent first, replies in its thread. Resumable: parts already posted (by this
        process or one that died) are not posted again; the run is finished at the end."""
        report = FanOutReport()
        thread_ts: str | None = None

        async def send(recipient: str, marker: str) -> MessageRef:
            if not recipient.startswith("part-"):
                # Anything else of the run (a chart) interrupted by a crash: skip it.
                raise DeliveryError("in_doubt", retryable=False)
            index = int(recipient.removeprefix("part-"))
            return await self._post_part(
                channel, parts[index], thread_ts if index else None, marker
            )

        async def find(_recipient: str, marker: str, since: datetime) -> MessageRef | None:
            return await self._find(channel, marker, since)

        report.add(await self._fanout.recover(run.id, send, find))
        async with self._uow(readonly=True) as uow:
            done = {d.recipient: d for d in await uow.deliveries.for_run(run.id)}
        for index in range(len(parts)):
            key = f"part-{index}"
            row = done.get(key)
            if row is None:
                if shutdown.requested():
                    return report  # the run stays open: the next tick posts the rest
                delivery = await self._fanout.claim(run.id, key)
                if delivery is None:
                    return report  # another process is posting this run
                ref = await self._fanout.send(delivery, send)
                if ref is None:
                    report.failed += 1
                    if on_failure is not None:
                        await on_failure()
                    return report
                report.sent += 1
                ts: str | None = ref.ts
            elif row.sent_at is not None:
                ts = row.ts
            else:
                return report  # failed, or still being posted elsewhere
            if index == 0:
                thread_ts = ts
                if ts is not None and after_parent is not None:
                    await after_parent(ts)
        async with self._uow() as uow:
            await uow.job_runs.finish(run.id, self._clock())
            await uow.commit()
        return report
