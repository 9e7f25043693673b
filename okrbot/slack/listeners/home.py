"""The App Home tab: published whenever the person opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from okrbot.i18n import language_of, translator
from okrbot.services.home import home_of
from okrbot.services.ports import DeliveryError
from okrbot.slack import payloads
from okrbot.slack.blocks.home import home_view
from okrbot.slack.deps import Deps
from okrbot.slack.payloads import Who

log = logging.getLogger(__name__)


async def show_home(deps: Deps, who: Who) -> None:
    home = await home_of(
        deps.uow, who.workspace_id, who.user_id, deps.today(), points=deps.behind_pace_points
    )
    words = translator(language_of(home.locale, deps.language))
    try:
        slack = await deps.slack(who)
        await slack.publish_home(who.user_id, home_view(home, words))
    except DeliveryError as exc:
        # Nobody is waiting on an answer: the next opening tries again.
        log.warning("views.publish for %s failed: %s", who.user_id, exc.code)


def register(app: AsyncApp, deps: Deps) -> None:
    async def opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        # The Messages tab opens with the same event; it shows the DMs, nothing to build.
        if event.get("tab") != "home":
            return
        user_id, team_id = (
            payloads.user_id(event.get("user")),
            payloads.team_id(body.get("team_id")),
        )
        if user_id is None or team_id is None:
            return
        # Bolt answers when this returns; the queries and views.publish come after. A retry
        # of the same event (X-Slack-Retry-Num) just publishes the same view again.
        deps.background.spawn(show_home(deps, Who(team_id, user_id)))

    app.event("app_home_opened")(opened)
