"""Work that runs after Slack has its answer, tracked so it can be awaited and drained."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

ErrorHook = Callable[[BaseException], Awaitable[None]]


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], *, on_error: ErrorHook | None = None) -> None:
        task = asyncio.create_task(self._run(work, on_error))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _run(work: Coroutine[Any, Any, None], on_error: ErrorHook | None) -> None:
        try:
            await work
        except asyncio.CancelledError:
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
