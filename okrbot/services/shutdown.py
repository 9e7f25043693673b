"""Shutdown as long work sees it: stop between messages, never in the middle of one.

The weekly timer runs each tick inside `watching(event)` and sets the event when the
process is asked to stop. A fan-out asks `requested()` before it claims its next
recipient, so it finishes the messages in flight and leaves the rest unclaimed: the next
tick of any instance sends those at once (a claimed, unsent message would first wait out
its lease, in case it went out after all).

A context variable rather than a parameter: the work it reaches (fan-outs, digest
threads) sits a few calls below the timer, and tasks started inside inherit it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_stop: ContextVar[asyncio.Event | None] = ContextVar("okrbot_stop", default=None)


@contextmanager
def watching(stop: asyncio.Event) -> Iterator[None]:
    """Work done inside (and in tasks it starts) sees `stop` through `requested()`."""
    token = _stop.set(stop)
    try:
        yield
    finally:
        _stop.reset(token)


def requested() -> bool:
    """True once the process is stopping: start nothing new."""
    stop = _stop.get()
    return stop is not None and stop.is_set()
