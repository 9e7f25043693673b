"""Buttons: Approve, Reject, Edit and resubmit, Add a key result."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck

from okrbot.services import approvals, objectives
from okrbot.services.approvals import RequestRef
from okrbot.services.ports import DeliveryError
from okrbot.slack import ids, payloads
from okrbot.slack.blocks import forms
from okrbot.slack.deps import Deps
from okrbot.slack.listeners.explain import refusal
from okrbot.slack.listeners.opening import open_form
from okrbot.slack.routes import Routes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Click:
    who: payloads.Who
    value: str
    channel: str | None
    trigger: str
    body: dict[str, Any]

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Click:
        value = payloads.first_action(body).get("value")
        trigger = body.get("trigger_id")
        return cls(
            payloads.who(body),
            value if isinstance(value, str) else "",
            payloads.channel_of(body),
            trigger if isinstance(trigger, str) else "",
            body,
        )


Work = Callable[[Deps, Click], Coroutine[Any, Any, None]]
Listener = Callable[[AsyncAck, dict[str, Any]], Awaitable[None]]


def on_click(deps: Deps, work: Work) -> Listener:
    """Ack at once; do the work after Slack has its answer."""

    async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        try:
            click = Click.parse(body)
        except payloads.PayloadError:
            return
        deps.background.spawn(work(deps, click), on_error=deps.sorry_to(click.who, click.channel))

    return listener


def register(app: Routes, deps: Deps) -> None:
    app.action(ids.APPROVE)(on_click(deps, _approve))
    app.action(ids.REJECT)(on_click(deps, _open_reject))
    app.action(ids.RESUBMIT)(on_click(deps, _resubmit))
    app.action(ids.ADD_KR)(on_click(deps, _add_kr))


async def _not_mine(deps: Deps, click: Click) -> None:
    words = await deps.words_for(click.who)
    await deps.tell(click.who, words("click.not_mine"), click.channel)


async def _approve(deps: Deps, click: Click) -> None:
    who, channel = click.who, click.channel
    try:
        ref = RequestRef.decode(click.value)
    except ValueError:
        await _not_mine(deps, click)
        return
    async with deps.uow() as uow:
        org = await deps.organisation(uow, who)
        result = await approvals.decide(
            uow, deps.actor(who), org, ref, approve=True, now=deps.clock()
        )
    if result.applied:
        deps.deliver_soon()
    else:
        await deps.tell(who, refusal(result, ref, await deps.words_for(who)), channel)


async def _open_reject(deps: Deps, click: Click) -> None:
    who, channel = click.who, click.channel
    try:
        ref = RequestRef.decode(click.value)
    except ValueError:
        await _not_mine(deps, click)
        return
    async with deps.uow(readonly=True) as uow:
        result = await approvals.may_decide(uow, deps.actor(who), ref)
    words = await deps.words_for(who)
    if not result.applied or result.objective is None:
        await deps.tell(who, refusal(result, ref, words), channel)
        return
    try:
        slack = await deps.slack(who)
        await slack.open_view(
            click.trigger, forms.reject_modal(ref.encode(), result.objective.title, words)
        )
    except DeliveryError as exc:
        log.warning("could not open the reject form for %s: %s", who.user_id, exc.code)
        await deps.tell(who, words("common.form_too_slow"), channel)


async def _resubmit(deps: Deps, click: Click) -> None:
    try:
        objective_id = int(click.value.split(":")[0])
    except ValueError:
        await _not_mine(deps, click)
        return
    await open_form(deps, click.who, click.trigger, click.channel, objective_id=objective_id)


async def _add_kr(deps: Deps, click: Click) -> None:
    who, body = click.who, click.body
    view_id = payloads.view_field(body, "id")
    if not view_id:
        return
    state = forms.FormState.decode(payloads.view_field(body, "private_metadata"))
    async with deps.uow(readonly=True) as uow:
        try:
            ctx = await objectives.form_context(
                uow,
                deps.actor(who),
                await deps.organisation(uow, who),
                deps.today(),
                objective_id=state.edit_of[0] if state.edit_of else None,
            )
        except (LookupError, objectives.NotEditable):
            return
    grown = forms.FormState(min(state.slots + 1, 5), state.edit_of)
    words = await deps.words_for(who)
    try:
        slack = await deps.slack(who)
        await slack.update_view(
            view_id, forms.objective_modal(ctx, grown, words), payloads.view_field(body, "hash")
        )
    except DeliveryError as exc:
        # hash_conflict: another update won; the person can click again.
        log.info("views.update for %s: %s", who.user_id, exc.code)
