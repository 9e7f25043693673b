"""Work that runs after Slack has its answer, tracked so it can be awaited and drained.

Slack waits for answers (3 s at most), not for the work after them. So answers go first:
while requests are being answered, and for a moment after the last one (`LULL`, for
requests come in bursts), work after the answers waits, at its start and at each database
unit of work and Slack call it makes (`pacing.yield_to_answers`), but never longer than `HOLD`
after it was queued, so that a form still opens well within its trigger id's 3 s. In a
burst the answers keep the pace of a bare app that only acks (bench/latency.py), and the
work catches up after. When requests come one at a time, work waits `LULL` at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

from okrbot import pacing

log = logging.getLogger(__name__)

ErrorHook = Callable[[BaseException], Awaitable[None]]

# Pieces of work running at once; the rest wait their turn, first come first served. Each
# piece is a few database calls and one or two to Slack, so a few at once keep the process
# busy. Unbounded, a burst of requests started hundreds at once: they all finished late (a
# form after its trigger id had expired) and crowded out the answers to the requests that
# kept coming (bench/latency.py measures both).
CONCURRENCY = 4

# The longest a piece of work waits for answers, from when it was queued (seconds).
HOLD = 1.0
# ... when what it works from is in the database already (a check-in in the inbox,
# messages in the outbox): nothing is lost if it waits, and nothing expires meanwhile.
DURABLE_HOLD = 5.0
# How long no request must have been answered before work after the answers goes on.
LULL = 0.02
# Work that has made no progress for this long (seconds) is logged at ERROR, with what it
# waits for: every piece of work is a few database calls and Slack calls, each bounded.
STALL_AFTER = 10.0
# How often the watchdog looks.
WATCHDOG_EVERY = 2.0


class Answers:
    """Counts the requests being answered right now (HTTP or Socket Mode), and says when it
    has been calm: nothing answered for `lull` seconds."""

    def __init__(self, lull: float = LULL) -> None:
        self.lull = lull
        self._count = 0
        # Set while calm. Work waiting for the answers waits on it: it is set once a lull
        # has passed, not whenever the count touches zero, which in a burst is all the
        # time, and would wake every waiting piece of work each time.
        self._calm = asyncio.Event()
        self._calm.set()
        self._lull: asyncio.TimerHandle | None = None
        self._watchers: list[asyncio.Event] = []

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        self.begin()
        try:
            yield
        finally:
            self.end()

    def begin(self) -> None:
        """A request is being answered (`answering`, without a context manager's cost, for
        the dispatch every request goes through)."""
        self._count += 1
        self._calm.clear()
        if self._lull is not None:
            self._lull.cancel()
            self._lull = None

    def end(self) -> None:
        self._count -= 1
        for watcher in self._watchers:
            watcher.set()
        if self._count == 0:
            self._lull = asyncio.get_running_loop().call_later(self.lull, self._calm.set)

    @property
    def in_flight(self) -> int:
        return self._count

    def watch(self, event: asyncio.Event) -> None:
        """Set `event` each time an answer is done."""
        self._watchers.append(event)

    @property
    def is_calm(self) -> bool:
        """Nothing answered for `lull` seconds."""
        return self._calm.is_set()

    def calm(self, deadline: float) -> bool:
        """Whether work may go on now: it is calm, or `deadline` (the loop's clock) is past."""
        return self._calm.is_set() or asyncio.get_running_loop().time() >= deadline

    async def quiet(self, deadline: float) -> None:
        """Return once it is calm, or at `deadline` (the loop's clock)."""
        if self.calm(deadline):
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(deadline):
                await self._calm.wait()


class _Turn:
    """A piece of work's place: whose answers it gives way to, until when, and its slot
    (given up while it waits, so that waiting work never keeps other work from running).

    The slot belongs to the piece of work's own task. Tasks it starts (a fan-out's
    workers, gathered) see the same turn through the context: they wait for the answers
    too, but never give up or take a slot: several tasks giving and taking one turn's slot
    took it twice and gave it back once, and each such leak left one slot fewer, until no
    work could start at all."""

    def __init__(
        self,
        background: Background,
        slots: asyncio.Semaphore,
        deadline: float,
        task: asyncio.Task[Any] | None,
    ) -> None:
        self.background = background
        self._slots = slots
        self.answers = background.answers
        self.deadline = deadline
        self.task = task
        self._holding = False
        self.state = "waiting for the answers"

    async def take(self) -> None:
        self.state = "waiting for a slot"
        await self._slots.acquire()
        self._holding = True
        self.state = "running"
        self.background.progressed()

    @property
    def holding(self) -> bool:
        return self._holding

    def give(self) -> None:
        if self._holding:
            self._holding = False
            self._slots.release()

    async def give_way(self) -> None:
        """Let the answers being made go first (see above): `pacing.yield_to_answers` in
        this piece of work and the tasks it starts."""
        self.background.progressed()
        if pacing.in_unit() or self.answers.calm(self.deadline):
            return
        if asyncio.current_task() is not self.task:
            # A task the piece of work started: its slot stays with the piece of work.
            await self.answers.quiet(self.deadline)
            return
        self.give()
        self.state = "giving way to the answers"
        try:
            await self.answers.quiet(self.deadline)
        finally:
            await self.take()


class Background:
    def __init__(
        self,
        concurrency: int = CONCURRENCY,
        answers: Answers | None = None,
        hold: float = HOLD,
        durable_hold: float = DURABLE_HOLD,
        stall_after: float = STALL_AFTER,
    ) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._turns: dict[asyncio.Task[None], tuple[_Turn, str]] = {}
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self.answers = answers if answers is not None else Answers()
        self.hold = hold
        self.durable_hold = durable_hold
        self.stall_after = stall_after
        self._progress_at: float | None = None
        self._stall_reported = False
        self._watchdog: asyncio.Task[None] | None = None

    def spawn(
        self,
        work: Coroutine[Any, Any, None],
        *,
        on_error: ErrorHook | None = None,
        durable: bool = False,
    ) -> asyncio.Task[None]:
        """Run `work` after the answers; `durable` when it only works from the database."""
        hold = self.durable_hold if durable else self.hold
        loop = asyncio.get_running_loop()
        deadline = loop.time() + hold
        if not self._tasks:
            # Idle until now: the clock of "no progress" starts with this piece of work.
            self._progress_at = loop.time()
        name = getattr(work, "__qualname__", type(work).__name__)
        task = asyncio.create_task(self._run(work, on_error, deadline, name))
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._turns.pop(task, None)

    async def _run(
        self,
        work: Coroutine[Any, Any, None],
        on_error: ErrorHook | None,
        deadline: float,
        name: str,
    ) -> None:
        # The task runs in a copy of the spawner's context: this is its own, and so are
        # its units of work (a spawn from inside a unit of work does not inherit it).
        task = asyncio.current_task()
        turn = _Turn(self, self._slots, deadline, task)
        if task is not None:
            self._turns[task] = (turn, name)
        pacing.begin_work(turn.give_way)
        started = False
        try:
            # Waiting for the answers before taking a slot: a slot is for running.
            await self.answers.quiet(deadline)
            await turn.take()
            started = True
            await work
        except asyncio.CancelledError:
            if not started:
                work.close()  # cancelled before it began
            raise
        except Exception as exc:
            log.exception("background work failed")
            if on_error is not None:
                try:
                    await on_error(exc)
                except Exception:
                    log.exception("could not tell the user about a failure")
        finally:
            turn.give()
            self.progressed()

    async def drain(self, within: float | None = None) -> bool:
        """Wait until no work is left, including work that work started; False when some
        is still running after `within` seconds."""
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while self._tasks:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            # asyncio.wait, not gather: running out of time must not cancel the work.
            await asyncio.wait(list(self._tasks), timeout=left)
        return True

    # -- the watchdog

    def progressed(self) -> None:
        """A piece of work started, finished, or got to its next unit of work or call."""
        self._progress_at = asyncio.get_running_loop().time()
        if self._stall_reported:
            self._stall_reported = False
            log.warning("background work is moving again")

    def waiting(self) -> list[str]:
        """What each piece of work is doing, for a person reading the log."""
        described = []
        for turn, name in self._turns.values():
            described.append(f"{name} ({turn.state})")
        return sorted(described)

    def check(self) -> bool:
        """Log at ERROR, once, when there is work and none of it has moved for
        `stall_after` seconds; True while it is so."""
        now = asyncio.get_running_loop().time()
        stalled = (
            bool(self._tasks)
            and self._progress_at is not None
            and now - self._progress_at >= self.stall_after
        )
        if stalled and not self._stall_reported:
            self._stall_reported = True
            assert self._progress_at is not None
            log.error(
                "background work has made no progress for %.0f s: %d pieces of work "
                "waiting, %d of %d slots free: %s",
                now - self._progress_at,
                len(self._tasks),
                self.concurrency - sum(turn.holding for turn, _ in self._turns.values()),
                self.concurrency,
                "; ".join(self.waiting()) or "-",
            )
        return stalled

    def start_watchdog(self, every: float = WATCHDOG_EVERY) -> None:
        async def watch() -> None:
            while True:
                await asyncio.sleep(every)
                self.check()

        self._watchdog = asyncio.create_task(watch())

    async def stop_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
            self._watchdog = None

    def abandon(self) -> None:
        """Cancel everything in flight, as a crash would."""
        for task in list(self._tasks):
            task.cancel()

    @property
    def concurrency(self) -> int:
        return self._concurrency
