"""Changing a published objective: what was approved goes back through approval, the
published version stays (with its check-ins) until the change is approved."""

from __future__ import annotations

from sqlalchemy import select

from okrbot.domain.okr import Status
from okrbot.sandbox.harness import AUTHOR, CEO, CHANNEL, MANAGER
from okrbot.slack import ids
from okrbot.store.models import KeyResult, Objective, Revision
from tests.slack.helpers import GOOD_FORM, objectives, requests_to, submit_objective
from tests.support.sandbox import Sandbox


async def publish(box: Sandbox) -> Objective:
    await submit_objective(box, AUTHOR.id)
    await box.slack.click(MANAGER.id, requests_to(box, MANAGER.id)[-1], ids.APPROVE)
    await box.settle()
    await box.slack.click(CEO.id, requests_to(box, CEO.id)[-1], ids.APPROVE)
    await box.settle()
    [objective] = await objectives(box)
    assert objective.status == Status.APPROVED
    return objective


async def edit(box: Sandbox, objective_id: int, changes: dict[str, str]) -> dict[str, object]:
    await box.slack.click_value(AUTHOR.id, ids.RESUBMIT, f"{objective_id}:1")
    await box.settle()
    view = box.fake.open_views_for(AUTHOR.id)[-1]
    response = await box.slack.submit_view(AUTHOR.id, view["id"], changes)
    await box.settle()
    return response.json()


async def key_results(box: Sandbox) -> list[KeyResult]:
    async with box.uow() as uow:
        return list((await uow.session.scalars(select(KeyResult).order_by(KeyResult.id))).all())


async def test_a_new_target_goes_back_through_approval(org_box: Sandbox) -> None:
    box = org_box
    objective = await publish(box)
    published_posts = len(box.fake.channel_messages(CHANNEL))
    before = len(requests_to(box, MANAGER.id))
    assert await edit(box, objective.id, {"kr1_target": "80"}) == {}

    # Still published as approved while the change waits.
    [kept] = await objectives(box)
    assert (kept.status, kept.version) == (Status.APPROVED, 1)
    assert (await key_results(box))[0].target_value == 60.0
    [request] = requests_to(box, MANAGER.id)[before:]
    assert "40 \u2192 80 %" in str(request.blocks)

    await box.slack.click(MANAGER.id, request, ids.APPROVE)
    await box.settle()
    await box.slack.click(CEO.id, requests_to(box, CEO.id)[-1], ids.APPROVE)
    await box.settle()
    [changed] = await objectives(box)
    assert (changed.status, changed.version) == (Status.APPROVED, 2)
    krs = await key_results(box)
    assert [kr.target_value for kr in krs] == [80.0, 1.0]
    assert len(box.fake.channel_messages(CHANNEL)) == published_posts + 1
    async with box.uow() as uow:
        [revision] = (await uow.session.scalars(select(Revision))).all()
    assert revision.status == Status.APPROVED


async def test_a_rejected_change_leaves_the_objective_as_it_was(org_box: Sandbox) -> None:
    box = org_box
    objective = await publish(box)
    before = len(requests_to(box, MANAGER.id))
    await edit(box, objective.id, {"title": "Make onboarding magical"})
    [request] = requests_to(box, MANAGER.id)[before:]
    await box.slack.click(MANAGER.id, request, ids.REJECT)
    await box.settle()
    reject_view = box.fake.open_views_for(MANAGER.id)[-1]["id"]
    await box.slack.submit_view(MANAGER.id, reject_view, {"reason": "Keep the old title."})
    await box.settle()
    [kept] = await objectives(box)
    assert (kept.title, kept.status, kept.version) == (
        GOOD_FORM["title"],
        Status.APPROVED,
        1,
    )
    assert "Keep the old title." in str(box.fake.dms_to(AUTHOR.id)[-1].blocks)


async def test_rewording_needs_no_approval(org_box: Sandbox) -> None:
    box = org_box
    objective = await publish(box)
    before = len(requests_to(box, MANAGER.id))
    await edit(box, objective.id, {"description": "Clearer words.", "kr1_unit": "percent"})
    assert requests_to(box, MANAGER.id)[before:] == []
    [changed] = await objectives(box)
    assert (changed.description, changed.version) == ("Clearer words.", 1)
    assert (await key_results(box))[0].unit == "percent"


async def test_a_removed_key_result_is_retired_with_its_history(org_box: Sandbox) -> None:
    box = org_box
    objective = await publish(box)
    async with box.uow(readonly=False) as uow:
        first = await uow.session.scalar(select(KeyResult).order_by(KeyResult.id))
        assert first is not None
        first.current_value = 50.0
        await uow.commit()
    # Three key results instead of two: one added; then the change drops the first.
    changes = {
        "kr1_desc": GOOD_FORM["kr2_desc"],
        "kr1_start": "3",
        "kr1_target": "1",
        "kr1_unit": "days",
        "kr2_desc": "Teams onboarded",
        "kr2_start": "0",
        "kr2_target": "10",
        "kr2_unit": "",
    }
    before = len(requests_to(box, MANAGER.id))
    await edit(box, objective.id, changes)
    await box.slack.click(MANAGER.id, requests_to(box, MANAGER.id)[before:][0], ids.APPROVE)
    await box.settle()
    await box.slack.click(CEO.id, requests_to(box, CEO.id)[-1], ids.APPROVE)
    await box.settle()
    krs = await key_results(box)
    # What still measures the same thing keeps its row; the dropped one is retired with its
    # check-ins; the new one is a new row. Nothing is deleted.
    assert [(kr.description, kr.retired_at is None) for kr in krs] == [
        (GOOD_FORM["kr1_desc"], False),
        (GOOD_FORM["kr2_desc"], True),
        ("Teams onboarded", True),
    ]
    assert krs[0].current_value == 50.0
    assert krs[1].target_value == 1.0


async def test_edit_command_opens_the_form_with_a_note(org_box: Sandbox) -> None:
    box = org_box
    objective = await publish(box)
    await box.slack.slash(AUTHOR.id, f"edit {objective.id}")
    await box.settle()
    view = box.fake.open_views_for(AUTHOR.id)[-1]
    assert "This objective is published." in str(view["blocks"])
    # A text-only answer: Bolt sends it as a plain body, which Slack shows as is.
    usage = await box.slack.slash(AUTHOR.id, "edit")
    assert "/okr edit 12" in usage.body


async def test_an_approved_change_is_announced_as_an_update(org_box: Sandbox) -> None:
    box = org_box
    objective = await publish(box)
    before = len(requests_to(box, MANAGER.id))
    await edit(box, objective.id, {"kr2_target": "0.5"})
    await box.slack.click(MANAGER.id, requests_to(box, MANAGER.id)[before:][0], ids.APPROVE)
    await box.settle()
    await box.slack.click(CEO.id, requests_to(box, CEO.id)[-1], ids.APPROVE)
    await box.settle()
    update = box.fake.channel_messages(CHANNEL)[-1]
    assert update.text.startswith("Updated team OKR")


async def test_a_change_waits_on_the_approvers_home_and_is_nudged(org_box: Sandbox) -> None:
    box = org_box
    objective = await publish(box)
    await edit(box, objective.id, {"title": "Make onboarding magical"})
    await box.slack.open_home(MANAGER.id)
    await box.settle()
    home = box.fake.home_view(MANAGER.id)
    assert home is not None
    assert "Make onboarding magical" in str(home["blocks"])
    box.clock.advance(days=5)
    await box.bot.jobs.tick()
    await box.settle()
    nudges = [m for m in box.fake.dms_to(MANAGER.id) if "waiting for your decision" in m.text]
    assert len(nudges) == 1
    # The nudge names the objective as everyone knows it: its published title.
    assert GOOD_FORM["title"] in str(nudges[0].blocks)
