"""The quarter's close: the scoring form, and writing next quarter's OKRs."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck

from okrbot.services import closing
from okrbot.services.closing import ScoringPage
from okrbot.services.common import PageStored
from okrbot.slack import ids, payloads
from okrbot.slack.blocks import closing as blocks
from okrbot.slack.blocks.common import PageState
from okrbot.slack.deps import Deps
from okrbot.slack.listeners.actions import Click, on_click
from okrbot.slack.listeners.opening import open_form, open_scoring
from okrbot.slack.listeners.paging import store_page
from okrbot.slack.routes import Routes


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

        state = PageState.decode(payloads.view_field(body, "private_metadata"))

        def store() -> Awaitable[PageStored[ScoringPage]]:
            return closing.submit_scores(
                deps.uow,
                deps.actor(who),
                state.ids,
                payloads.all_values(body),
                state.rest,
                today=deps.today(),
                now=deps.clock(),
            )

        await store_page(deps, ack, who, body, store, blocks.scoring_modal, "scores")

    app.action(ids.SCORE)(on_click(deps, _score))
    app.action(ids.NEXT_QUARTER)(on_click(deps, _next_quarter))
    app.view(ids.SCORE_VIEW)(submit)
