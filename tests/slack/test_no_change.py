""" "No change this week": one tap on the weekly prompt checks in the values as they are."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from okrbot.domain.weekly import Job
from okrbot.sandbox.fake_slack import Message
from okrbot.sandbox.harness import CHANNEL
from okrbot.slack import ids
from okrbot.store.models import CheckIn, CheckInValue, KeyResult, Objective
from tests.slack.weekly_helpers import (
    check_in_count,
    digests,
    prompts_to,
    reminders_to,
    seed_company,
)
from tests.support.sandbox import Sandbox

MONDAY_BEFORE = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FRIDAY_NOON_UTC = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


async def tick_at(box: Sandbox, moment: datetime) -> None:
    box.clock.now = moment
    await box.bot.jobs.tick()
    await box.settle()


def actions(message: Message) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def labels(message: Message) -> list[str]:
    return [
        e["text"]["text"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]
    ]


def no_change_value(message: Message) -> str:
    return next(
        e["value"]
        for b in message.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.NO_CHANGE
    )


async def check_in_with(
    box: Sandbox, person: str, values: list[str], confidence: str = "at_risk"
) -> None:
    """The form, once, with these values for the key results in order."""
    await box.slack.slash(person, "checkin")
    await box.settle()
    view = box.fake.open_views_for(person)[-1]
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    krs = [i for i in inputs if i.startswith("kr_")]
    confs = [i for i in inputs if i.startswith("conf_")]
    answer = dict(zip(krs, values, strict=True)) | dict.fromkeys(confs, confidence)
    assert (await box.slack.submit_view(person, view["id"], answer)).json() == {}
    await box.settle()


async def test_no_change_records_the_same_values_once_and_counts_as_a_check_in(
    box: Sandbox,
) -> None:
    person, other = await seed_company(box, 2, per_person=2, krs=2)
    box.clock.now = MONDAY_BEFORE
    await check_in_with(box, person, ["40", "25.5", "10", "0.125"])
    await check_in_with(box, other, ["1", "2", "3", "4"], "on_track")
    before = await check_in_count(box)

    await tick_at(box, FRIDAY_NOON_UTC)
    [prompt] = prompts_to(box, person)
    assert actions(prompt) == [ids.CHECKIN, ids.NO_CHANGE]
    assert labels(prompt) == ["Check in", "No change this week"]
    value = no_change_value(prompt)

    box.clock.advance(hours=1)
    await box.slack.click(person, prompt, ids.NO_CHANGE)
    await box.settle()

    # One check-in per objective, with the values and confidence as they were.
    async with box.uow() as uow:
        mine = (
            await uow.session.scalars(
                select(CheckIn).where(CheckIn.author_id == person).order_by(CheckIn.id)
            )
        ).all()
        objectives = (
            await uow.session.scalars(select(Objective).where(Objective.owner_id == person))
        ).all()
        new_values = (
            await uow.session.scalars(
                select(CheckInValue)
                .where(CheckInValue.check_in_id.in_([c.id for c in mine[2:]]))
                .order_by(CheckInValue.id)
            )
        ).all()
        krs = (
            await uow.session.scalars(
                select(KeyResult)
                .where(KeyResult.objective_id.in_([o.id for o in objectives]))
                .order_by(KeyResult.id)
            )
        ).all()
    assert await check_in_count(box) == before + 2
    assert [c.confidence for c in mine] == ["at_risk"] * 4
    assert all(c.comment is None for c in mine[2:])
    assert [v.value for v in new_values] == [40.0, 25.5, 10.0, 0.125]
    assert [kr.current_value for kr in krs] == [40.0, 25.5, 10.0, 0.125]
    assert {o.confidence for o in objectives} == {"at_risk"}
    assert all(o.last_check_in_at == box.clock() for o in objectives)

    # The prompt says so and loses its buttons.
    assert prompt.text.startswith("Weekly check-in: no change this week, recorded ")
    assert actions(prompt) == []
    assert box.fake.calls_to("chat.update")

    # The same click again (a double click, or Slack delivering it again) records nothing.
    await box.slack.click_value(person, ids.NO_CHANGE, value, prompt, "checkin_actions")
    await box.settle()
    assert await check_in_count(box) == before + 2

    # Not reminded on Monday; the digest counts the check-in.
    await tick_at(box, datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    await tick_at(box, datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    assert reminders_to(box, person) == []
    assert len(reminders_to(box, other)) == 1
    # This Monday's (the first was last week's, caught up with on Friday).
    digest = digests(box)[-1]
    stale_line = next(b["text"]["text"] for b in digest.blocks if "Not checked in for" in str(b))
    assert "Person 0001" in stale_line
    assert "Person 0000" not in stale_line
    assert digest.channel == CHANNEL


async def test_a_double_click_before_it_is_stored_is_one_check_in(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, krs=1)
    box.clock.now = MONDAY_BEFORE
    await check_in_with(box, person, ["30"])
    await tick_at(box, FRIDAY_NOON_UTC)
    [prompt] = prompts_to(box, person)
    value = no_change_value(prompt)
    first = box.slack.click_value(person, ids.NO_CHANGE, value, prompt, "checkin_actions")
    second = box.slack.click_value(person, ids.NO_CHANGE, value, prompt, "checkin_actions")
    answers = await asyncio.gather(first, second)
    assert [a.status for a in answers] == [200, 200]
    await box.settle()
    assert await check_in_count(box) == 2


async def test_no_button_before_a_first_check_in_and_a_click_then_opens_the_form(
    box: Sandbox,
) -> None:
    [person] = await seed_company(box, 1, krs=2)
    await tick_at(box, FRIDAY_NOON_UTC)
    [prompt] = prompts_to(box, person)
    # Nothing checked in yet: there is no "as before" to keep.
    assert actions(prompt) == [ids.CHECKIN]
    # A click from an older prompt (or a forged one) opens the form and records nothing.
    await box.slack.click_value(person, ids.NO_CHANGE, "2026-W48", prompt, "checkin_actions")
    await box.settle()
    [view] = box.fake.open_views_for(person)
    assert view["callback_id"] == ids.CHECKIN_VIEW
    assert await check_in_count(box) == 0


async def test_no_change_in_norwegian_on_the_reminder(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, krs=1)
    box.fake.users[person].locale = "nb-NO"
    async with box.uow(readonly=False) as uow:
        row = await uow.people.get(box.fake.team_id, person)
        assert row is not None
        row.locale = "nb-NO"
        await uow.commit()
    box.clock.now = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
    await check_in_with(box, person, ["12"], "off_track")
    await tick_at(box, FRIDAY_NOON_UTC)
    await box.bot.jobs.run(Job.REMINDER)
    await box.settle()
    [reminder] = reminders_to(box, person) or [
        m for m in box.fake.dms_to(person) if m.metadata and "Påminnelse" in str(m.blocks)
    ]
    assert labels(reminder) == ["Sjekk inn", "Ingen endring denne uken"]
    await box.slack.click(person, reminder, ids.NO_CHANGE)
    await box.settle()
    assert reminder.text.startswith("Påminnelse om innsjekk: ingen endring denne uken")
    [prompt] = [m for m in box.fake.dms_to(person) if m.metadata and m is not reminder]
    assert prompt.text.startswith("Ukentlig innsjekk: ingen endring denne uken")
    async with box.uow() as uow:
        history = (await uow.session.scalars(select(CheckIn).order_by(CheckIn.id))).all()
        kr = await uow.session.scalar(select(KeyResult))
    assert [c.confidence for c in history] == ["off_track", "off_track"]
    assert kr is not None
    assert kr.current_value == 12.0
