"""The weekly check-in: `/okr checkin`, the prompt's button, and the form."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from okrbot.services import checkins
from okrbot.slack import ids, payloads
from okrbot.slack.blocks import checkin as blocks
from okrbot.slack.blocks.common import PageState
from okrbot.slack.deps import Deps
from okrbot.slack.listeners.actions import Click, on_click
from okrbot.slack.listeners.opening import open_checkin
from okrbot.slack.listeners.views import field_errors

log = logging.getLogger(__name__)


async def _from_button(deps: Deps, click: Click) -> None:
    await open_checkin(deps, click.who, click.trigger, click.channel)


def register(app: AsyncApp, deps: Deps) -> None:
    async def submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            who = payloads.who(body)
        except payloads.PayloadError:
            await ack()
            return
        state = PageState.decode(payloads.view_field(body, "private_metadata"))
        present = payloads.form_field_blocks(body)
        try:
            async with deps.uow() as uow:
                await checkins.record(
                    uow,
                    deps.actor(who),
                    state.ids,
                    checkins.RawCheckIn(payloads.all_values(body)),
                    today=deps.today(),
                    now=deps.clock(),
                )
            next_page = None
            if state.rest:
                async with deps.uow(readonly=True) as uow:
                    next_page = await checkins.form_page(
                        uow, deps.actor(who), deps.today(), only=state.rest
                    )
        except checkins.InvalidCheckIn as exc:
            words = await deps.words_for(who)
            shown = field_errors(exc.errors, present, words, fallback=present[0] if present else "")
            await ack(response_action="errors", errors=shown)
            return
        except Exception:
            log.exception("recording a check-in failed for %s", who.user_id)
            words = await deps.words_for(who)
            await ack(
                response_action="errors",
                errors={present[0]: words("common.sorry")} if present else {},
            )
            return
        if next_page is not None and next_page.objectives:
            words = await deps.words_for(who)
            await ack(response_action="update", view=blocks.checkin_modal(next_page, words))
        else:
            await ack()
        deps.deliver_soon()

    app.action(ids.CHECKIN)(on_click(deps, _from_button))
    app.view(ids.CHECKIN_VIEW)(submit)
