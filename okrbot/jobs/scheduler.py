"""APScheduler is only the timer: the database decides who runs what (see services.weekly).

Its FAQ warns that a job store shared by several processes runs jobs twice, so each process
keeps its own memory job store and every tick claims its work in the database.

Stopping is graceful: no new tick starts, a tick in progress finishes the messages in
flight and claims no more (see services.shutdown), and what it did not get to is left,
unclaimed, to the next tick of any instance.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from okrbot.jobs.runner import Jobs
from okrbot.services import shutdown
from okrbot.services.ports import DeliveryError

log = logging.getLogger(__name__)

TICK_JOB = "okrbot-weekly-tick"
# How long shutdown waits for a tick in progress to finish the messages in flight; after
# that it is cancelled, and a message it had claimed waits out its lease (services.fanout).
SHUTDOWN_GRACE_SECONDS = 20.0


class WeeklyTimer:
    def __init__(self, jobs: Jobs, every_seconds: float) -> None:
        self._jobs = jobs
        self._every = every_seconds
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    async def _tick(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            with shutdown.watching(self._stopping):
                await self._jobs.tick()
        except DeliveryError as exc:
            log.warning("the weekly jobs could not reach Slack (%s); trying again", exc.code)
        except asyncio.CancelledError:
            # Shutdown after the grace period: what was claimed and not sent is recovered
            # by the next process (see services.fanout).
            log.info("weekly tick cancelled at shutdown")
        except Exception:
            log.exception("the weekly jobs' tick failed; the next tick tries again")
        finally:
            if task is not None:
                self._running.discard(task)

    def start(self) -> None:
        self._scheduler.add_job(
            self._tick,
            "interval",
            seconds=self._every,
            id=TICK_JOB,
            # Run once right away: a run missed while the app was down happens now.
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        self._scheduler.start()

    async def stop(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        self._stopping.set()
        if not self._scheduler.running:
            return
        # Paused, not shut down: APScheduler's shutdown cancels a running tick at once,
        # in the middle of whatever message it is sending.
        self._scheduler.pause()
        if self._running:
            _done, pending = await asyncio.wait(set(self._running), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._scheduler.shutdown(wait=False)
