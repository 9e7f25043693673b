"""The approval path, driven as Slack drives it: signed requests in, Web API calls out."""

from __future__ import annotations

import asyncio
import itertools

from sqlalchemy import select

from okrbot.domain.okr import Status
from okrbot.sandbox.harness import AUTHOR, CEO, CHANNEL, COLLEAGUE, MANAGER, NEWCOMER
from okrbot.slack import ids
from okrbot.store.models import KeyResult
from tests.slack.helpers import (
    GOOD_FORM,
    approvals,
    button_values,
    objectives,
    open_form,
    requests_to,
    submit_objective,
    unsent,
)
from tests.support.sandbox import Sandbox


async def test_new_opens_the_form_within_the_trigger_window(org_box: Sandbox) -> None:
    response = await org_box.slack.slash(AUTHOR.id, "new")
    assert response.status == 200
    assert response.body == ""  # an empty ack: the form is the answer
    await org_box.settle()
    [view] = org_box.fake.open_views_for(AUTHOR.id)
    assert view["callback_id"] == ids.NEW_OBJECTIVE_VIEW
    blocks = {b.get("block_id") for b in view["blocks"]}
    assert {"title", "level", "quarter", "kr1_desc", "kr2_target", "kr3_unit"} <= blocks
    assert "manager" not in blocks  # Aisha is in the org chart
    quarter = next(b for b in view["blocks"] if b.get("block_id") == "quarter")
    assert quarter["element"]["initial_option"]["value"] == "2026-Q4"


async def test_happy_path_manager_then_ceo_then_published(org_box: Sandbox) -> None:
    box = org_box
    assert await submit_objective(box, AUTHOR.id) == {}

    [objective] = await objectives(box)
    assert objective.status == Status.AWAITING_MANAGER
    assert objective.team == "Product"
    [request] = requests_to(box, MANAGER.id)
    assert button_values(request) == [ids.APPROVE, ids.REJECT]
    assert "Make onboarding delightful" in str(request.blocks)
    assert "40 \u2192 60 %" in str(request.blocks)
    assert "3 \u2192 1 days" in str(request.blocks)  # a decreasing KR
    assert requests_to(box, CEO.id) == []

    await box.slack.click(MANAGER.id, request, ids.APPROVE)
    await box.settle()
    assert (await objectives(box))[0].status == Status.AWAITING_CEO
    assert button_values(request) == []  # the buttons gave way to the outcome
    assert "Approved by <@U0MGR0001>" in str(request.blocks)
    [ceo_request] = requests_to(box, CEO.id)

    await box.slack.click(CEO.id, ceo_request, ids.APPROVE)
    await box.settle()
    [published] = await objectives(box)
    assert published.status == Status.APPROVED
    assert published.published_at is not None
    [post] = box.fake.channel_messages(CHANNEL)
    assert "Make onboarding delightful" in post.text
    assert "Approved by <@U0MGR0001>, <@U0CEO0001>" in str(post.blocks)
    assert any("approved and published" in m.text for m in box.fake.dms_to(AUTHOR.id))
    decisions = [(a.stage, a.outcome, a.decided_by) for a in await approvals(box)]
    assert decisions == [("manager", "approved", MANAGER.id), ("ceo", "approved", CEO.id)]
    assert await unsent(box) == 0


async def test_reporting_to_the_ceo_is_one_stage(org_box: Sandbox) -> None:
    await submit_objective(org_box, MANAGER.id)
    assert requests_to(org_box, MANAGER.id) == []
    [request] = requests_to(org_box, CEO.id)
    await org_box.slack.click(CEO.id, request, ids.APPROVE)
    await org_box.settle()
    assert (await objectives(org_box))[0].status == Status.APPROVED
    assert len(org_box.fake.channel_messages(CHANNEL)) == 1


async def test_the_ceos_own_objective_is_published_on_submit(org_box: Sandbox) -> None:
    await submit_objective(org_box, CEO.id, {**GOOD_FORM, "level": "company"})
    [objective] = await objectives(org_box)
    assert objective.status == Status.APPROVED
    assert await approvals(org_box) == []
    assert len(org_box.fake.channel_messages(CHANNEL)) == 1


async def test_alignment_lists_published_objectives(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(
        box, CEO.id, {**GOOD_FORM, "title": "Win the Nordics", "level": "company"}
    )
    [company] = await objectives(box)
    view_id = await open_form(box, AUTHOR.id)
    align = next(b for b in box.fake.views[view_id]["blocks"] if b.get("block_id") == "aligned_to")
    options = [o["value"] for g in align["element"]["option_groups"] for o in g["options"]]
    assert options == [str(company.id)]
    await box.slack.submit_view(AUTHOR.id, view_id, {**GOOD_FORM, "aligned_to": str(company.id)})
    await box.settle()
    mine = (await objectives(box))[1]
    assert mine.aligned_to_id == company.id
    assert "Win the Nordics" in str(requests_to(box, MANAGER.id)[0].blocks)


async def test_reject_with_reason_then_resubmit_restarts_the_chain(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [request] = requests_to(box, MANAGER.id)
    await box.slack.click(MANAGER.id, request, ids.REJECT)
    await box.settle()
    [reject_view] = box.fake.open_views_for(MANAGER.id)
    assert reject_view["callback_id"] == ids.REJECT_VIEW

    # A reason is required, also when the client's own check is bypassed.
    response = await box.slack.submit_view(MANAGER.id, reject_view["id"], {"reason": "   "})
    assert response.json()["response_action"] == "errors"
    assert "reason" in response.json()["errors"]
    assert (await objectives(box))[0].status == Status.AWAITING_MANAGER

    await box.slack.submit_view(MANAGER.id, reject_view["id"], {"reason": "Aim higher."})
    await box.settle()
    assert (await objectives(box))[0].status == Status.REJECTED
    assert "Rejected by <@U0MGR0001>" in str(request.blocks)
    assert button_values(request) == []
    notice = box.fake.dms_to(AUTHOR.id)[-1]
    assert "Aim higher." in str(notice.blocks)
    assert button_values(notice) == [ids.RESUBMIT]

    await box.slack.click(AUTHOR.id, notice, ids.RESUBMIT)
    await box.settle()
    edit_view = box.fake.open_views_for(AUTHOR.id)[-1]
    title = next(b for b in edit_view["blocks"] if b.get("block_id") == "title")
    assert title["element"]["initial_value"] == "Make onboarding delightful"
    target = next(b for b in edit_view["blocks"] if b.get("block_id") == "kr1_target")
    assert target["element"]["initial_value"] == "60"

    await box.slack.submit_view(AUTHOR.id, edit_view["id"], {"kr1_target": "75"})
    await box.settle()
    [objective] = await objectives(box)
    assert (objective.version, objective.status) == (2, Status.AWAITING_MANAGER)
    first, second = requests_to(box, MANAGER.id)
    assert first is request
    assert "40 \u2192 75 %" in str(second.blocks)
    assert button_values(second) == [ids.APPROVE, ids.REJECT]
    reasons = [(a.version, a.outcome, a.reason) for a in await approvals(box)]
    assert reasons == [(1, "rejected", "Aim higher."), (2, "pending", None)]


async def test_resubmitting_while_pending_makes_old_buttons_out_of_date(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [old] = requests_to(box, MANAGER.id)
    [objective] = await objectives(box)
    # The author edits before the manager decides (the button from a rejection DM of an
    # earlier round would do the same); the old request must not stay actionable.
    view_id = box.fake.open_views_for(AUTHOR.id)[-1]["id"]
    meta = f'{{"slots": 3, "edit": [{objective.id}, 1]}}'
    await box.slack.submit_view(
        AUTHOR.id, view_id, {**GOOD_FORM, "title": "Better"}, private_metadata=meta
    )
    await box.settle()
    assert button_values(old) == []
    assert "Out of date" in str(old.blocks)

    await box.slack.click_value(MANAGER.id, ids.APPROVE, f"{objective.id}:1:manager", old)
    await box.settle()
    assert "out of date" in box.fake.ephemerals_to(MANAGER.id)[-1].text
    assert (await objectives(box))[0].status == Status.AWAITING_MANAGER
    assert requests_to(box, CEO.id) == []


async def test_only_the_designated_approver_may_decide(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [request] = requests_to(box, MANAGER.id)
    for intruder in (COLLEAGUE.id, AUTHOR.id, CEO.id):
        await box.slack.click(intruder, request, ids.APPROVE)
        await box.slack.click(intruder, request, ids.REJECT)
    await box.settle()
    assert (await objectives(box))[0].status == Status.AWAITING_MANAGER
    assert box.fake.open_views_for(COLLEAGUE.id) == []
    assert requests_to(box, CEO.id) == []
    assert button_values(request) == [ids.APPROVE, ids.REJECT]
    # The button is in Mads's DM, where Colin is not: Slack will not show him an ephemeral
    # there, so he is told in his own DM.
    assert box.fake.ephemerals_to(COLLEAGUE.id) == []
    note = box.fake.dms_to(COLLEAGUE.id)[-1].text
    assert "Only <@U0MGR0001> can decide" in note
    assert [a.outcome for a in await approvals(box)] == ["pending"]


async def test_forged_rejection_submission_is_refused(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [request] = requests_to(box, MANAGER.id)
    await box.slack.click(MANAGER.id, request, ids.REJECT)
    await box.settle()
    [view] = box.fake.open_views_for(MANAGER.id)
    response = await box.slack.submit_view(COLLEAGUE.id, view["id"], {"reason": "no"})
    assert response.json()["response_action"] == "errors"
    assert (await objectives(box))[0].status == Status.AWAITING_MANAGER


async def test_double_click_and_retry_change_state_once(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [request] = requests_to(box, MANAGER.id)
    # Two clicks racing each other, and a retried third after the first was answered.
    await asyncio.gather(
        box.slack.click(MANAGER.id, request, ids.APPROVE),
        box.slack.click(MANAGER.id, request, ids.APPROVE),
    )
    await box.settle()
    objective_id = (await objectives(box))[0].id
    await box.slack.click_value(
        MANAGER.id,
        ids.APPROVE,
        f"{objective_id}:1:manager",
        request,
        headers={"X-Slack-Retry-Num": "1"},
    )
    await box.settle()
    assert len(requests_to(box, CEO.id)) == 1
    assert [a.outcome for a in await approvals(box)] == ["approved", "pending"]
    assert "already approved" in box.fake.ephemerals_to(MANAGER.id)[-1].text


async def test_newcomer_picks_a_manager_once(org_box: Sandbox) -> None:
    box = org_box
    view_id = await open_form(box, NEWCOMER.id)
    blocks = {b.get("block_id") for b in box.fake.views[view_id]["blocks"]}
    assert "manager" in blocks
    response = await box.slack.submit_view(NEWCOMER.id, view_id, GOOD_FORM)
    assert response.json()["errors"] == {"manager": "Pick your manager: they approve first."}
    assert await objectives(box) == []

    response = await box.slack.submit_view(
        NEWCOMER.id, view_id, {**GOOD_FORM, "manager": NEWCOMER.id}
    )
    assert "manager" in response.json()["errors"]

    await box.slack.submit_view(NEWCOMER.id, view_id, {**GOOD_FORM, "manager": MANAGER.id})
    await box.settle()
    assert len(requests_to(box, MANAGER.id)) == 1
    second_form = await open_form(box, NEWCOMER.id)
    assert "manager" not in {b.get("block_id") for b in box.fake.views[second_form]["blocks"]}


async def test_list_shows_where_each_objective_stands(org_box: Sandbox) -> None:
    box = org_box
    empty = (await box.slack.slash(AUTHOR.id, "list")).json()
    assert "no objectives yet" in empty["text"]
    await submit_objective(box, AUTHOR.id)
    listing = (await box.slack.slash(AUTHOR.id, "list")).json()
    text = str(listing["blocks"])
    assert "Make onboarding delightful" in text
    assert "Waiting for the manager" in text
    assert "<@U0MGR0001>" in text


async def test_help_for_bare_help_and_unknown_words(org_box: Sandbox) -> None:
    for text in ("", "help", "frobnicate"):
        body = (await org_box.slack.slash(AUTHOR.id, text)).json()
        assert "/okr new" in str(body["blocks"])
        assert "/okr list" in str(body["blocks"])
    unknown = (await org_box.slack.slash(AUTHOR.id, "frobnicate")).json()
    assert "I don't know `frobnicate`" in unknown["text"]


async def test_the_largest_objective_fits_every_message(org_box: Sandbox) -> None:
    """Every field at its limit, five key results: nothing Slack would refuse is sent."""
    box = org_box
    view_id = await open_form(box, AUTHOR.id)
    await box.slack.click_in_view(AUTHOR.id, view_id, ids.ADD_KR)
    await box.settle()
    await box.slack.click_in_view(AUTHOR.id, view_id, ids.ADD_KR)
    await box.settle()
    values = {
        "title": "T" * 150,
        "description": "<&>" * 666,
        "level": "team",
        **{f"kr{i}_desc": f"{i}" + "k" * 299 for i in range(1, 6)},
        **{f"kr{i}_start": "-123456789.125" for i in range(1, 6)},
        **{f"kr{i}_target": "987654321.5" for i in range(1, 6)},
        **{f"kr{i}_unit": "u" * 30 for i in range(1, 6)},
    }
    response = await box.slack.submit_view(AUTHOR.id, view_id, values)
    assert response.json() == {}
    await box.settle()
    [request] = requests_to(box, MANAGER.id)
    await box.slack.click(MANAGER.id, request, ids.REJECT)
    await box.settle()
    reject_view = box.fake.open_views_for(MANAGER.id)[-1]["id"]
    await box.slack.submit_view(MANAGER.id, reject_view, {"reason": "r" * 2000})
    await box.settle()
    notice = box.fake.dms_to(AUTHOR.id)[-1]
    await box.slack.click(AUTHOR.id, notice, ids.RESUBMIT)
    await box.settle()
    edit_view = box.fake.open_views_for(AUTHOR.id)[-1]["id"]
    await box.slack.submit_view(AUTHOR.id, edit_view, {})
    await box.settle()
    request = requests_to(box, MANAGER.id)[-1]
    await box.slack.click(MANAGER.id, request, ids.APPROVE)
    await box.settle()
    await box.slack.click(CEO.id, requests_to(box, CEO.id)[-1], ids.APPROVE)
    await box.settle()
    [objective] = await objectives(box)
    assert objective.status == Status.APPROVED
    assert len(box.fake.channel_messages(CHANNEL)) == 1
    # The box fixture fails the test if the fake refused anything as over a limit.
    assert box.fake.violations == []


async def test_a_resubmission_that_adds_and_drops_key_results_deletes_nothing(
    org_box: Sandbox,
) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [request] = requests_to(box, MANAGER.id)
    await box.slack.click(MANAGER.id, request, ids.REJECT)
    await box.settle()
    reject_view = box.fake.open_views_for(MANAGER.id)[-1]["id"]
    await box.slack.submit_view(MANAGER.id, reject_view, {"reason": "Swap the second one."})
    await box.settle()
    await box.slack.click(AUTHOR.id, box.fake.dms_to(AUTHOR.id)[-1], ids.RESUBMIT)
    await box.settle()
    edit_view = box.fake.open_views_for(AUTHOR.id)[-1]["id"]
    await box.slack.submit_view(
        AUTHOR.id,
        edit_view,
        {"kr2_desc": "Teams onboarded", "kr2_start": "0", "kr2_target": "10", "kr2_unit": ""},
    )
    await box.settle()
    async with box.uow() as uow:
        rows = (await uow.session.scalars(select(KeyResult).order_by(KeyResult.id))).all()
    assert [(kr.description, kr.retired_at is None) for kr in rows] == [
        (GOOD_FORM["kr1_desc"], True),
        (GOOD_FORM["kr2_desc"], False),
        ("Teams onboarded", True),
    ]
    assert "Teams onboarded" in str(requests_to(box, MANAGER.id)[-1].blocks)
    assert GOOD_FORM["kr2_desc"] not in str(requests_to(box, MANAGER.id)[-1].blocks)


async def test_publications_approved_together_keep_one_post_a_second_in_the_channel(
    org_box: Sandbox,
) -> None:
    box = org_box
    box.fake.post_limit_per_channel_second = 1
    # The CEO's direct reports: one stage each, so each approval publishes at once.
    for title in ("First", "Second", "Third"):
        await submit_objective(box, MANAGER.id, {**GOOD_FORM, "title": title})
    pending = requests_to(box, CEO.id)
    assert len(pending) == 3
    await asyncio.gather(*(box.slack.click(CEO.id, r, ids.APPROVE) for r in pending))
    await box.settle()

    posts = box.fake.channel_messages(CHANNEL)
    assert sorted(p.text.split("\u201c")[-1].split("\u201d")[0] for p in posts) == [
        "First",
        "Second",
        "Third",
    ]
    moments = sorted(float(p.ts) for p in posts)
    # (Slack's timestamps are unique: one may be a microsecond later than its moment.)
    assert all(b - a >= 0.999 for a, b in itertools.pairwise(moments)), moments
    # Paced, not refused and retried.
    tries = [c for c in box.fake.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert len(tries) == 3
    assert await unsent(box) == 0


async def test_a_queue_to_one_conversation_holds_up_no_other(org_box: Sandbox) -> None:
    """Three requests to the CEO keep Slack's pace of one a second in the CEO's DM (and the
    manager's three "submitted" notes in his); the author's note, queued after them, goes
    out meanwhile, not behind them."""
    box = org_box
    box.fake.post_limit_per_channel_second = 1
    forms = [(MANAGER.id, await open_form(box, MANAGER.id)) for _ in range(3)]
    forms.append((AUTHOR.id, await open_form(box, AUTHOR.id)))
    for n, (user, view_id) in enumerate(forms):
        response = await box.slack.submit_view(user, view_id, {**GOOD_FORM, "title": f"Aim {n}"})
        assert response.status == 200
    await box.settle()

    to_ceo = sorted(float(m.ts) for m in requests_to(box, CEO.id))
    [to_author] = box.fake.dms_to(AUTHOR.id)
    assert len(to_ceo) == 3
    assert all(b - a >= 0.999 for a, b in itertools.pairwise(to_ceo))
    assert float(to_author.ts) < to_ceo[-1]
    assert await unsent(box) == 0
