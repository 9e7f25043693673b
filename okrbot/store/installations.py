"""Where Slack's OAuth flow keeps the workspaces' installs and the install links not used
yet: slack_sdk's stores, on okrbot's own database (their tables are in models)."""

from __future__ import annotations

import logging

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine


def installation_store(
    engine: AsyncEngine, client_id: str, logger: logging.Logger | None = None
) -> AsyncInstallationStore:
    """The bot tokens of the workspaces okrbot is installed in."""
    if logger is None:
        return AsyncSQLAlchemyInstallationStore(client_id, engine)
    return AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=logger)


def state_store(
    engine: AsyncEngine, expiration_seconds: int, logger: logging.Logger
) -> AsyncOAuthStateStore:
    """Install links handed out and not used yet, each good for `expiration_seconds`."""
    return AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=expiration_seconds, engine=engine, logger=logger
    )
