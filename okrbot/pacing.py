"""Where work after Slack's answers gives way to the answers being made: the hooks that a
unit of work and a Slack call go through.

The request scheduler (okrbot.background) decides how to give way and installs it in each
piece of work it runs; the store and the Slack gateway only call these hooks, and need not
know the scheduler. Outside such work (in the answers themselves, in a job, in a test)
`yield_to_answers` returns at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar

GiveWay = Callable[[], Awaitable[None]]

# Set inside each piece of work the scheduler runs.
_give_way: ContextVar[GiveWay | None] = ContextVar("okrbot_give_way", default=None)
# Units of work open in this task: work holding a connection or SQLite's write lock does
# not wait, or an answer could end up waiting for it.
_units: ContextVar[int] = ContextVar("okrbot_units", default=0)


def begin_work(give_way: GiveWay) -> None:
    """In a piece of work's own task (its own context): how it gives way, and no unit of
    work open yet (a spawn from inside a unit of work does not inherit it)."""
    _give_way.set(give_way)
    _units.set(0)


def enter_unit() -> None:
    _units.set(_units.get() + 1)


def leave_unit() -> None:
    _units.set(max(0, _units.get() - 1))


def in_unit() -> bool:
    return _units.get() > 0


async def yield_to_answers() -> None:
    """Before a unit of work or a Slack call: in work after the answers, let the answers
    being made go first. Anywhere else, return at once."""
    give_way = _give_way.get()
    if give_way is not None:
        await give_way()
