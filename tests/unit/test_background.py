"""Work after the answers gives way to the answers being made, for a bounded time."""

from __future__ import annotations

import asyncio

from okrbot.background import Answers, Background, enter_unit, leave_unit, yield_to_answers


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
        # Not inside work after an answer: no turn to give.
        await asyncio.wait_for(yield_to_answers(), timeout=1)


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
