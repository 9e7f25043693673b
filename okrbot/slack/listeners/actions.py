"""Buttons: Approve, Reject, Edit and resubmit, Add a key result."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck

from okrbot.services import approvals, decisions, inbox, objectives
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


def on_decision(deps: Deps) -> Listener:
    """Approve: answered once the click is in the decision inbox, applied right after.

    Slack has its answer only when the click is durable, so a crash after it loses nothing
    (see services.decisions); a click that is no reference of ours writes nothing.
    """

    async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            click = Click.parse(body)
            RequestRef.decode(click.value)
        except payloads.PayloadError:
            await ack()
            return
        except ValueError:
            await ack()
            deps.background.spawn(_not_mine(deps, click), on_error=deps.sorry_to(click.who))
            return
        who = click.who
        action_ts = payloads.first_action(body).get("action_ts")
        row = decisions.Click(
            who.workspace_id,
            who.user_id,
            click.channel,
            decisions.APPROVE,
            click.value,
            action_ts if isinstance(action_ts, str) else None,
            deps.clock(),
        ).row()
        try:
            item_id = await deps.decisions.put_row(row)
        except Exception:
            log.exception("queuing a decision failed for %s", who.user_id)
            await ack()
            # Nothing was kept: the buttons stay, and the decider hears so.
            deps.background.spawn(_sorry(deps, click))
            return
        await ack()
        deps.spawn_durable(apply_decision(deps, item_id))

    return listener


async def _sorry(deps: Deps, click: Click) -> None:
    words = await deps.words_for(click.who)
    await deps.tell(click.who, words("common.sorry"), click.channel)


async def apply_decision(deps: Deps, item_id: str) -> None:
    """Apply one row of the decision inbox, and tell the decider what came of it."""
    outcome = await decisions.apply(
        deps.uow, item_id, organisation=deps.tenancy.organisation, now=deps.clock()
    )
    await tell_outcome(deps, outcome)


async def recover_decisions(deps: Deps, grace: timedelta = inbox.GRACE) -> int:
    """Apply what a crash (or an error) left in the decision inbox; how many were dealt
    with."""
    outcomes = await decisions.recover(
        deps.uow, organisation=deps.tenancy.organisation, now=deps.clock(), grace=grace
    )
    for outcome in outcomes:
        await tell_outcome(deps, outcome)
    return len(outcomes)


async def tell_outcome(deps: Deps, outcome: decisions.Applied) -> None:
    """The outcome reaches the decider as their request's message, updated through the
    outbox; a refusal as a note of its own."""
    fate = outcome.fate
    if fate in (decisions.Fate.APPLIED, decisions.Fate.DEAD):
        deps.deliver_soon()
    elif fate is decisions.Fate.REFUSED:
        who = payloads.Who(outcome.workspace_id, outcome.user_id)
        words = await deps.words_for(who)
        if outcome.ref is None or outcome.result is None:
            text = words("click.not_mine")
        else:
            text = refusal(outcome.result, outcome.ref, words)
        await deps.tell(who, text, outcome.channel_id)


def register(app: Routes, deps: Deps) -> None:
    app.action(ids.APPROVE)(on_decision(deps))
    app.action(ids.REJECT)(on_click(deps, _open_reject))
    app.action(ids.RESUBMIT)(on_click(deps, _resubmit))
    app.action(ids.ADD_KR)(on_click(deps, _add_kr))


async def _not_mine(deps: Deps, click: Click) -> None:
    words = await deps.words_for(click.who)
    await deps.tell(click.who, words("click.not_mine"), click.channel)


async def _open_reject(deps: Deps, click: Click) -> None:
    who, channel = click.who, click.channel
    try:
        ref = RequestRef.decode(click.value)
    except ValueError:
        await _not_mine(deps, click)
        return
    result = await approvals.may_decide(deps.uow, deps.actor(who), ref)
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
    try:
        grown = await objectives.add_key_result_slot(
            deps.uow,
            deps.actor(who),
            deps.tenancy.organisation,
            deps.today(),
            objective_id=state.edit_of[0] if state.edit_of else None,
            slots=state.slots,
        )
    except (LookupError, objectives.NotEditable):
        return
    words = await deps.words_for(who)
    try:
        slack = await deps.slack(who)
        await slack.update_view(
            view_id,
            forms.objective_modal(
                grown.context, forms.FormState(grown.slots, state.edit_of), words
            ),
            payloads.view_field(body, "hash"),
        )
    except DeliveryError as exc:
        # hash_conflict: another update won; the person can click again.
        log.info("views.update for %s: %s", who.user_id, exc.code)
