"""The outbox dispatcher: one delivery pass at a time in a process, and one Home for all
the refreshes of it waiting together."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy import select

from okrbot.sandbox.harness import AUTHOR, CEO, MANAGER, Person
from okrbot.services.home import queue_home_refresh
from okrbot.services.notices import OutboxKind
from okrbot.store.models import OutboxMessage
from tests.slack.helpers import unsent
from tests.support.sandbox import Sandbox


async def queue_refreshes(box: Sandbox, people: list[Person], times: int) -> None:
    for _ in range(times):
        async with box.uow(readonly=False) as uow:
            queue_home_refresh(uow, box.fake.team_id, [p.id for p in people], box.clock())
            await uow.commit()


async def turns(condition: Callable[[], bool], what: str) -> None:
    """Let the event loop run until `condition` holds (loopback, one loop: a few turns,
    however busy the machine is; 10 s at the very most)."""
    deadline = time.monotonic() + 10
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        await asyncio.sleep(0)


def publishes_to(box: Sandbox, user: Person) -> int:
    return sum(1 for call in box.fake.calls_to("views.publish") if call.args["user_id"] == user.id)


async def test_refreshes_of_one_home_waiting_together_are_sent_as_one(org_box: Sandbox) -> None:
    box = org_box
    await box.settle()
    box.fake.reset_calls()
    await queue_refreshes(box, [CEO, MANAGER], times=5)

    await box.bot.dispatcher.run_once()

    assert publishes_to(box, CEO) == 1
    assert publishes_to(box, MANAGER) == 1
    assert await unsent(box) == 0
    async with box.uow() as uow:
        rows = (
            await uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.HOME_REFRESH)
            )
        ).all()
    assert len(rows) == 10
    assert all(row.sent_at is not None for row in rows)
    # The four not built say which one was.
    assert sum(1 for row in rows if (row.last_error or "").startswith("sent with ")) == 8


async def test_a_refresh_queued_after_a_home_was_built_is_sent_too(org_box: Sandbox) -> None:
    box = org_box
    await box.settle()
    box.fake.reset_calls()
    await queue_refreshes(box, [AUTHOR], times=2)
    await box.bot.dispatcher.run_once()
    await queue_refreshes(box, [AUTHOR], times=1)
    await box.bot.dispatcher.run_once()
    assert publishes_to(box, AUTHOR) == 2


async def test_passes_asked_for_together_make_one_pass_that_sends_each_message_once(
    org_box: Sandbox,
) -> None:
    box = org_box
    await box.settle()
    box.fake.reset_calls()
    people = [CEO, MANAGER, AUTHOR]
    await queue_refreshes(box, people, times=1)
    dispatcher = box.bot.dispatcher
    # Slack holds the first call, so the first pass is still running when the others ask.
    box.fake.delay_next("views.publish", 30)
    first = asyncio.create_task(dispatcher.run_once())
    await turns(lambda: bool(box.fake.held), "the first pass calls Slack")
    assert box.fake.held == ["views.publish"]
    assert dispatcher.poke()  # a pass is running: it will look again
    others = [asyncio.create_task(dispatcher.run_once()) for _ in range(4)]
    await queue_refreshes(box, [CEO], times=1)  # queued while the pass runs
    box.fake.release_held()
    counts = await asyncio.gather(first, *others)

    assert counts == [4, 0, 0, 0, 0]  # the first pass counts what it sent for the others
    assert sorted(call.args["user_id"] for call in box.fake.calls_to("views.publish")) == sorted(
        [p.id for p in [*people, CEO]]
    )
    assert await unsent(box) == 0
    assert not dispatcher.poke()  # no pass running any more


async def test_deliveries_asked_for_while_a_pass_runs_never_hold_up_the_pass(
    org_box: Sandbox,
) -> None:
    """A burst of decisions asks for a delivery each. Those asked for while a pass runs
    must not wait for it holding a slot: the pass, once it has given way to an answer,
    needs a slot again, and with every slot held by deliveries waiting for it, nothing
    after an answer ever ran again (forms unopened, decisions unapplied)."""
    box = org_box
    await box.settle()
    box.fake.reset_calls()
    background, deps = box.bot.background, box.bot.deps
    await queue_refreshes(box, [AUTHOR], times=1)
    box.fake.delay_next("views.publish", 30)
    for _ in range(background.concurrency + 1):
        deps.deliver_soon()
    # The first pass is in its Slack call; the other deliveries have come and gone.
    await turns(lambda: box.fake.held == ["views.publish"], "the pass calls Slack")
    with background.answers.answering():
        box.fake.release_held()
        # The pass gives way to the request being answered before it records the send.
        await turns(lambda: "giving way" in " ".join(background.waiting()), "the pass waits")
    async with asyncio.timeout(10):
        await background.drain()

    assert publishes_to(box, AUTHOR) == 1
    assert await unsent(box) == 0
    assert background.check() is False
