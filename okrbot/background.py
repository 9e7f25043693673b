"""Work that runs after Slack has its answer, tracked so it can be awaited and drained."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

ErrorHook = Callable[[BaseException], Awaitable[None]]

# Pieces of work running at once; the rest wait their turn, first come first served. Each
# piece is a few database calls and one or two to Slack, so a few at once keep the process
# busy. Unbounded, a burst of requests started hundreds at once: they all finished late (a
# form after its trigger id had expired) and crowded out the answers to the requests that
# kept coming (bench/latency.py measures both).
CONCURRENCY = 4


class Background:
    def __init__(self, concurrency: int = CONCURRENCY) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(concurrency)

    def spawn(self, work: Coroutine[Any, Any, None], *, on_error: ErrorHook | None = None) -> None:
        task = asyncio.create_task(self._run(work, on_error, self._slots))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _run(
        work: Coroutine[Any, Any, None], on_error: ErrorHook | None, slots: asyncio.Semaphore
    ) -> None:
        try:
            async with slots:
                await work
        except asyncio.CancelledError:
            work.close()  # cancelled while waiting for a slot: never started
            raise
        except Exception as exc:
            log.exception("background work failed")
            if on_error is not None:
                try:
                    await on_error(exc)
                except Exception:
                    log.exception("could not tell the user about a failure")

    async def drain(self) -> None:
        """Wait until no work is left, including work that work started."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def abandon(self) -> None:
        """Cancel everything in flight, as a crash would."""
        for task in list(self._tasks):
            task.cancel()

    @property
    def busy(self) -> int:
        return len(self._tasks)
