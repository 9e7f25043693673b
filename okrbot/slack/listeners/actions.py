"""Buttons: Approve, Reject, Edit and resubmit, Add a key result."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from okrbot.services import approvals, objectives
from okrbot.services.approvals import RequestRef
from okrbot.services.ports import DeliveryError
from okrbot.slack import ids, payloads
from okrbot.slack.blocks import forms
from okrbot.slack.deps import Deps
from okrbot.slack.listeners.commands import open_form
from okrbot.slack.listeners.explain import refusal

log = logging.getLogger(__name__)


def _click(body: dict[str, Any]) -> tuple[payloads.Who, str, str | None, str]:
    who = payloads.who(body)
    action = payloads.first_action(body)
    value = action.get("value")
    trigger = body.get("trigger_id")
    return (
        who,
        value if isinstance(value, str) else "",
        payloads.channel_of(body),
        trigger if isinstance(trigger, str) else "",
    )


def register(app: AsyncApp, deps: Deps) -> None:
    async def approve(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        try:
            who, value, channel, _ = _click(body)
        except payloads.PayloadError:
            return
        deps.background.spawn(
            _approve(deps, who, value, channel),
            on_error=deps.sorry_to(who.user_id, channel),
        )

    async def reject(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        try:
            who, value, channel, trigger = _click(body)
        except payloads.PayloadError:
            return
        deps.background.spawn(
            _open_reject(deps, who, value, channel, trigger),
            on_error=deps.sorry_to(who.user_id, channel),
        )

    async def resubmit(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        try:
            who, value, channel, trigger = _click(body)
            objective_id = int(value.split(":")[0])
        except (payloads.PayloadError, ValueError):
            return
        deps.background.spawn(
            open_form(deps, who, trigger, channel, objective_id=objective_id),
            on_error=deps.sorry_to(who.user_id, channel),
        )

    async def add_kr(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        try:
            who = payloads.who(body)
        except payloads.PayloadError:
            return
        deps.background.spawn(
            _add_kr(deps, who, body),
            on_error=deps.sorry_to(who.user_id),
        )

    app.action(ids.APPROVE)(approve)
    app.action(ids.REJECT)(reject)
    app.action(ids.RESUBMIT)(resubmit)
    app.action(ids.ADD_KR)(add_kr)


async def _approve(deps: Deps, who: payloads.Who, value: str, channel: str | None) -> None:
    try:
        ref = RequestRef.decode(value)
    except ValueError:
        await deps.tell(
            who.user_id, "That button is not one of mine. Nothing was changed.", channel
        )
        return
    async with deps.uow() as uow:
        result = await approvals.decide(
            uow, deps.actor(who), deps.org, ref, approve=True, now=deps.clock()
        )
    if result.applied:
        await deps.dispatcher.run_once()
    else:
        await deps.tell(who.user_id, refusal(result, ref), channel)


async def _open_reject(
    deps: Deps, who: payloads.Who, value: str, channel: str | None, trigger: str
) -> None:
    try:
        ref = RequestRef.decode(value)
    except ValueError:
        await deps.tell(
            who.user_id, "That button is not one of mine. Nothing was changed.", channel
        )
        return
    async with deps.uow(readonly=True) as uow:
        result = await approvals.may_decide(uow, deps.actor(who), ref)
    if not result.applied or result.objective is None:
        await deps.tell(who.user_id, refusal(result, ref), channel)
        return
    try:
        await deps.gateway.open_view(
            trigger, forms.reject_modal(ref.encode(), result.objective.title)
        )
    except DeliveryError as exc:
        log.warning("could not open the reject form for %s: %s", who.user_id, exc.code)
        await deps.tell(
            who.user_id, "Slack did not let me open the form in time. Try again.", channel
        )


async def _add_kr(deps: Deps, who: payloads.Who, body: dict[str, Any]) -> None:
    view_id = payloads.view_field(body, "id")
    if not view_id:
        return
    state = forms.FormState.decode(payloads.view_field(body, "private_metadata"))
    async with deps.uow(readonly=True) as uow:
        try:
            ctx = await objectives.form_context(
                uow,
                deps.actor(who),
                deps.org,
                deps.today(),
                objective_id=state.edit_of[0] if state.edit_of else None,
            )
        except (LookupError, objectives.NotEditable):
            return
    grown = forms.FormState(min(state.slots + 1, 5), state.edit_of)
    try:
        await deps.gateway.update_view(
            view_id, forms.objective_modal(ctx, grown), payloads.view_field(body, "hash")
        )
    except DeliveryError as exc:
        # hash_conflict: another update won; the person can click again.
        log.info("views.update for %s: %s", who.user_id, exc.code)
