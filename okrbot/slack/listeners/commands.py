"""`/okr` and its subcommands."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from okrbot.i18n import ENGLISH
from okrbot.services import checkins, objectives
from okrbot.services.ports import DeliveryError
from okrbot.slack import ids, payloads
from okrbot.slack.blocks import checkin as checkin_blocks
from okrbot.slack.blocks import forms, messages
from okrbot.slack.deps import Deps
from okrbot.slack.listeners import browse, withdrawal

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    async def okr(ack: AsyncAck, body: dict[str, Any]) -> None:
        text = body.get("text") if isinstance(body.get("text"), str) else ""
        word = (text or "").strip().split(" ", 1)[0].lower()
        try:
            who = payloads.who(body)
        except payloads.PayloadError:
            await ack(text=ENGLISH("form.who"))
            return
        if word == "new":
            await ack()
            trigger = body.get("trigger_id")
            channel = body.get("channel_id") if isinstance(body.get("channel_id"), str) else None
            deps.background.spawn(
                open_form(deps, who, trigger if isinstance(trigger, str) else "", channel),
                on_error=deps.sorry_to(who, channel),
            )
        elif word == "checkin":
            await ack()
            trigger = body.get("trigger_id")
            channel = body.get("channel_id") if isinstance(body.get("channel_id"), str) else None
            deps.background.spawn(
                open_checkin(deps, who, trigger if isinstance(trigger, str) else "", channel),
                on_error=deps.sorry_to(who, channel),
            )
        elif word == "score":
            await ack()
            from okrbot.slack.listeners.closing import open_scoring

            trigger = body.get("trigger_id")
            channel = body.get("channel_id") if isinstance(body.get("channel_id"), str) else None
            deps.background.spawn(
                open_scoring(deps, who, trigger if isinstance(trigger, str) else "", channel),
                on_error=deps.sorry_to(who, channel),
            )
        elif word == "edit":
            argument = (text or "").strip()[len(word) :].strip().lstrip("#")
            if not argument.isdigit():
                words = await deps.words_for(who)
                await ack(text=words("edit.usage"))
                return
            await ack()
            trigger = body.get("trigger_id")
            channel = body.get("channel_id") if isinstance(body.get("channel_id"), str) else None
            deps.background.spawn(
                open_form(
                    deps,
                    who,
                    trigger if isinstance(trigger, str) else "",
                    channel,
                    objective_id=int(argument),
                ),
                on_error=deps.sorry_to(who, channel),
            )
        elif word == "withdraw":
            rest = (text or "").strip()[len(word) :]
            reply, blocks = await withdrawal.answer(deps, who, rest)
            await ack(text=reply, blocks=blocks)
            deps.deliver_soon()
        elif word in browse.WORDS:
            rest = (text or "").strip()[len(word) :]
            reply, blocks = await browse.answer(deps, who, word, rest)
            await ack(text=reply, blocks=blocks)
        elif word in ("", "help"):
            reply, blocks = messages.help_message(await deps.words_for(who))
            await ack(text=reply, blocks=blocks)
        else:
            reply, blocks = messages.help_message(await deps.words_for(who), word)
            await ack(text=reply, blocks=blocks)

    app.command(ids.COMMAND)(okr)


async def open_form(
    deps: Deps,
    who: payloads.Who,
    trigger_id: str,
    channel: str | None,
    *,
    objective_id: int | None = None,
) -> None:
    words = await deps.words_for(who)
    async with deps.uow(readonly=True) as uow:
        try:
            ctx = await objectives.form_context(
                uow, deps.actor(who), deps.org, deps.today(), objective_id=objective_id
            )
        except objectives.NotEditable as exc:
            status = words(f"status.{exc.objective.status.value}").lower()
            title = f"\u201c{exc.objective.title}\u201d"
            await deps.tell(
                who.user_id, words("form.not_editable", title=title, status=status), channel
            )
            return
        except LookupError:
            await deps.tell(who.user_id, words("form.gone_or_not_yours"), channel)
            return
    try:
        await deps.gateway.open_view(
            trigger_id, forms.objective_modal(ctx, forms.FormState(), words)
        )
    except DeliveryError as exc:
        log.warning("views.open failed for %s: %s", who.user_id, exc.code)
        await deps.tell(who.user_id, words("common.form_too_slow"), channel)


async def open_checkin(deps: Deps, who: payloads.Who, trigger: str, channel: str | None) -> None:
    words = await deps.words_for(who)
    async with deps.uow(readonly=True) as uow:
        page = await checkins.form_page(uow, deps.actor(who), deps.today())
    view = (
        checkin_blocks.checkin_modal(page, words)
        if page.objectives
        else checkin_blocks.nothing_to_check_in(words)
    )
    try:
        await deps.gateway.open_view(trigger, view)
    except DeliveryError as exc:
        log.warning("views.open (check-in) failed for %s: %s", who.user_id, exc.code)
        await deps.tell(who.user_id, words("common.form_too_slow"), channel)
