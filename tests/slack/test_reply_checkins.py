"""Checking in by replying to okrbot in its DM: `message.im` events as Slack sends them,
asserted on what reached the fake Slack and on the database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from okrbot.sandbox.fake_slack import FakeUser, Message
from okrbot.slack import ids
from okrbot.store.models import CheckIn, CheckInReply, KeyResult, Objective, Person
from tests.slack.helpers import button_values
from tests.slack.weekly_helpers import prompts_to, reminders_to
from tests.support import seed
from tests.support.sandbox import Sandbox

USER = "U0REPLY01"
FRIDAY_NOON_UTC = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


async def seed_person(box: Sandbox, *, locale: str | None = None) -> str:
    """Two objectives: users (0 -> 100) and NPS (0 -> 10); beta features (0 -> 50 %)."""
    now = box.clock()
    box.fake.add_user(FakeUser(id=USER, name="rita", real_name="Rita", locale=locale or "en-US"))
    async with box.uow(readonly=False) as uow:
        uow.people.add(
            Person(
                workspace_id=box.fake.team_id,
                user_id=USER,
                source="org_chart",
                locale=locale,
                created_at=now,
                updated_at=now,
            )
        )
        for title, measures in (
            (
                "Grow the user base",
                [seed.Measure("Active users", 0, 100, "users"), seed.Measure("NPS", 0, 10, "")],
            ),
            ("Ship the beta", [seed.Measure("Beta features done", 0, 50, "%")]),
        ):
            uow.objectives.add(
                seed.objective(
                    workspace_id=box.fake.team_id,
                    owner_id=USER,
                    title=title,
                    quarter="2026-Q4",
                    now=now,
                    key_results=measures,
                )
            )
        await uow.commit()
    return USER


async def say(box: Sandbox, text: str, *, thread_ts: str | None = None) -> Message:
    response, message = await box.slack.dm(USER, text, thread_ts=thread_ts)
    assert response.status == 200
    await box.settle()
    return message


def answers_to(box: Sandbox, message: Message) -> list[Message]:
    return [m for m in box.fake.bot_dms_to(USER) if m.thread_ts == message.ts and m.author is None]


async def values(box: Sandbox) -> list[float | None]:
    async with box.uow() as uow:
        rows = await uow.session.scalars(select(KeyResult).order_by(KeyResult.id))
        return [kr.current_value for kr in rows]


async def confidences(box: Sandbox) -> list[str | None]:
    async with box.uow() as uow:
        rows = await uow.session.scalars(select(Objective).order_by(Objective.id))
        return [o.confidence for o in rows]


async def check_ins(box: Sandbox) -> list[CheckIn]:
    async with box.uow() as uow:
        rows = await uow.session.scalars(select(CheckIn).order_by(CheckIn.id))
        return list(rows)


async def test_a_full_reply_in_english_is_a_check_in(box: Sandbox) -> None:
    await seed_person(box)
    reply = await say(box, "52, 1.5, 20 on track \u2014 shipped the beta")
    assert await values(box) == [52.0, 1.5, 20.0]
    assert await confidences(box) == ["on_track", "on_track"]
    stored = await check_ins(box)
    assert len(stored) == 2
    assert {c.comment for c in stored} == {"shipped the beta"}
    assert {c.submission_key for c in stored} == {f"reply:{reply.channel}:{reply.ts}"}
    [answer] = answers_to(box, reply)
    shown = str(answer.blocks)
    assert "Recorded your check-in" in shown
    assert "*52 users* (first check-in)" in shown
    assert "52%" in shown
    assert "shipped the beta" in shown
    assert "On track" in shown
    assert button_values(answer) == [ids.REPLY_UNDO]


async def test_a_norwegian_reply_with_decimal_commas(box: Sandbox) -> None:
    await seed_person(box, locale="nb-NO")
    reply = await say(box, "52; 1,5; 20 i rute")
    assert await values(box) == [52.0, 1.5, 20.0]
    assert await confidences(box) == ["on_track", "on_track"]
    [answer] = answers_to(box, reply)
    assert "Innsjekken din er registrert" in str(answer.blocks)
    assert "1,5" in str(answer.blocks)


async def test_addressing_one_key_result_checks_in_its_objective_only(box: Sandbox) -> None:
    await seed_person(box)
    await say(box, "10, 2, 5 at risk")
    reply = await say(box, "2.1: 40 halfway there")
    assert await values(box) == [10.0, 2.0, 40.0]
    assert await confidences(box) == ["at_risk", "at_risk"]
    stored = await check_ins(box)
    assert len(stored) == 3
    assert stored[-1].comment == "halfway there"
    [answer] = answers_to(box, reply)
    assert "5% \u2192 *40%*" in str(answer.blocks)
    assert "Grow the user base" not in str(answer.blocks)


async def test_an_unclear_reply_records_nothing_and_offers_the_form(box: Sandbox) -> None:
    await seed_person(box)
    reply = await say(box, "52, 1.5")
    assert await check_ins(box) == []
    assert await values(box) == [None, None, None]
    [answer] = answers_to(box, reply)
    assert "recorded nothing" in str(answer.blocks)
    assert "I need 3 values" in str(answer.blocks)
    assert "1.1 = 52" in str(answer.blocks)
    assert button_values(answer) == [ids.CHECKIN]


async def test_help_for_a_message_that_is_no_check_in_once_a_day(box: Sandbox) -> None:
    await seed_person(box)
    first = await say(box, "thanks, have a nice weekend!")
    second = await say(box, "what is this?")
    [help_text] = answers_to(box, first)
    assert "weekly check-in" in str(help_text.blocks)
    assert "0, 0, 0 on track" in str(help_text.blocks)
    assert answers_to(box, second) == []
    box.clock.advance(hours=25)
    third = await say(box, "hello again")
    assert len(answers_to(box, third)) == 1
    assert await check_ins(box) == []


async def test_bot_messages_are_ignored(box: Sandbox) -> None:
    await seed_person(box)
    # okrbot's own message, as Slack echoes it, and another app's.
    ts = box.fake.person_writes(USER, "52, 1.5, 20").ts
    own = {
        "type": "message",
        "channel": box.fake.dm_id(USER),
        "channel_type": "im",
        "user": box.fake.bot_user_id,
        "bot_id": box.fake.bot_id,
        "text": "52, 1.5, 20",
        "ts": ts,
    }
    assert (await box.slack.event(own)).status == 200
    assert (await box.slack.bot_message_in_dm(USER, "1, 2, 3", bot_id="B0OTHER01")).status == 200
    await box.settle()
    assert await check_ins(box) == []
    assert box.fake.bot_dms_to(USER) == []


async def test_a_reply_in_the_prompts_thread_counts_and_answers_the_prompt(box: Sandbox) -> None:
    await seed_person(box)
    box.clock.now = FRIDAY_NOON_UTC
    await box.bot.jobs.tick()
    await box.settle()
    [prompt] = prompts_to(box, USER)
    assert "Reply with your numbers, in this order: `0, 0, 0 on track`" in str(prompt.blocks)
    reply = await say(box, "52 1.5 20 off track", thread_ts=prompt.ts)
    assert await values(box) == [52.0, 1.5, 20.0]
    assert await confidences(box) == ["off_track", "off_track"]
    assert len(answers_to(box, reply)) == 1
    # The prompt says it was answered, and loses its button.
    assert prompt.updated
    assert ids.CHECKIN not in button_values(prompt)
    # ... and nobody is reminded on Monday.
    box.clock.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    await box.bot.jobs.tick()
    await box.settle()
    assert reminders_to(box, USER) == []


async def test_a_retried_event_is_one_check_in_and_one_answer(box: Sandbox) -> None:
    await seed_person(box)
    reply = await say(box, "52, 1.5, 20")
    assert (await box.slack.redeliver(1)).status == 200
    assert (await box.slack.redeliver(2, "http_error")).status == 200
    await box.settle()
    # The same message in a new delivery (a new event id) changes nothing either.
    again = {
        "type": "message",
        "channel": reply.channel,
        "channel_type": "im",
        "user": USER,
        "text": reply.text,
        "ts": reply.ts,
    }
    assert (await box.slack.event(again)).status == 200
    await box.settle()
    assert len(await check_ins(box)) == 2
    assert len(answers_to(box, reply)) == 1


async def test_an_edit_within_ten_minutes_replaces_the_check_in(box: Sandbox) -> None:
    await seed_person(box)
    reply = await say(box, "52, 1.5, 20 on track")
    box.clock.advance(minutes=5)
    assert (await box.slack.edit_dm(reply, "60, 2, 25 at risk oops")).status == 200
    await box.settle()
    assert await values(box) == [60.0, 2.0, 25.0]
    assert await confidences(box) == ["at_risk", "at_risk"]
    stored = await check_ins(box)
    assert len(stored) == 2
    assert {c.comment for c in stored} == {"oops"}
    assert len(answers_to(box, reply)) == 2


async def test_an_edit_after_ten_minutes_is_ignored(box: Sandbox) -> None:
    await seed_person(box)
    reply = await say(box, "52, 1.5, 20 on track")
    box.clock.advance(minutes=11)
    assert (await box.slack.edit_dm(reply, "60, 2, 25 at risk")).status == 200
    await box.settle()
    assert await values(box) == [52.0, 1.5, 20.0]
    assert len(answers_to(box, reply)) == 1


async def test_undo_within_a_day_restores_the_state_before(box: Sandbox) -> None:
    await seed_person(box)
    await say(box, "10, 1, 5 at risk")
    box.clock.advance(hours=1)
    reply = await say(box, "52, 1.5, 20 on track")
    [answer] = answers_to(box, reply)
    box.clock.advance(hours=23)
    assert (await box.slack.click(USER, answer, ids.REPLY_UNDO)).status == 200
    await box.settle()
    assert await values(box) == [10.0, 1.0, 5.0]
    assert await confidences(box) == ["at_risk", "at_risk"]
    assert len(await check_ins(box)) == 2
    assert "Undone" in answer.text
    assert ids.REPLY_UNDO not in button_values(answer)
    # The Home shows the state before it: 10 % (objective 2) and not 40 %.
    home = str(box.fake.home_view(USER))
    assert "40%" not in home
    assert "10%" in home
    # A second click changes nothing.
    await box.slack.click_value(USER, ids.REPLY_UNDO, "2", answer, "reply_actions")
    await box.settle()
    assert await values(box) == [10.0, 1.0, 5.0]
    assert "already undone" in box.fake.ephemerals_to(USER)[-1].text


async def test_undo_after_a_day_is_refused(box: Sandbox) -> None:
    await seed_person(box)
    reply = await say(box, "52, 1.5, 20 on track")
    [answer] = answers_to(box, reply)
    box.clock.advance(hours=24, minutes=1)
    assert (await box.slack.click(USER, answer, ids.REPLY_UNDO)).status == 200
    await box.settle()
    assert await values(box) == [52.0, 1.5, 20.0]
    assert len(await check_ins(box)) == 2
    assert "no longer be undone" in box.fake.ephemerals_to(USER)[-1].text


async def test_undo_after_a_later_check_in_is_refused(box: Sandbox) -> None:
    await seed_person(box)
    first = await say(box, "52, 1.5, 20 on track")
    [answer] = answers_to(box, first)
    box.clock.advance(hours=1)
    await say(box, "60, 2, 25")
    await box.slack.click(USER, answer, ids.REPLY_UNDO)
    await box.settle()
    assert await values(box) == [60.0, 2.0, 25.0]
    assert "later check-in" in box.fake.ephemerals_to(USER)[-1].text


async def test_someone_elses_undo_changes_nothing(box: Sandbox) -> None:
    await seed_person(box)
    reply = await say(box, "52, 1.5, 20 on track")
    [answer] = answers_to(box, reply)
    await box.slack.click("U0COL0001", answer, ids.REPLY_UNDO)
    await box.settle()
    assert await values(box) == [52.0, 1.5, 20.0]
    async with box.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(CheckIn)) == 2


async def test_a_week_on_the_reply_is_forgotten_and_its_check_in_stays(box: Sandbox) -> None:
    await seed_person(box)
    reply = await say(box, "52, 1.5, 20 on track")
    [answer] = answers_to(box, reply)
    box.clock.advance(days=6, hours=23)
    await box.bot.jobs.tick()
    async with box.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(CheckInReply)) == 1
    box.clock.advance(hours=2)
    await box.bot.jobs.tick()
    async with box.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(CheckInReply)) == 0
    assert len(await check_ins(box)) == 2
    assert (await box.slack.click(USER, answer, ids.REPLY_UNDO)).status == 200
    await box.settle()
    assert await values(box) == [52.0, 1.5, 20.0]
    assert "no longer be undone" in box.fake.ephemerals_to(USER)[-1].text
