"""Bolt listeners. Each module exposes register(app, deps); nothing is global.

The command, the buttons and the forms register on `Routes` (one middleware routes them on
their id, see okrbot.slack.routes); the events on Bolt itself."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from okrbot.slack import payloads
from okrbot.slack.deps import Deps
from okrbot.slack.listeners import (
    actions,
    checkins,
    closing,
    commands,
    home,
    installs,
    replies,
    views,
)
from okrbot.slack.routes import Gate, Router, Routes


def refuse_malformed(body: Any) -> BoltResponse | None:
    """Before anything is routed: Bolt's listener matchers raise on a malformed action list,
    and its error handler answers that with a 500, which Slack would retry."""
    if not payloads.well_formed(body):
        return BoltResponse(status=400, body="malformed request")
    return None


def register_all(app: AsyncApp, deps: Deps, gate: Gate) -> None:
    """Everything okrbot answers; `gate` sees every request first (events included)."""
    routes = Routes()
    commands.register(routes, deps)
    actions.register(routes, deps)
    views.register(routes, deps)
    checkins.register(routes, deps)
    closing.register(routes, deps)
    replies.register(app, routes, deps)
    app.middleware(Router(routes, gate))
    home.register(app, deps)
    installs.register(app, deps)
