"""Bolt listeners. Each module exposes register(app, deps); nothing is global."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from okrbot.slack import payloads
from okrbot.slack.deps import Deps
from okrbot.slack.listeners import actions, checkins, closing, commands, home, installs, views


async def _refuse_malformed(body: Any, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
    # Before Bolt matches listeners: its matchers raise on a malformed action list, and
    # its error handler answers that with a 500, which Slack would retry.
    if not payloads.well_formed(body):
        return BoltResponse(status=400, body="malformed request")
    return await next()


def register_all(app: AsyncApp, deps: Deps) -> None:
    app.middleware(_refuse_malformed)
    commands.register(app, deps)
    actions.register(app, deps)
    views.register(app, deps)
    checkins.register(app, deps)
    home.register(app, deps)
    closing.register(app, deps)
    installs.register(app, deps)
