"""What listeners get to work with; built once per app by bootstrap."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from okrbot.background import Background, ErrorHook
from okrbot.domain.pace import DEFAULT_BEHIND_PACE_POINTS
from okrbot.i18n import Translator, language_of, translator
from okrbot.services import people
from okrbot.services.common import Actor
from okrbot.services.delivery import Dispatcher
from okrbot.services.inbox import Inbox, Storing
from okrbot.services.ports import Clock, DeliveryError, WeeklyJobs
from okrbot.slack.gateway import SlackGateway
from okrbot.slack.payloads import Who
from okrbot.slack.tenancy import Tenancy
from okrbot.store.uow import SessionFactory

log = logging.getLogger(__name__)


@dataclass
class Deps:
    uow: SessionFactory
    tenancy: Tenancy
    clock: Clock
    zone: ZoneInfo
    background: Background
    dispatcher: Dispatcher
    # Check-ins answered and waiting to be stored.
    inbox: Inbox
    # ... and stored from there, after the answers (set right after this is built).
    storing: Storing = field(init=False)
    # Approve clicks answered and waiting to be applied (services.decisions).
    decisions: Inbox = field(init=False)
    # For people whose Slack locale okrbot has no catalogue for, or does not know yet.
    language: str = "en"
    # OKRBOT_BEHIND_PACE_POINTS: Home and `/okr show` flag an objective this far behind.
    behind_pace_points: float = DEFAULT_BEHIND_PACE_POINTS
    # The weekly jobs, for `/okr admin run` (set once they are built).
    jobs: WeeklyJobs | None = None
    # A delivery pass queued as work after the answers, until it starts.
    _queued_delivery: asyncio.Task[None] | None = field(default=None, init=False)

    def today(self) -> date:
        return self.clock().astimezone(self.zone).date()

    async def words_for(self, who: Who) -> Translator:
        """The catalogue in the person's own language (their Slack locale)."""
        locale = await people.locale(self.uow, who.workspace_id, who.user_id)
        return translator(language_of(locale, self.language))

    def actor(self, who: Who) -> Actor:
        return Actor(who.workspace_id, who.user_id)

    async def slack(self, who: Who) -> SlackGateway:
        """The Web API with the token of the person's workspace (raises DeliveryError)."""
        return await self.tenancy.gateway(who.workspace_id)

    def spawn_durable(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Work after the answers that works only from the database."""
        return self.background.spawn(work, durable=True)

    def deliver_soon(self) -> None:
        """Send what the last commit queued, after Slack has its answer: by the delivery
        pass already running, or by a new one."""
        queued = self._queued_delivery
        if self.dispatcher.poke() or (queued is not None and not queued.done()):
            # A pass that has not started yet sees this commit's messages too.
            return
        self._queued_delivery = self.background.spawn(self._deliver(), durable=True)

    async def _deliver(self) -> None:
        self._queued_delivery = None
        # A pass started meanwhile (the sweeper's, or one spawned just before this) is poked,
        # not waited for: waiting work holds a slot, and a pass running as background work
        # needs one again after it has given way to the answers. Waiting here, four such
        # deliveries held every slot while the pass they waited for waited for one: nothing
        # after an answer ever ran again.
        if not self.dispatcher.poke():
            await self.dispatcher.run_once()

    async def tell(self, who: Who, text: str, channel: str | None = None) -> None:
        """An ephemeral note where the person is, or a DM when there is no such place."""
        user_id = who.user_id
        try:
            slack = await self.slack(who)
        except DeliveryError as exc:
            log.warning("could not tell %s: %s", user_id, exc.code)
            return
        if channel:
            try:
                await slack.post_ephemeral(channel, user_id, text)
            except DeliveryError as exc:
                # The bot may not be in that channel; a DM always reaches the person.
                log.info(
                    "ephemeral to %s in %s failed (%s); sending a DM", user_id, channel, exc.code
                )
            else:
                return
        try:
            await slack.post_message(user_id, text)
        except DeliveryError as exc:
            log.warning("could not tell %s: %s", user_id, exc.code)

    def sorry_to(self, who: Who, channel: str | None = None) -> ErrorHook:
        async def hook(_exc: BaseException) -> None:
            words = await self.words_for(who)
            await self.tell(who, words("common.sorry"), channel)

        return hook
