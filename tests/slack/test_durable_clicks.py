"""A click on Approve answered 200 is never lost and applies exactly once: it is in the
decision inbox before the answer, applied from there right after, and after a crash by
whichever process finds it."""

from __future__ import annotations

from sqlalchemy import select

from okrbot.background import Background
from okrbot.domain.okr import Status
from okrbot.sandbox.fake_slack import Message
from okrbot.sandbox.harness import AUTHOR, CEO, COLLEAGUE, MANAGER
from okrbot.services.inbox import GRACE
from okrbot.slack import ids
from okrbot.store.models import InboxDecision
from tests.slack.helpers import approvals, objectives, requests_to, submit_objective
from tests.support.sandbox import Sandbox, crash_and_restart

ALREADY = "was already approved"


async def waiting_decisions(box: Sandbox) -> int:
    async with box.uow() as uow:
        return await uow.decisions.count()


def notes_to(box: Sandbox, user: str) -> list[str]:
    return [m.text for m in box.fake.ephemerals_to(user)]


def approve_value(message: Message) -> str:
    return next(
        str(element["value"])
        for block in message.blocks
        for element in block.get("elements", [])
        if element.get("action_id") == ids.APPROVE
    )


def stall(box: Sandbox) -> Background:
    """Work after the answers never gets a turn: what a crash right after the ack leaves."""
    stalled = Background(concurrency=0)
    box.bot.deps.background = stalled
    return stalled


async def test_clicks_answered_before_a_crash_are_applied_once_after_it(
    org_box: Sandbox,
) -> None:
    box = org_box
    for author in (AUTHOR.id, COLLEAGUE.id):
        await submit_objective(box, author)
    requests = requests_to(box, MANAGER.id)
    assert len(requests) == 2
    stalled = stall(box)
    for request in requests:
        response = await box.slack.click(MANAGER.id, request, ids.APPROVE)
        assert response.status == 200
    assert await waiting_decisions(box) == 2
    assert {o.status for o in await objectives(box)} == {Status.AWAITING_MANAGER}
    await crash_and_restart(box, stalled)

    # Too young: the process that answered may still be applying them.
    assert await box.bot.recover_decisions() == 0
    box.clock.advance(seconds=GRACE.total_seconds() + 1)
    assert await box.bot.recover_decisions() == 2
    assert await box.bot.recover_decisions() == 0
    await box.settle()

    assert {o.status for o in await objectives(box)} == {Status.AWAITING_CEO}
    decided = [a for a in await approvals(box) if a.decided_by == MANAGER.id]
    assert len(decided) == 2
    # Each request's message lost its buttons once; the CEO was asked once for each.
    assert [m.updated for m in requests_to(box, MANAGER.id)] == [1, 1]
    assert all(ids.APPROVE not in str(m.blocks) for m in requests_to(box, MANAGER.id))
    assert len(requests_to(box, CEO.id)) == 2
    assert notes_to(box, MANAGER.id) == []
    assert await waiting_decisions(box) == 0


async def test_the_same_click_delivered_three_times_is_one_decision(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [request] = requests_to(box, MANAGER.id)
    assert (await box.slack.click(MANAGER.id, request, ids.APPROVE)).status == 200
    await box.settle()
    # Once more while nothing has been forgotten, and once more after a restart.
    assert (await box.slack.replay()).status == 200
    await box.settle()
    captured = box.slack.last_request
    await box.restart()
    assert (await box.slack.replay(captured)).status == 200
    await box.settle()

    [objective] = await objectives(box)
    assert objective.status == Status.AWAITING_CEO
    assert len(requests_to(box, CEO.id)) == 1
    assert requests_to(box, MANAGER.id)[0].updated == 1
    # A replay is no click of the manager's: nothing to tell them.
    assert notes_to(box, MANAGER.id) == []
    async with box.uow() as uow:
        rows = list((await uow.session.scalars(select(InboxDecision))).all())
    assert len(rows) == 1
    assert rows[0].done_at is not None


async def test_a_second_click_on_a_decided_request_is_told_why(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [request] = requests_to(box, MANAGER.id)
    value = approve_value(request)
    await box.slack.click(MANAGER.id, request, ids.APPROVE)
    await box.settle()
    # The button of the message as it was before the update: a new click, not a replay.
    await box.slack.click_value(MANAGER.id, ids.APPROVE, value, request)
    await box.settle()
    [note] = notes_to(box, MANAGER.id)
    assert ALREADY in note
    assert len(requests_to(box, CEO.id)) == 1
    assert await waiting_decisions(box) == 0


async def test_a_stale_click_recovered_after_a_crash_is_told_why_once(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [request] = requests_to(box, MANAGER.id)
    value = approve_value(request)
    await box.slack.click(MANAGER.id, request, ids.APPROVE)
    await box.settle()
    stalled = stall(box)
    await box.slack.click_value(MANAGER.id, ids.APPROVE, value, request)
    await crash_and_restart(box, stalled)
    box.clock.advance(seconds=GRACE.total_seconds() + 1)
    assert await box.bot.recover_decisions() == 1
    await box.settle()
    [note] = notes_to(box, MANAGER.id)
    assert ALREADY in note
    assert len(requests_to(box, CEO.id)) == 1


async def test_a_click_nobody_can_apply_writes_nothing(org_box: Sandbox) -> None:
    box = org_box
    response = await box.slack.click_value(MANAGER.id, ids.APPROVE, "not-a-request")
    assert response.status == 200
    await box.settle()
    assert await waiting_decisions(box) == 0
    async with box.uow() as uow:
        assert (await uow.session.scalars(select(InboxDecision))).all() == []
    assert len(box.fake.dms_to(MANAGER.id)) + len(notes_to(box, MANAGER.id)) == 1


async def test_the_sweeper_applies_what_a_crash_left_at_start_up(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [request] = requests_to(box, MANAGER.id)
    stalled = stall(box)
    await box.slack.click(MANAGER.id, request, ids.APPROVE)
    await crash_and_restart(box, stalled)
    box.clock.advance(seconds=GRACE.total_seconds() + 1)
    # As `okrbot serve` starts it; stopping waits for its first pass.
    box.bot.start_sweeper(every=3600)
    await box.restart()
    [objective] = await objectives(box)
    assert objective.status == Status.AWAITING_CEO
    assert await waiting_decisions(box) == 0
    await box.settle()
    assert len(requests_to(box, CEO.id)) == 1
