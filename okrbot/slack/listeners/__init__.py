"""Bolt listeners. Each module exposes register(app, deps); nothing is global."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from okrbot.slack.deps import Deps
from okrbot.slack.listeners import actions, checkins, closing, commands, home, views


def register_all(app: AsyncApp, deps: Deps) -> None:
    commands.register(app, deps)
    actions.register(app, deps)
    views.register(app, deps)
    checkins.register(app, deps)
    home.register(app, deps)
    closing.register(app, deps)
