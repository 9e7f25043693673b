"""Bolt listeners. Each module exposes register(app, deps); nothing is global."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from okrbot.slack import payloads
from okrbot.slack.deps import Deps
from okrbot.slack.listeners import actions, checkins, closing, commands, home, installs, views
from okrbot.slack.routes import Routes


def refuse_malformed(body: Any) -> BoltResponse | None:
    """For a middleware, before Bolt matches listeners: its matchers raise on a malformed
    action list, and its error handler answers that with a 500, which Slack would retry."""
    if not payloads.well_formed(body):
        return BoltResponse(status=400, body="malformed request")
    return None


def register_all(app: AsyncApp, deps: Deps) -> None:
    # In the order Bolt tries them: the command, the forms, the buttons, the events.
    commands.register(app, deps)
    routes = Routes()
    actions.register(routes, deps)
    views.register(routes, deps)
    checkins.register(routes, deps)
    closing.register(routes, deps)
    routes.install(app)
    home.register(app, deps)
    installs.register(app, deps)
