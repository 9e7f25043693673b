"""The owner can withdraw an objective; nothing is ever deleted."""

from __future__ import annotations

from sqlalchemy import select

from okrbot.domain.okr import Status
from okrbot.sandbox.harness import AUTHOR, COLLEAGUE, MANAGER
from okrbot.slack import ids
from okrbot.store.models import Approval, Objective
from tests.slack.helpers import objectives, requests_to, submit_objective
from tests.support.sandbox import Sandbox


async def test_withdrawing_a_pending_objective_tells_its_approver(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [objective] = await objectives(box)
    [request] = requests_to(box, MANAGER.id)
    answer = (await box.slack.slash(AUTHOR.id, f"withdraw {objective.id}")).json()
    assert answer["text"].startswith(":wastebasket: Withdrawn")
    await box.settle()
    async with box.uow() as uow:
        kept = await uow.session.scalar(select(Objective))
        [approval] = (await uow.session.scalars(select(Approval))).all()
    assert kept is not None
    assert (kept.status, kept.withdrawn_at is not None) == (Status.WITHDRAWN, True)
    assert approval.outcome == "cancelled"
    # The manager's request lost its buttons; a click on a stale copy changes nothing.
    assert not [b for b in request.blocks if b.get("type") == "actions"]
    await box.slack.click_value(MANAGER.id, ids.APPROVE, f"{objective.id}:1:manager", request)
    await box.settle()
    assert (await objectives(box))[0].status == Status.WITHDRAWN


async def test_only_the_owner_can_withdraw_and_only_once(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [objective] = await objectives(box)
    stranger = (await box.slack.slash(COLLEAGUE.id, f"withdraw {objective.id}")).json()
    assert stranger["text"] == f"You have no objective #{objective.id}."
    assert (await objectives(box))[0].status == Status.AWAITING_MANAGER
    await box.slack.slash(AUTHOR.id, f"withdraw #{objective.id}")
    again = (await box.slack.slash(AUTHOR.id, f"withdraw {objective.id}")).json()
    assert "can't be withdrawn" in again["text"]
    usage = (await box.slack.slash(AUTHOR.id, "withdraw")).json()
    assert "/okr withdraw 12" in usage["text"]
