"""Which Slack workspaces okrbot serves, with whose token, under whose settings.

Single-workspace mode (the default) has one bot token and its settings in the
environment. With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET every workspace installs okrbot
through OAuth: its token is in slack_sdk's installation store, its settings in the
`workspace` table, and its jobs run only while it is installed.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from okrbot.services import workspaces as registry
from okrbot.services.common import Organisation
from okrbot.services.ports import DeliveryError
from okrbot.services.workspaces import Setup
from okrbot.slack.gateway import TIMEOUT, Connections, SlackGateway, make_client
from okrbot.slack.notifier import SlackNotifier
from okrbot.store.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# What Slack answers, to auth.test and apps.connections.open, about a token it does not
# take: nothing okrbot does with it can work until a person changes it. Anything else
# (unreachable, 5xx, ratelimited) passes.
REFUSED = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
        "team_access_not_granted",
    }
)


class TokenRefused(Exception):
    """A configured token that Slack refuses: one line naming the variable and Slack's word."""

    def __init__(self, variable: str, code: str) -> None:
        super().__init__(
            f"{variable}: Slack refused the token ({code}); copy it again from the app's "
            "settings at api.slack.com/apps"
        )
        self.variable = variable
        self.code = code


async def _ask(client: AsyncWebClient, method: str) -> dict[str, Any]:
    """One Web API call, for the checks at start: what goes wrong is raised, not logged,
    because the caller says it in one line (the gateway would log it first)."""
    try:
        response = await client.api_call(method)
    except SlackApiError as exc:
        code = str(exc.response.get("error") or f"http_{exc.response.status_code}")
        raise DeliveryError(code, retryable=code not in REFUSED) from None
    except (ClientError, TimeoutError, OSError):
        raise DeliveryError("unreachable", retryable=True) from None
    return dict(response.data) if isinstance(response.data, dict) else {}


async def check_app_token(app_token: str, api_url: str) -> None:
    """Socket Mode's token, asked the one thing it can do (open a connection, whose URL
    is then left unused): a refused token is `TokenRefused` at start, where otherwise the
    Socket Mode client would retry it, with a traceback, every few seconds forever."""
    try:
        await _ask(AsyncWebClient(token=app_token, base_url=api_url), "apps.connections.open")
    except DeliveryError as exc:
        if exc.code in REFUSED:
            raise TokenRefused("SLACK_APP_TOKEN", exc.code) from None
        raise


class Tenancy:
    """What every part of the app asks about a workspace."""

    oauth = False

    def __init__(self, language: str) -> None:
        self._language = language

    async def gateway(self, team_id: str) -> SlackGateway:
        raise NotImplementedError

    async def organisation(self, uow: UnitOfWork, workspace_id: str) -> Organisation | None:
        raise NotImplementedError

    async def workspaces(self) -> list[str]:
        """The workspaces whose weekly jobs run now."""
        raise NotImplementedError

    async def setup(self, uow: UnitOfWork, workspace_id: str) -> Setup | None:
        """The workspace's settings as `/okr admin` shows them; None if not installed."""
        raise NotImplementedError

    async def notifier(self, workspace_id: str) -> SlackNotifier:
        return SlackNotifier(await self.gateway(workspace_id), self._language)

    async def uninstalled(self, workspace_id: str, now: datetime) -> None:
        """The workspace removed okrbot or revoked its token (Slack's events say so)."""
        log.warning(
            "Slack says okrbot was removed from workspace %s or its token revoked: okrbot "
            "cannot reach it until it is installed again and SLACK_BOT_TOKEN updated",
            workspace_id,
        )


class SingleWorkspace(Tenancy):
    def __init__(self, gateway: SlackGateway, org: Organisation, language: str) -> None:
        super().__init__(language)
        self._gateway = gateway
        self._org = org
        self._team: str | None = None

    @property
    def the_gateway(self) -> SlackGateway:
        return self._gateway

    async def gateway(self, team_id: str) -> SlackGateway:
        return self._gateway

    async def organisation(self, uow: UnitOfWork, workspace_id: str) -> Organisation | None:
        return self._org

    async def setup(self, uow: UnitOfWork, workspace_id: str) -> Setup | None:
        org = self._org
        return Setup(workspace_id, "", org.ceo, org.channel, tuple(sorted(org.admins)), None)

    async def team_id(self) -> str:
        # The token's own workspace, asked once.
        if self._team is None:
            self._team = await self._gateway.team_id()
        return self._team

    async def workspaces(self) -> list[str]:
        return [await self.team_id()]

    async def check_token(self) -> None:
        """At start: `TokenRefused` for a token Slack does not take, which otherwise looks
        healthy (/healthz says ok) while every message fails. An outage is `DeliveryError`,
        for the caller to weigh: a server starts anyway, a one-off job cannot."""
        try:
            data = await _ask(self._gateway.client, "auth.test")
        except DeliveryError as exc:
            if exc.code in REFUSED:
                raise TokenRefused("SLACK_BOT_TOKEN", exc.code) from None
            raise
        self._team = str(data["team_id"])

    async def serves(self, team_id: str) -> bool:
        """Whether a request from `team_id` is for this token's workspace. When Slack cannot
        say which that is right now, the request is let through: an outage must not turn
        every click away (the signature already proved it came from Slack)."""
        try:
            return team_id == await self.team_id()
        except DeliveryError as exc:
            log.warning("could not ask Slack which workspace the token is for: %s", exc.code)
            return True


class Installations(Tenancy):
    oauth = True

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        store: AsyncInstallationStore,
        api_url: str,
        language: str,
        connections: Connections | None = None,
    ) -> None:
        super().__init__(language)
        self._uow = uow
        self.store = store
        self._api_url = api_url
        self._connections = connections
        self._gateways: dict[str, SlackGateway] = {}
        # Each token's auth.test, once: True when Slack takes it, False when it refused it.
        self._checked: dict[str, bool] = {}

    async def gateway(self, team_id: str) -> SlackGateway:
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise DeliveryError("not_installed", retryable=False)
        gateway = self._gateways.get(bot.bot_token)
        if gateway is None:
            # One client per token; a reinstall brings a new token and a new client.
            timeout = self._connections.timeout if self._connections else TIMEOUT
            gateway = SlackGateway(
                make_client(bot.bot_token, self._api_url, timeout), self._connections
            )
            self._gateways[bot.bot_token] = gateway
        return gateway

    async def organisation(self, uow: UnitOfWork, workspace_id: str) -> Organisation | None:
        return await registry.organisation(uow, workspace_id)

    async def workspaces(self) -> list[str]:
        """Those installed and set up, less those whose token Slack refuses: a workspace
        that revoked okrbot without Slack's event reaching us (okrbot was down, say) would
        otherwise fail every tick, with a warning each time."""
        async with self._uow(readonly=True) as uow:
            active = await registry.active(uow)
        return [team for team in active if await self._token_taken(team)]

    async def _token_taken(self, team_id: str) -> bool:
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            return True  # not installed: `gateway` says so to whoever asks
        token = bot.bot_token
        known = self._checked.get(token)
        if known is not None:
            return known
        try:
            await _ask(make_client(token, self._api_url), "auth.test")
        except DeliveryError as exc:
            if exc.code not in REFUSED:
                return True  # an outage: the tick finds out and tries again later
            # Once per token: a reinstall brings a new token, checked afresh.
            log.warning(
                "Slack refused workspace %s's token (%s): its weekly jobs are skipped until "
                "okrbot is installed there again",
                team_id,
                exc.code,
            )
            self._checked[token] = False
            return False
        self._checked[token] = True
        return True

    async def setup(self, uow: UnitOfWork, workspace_id: str) -> Setup | None:
        return await registry.setup_of(uow, workspace_id)

    async def uninstalled(self, workspace_id: str, now: datetime) -> None:
        """Its jobs stop and its dead tokens go; its OKRs stay, for a reinstall."""
        async with self._uow() as uow:
            await registry.uninstalled(uow, workspace_id, now)
            await uow.commit()
        await self.store.async_delete_all(enterprise_id=None, team_id=workspace_id)
        log.info("okrbot was removed from workspace %s: its weekly jobs stop", workspace_id)
