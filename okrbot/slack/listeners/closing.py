"""The quarter's close: the scoring form, and writing next quarter's OKRs."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck

from okrbot.services import closing
from okrbot.slack import ids, payloads
from okrbot.slack.blocks import closing as blocks
from okrbot.slack.blocks.common import PageState
from okrbot.slack.deps import Deps
from okrbot.slack.listeners.actions import Click, on_click
from okrbot.slack.listeners.opening import open_form, open_scoring
from okrbot.slack.routes import Routes

log = logging.getLogger(__name__)


async def _score(deps: Deps, click: Click) -> None:
    await open_scoring(deps, click.who, click.trigger, click.channel)


async def _next_quarter(deps: Deps, click: Click) -> None:
    await open_form(deps, click.who, click.trigger, click.channel)


def register(app: Routes, deps: Deps) -> None:
    async def submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            who = payloads.who(body)
        except payloads.PayloadError:
            await ack()
            return
        words = await deps.words_for(who)
        state = PageState.decode(payloads.view_field(body, "private_metadata"))
        present = payloads.form_field_blocks(body)
        next_page = None
        try:
            async with deps.uow() as uow:
                await closing.record_scores(
                    uow,
                    deps.actor(who),
                    state.ids,
                    payloads.all_values(body),
                    today=deps.today(),
                    now=deps.clock(),
                )
            if state.rest:
                async with deps.uow(readonly=True) as uow:
                    next_page = await closing.scoring_page(
                        uow, deps.actor(who), deps.today(), only=state.rest
                    )
        except closing.InvalidScores as exc:
            errors = {
                e.field if e.field in present else present[0]: words(e.key, **e.params)
                for e in exc.errors
                if present
            }
            await ack(response_action="errors", errors=errors)
            return
        except Exception:
            log.exception("recording scores failed for %s", who.user_id)
            await ack(
                response_action="errors",
                errors={present[0]: words("common.sorry")} if present else {},
            )
            return
        if next_page is not None and next_page.objectives:
            await ack(response_action="update", view=blocks.scoring_modal(next_page, words))
        else:
            await ack()

    app.action(ids.SCORE)(on_click(deps, _score))
    app.action(ids.NEXT_QUARTER)(on_click(deps, _next_quarter))
    app.view(ids.SCORE_VIEW)(submit)
