from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from okrbot.sandbox.fake_slack import Message
from okrbot.slack import ids
from okrbot.store.models import Approval, Objective, OutboxMessage
from tests.support.sandbox import Sandbox

GOOD_FORM: dict[str, Any] = {
    "title": "Make onboarding delightful",
    "description": "New teams get value on day one.",
    "level": "team",
    "quarter": "2026-Q4",
    "kr1_desc": "Activation rate in week one",
    "kr1_start": "40",
    "kr1_target": "60",
    "kr1_unit": "%",
    "kr2_desc": "Median days to first OKR",
    "kr2_start": "3",
    "kr2_target": "1",
    "kr2_unit": "days",
}


async def open_form(box: Sandbox, user: str, text: str = "new") -> str:
    response = await box.slack.slash(user, text)
    assert response.status == 200
    await box.settle()
    views = box.fake.open_views_for(user)
    assert views, "no modal was opened"
    return str(views[-1]["id"])


async def submit_objective(
    box: Sandbox, user: str, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    view_id = await open_form(box, user)
    response = await box.slack.submit_view(user, view_id, values or GOOD_FORM)
    assert response.status == 200
    await box.settle()
    return response.json()


def requests_to(box: Sandbox, user: str) -> list[Message]:
    """DMs that carry Approve / Reject buttons (or did, before they were answered).

    Recognised by the button, or once answered by the request's emoji, not by words: the
    words are in the approver's language.
    """
    return [
        m
        for m in box.fake.dms_to(user)
        if ids.APPROVE in button_values(m)
        or (m.updated and m.blocks and _first_text(m).startswith(":inbox_tray:"))
    ]


def _first_text(message: Message) -> str:
    text = message.blocks[0].get("text")
    return str(text.get("text", "")) if isinstance(text, dict) else ""


async def objectives(box: Sandbox) -> list[Objective]:
    async with box.uow() as uow:
        return list((await uow.session.scalars(select(Objective).order_by(Objective.id))).all())


async def approvals(box: Sandbox) -> list[Approval]:
    async with box.uow() as uow:
        rows = await uow.session.scalars(select(Approval).order_by(Approval.id))
        return list(rows.all())


async def unsent(box: Sandbox) -> int:
    async with box.uow() as uow:
        count = await uow.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
        )
        return int(count or 0)


def button_values(message: Message) -> list[str]:
    return [
        element["action_id"]
        for block in message.blocks
        if block.get("type") == "actions"
        for element in block["elements"]
    ]
