"""Work after the answers gives way to the answers being made, for a bounded time."""

from __future__ import annotations

import asyncio
import logging

import pytest

from okrbot.background import Answers, Background
from okrbot.pacing import enter_unit, leave_unit, yield_to_answers


class Ran:
    """Pieces of work that record their name when they run."""

    def __init__(self) -> None:
        self.names: list[str] = []

    async def work(self, name: str = "work") -> None:
        self.names.append(name)


async def settle_loop() -> None:
    """Let every ready task run until it waits (no time passes)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_work_waits_while_a_request_is_answered_and_runs_after_it() -> None:
    answers = Answers(lull=0)
    background = Background(answers=answers, hold=3600)
    ran = Ran()

    with answers.answering():
        background.spawn(ran.work())
        await settle_loop()
        assert ran.names == []
    await background.drain()
    assert ran.names == ["work"]


async def test_work_runs_at_once_when_nothing_is_being_answered() -> None:
    background = Background(answers=Answers(lull=0), hold=3600)
    ran = Ran()

    background.spawn(ran.work())
    await settle_loop()
    assert ran.names == ["work"]


async def test_work_past_its_hold_does_not_wait_for_answers() -> None:
    answers = Answers(lull=0)
    background = Background(answers=answers, hold=0)
    ran: list[str] = []

    async def work() -> None:
        await yield_to_answers()
        ran.append("work")

    with answers.answering():
        background.spawn(work())
        await settle_loop()
        assert ran == ["work"]


async def test_started_work_gives_way_at_its_next_step_but_not_inside_a_unit_of_work() -> None:
    answers = Answers(lull=0)
    background = Background(answers=answers, hold=3600)
    go = asyncio.Event()
    steps: list[str] = []

    async def work() -> None:
        steps.append("started")
        await go.wait()
        enter_unit()
        try:
            await yield_to_answers()  # holding a connection: never waits
            steps.append("inside a unit")
        finally:
            leave_unit()
        await yield_to_answers()
        steps.append("next step")

    background.spawn(work())
    await settle_loop()
    assert steps == ["started"]
    with answers.answering():
        go.set()
        await settle_loop()
        assert steps == ["started", "inside a unit"]
    await background.drain()
    assert steps == ["started", "inside a unit", "next step"]


async def test_answers_themselves_never_wait() -> None:
    answers = Answers(lull=0)
    with answers.answering():
        # Not inside work after an answer: no turn to give. It finishes at its first step,
        # without ever suspending (a coroutine that waited would yield instead).
        step = yield_to_answers().__await__()
        with pytest.raises(StopIteration):
            step.send(None)


async def test_a_lull_is_awaited_after_the_last_answer() -> None:
    answers = Answers(lull=3600)
    background = Background(answers=answers, hold=3600)
    ran = Ran()

    with answers.answering():
        background.spawn(ran.work())
    await settle_loop()
    assert ran.names == []  # the burst may go on
    background.abandon()
    await background.drain()
    assert ran.names == []


async def test_work_from_the_database_may_wait_longer_than_work_for_a_form() -> None:
    answers = Answers(lull=0)
    background = Background(answers=answers, hold=0, durable_hold=3600)
    ran = Ran()

    with answers.answering():
        background.spawn(ran.work("stored"), durable=True)
        background.spawn(ran.work("form"))
        await settle_loop()
        assert ran.names == ["form"]
    await background.drain()
    assert ran.names == ["form", "stored"]


async def test_work_waiting_for_the_answers_gives_up_its_slot_meanwhile() -> None:
    answers = Answers(lull=0)
    background = Background(concurrency=1, answers=answers, hold=0, durable_hold=3600)
    go = asyncio.Event()
    steps: list[str] = []

    async def delivery() -> None:
        steps.append("delivery started")
        await go.wait()
        await yield_to_answers()
        steps.append("delivery done")

    async def form() -> None:
        steps.append("form")

    background.spawn(delivery(), durable=True)
    await settle_loop()
    with answers.answering():
        go.set()
        await settle_loop()  # the delivery waits for the answers, without its slot
        background.spawn(form())  # past its hold at once, and the only slot is free
        await settle_loop()
        assert steps == ["delivery started", "form"]
    await background.drain()
    assert steps == ["delivery started", "form", "delivery done"]


async def test_tasks_a_piece_of_work_starts_wait_for_answers_without_taking_its_slot() -> None:
    """A fan-out's workers, gathered inside one piece of work, share its turn. Giving way to
    the answers, they used to take its slot twice and give it back once: a slot was lost
    each time, until no work could start at all."""
    answers = Answers(lull=0)
    background = Background(concurrency=2, answers=answers, hold=3600)
    stepped: list[str] = []
    go = asyncio.Event()

    async def worker(name: str) -> None:
        await go.wait()
        await yield_to_answers()
        stepped.append(name)

    async def fan_out() -> None:
        await asyncio.gather(worker("a"), worker("b"))

    background.spawn(fan_out())
    await settle_loop()
    with answers.answering():
        # Both workers are past their first step when the request comes: they wait.
        go.set()
        await settle_loop()
        assert stepped == []
    await background.drain()
    assert sorted(stepped) == ["a", "b"]

    # Every slot is free again: two pieces of work run side by side.
    release = asyncio.Event()
    running: list[int] = []

    async def blocked(n: int) -> None:
        running.append(n)
        await release.wait()

    background.spawn(blocked(1))
    background.spawn(blocked(2))
    await settle_loop()
    assert running == [1, 2]
    release.set()
    await background.drain()


async def test_the_watchdog_names_what_waits_when_nothing_moves(
    caplog: pytest.LogCaptureFixture,
) -> None:
    background = Background(concurrency=1, answers=Answers(lull=0), hold=3600, stall_after=0)
    release = asyncio.Event()

    async def stuck() -> None:
        await release.wait()

    async def behind() -> None:
        await yield_to_answers()

    assert background.check() is False  # no work: nothing to report
    background.spawn(stuck())
    background.spawn(behind())
    await settle_loop()
    with caplog.at_level(logging.ERROR, logger="okrbot.background"):
        assert background.check() is True
        assert background.check() is True  # still stalled, but said once
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert "no progress" in message
    assert "stuck (running)" in message
    assert "behind (waiting for a slot)" in message
    assert "0 of 1 slots free" in message

    release.set()
    await background.drain()
    assert background.check() is False


async def test_drain_gives_up_after_its_time_and_abandon_ends_the_rest() -> None:
    background = Background(answers=Answers(lull=0))
    never = asyncio.Event()

    async def forever() -> None:
        await never.wait()

    task = background.spawn(forever())
    await settle_loop()
    assert await background.drain(within=0) is False
    assert not task.done()
    background.abandon()
    assert await background.drain() is True
    assert task.cancelled()
