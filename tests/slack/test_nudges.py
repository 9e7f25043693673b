"""Approvers are reminded once of requests left for two working days; nobody gets more
than one nudge a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from okrbot.sandbox.harness import AUTHOR, CEO, MANAGER
from okrbot.slack import ids
from tests.slack.helpers import requests_to, submit_objective
from tests.slack.weekly_helpers import checkin_dms
from tests.support.sandbox import Sandbox


def nudges_to(box: Sandbox, user: str) -> list[str]:
    return [m.text for m in box.fake.dms_to(user) if "waiting for your decision" in m.text]


async def tick_at(box: Sandbox, moment: datetime) -> None:
    box.clock.now = moment
    await box.bot.jobs.tick()
    await box.settle()


async def test_a_request_left_two_working_days_is_nudged_once(org_box: Sandbox) -> None:
    box = org_box
    box.clock.now = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # Friday 15:00 in Oslo
    await submit_objective(box, AUTHOR.id)
    await tick_at(box, datetime(2026, 11, 30, 14, 30, tzinfo=UTC))  # Monday
    assert nudges_to(box, MANAGER.id) == []
    await tick_at(box, datetime(2026, 12, 1, 13, 59, tzinfo=UTC))  # Tuesday 14:59
    assert nudges_to(box, MANAGER.id) == []
    await tick_at(box, datetime(2026, 12, 1, 14, 0, tzinfo=UTC))  # Tuesday 15:00
    [nudge] = nudges_to(box, MANAGER.id)
    assert nudge.startswith("1 OKR request")
    for day in range(1, 4):
        await tick_at(box, datetime(2026, 12, 1, 14, 0, tzinfo=UTC) + timedelta(days=day))
    assert len(nudges_to(box, MANAGER.id)) == 1


async def test_a_decided_request_is_not_nudged(org_box: Sandbox) -> None:
    box = org_box
    box.clock.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday
    await submit_objective(box, AUTHOR.id)
    [request] = requests_to(box, MANAGER.id)
    await box.slack.click(MANAGER.id, request, ids.APPROVE)
    await box.settle()
    await tick_at(box, datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    assert nudges_to(box, MANAGER.id) == []


async def test_one_nudge_a_day_whatever_it_is_about(org_box: Sandbox) -> None:
    box = org_box
    # The manager has a published objective of his own (so a check-in reminder may come)
    # and a request from Aisha waiting since the Thursday before.
    box.clock.now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # Thursday 09:00
    await submit_objective(box, AUTHOR.id)
    await submit_objective(box, MANAGER.id)  # one stage: the CEO
    await approve_all_as_ceo(box)
    await tick_at(box, datetime(2026, 11, 27, 12, 0, tzinfo=UTC))  # Friday: the prompt
    assert len(checkin_dms(box, MANAGER.id)) == 1
    # Monday 09:00: the reminder (he did not check in) and the request is due too (Thursday
    # 09:00 + two working days = Monday 09:00): only one of them today.
    await tick_at(box, datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    monday = len(nudges_to(box, MANAGER.id)) + len(reminders(box, MANAGER.id))
    assert monday == 1
    await tick_at(box, datetime(2026, 12, 1, 8, 0, tzinfo=UTC))  # Tuesday: the other one
    assert len(nudges_to(box, MANAGER.id)) == 1
    assert len(reminders(box, MANAGER.id)) == 1


def reminders(box: Sandbox, user: str) -> list[str]:
    return [m.text for m in box.fake.dms_to(user) if m.text.startswith("Reminder")]


async def approve_all_as_ceo(box: Sandbox) -> None:
    for request in requests_to(box, CEO.id):
        await box.slack.click(CEO.id, request, ids.APPROVE)
    await box.settle()
