"""Which Slack workspaces okrbot serves, with whose token, under whose settings.

Single-workspace mode (the default) has one bot token and its settings in the
environment. With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET every workspace installs okrbot
through OAuth: its token is in slack_sdk's installation store, its settings in the
`workspace` table, and its jobs run only while it is installed.
"""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from okrbot.services import workspaces as registry
from okrbot.services.common import Organisation
from okrbot.services.ports import DeliveryError
from okrbot.services.workspaces import Setup
from okrbot.slack.gateway import TIMEOUT, Connections, SlackGateway, make_client
from okrbot.slack.notifier import SlackNotifier
from okrbot.store.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


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
        async with self._uow(readonly=True) as uow:
            return await registry.active(uow)

    async def setup(self, uow: UnitOfWork, workspace_id: str) -> Setup | None:
        return await registry.setup_of(uow, workspace_id)

    async def uninstalled(self, workspace_id: str, now: datetime) -> None:
        """Its jobs stop and its dead tokens go; its OKRs stay, for a reinstall."""
        async with self._uow() as uow:
            await registry.uninstalled(uow, workspace_id, now)
            await uow.commit()
        await self.store.async_delete_all(enterprise_id=None, team_id=workspace_id)
        log.info("okrbot was removed from workspace %s: its weekly jobs stop", workspace_id)
