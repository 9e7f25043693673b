"""Posting a message and its thread replies as parts of one run, each part at most once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from okrbot.services import shutdown
from okrbot.services.fanout import IN_DOUBT, FanOut, FanOutReport, Outcome, Pending
from okrbot.services.ports import Clock, MessageRef
from okrbot.store.models import Delivery, JobRun
from okrbot.store.uow import UnitOfWorkFactory

Part = dict[str, Any]
PostPart = Callable[[str, Part, str | None, str], Awaitable[MessageRef]]
# (channel, marker, since, until): a top-level message of the channel.
FindMarked = Callable[[str, str, datetime, datetime], Awaitable[MessageRef | None]]
# (channel, thread_ts, marker, since): a reply in the thread.
FindReply = Callable[[str, str, str, datetime], Awaitable[MessageRef | None]]


class ThreadPoster:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        fanout: FanOut,
        clock: Clock,
        post_part: PostPart,
        find_marked: FindMarked,
        find_reply: FindReply,
    ) -> None:
        self._uow = uow
        self._fanout = fanout
        self._clock = clock
        self._post_part = post_part
        self._find = find_marked
        self._find_reply = find_reply

    async def post(
        self,
        run: JobRun,
        channel: str,
        parts: Sequence[Part],
        *,
        after_parent: Callable[[str], Awaitable[Pending | None]] | None = None,
        on_failure: Callable[[], Awaitable[None]] | None = None,
        resend_in_doubt: bool = False,
    ) -> FanOutReport:
        """Parent first, replies in its thread, in order. Resumable: parts already posted
        (by this process or one that died) are not posted again, and a part whose poster
        died mid-send is looked for where it would be (the channel for the parent, the
        thread for a reply) before it is posted; the run is finished at the end."""
        report = FanOutReport()
        thread_ts: str | None = None
        now = self._clock()

        async def send(key: str, marker: str) -> MessageRef:
            index = int(key.removeprefix("part-"))
            await self._fanout.pacer.wait_channel(channel)
            return await self._post_part(
                channel, parts[index], thread_ts if index else None, marker
            )

        async def find(
            key: str, marker: str, since: datetime, until: datetime
        ) -> MessageRef | None:
            if key == "part-0" or thread_ts is None:
                return await self._find(channel, marker, since, until)
            return await self._find_reply(channel, thread_ts, marker, since)

        async with self._uow(readonly=True) as uow:
            done: dict[str, Delivery] = {
                d.recipient: d for d in await uow.deliveries.for_run(run.id)
            }
        for index in range(len(parts)):
            key = f"part-{index}"
            row = done.get(key)
            outcome: Outcome | None = None
            ref: MessageRef | None = None
            if row is None:
                if shutdown.requested():
                    return report  # the run stays open: the next tick posts the rest
                delivery = await self._fanout.claim(run.id, key)
                if delivery is None:
                    return report  # another process is posting this run
                outcome, ref = await self._fanout.send(delivery, send, find)
            elif row.sent_at is not None:
                ref = MessageRef(row.channel or channel, row.ts or "")
            elif row.failed_at is not None:
                in_doubt = (row.error or "").startswith(IN_DOUBT)
                if not (in_doubt and resend_in_doubt):
                    if in_doubt:
                        report.in_doubt.append(key)
                    return report
                if not await self._fanout.retake_in_doubt(row):
                    return report
                outcome, ref = await self._fanout.send(row, send, None)
            elif not self._fanout.stale(row, now):
                report.pending.append(Pending(key, row.claimed_at + self._fanout.lease))
                return report
            else:
                if shutdown.requested() or not await self._fanout.take_over(row):
                    return report
                outcome, ref = await self._fanout.resume(row, send, find)
            if outcome is not None:
                report.count(outcome, key)
                if outcome is Outcome.IN_DOUBT:
                    report.in_doubt.append(key)
                if ref is None:
                    if outcome is Outcome.FAILED and on_failure is not None:
                        await on_failure()
                    return report
            assert ref is not None
            if index == 0:
                thread_ts = ref.ts
                if after_parent is not None and (waiting := await after_parent(ref.ts)):
                    # Still another process's (or its claim not yet stale): the run stays
                    # open, so a later pass settles it, whatever became of that process.
                    report.pending.append(waiting)
        if any(p.recipient == "chart" for p in report.pending):
            return report
        async with self._uow() as uow:
            await uow.job_runs.finish(run.id, self._clock())
            await uow.commit()
        return report
