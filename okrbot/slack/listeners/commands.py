"""`/okr` and its subcommands."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck

from okrbot.i18n import ENGLISH
from okrbot.slack import ids, payloads
from okrbot.slack.blocks import messages
from okrbot.slack.blocks.common import user
from okrbot.slack.deps import Deps
from okrbot.slack.listeners import admin, browse, withdrawal
from okrbot.slack.listeners.opening import open_checkin, open_form, open_scoring
from okrbot.slack.routes import Routes

Opener = Callable[[Deps, payloads.Who, str, str | None], Coroutine[Any, Any, None]]
OPENERS: dict[str, Opener] = {"new": open_form, "checkin": open_checkin, "score": open_scoring}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


async def _not_set_up(deps: Deps, who: payloads.Who) -> str | None:
    """With OAuth installs, nothing works in a workspace until an admin has chosen its CEO
    and OKR channel; say so and who can do it."""
    if not deps.tenancy.oauth:
        return None
    async with deps.uow(readonly=True) as uow:
        setup = await deps.tenancy.setup(uow, who.workspace_id)
    if setup is not None and setup.complete:
        return None
    words = await deps.words_for(who)
    if setup is None:
        return words("admin.uninstalled")
    admins = ", ".join(user(a) for a in setup.admins) or words("admin.nobody")
    return words("admin.not_set_up", admins=admins)


def register(app: Routes, deps: Deps) -> None:
    async def okr(ack: AsyncAck, body: dict[str, Any]) -> None:
        text = body.get("text") if isinstance(body.get("text"), str) else ""
        word = (text or "").strip().split(" ", 1)[0].lower()
        try:
            who = payloads.who(body)
        except payloads.PayloadError:
            await ack(text=ENGLISH("form.who"))
            return
        trigger = _text(body.get("trigger_id"))
        channel = payloads.channel_id(body.get("channel_id"))
        if word == "admin":
            rest = (text or "").strip()[len(word) :]
            await ack(text=await admin.answer(deps, who, rest, channel))
            return
        if word not in ("", "help") and (waiting := await _not_set_up(deps, who)):
            await ack(text=waiting)
            return
        opener = OPENERS.get(word)
        if opener is not None:
            # Ack first: the trigger id lives three seconds and the form opens after.
            await ack()
            deps.background.spawn(
                opener(deps, who, trigger, channel), on_error=deps.sorry_to(who, channel)
            )
        elif word == "edit":
            objective_id = payloads.object_id((text or "").strip()[len(word) :])
            if objective_id is None:
                words = await deps.words_for(who)
                await ack(text=words("edit.usage"))
                return
            await ack()
            deps.background.spawn(
                open_form(deps, who, trigger, channel, objective_id=objective_id),
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
