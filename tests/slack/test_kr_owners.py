"""A key result with its own owner, end to end: chosen in the objective form, approved by
the objective owner's chain, prompted to its owner, who checks it in (the form, a DM reply,
No change) and nothing else of the objective; shown in `/okr show` and the export."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from okrbot import cli
from okrbot.domain.weekly import Job
from okrbot.sandbox.harness import AUTHOR, COLLEAGUE, MANAGER, NEWCOMER
from okrbot.slack import ids
from okrbot.store.models import CheckIn, KeyResult, Objective
from tests.slack.helpers import GOOD_FORM, objectives, requests_to
from tests.slack.test_api import call, make_token
from tests.slack.test_browse import ask
from tests.slack.test_checkin_inbox import confidence_block, open_checkin, value_blocks
from tests.slack.test_home import between, buttons, headers, home, open_home, text_of
from tests.slack.test_kinds import approve, submit
from tests.slack.test_norwegian import make_norwegian
from tests.slack.weekly_helpers import prompts_to, reminders_to
from tests.support.sandbox import Sandbox

QUARTER = "2026-Q4"
# Key result 2 (median days to first OKR, 3 -> 1) is Colin's.
OWNED_FORM: dict[str, Any] = {**GOOD_FORM, "kr2_owner": COLLEAGUE.id}


async def key_results(box: Sandbox) -> list[KeyResult]:
    async with box.uow() as uow:
        return list(await uow.session.scalars(select(KeyResult).order_by(KeyResult.position)))


async def check_ins(box: Sandbox) -> list[CheckIn]:
    async with box.uow() as uow:
        return list(await uow.session.scalars(select(CheckIn).order_by(CheckIn.id)))


async def the_objective(box: Sandbox) -> Objective:
    [objective] = await objectives(box)
    return objective


def button_values(message: Any, action: str) -> list[str]:
    return [
        e["value"]
        for b in message.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action
    ]


async def test_the_form_offers_an_owner_for_each_key_result(org_box: Sandbox) -> None:
    view_id, _ = await submit(org_box, {**GOOD_FORM, "kr2_owner": NEWCOMER.id})
    [view] = [v for v in org_box.fake.open_views_for(AUTHOR.id) if v["id"] == view_id]
    owners = [b for b in view["blocks"] if b.get("block_id", "").endswith("_owner")]
    assert [b["block_id"] for b in owners] == ["kr1_owner", "kr2_owner", "kr3_owner"]
    assert {b["element"]["type"] for b in owners} == {"users_select"}
    assert all(b["optional"] for b in owners)


async def test_an_owner_okrbot_does_not_know_is_refused(org_box: Sandbox) -> None:
    _, answer = await submit(org_box, {**GOOD_FORM, "kr2_owner": NEWCOMER.id})
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["kr2_owner"]
    assert "does not know this person" in answer["errors"]["kr2_owner"]
    assert await objectives(org_box) == []
    # A forged owner that is no user id at all stores nothing either.
    _, answer = await submit(org_box, {**GOOD_FORM, "kr2_owner": "not a user"})
    assert await objectives(org_box) == []


async def test_the_objective_owner_chosen_as_a_key_results_owner_is_no_owner_of_its_own(
    org_box: Sandbox,
) -> None:
    _, answer = await submit(org_box, {**GOOD_FORM, "kr1_owner": AUTHOR.id})
    assert answer == {}
    assert [kr.owner_id for kr in await key_results(org_box)] == [None, None]


async def test_a_key_result_owner_checks_in_their_key_result_only(
    org_box: Sandbox, tmp_path: Path
) -> None:
    box = org_box
    _, answer = await submit(box, OWNED_FORM)
    assert answer == {}
    assert [kr.owner_id for kr in await key_results(box)] == [None, COLLEAGUE.id]

    # The approval is the objective owner's chain's (manager, then CEO): not Colin's.
    [request] = requests_to(box, MANAGER.id)
    assert f"<@{COLLEAGUE.id}>" in str(request.blocks)
    await approve(box)
    assert requests_to(box, COLLEAGUE.id) == []
    objective = await the_objective(box)
    first, second = await key_results(box)

    # Both are prompted: Colin for the key result he owns.
    await box.bot.jobs.run(Job.CHECKIN)
    await box.settle()
    [prompt] = prompts_to(box, COLLEAGUE.id)
    assert "Make onboarding delightful" in str(prompt.blocks)
    assert len(prompts_to(box, AUTHOR.id)) == 1

    # His form: his key result alone, no confidence, no comment.
    view = await open_checkin(box, COLLEAGUE.id)
    assert value_blocks(view) == [f"kr_{second.id}"]
    assert not [b for b in view["blocks"] if b.get("block_id", "").startswith(("conf_", "note_"))]
    # A value for the other key result, forged into the form, is not read.
    response = await box.slack.submit_view(
        COLLEAGUE.id, view["id"], {f"kr_{second.id}": "2", f"kr_{first.id}": "59"}
    )
    assert response.json() == {}
    await box.settle()
    assert [kr.current_value for kr in await key_results(box)] == [None, 2.0]
    [mine] = await check_ins(box)
    assert mine.author_id == COLLEAGUE.id
    # The objective's confidence and last check-in stay its owner's.
    after = await the_objective(box)
    assert (after.confidence, after.last_check_in_at) == (None, None)

    # A reply: one number, his key result's; two numbers are more than he has.
    response, message = await box.slack.dm(COLLEAGUE.id, "5, 7")
    assert response.status == 200
    await box.settle()
    assert [kr.current_value for kr in await key_results(box)] == [None, 2.0]
    response, message = await box.slack.dm(COLLEAGUE.id, "1.5 off track")
    await box.settle()
    assert [kr.current_value for kr in await key_results(box)] == [None, 1.5]
    assert len(await check_ins(box)) == 2
    assert (await the_objective(box)).confidence is None
    [answered] = [m for m in box.fake.bot_dms_to(COLLEAGUE.id) if m.thread_ts == message.ts]
    assert "Median days to first OKR" in str(answered.blocks)

    # The objective's owner still checks in every key result, with the confidence.
    view = await open_checkin(box, AUTHOR.id)
    assert value_blocks(view) == [f"kr_{first.id}", f"kr_{second.id}"]
    response = await box.slack.submit_view(
        AUTHOR.id,
        view["id"],
        {f"kr_{first.id}": "45", f"kr_{second.id}": "1", confidence_block(view): "at_risk"},
    )
    assert response.json() == {}
    await box.settle()
    assert [kr.current_value for kr in await key_results(box)] == [45.0, 1.0]
    assert (await the_objective(box)).confidence == "at_risk"
    assert [c.author_id for c in await check_ins(box)] == [
        COLLEAGUE.id,
        COLLEAGUE.id,
        AUTHOR.id,
    ]

    # Shown: /okr show and the Home name the key result's owner; the export has it.
    shown = await ask(box, MANAGER.id, f"show {objective.id}")
    assert f"owned by <@{COLLEAGUE.id}>" in shown.body
    assert shown.body.count("owned by") == 1
    home = json.dumps(box.fake.home_view(AUTHOR.id))
    assert f"owned by <@{COLLEAGUE.id}>" in home
    out = tmp_path / "export.json"
    assert await cli.export(box.settings(), QUARTER, "json", output=out, now=box.clock()) == 0
    [document] = json.loads(out.read_text(encoding="utf-8"))["objectives"]
    assert [kr["owner"] for kr in document["key_results"]] == [None, COLLEAGUE.id]
    out = tmp_path / "export.csv"
    assert await cli.export(box.settings(), QUARTER, "csv", output=out, now=box.clock()) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["kr_owner"] for r in rows] == ["", COLLEAGUE.id]


async def test_no_change_from_a_key_result_owner_keeps_the_objectives_confidence(
    org_box: Sandbox,
) -> None:
    box = org_box
    await submit(box, OWNED_FORM)
    await approve(box)
    _, second = await key_results(box)
    # Colin's value, then the owner's confidence, so that "No change" has something to keep.
    view = await open_checkin(box, COLLEAGUE.id)
    await box.slack.submit_view(COLLEAGUE.id, view["id"], {f"kr_{second.id}": "2"})
    await box.settle()
    view = await open_checkin(box, AUTHOR.id)
    blocks = value_blocks(view)
    await box.slack.submit_view(
        AUTHOR.id, view["id"], {blocks[0]: "41", blocks[1]: "2", confidence_block(view): "at_risk"}
    )
    await box.settle()
    box.clock.advance(days=7)

    await box.bot.jobs.run(Job.CHECKIN)
    await box.settle()
    [prompt] = prompts_to(box, COLLEAGUE.id)
    [value] = button_values(prompt, ids.NO_CHANGE)
    await box.slack.click_value(COLLEAGUE.id, ids.NO_CHANGE, value, prompt, "checkin_actions")
    await box.settle()
    last = (await check_ins(box))[-1]
    assert (last.author_id, last.confidence) == (COLLEAGUE.id, "at_risk")
    assert [kr.current_value for kr in await key_results(box)] == [41.0, 2.0]
    assert (await the_objective(box)).confidence == "at_risk"


async def test_changing_a_key_results_owner_needs_no_new_approval(org_box: Sandbox) -> None:
    box = org_box
    await submit(box, GOOD_FORM)
    await approve(box)
    objective = await the_objective(box)
    await box.slack.slash(AUTHOR.id, f"edit {objective.id}")
    await box.settle()
    view = box.fake.open_views_for(AUTHOR.id)[-1]
    response = await box.slack.submit_view(
        AUTHOR.id, view["id"], {**GOOD_FORM, "kr1_owner": COLLEAGUE.id}
    )
    assert response.json() == {}
    await box.settle()
    assert [kr.owner_id for kr in await key_results(box)] == [COLLEAGUE.id, None]
    after = await the_objective(box)
    assert (after.status, after.version) == (objective.status, objective.version)
    assert len(requests_to(box, MANAGER.id)) == 1


def publishes_to(box: Sandbox, user: str) -> int:
    return sum(1 for c in box.fake.calls_to("views.publish") if c.args["user_id"] == user)


async def test_the_home_of_a_key_results_owner_lists_it_with_the_check_in(
    org_box: Sandbox,
) -> None:
    box = org_box
    await submit(box, OWNED_FORM)
    # Not published yet: nothing of it on his Home.
    view = await open_home(box, COLLEAGUE.id)
    assert "Key results you own" not in headers(view)
    await approve(box)
    first, second = await key_results(box)

    view = await open_home(box, COLLEAGUE.id)
    assert "Key results you own" in headers(view)
    theirs = text_of({"blocks": between(view, "Key results you own", "Waiting for your approval")})
    assert "Make onboarding delightful" in theirs
    assert f"by <@{AUTHOR.id}>" in theirs
    # His key result with its progress, not the owner's other one.
    assert "2. Median days to first OKR \u00b7 3 / 1 days \u00b7 0%" in theirs
    assert first.description not in theirs
    # The Home's own check-in button, which opens the form with his key result.
    assert (ids.CHECKIN, QUARTER) in buttons(view)
    await box.slack.click_in_view(COLLEAGUE.id, view["id"], ids.CHECKIN)
    await box.settle()
    form = box.fake.open_views_for(COLLEAGUE.id)[-1]
    assert form["callback_id"] == ids.CHECKIN_VIEW
    assert value_blocks(form) == [f"kr_{second.id}"]
    # The objective's owner has it among her own, not in this section.
    assert "Key results you own" not in headers(await open_home(box, AUTHOR.id))


async def test_the_homes_of_a_key_results_owner_in_norwegian(org_box: Sandbox) -> None:
    box = org_box
    await submit(box, OWNED_FORM)
    await approve(box)
    await make_norwegian(box, COLLEAGUE.id)
    view = await open_home(box, COLLEAGUE.id)
    assert "Nøkkelresultater du er ansvarlig for" in headers(view)


async def test_a_key_results_owners_check_in_refreshes_both_homes(org_box: Sandbox) -> None:
    box = org_box
    await submit(box, OWNED_FORM)
    await approve(box)
    _, second = await key_results(box)
    await open_home(box, AUTHOR.id)
    await open_home(box, COLLEAGUE.id)

    # His check-in by the form: her Home shows his value, and his own Home too.
    before = publishes_to(box, AUTHOR.id), publishes_to(box, COLLEAGUE.id)
    view = await open_checkin(box, COLLEAGUE.id)
    await box.slack.submit_view(COLLEAGUE.id, view["id"], {f"kr_{second.id}": "2"})
    await box.settle()
    assert (publishes_to(box, AUTHOR.id), publishes_to(box, COLLEAGUE.id)) == (
        before[0] + 1,
        before[1] + 1,
    )
    assert "2 / 1 days" in text_of(home(box, AUTHOR.id))
    assert "2 / 1 days" in text_of(home(box, COLLEAGUE.id))

    # By a reply: the same.
    before = publishes_to(box, AUTHOR.id), publishes_to(box, COLLEAGUE.id)
    _, message = await box.slack.dm(COLLEAGUE.id, "1.5")
    await box.settle()
    assert (publishes_to(box, AUTHOR.id), publishes_to(box, COLLEAGUE.id)) == (
        before[0] + 1,
        before[1] + 1,
    )
    assert "1.5 / 1 days" in text_of(home(box, AUTHOR.id))

    # Its undo: both Homes show the value before it again.
    before = publishes_to(box, AUTHOR.id), publishes_to(box, COLLEAGUE.id)
    [answer] = [m for m in box.fake.bot_dms_to(COLLEAGUE.id) if m.thread_ts == message.ts]
    assert (await box.slack.click(COLLEAGUE.id, answer, ids.REPLY_UNDO)).status == 200
    await box.settle()
    assert (publishes_to(box, AUTHOR.id), publishes_to(box, COLLEAGUE.id)) == (
        before[0] + 1,
        before[1] + 1,
    )
    assert "2 / 1 days" in text_of(home(box, AUTHOR.id))

    # The objective's owner checks in his key result too: his Home follows.
    before = publishes_to(box, AUTHOR.id), publishes_to(box, COLLEAGUE.id)
    view = await open_checkin(box, AUTHOR.id)
    blocks = value_blocks(view)
    await box.slack.submit_view(
        AUTHOR.id,
        view["id"],
        {blocks[0]: "41", blocks[1]: "1.2", confidence_block(view): "at_risk"},
    )
    await box.settle()
    assert (publishes_to(box, AUTHOR.id), publishes_to(box, COLLEAGUE.id)) == (
        before[0] + 1,
        before[1] + 1,
    )
    assert "1.2 / 1 days" in text_of(home(box, COLLEAGUE.id))


async def test_no_change_from_a_key_results_owner_refreshes_both_homes(
    org_box: Sandbox,
) -> None:
    box = org_box
    await submit(box, OWNED_FORM)
    await approve(box)
    _, second = await key_results(box)
    view = await open_checkin(box, COLLEAGUE.id)
    await box.slack.submit_view(COLLEAGUE.id, view["id"], {f"kr_{second.id}": "2"})
    await box.settle()
    box.clock.advance(days=7)
    await box.bot.jobs.run(Job.CHECKIN)
    await box.settle()
    [prompt] = prompts_to(box, COLLEAGUE.id)
    before = publishes_to(box, AUTHOR.id), publishes_to(box, COLLEAGUE.id)
    [value] = button_values(prompt, ids.NO_CHANGE)
    await box.slack.click_value(COLLEAGUE.id, ids.NO_CHANGE, value, prompt, "checkin_actions")
    await box.settle()
    assert (await check_ins(box))[-1].author_id == COLLEAGUE.id
    assert (publishes_to(box, AUTHOR.id), publishes_to(box, COLLEAGUE.id)) == (
        before[0] + 1,
        before[1] + 1,
    )


async def tick_at(box: Sandbox, moment: datetime) -> None:
    box.clock.now = moment
    await box.bot.jobs.tick()
    await box.settle()


FRIDAY = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 13:00 in Oslo: the prompt
MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Oslo: the reminder


async def published_and_prompted(box: Sandbox) -> None:
    box.clock.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Wednesday
    await submit(box, OWNED_FORM)
    await approve(box)
    await tick_at(box, FRIDAY)
    assert len(prompts_to(box, COLLEAGUE.id)) == 1
    assert len(prompts_to(box, AUTHOR.id)) == 1
    box.clock.advance(hours=2)


async def test_a_key_results_owner_who_has_not_checked_it_in_is_reminded(
    org_box: Sandbox,
) -> None:
    box = org_box
    await published_and_prompted(box)
    # The objective's owner checks in every key result, his too: that is not his check-in.
    view = await open_checkin(box, AUTHOR.id)
    blocks = value_blocks(view)
    await box.slack.submit_view(
        AUTHOR.id, view["id"], {blocks[0]: "41", blocks[1]: "3", confidence_block(view): "at_risk"}
    )
    await box.settle()
    await tick_at(box, MONDAY)
    await tick_at(box, MONDAY + timedelta(hours=4))
    [reminder] = reminders_to(box, COLLEAGUE.id)
    objective = await the_objective(box)
    assert "Make onboarding delightful" in str(reminder.blocks)
    assert button_values(reminder, ids.NO_CHANGE) == [f"2026-W49|{objective.id}"]
    # A reply to it is read against his one key result.
    assert "in this order: `3 on track`" in str(reminder.blocks)
    assert reminders_to(box, AUTHOR.id) == []


async def test_a_key_results_owner_who_checked_it_in_is_not_reminded(org_box: Sandbox) -> None:
    box = org_box
    await published_and_prompted(box)
    await box.slack.dm(COLLEAGUE.id, "2")
    await box.settle()
    assert [kr.current_value for kr in await key_results(box)] == [None, 2.0]
    await tick_at(box, MONDAY)
    await tick_at(box, MONDAY + timedelta(hours=4))
    assert reminders_to(box, COLLEAGUE.id) == []
    # The objective's owner has not checked in: her reminder comes all the same.
    assert len(reminders_to(box, AUTHOR.id)) == 1


async def test_a_key_results_owner_is_prompted_although_the_owner_checked_in_early(
    org_box: Sandbox,
) -> None:
    box = org_box
    box.clock.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Wednesday
    await submit(box, OWNED_FORM)
    await approve(box)
    view = await open_checkin(box, AUTHOR.id)
    blocks = value_blocks(view)
    await box.slack.submit_view(
        AUTHOR.id, view["id"], {blocks[0]: "41", blocks[1]: "3", confidence_block(view): "at_risk"}
    )
    await box.settle()
    await tick_at(box, FRIDAY)
    # She checked in two days ago (quiet days); he did not check in his key result.
    assert prompts_to(box, AUTHOR.id) == []
    assert len(prompts_to(box, COLLEAGUE.id)) == 1


async def test_a_value_from_the_api_refreshes_both_homes(
    org_box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    box = org_box
    await submit(box, OWNED_FORM)
    await approve(box)
    _, second = await key_results(box)
    await open_home(box, AUTHOR.id)
    await open_home(box, COLLEAGUE.id)
    token = await make_token(box, capsys)
    before = publishes_to(box, AUTHOR.id), publishes_to(box, COLLEAGUE.id)
    async with aiohttp.ClientSession(base_url=box.base_url) as http:
        status, answer, _ = await call(
            http, "POST", f"/key-results/{second.id}/values", token, body={"value": 2}
        )
    assert status == 200, answer
    # Values from the API refresh the Homes HOME_REFRESH_AFTER (5 s) later.
    box.clock.advance(seconds=5)
    await box.settle()
    assert (publishes_to(box, AUTHOR.id), publishes_to(box, COLLEAGUE.id)) == (
        before[0] + 1,
        before[1] + 1,
    )
    assert "2 / 1 days" in text_of(home(box, COLLEAGUE.id))
