"""Check-ins by reply: the person's messages in their DM with okrbot, and Undo."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from okrbot.services import replies
from okrbot.slack import ids, payloads
from okrbot.slack.deps import Deps
from okrbot.slack.listeners.actions import Click, on_click
from okrbot.slack.routes import Routes

log = logging.getLogger(__name__)

# Longer than any check-in: the rest would only be a comment the form refuses anyway.
TEXT_MAX = 5000
EDITED = "message_changed"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _bot_user(body: dict[str, Any]) -> str | None:
    for authorization in body.get("authorizations") or []:
        if isinstance(authorization, dict) and authorization.get("is_bot"):
            return _str(authorization.get("user_id"))
    return None


def direct_message(body: dict[str, Any]) -> replies.DirectMessage | None:
    """A person's message (or edit) in their DM with okrbot, as the service reads it; None
    for anything else: other bots and okrbot itself, joins, deletions, other channels."""
    event = _dict(body.get("event"))
    if event.get("type") != "message" or event.get("channel_type") != "im":
        return None
    subtype = event.get("subtype")
    if subtype not in (None, EDITED):
        return None
    message = _dict(event.get("message")) if subtype == EDITED else event
    if subtype == EDITED and _dict(event.get("previous_message")).get("text") == message.get(
        "text"
    ):
        # An unfurl or a reaction, not an edit of the words.
        return None
    if message.get("bot_id") or message.get("subtype") or message.get("bot_profile"):
        return None
    team = payloads.team_id(body.get("team_id"))
    user = payloads.user_id(message.get("user"))
    channel = payloads.channel_id(event.get("channel"))
    ts, text = _str(message.get("ts")), message.get("text")
    if team is None or user is None or channel is None or ts is None:
        return None
    if not isinstance(text, str) or user == _bot_user(body) or not channel.startswith("D"):
        return None
    edited = None
    if subtype == EDITED:
        edited = _str(_dict(message.get("edited")).get("ts")) or _str(event.get("ts")) or ts
    return replies.DirectMessage(team, user, channel, ts, text[:TEXT_MAX], edited)


async def read(deps: Deps, message: replies.DirectMessage) -> None:
    handled = await replies.handle(deps.uow, message, zone=deps.zone, now=deps.clock())
    log.info("reply %s of %s: %s", message.ts, message.user_id, handled.value)
    if handled in (replies.Handled.RECORDED, replies.Handled.UNCLEAR, replies.Handled.HELP):
        deps.deliver_soon()


async def _undo(deps: Deps, click: Click) -> None:
    reply_id = payloads.object_id(click.value)
    message_ts = _str(_dict(click.body.get("container")).get("message_ts"))
    answer = (click.channel, message_ts) if click.channel and message_ts else None
    if reply_id is None:
        result = replies.Undo.NOT_YOURS
    else:
        result = await replies.undo(
            deps.uow, deps.actor(click.who), reply_id, answer=answer, now=deps.clock()
        )
    if result is replies.Undo.DONE:
        deps.deliver_soon()
        return
    words = await deps.words_for(click.who)
    await deps.tell(click.who, words(f"reply.undo.{result.value}"), click.channel)


def register(app: AsyncApp, routes: Routes, deps: Deps) -> None:
    routes.action(ids.REPLY_UNDO)(on_click(deps, _undo))

    async def message(body: dict[str, Any]) -> None:
        found = direct_message(body)
        if found is None:
            return
        # Bolt answers when this returns (well within Slack's 3 seconds); the reading,
        # the check-in and the answer come after.
        deps.background.spawn(read(deps, found))

    app.event("message")(message)
