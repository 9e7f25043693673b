"""Installing okrbot in a workspace through Slack's OAuth flow (SLACK_CLIENT_ID/SECRET).

`GET /slack/install` sends the installer to Slack; Slack sends them back to
`GET /slack/oauth_redirect`, where Bolt exchanges the code for the workspace's bot token
and keeps it in slack_sdk's installation store, in okrbot's own database. okrbot then
records the workspace, makes the installer of its first install its first admin and tells
them the two settings left to choose; a later install renews the token and changes no role.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from okrbot.background import Background
from okrbot.config import Settings
from okrbot.i18n import translator
from okrbot.services import workspaces
from okrbot.services.ports import Clock, DeliveryError
from okrbot.slack.tenancy import Installations
from okrbot.store.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The bot scopes of manifest.yml (a test keeps the two the same).
SCOPES = (
    "commands",
    "chat:write",
    "files:write",
    "users:read",
    "users:read.email",
    "im:write",
    "im:history",
    "channels:history",
    "groups:history",
)
# How long an install link stays good.
STATE_SECONDS = 600


def settings(
    config: Settings,
    installations: Installations,
    uow: UnitOfWorkFactory,
    background: Background,
    clock: Clock,
    state_store: AsyncOAuthStateStore,
) -> AsyncOAuthSettings:
    """`state_store` keeps the install links handed out (see `store.installations`): each is
    good for STATE_SECONDS."""

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        team_id = installation.team_id
        if team_id is None:
            # An organisation-wide (Enterprise Grid) install: okrbot is installed per workspace.
            log.warning("refused an organisation-wide install")
            return BoltResponse(
                status=400, body="okrbot is installed in each workspace, not organisation-wide"
            )
        installer = installation.user_id
        async with uow() as unit:
            _setup, made_admin = await workspaces.installed(
                unit, team_id, installation.team_name or "", installer, clock()
            )
            await unit.commit()
        if made_admin:
            log.info("installed in workspace %s by %s, now its admin", team_id, installer)
            background.spawn(_welcome(installations, team_id, installer, config.language))
        else:
            # A reinstall (new scopes, a new token): whoever did it, nobody's role changes,
            # and the welcome, which tells its reader they are the admin, is not sent.
            log.info("installed again in workspace %s by %s; roles unchanged", team_id, installer)
        return await args.default.success(args)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        # Declined, an expired install link, or Slack refusing the code: the page says so.
        log.warning("an install did not complete: %s", args.reason)
        return await args.default.failure(args)

    return AsyncOAuthSettings(
        client_id=config.slack_client_id,
        client_secret=config.slack_client_secret,
        scopes=list(SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installations.store,
        installation_store_bot_only=True,
        state_store=state_store,
        state_expiration_seconds=STATE_SECONDS,
        callback_options=AsyncCallbackOptions(success=success, failure=failure),
        logger=log,
    )


async def _welcome(installations: Installations, team_id: str, user_id: str, language: str) -> None:
    """Tell the installer what is left: choosing the CEO and the OKR channel."""
    words = translator(language)
    try:
        gateway = await installations.gateway(team_id)
        await gateway.post_message(user_id, words("admin.welcome"))
    except DeliveryError as exc:
        log.warning("could not welcome the installer %s: %s", user_id, exc.code)


Step = Callable[[AsyncBoltRequest], Awaitable[BoltResponse]]


def route(step: Step) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await step(await to_bolt_request(request)))

    return handle
