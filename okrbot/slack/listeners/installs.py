"""Slack telling okrbot it was removed from a workspace, or its token revoked."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from okrbot.slack.deps import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    async def uninstalled(body: dict[str, Any]) -> None:
        team = body.get("team_id")
        if isinstance(team, str) and team:
            await deps.tenancy.uninstalled(team, deps.clock())

    async def revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        tokens = event.get("tokens")
        bots = tokens.get("bot") if isinstance(tokens, dict) else None
        # Only user tokens revoked: okrbot keeps none, so nothing changes.
        if bots:
            await uninstalled(body)

    app.event("app_uninstalled")(uninstalled)
    app.event("tokens_revoked")(revoked)
