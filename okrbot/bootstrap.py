"""Wires settings into a running app: engine, units of work, Slack client, Bolt, web server."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from okrbot import logs
from okrbot.api.server import PREFIX as API_PREFIX
from okrbot.api.server import Api
from okrbot.background import Answers, Background
from okrbot.config import Settings
from okrbot.jobs.runner import Jobs
from okrbot.jobs.scheduler import WeeklyTimer
from okrbot.services import events, inbox
from okrbot.services.common import Organisation
from okrbot.services.delivery import Dispatcher
from okrbot.services.fanout import FanOut, Pacer, Sleep
from okrbot.services.ports import Clock
from okrbot.slack import oauth
from okrbot.slack.deps import Deps
from okrbot.slack.gateway import Connections, SlackGateway, make_client
from okrbot.slack.listeners import actions, refuse_malformed, register_all
from okrbot.slack.tenancy import Installations, SingleWorkspace, Tenancy
from okrbot.sources import read as read_source
from okrbot.store import schema
from okrbot.store.engine import create_engine, ping
from okrbot.store.installations import installation_store, state_store
from okrbot.store.models import InboxCheckIn, InboxDecision
from okrbot.store.uow import SessionFactory

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
# Seconds since 1970 fit in 11 digits until the year 5138; more is not a timestamp.
TIMESTAMP_DIGITS_MAX = 11
HEALTH_PATH = "/healthz"
# How long shutdown waits for the sweep in progress to finish its batch.
SWEEP_GRACE = 20.0
# ... and for work after the answers to finish (opening forms, applying decisions).
SHUTDOWN_GRACE = 20.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class _QuietTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client wins; it always does."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_BOLT_LOG = logging.getLogger("okrbot.bolt")
_BOLT_LOG.addFilter(_QuietTokenNotice())


@dataclass
class Okrbot:
    settings: Settings
    engine: AsyncEngine
    uow: SessionFactory
    bolt: AsyncApp
    deps: Deps
    background: Background
    jobs: Jobs
    connections: Connections
    _sweeper: asyncio.Task[None] | None = field(default=None, init=False)
    _sweep_stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _timer: WeeklyTimer | None = field(default=None, init=False)
    _api: Api | None = field(default=None, init=False)

    @property
    def dispatcher(self) -> Dispatcher:
        return self.deps.dispatcher

    @property
    def tenancy(self) -> Tenancy:
        return self.deps.tenancy

    @property
    def gateway(self) -> SlackGateway:
        """The one workspace's Web API (single-workspace mode)."""
        tenancy = self.deps.tenancy
        if not isinstance(tenancy, SingleWorkspace):
            raise TypeError("with OAuth installs, each workspace has its own gateway")
        return tenancy.the_gateway

    async def check_schema(self) -> None:
        """Refuse an old schema, or bring it up to date when configured to."""
        try:
            await schema.check_at_head(self.engine)
        except schema.SchemaOutOfDate as outdated:
            if not self.settings.auto_migrate:
                raise
            log.info("upgrading the database schema from %s to %s", outdated.current, outdated.head)
            await asyncio.to_thread(schema.upgrade, self.settings.database_url)

    async def settle(self) -> None:
        """Wait for every piece of work started so far, store and apply what is left in
        the inboxes, and deliver what it all queued."""
        await self.background.drain()
        while await self.recover_inbox(grace=timedelta(0)):
            pass
        while await self.recover_decisions(grace=timedelta(0)):
            pass
        await self.dispatcher.run_once()
        await self.background.drain()

    async def recover_inbox(self, grace: timedelta = inbox.GRACE) -> int:
        """Store check-ins answered at least `grace` ago and not stored yet (a crash, or
        an error, came between); one batch, oldest first."""
        return await inbox.recover(
            self.uow, zone=self.deps.zone, now=self.deps.clock(), grace=grace
        )

    async def recover_decisions(self, grace: timedelta = inbox.GRACE) -> int:
        """Apply clicks answered at least `grace` ago and not applied yet (a crash, or an
        error, came between), and tell their deciders; how many were dealt with."""
        return await actions.recover_decisions(self.deps, grace)

    def start_sweeper(self, every: float | None = None) -> None:
        """Every `OKRBOT_SWEEP_SECONDS`: send what a crash or an outage left in the outbox,
        retry what Slack deferred, and apply what a crash left in the inboxes. Its first
        pass runs at once: what a crash left is dealt with at start-up."""
        every = self.settings.sweep_seconds if every is None else every
        stopping = self._sweep_stop = asyncio.Event()

        async def sweep() -> None:
            # The first pass runs even when the process stops at once: a restart loop must
            # still get through what the crash before it left. It takes rows however young:
            # none is this process's own yet (later passes leave the young ones to the
            # answers' own work; another instance's taken too is still applied once).
            grace = timedelta(0)
            while True:
                try:
                    await self.recover_inbox(grace)
                except Exception:
                    log.exception("storing check-ins from the inbox failed; trying again later")
                try:
                    await self.recover_decisions(grace)
                except Exception:
                    log.exception("applying decisions from the inbox failed; trying again later")
                try:
                    await self.dispatcher.run_once()
                except Exception:
                    log.exception("delivering queued messages failed; trying again later")
                if stopping.is_set():
                    return
                grace = inbox.GRACE
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), every)

        self._sweeper = asyncio.create_task(sweep())
        self.background.start_watchdog()

    def start_scheduler(self) -> None:
        """The weekly jobs' timer; safe to run in every instance (see jobs.scheduler)."""
        self._timer = WeeklyTimer(self.jobs, self.settings.tick_seconds)
        self._timer.start()

    async def close(self) -> None:
        if self._timer is not None:
            await self._timer.stop()
        if self._sweeper is not None:
            # A message being sent is sent and recorded; cancelling it half-way would leave
            # it claimed until its lease ran out.
            self._sweep_stop.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._sweeper), SWEEP_GRACE)
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        await self.background.stop_watchdog()
        if not await self.background.drain(within=SHUTDOWN_GRACE):
            # What it was doing is in the database (the outbox, the inboxes, claimed
            # deliveries): any process takes it over.
            log.warning(
                "shutting down with background work unfinished: %s",
                "; ".join(self.background.waiting()),
            )
            self.background.abandon()
            await self.background.drain()
        if self._api is not None:
            self._api.close()
        await self.connections.close()
        await self.uow.dispose()
        await self.engine.dispose()

    def web_app(self) -> web.Application:
        verifying = bool(self.settings.slack_signing_secret)

        async def events(request: web.Request) -> web.Response:
            if verifying and not _unix_time(request.headers.get(TIMESTAMP_HEADER)):
                # Bolt's check reads the header with int() and raises on "abc" or "1e3":
                # a 500 and a traceback for a request that is simply not signed. Anyone can
                # send these, so Bolt's own refusal is answered, and only logged at DEBUG
                # as Bolt logs a bad signature.
                log.debug("refused a request with a malformed %s", TIMESTAMP_HEADER)
                return web.json_response({"error": "invalid request"}, status=401)
            try:
                bolt_request = await to_bolt_request(request)
                response = await self.bolt.async_dispatch(bolt_request)
            except Exception as exc:
                # Bolt parses the body and builds its context itself, and raises on shapes
                # Slack never sends (payload=null, "user": [], "actions": {...}). That is
                # the sender's fault: a 400, not a 500 that invites a retry. Listener errors
                # never get here; Bolt turns those into its own response.
                log.warning("refused a malformed request: %s", type(exc).__name__)
                return web.Response(status=400, text="malformed request")
            return await to_aiohttp_response(response)

        async def health(_request: web.Request) -> web.Response:
            try:
                await ping(self.engine)
            except Exception as exc:
                log.warning("health check: database unreachable: %s", type(exc).__name__)
                return web.json_response({"ok": False, "database": "unreachable"}, status=503)
            return web.json_response({"ok": True})

        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(EVENTS_PATH, events)
        app.router.add_get(HEALTH_PATH, health)
        api = Api(
            self.uow,
            self.deps.clock,
            self.deps.zone,
            per_minute=self.settings.api_rate_per_minute,
            answers=self.background.answers,
            deliver=self.deps.deliver_soon,
            direct=self.uow,
        )
        self._api = api
        app.add_subapp(API_PREFIX, api.app())
        flow = self.bolt.oauth_flow
        if flow is not None:
            for path, step in (
                (oauth.INSTALL_PATH, flow.handle_installation),
                (oauth.REDIRECT_PATH, flow.handle_callback),
            ):
                app.router.add_get(path, oauth.route(step))
        return app


def _unix_time(value: str | None) -> bool:
    """Whether a request timestamp is one Slack could have sent: Unix time in seconds."""
    return (
        value is not None
        and 0 < len(value) <= TIMESTAMP_DIGITS_MAX
        and value.isdecimal()
        and value.isascii()
    )


def _slack_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64 and value.isascii()


class LoggedApp(AsyncApp):
    """Every line logged while a request is handled (HTTP or Socket Mode, background work
    included) says which workspace, person and request it was about. And while a request
    is being answered, work after earlier answers gives way to it (see okrbot.background)."""

    answers: Answers | None = None

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        context = req.context
        answers = self.answers
        # Every request comes through here: no context managers (a few microseconds each).
        if answers is not None:
            answers.begin()
        token = logs.enter(
            workspace=context.team_id or context.enterprise_id,
            user=context.user_id,
            request=secrets.token_hex(6),
        )
        try:
            response: BoltResponse = await super().async_dispatch(req)
        finally:
            logs.leave(token)
            if answers is not None:
                answers.end()
        return response


def build(settings: Settings, *, clock: Clock = utc_now, sleep: Sleep = asyncio.sleep) -> Okrbot:
    if not settings.oauth and (not settings.ceo or not settings.channel):
        raise ValueError("OKRBOT_CEO and OKRBOT_CHANNEL are needed to run the app")
    engine = create_engine(settings.database_url)
    uow = SessionFactory(engine)
    background = Background()
    connections = Connections(settings.slack_timeout)
    # With OAuth each request's token comes from the installation store; without, this
    # client's token is the only one.
    client = make_client(
        None if settings.oauth else settings.slack_bot_token,
        settings.slack_api_url,
        settings.slack_timeout,
    )
    tenancy: Tenancy
    oauth_settings: AsyncOAuthSettings | None = None
    authorize: AsyncInstallationStoreAuthorize | None = None
    if settings.oauth:
        installations = Installations(
            uow,
            installation_store(engine, settings.slack_client_id or "", _BOLT_LOG),
            settings.slack_api_url,
            settings.language,
            connections,
        )
        tenancy = installations
        states = state_store(engine, oauth.STATE_SECONDS, oauth.log)
        oauth_settings = oauth.settings(settings, installations, uow, background, clock, states)
        # Each request's token from the store, its auth.test remembered per token: a
        # request does not wait for a Slack round trip. A reinstall brings a new token.
        authorize = AsyncInstallationStoreAuthorize(
            installation_store=installations.store,
            logger=_BOLT_LOG,
            bot_only=True,
            cache_enabled=True,
            client=client,
        )
    else:
        org = Organisation(settings.ceo or "", settings.channel or "", settings.admins)
        tenancy = SingleWorkspace(SlackGateway(client, connections), org, settings.language)
    # Slack's limits are per workspace, so each one is paced on its own.
    pacers: dict[str, Pacer] = {}

    def pacer_for(workspace_id: str) -> Pacer:
        return pacers.setdefault(
            workspace_id,
            Pacer(settings.fanout_per_minute, lambda: clock().timestamp(), sleep),
        )

    class Pace:
        """The outbox's view of the pacers: one conversation at a time."""

        def free_in(self, workspace_id: str, conversation: str) -> float:
            return pacer_for(workspace_id).channel_free_in(conversation)

        def take(self, workspace_id: str, conversation: str) -> None:
            pacer_for(workspace_id).take_channel(conversation)

    dispatcher = Dispatcher(
        uow,
        tenancy,
        clock,
        zone=settings.timezone,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        pace=Pace(),
        sleep=sleep,
        behind_pace_points=settings.behind_pace_points,
    )
    deps = Deps(
        uow=uow,
        tenancy=tenancy,
        clock=clock,
        zone=settings.timezone,
        background=background,
        dispatcher=dispatcher,
        inbox=inbox.Inbox(
            uow,
            answers=background.answers,
            append=functools.partial(uow.append, InboxCheckIn, skip_taken="submission_key"),
        ),
        language=settings.language,
        behind_pace_points=settings.behind_pace_points,
    )
    deps.decisions = inbox.Inbox(
        uow,
        answers=background.answers,
        append=functools.partial(uow.append, InboxDecision, skip_taken="click_key"),
    )
    deps.storing = inbox.Storing(
        uow,
        deps.spawn_durable,
        zone=settings.timezone,
        clock=clock,
        stored=deps.deliver_soon,
    )
    bolt = LoggedApp(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        # Listeners ack at once and hand slow work to `background`, so the HTTP answer
        # goes out when the listener returns, and tests and shutdown can wait for the rest.
        process_before_response=True,
        request_verification_enabled=bool(settings.slack_signing_secret),
        logger=_BOLT_LOG,
        oauth_settings=oauth_settings,
        # An AsyncAuthorize instance is taken as it is (Bolt checks), whatever the annotation.
        authorize=authorize,  # type: ignore[arg-type]
    )
    bolt.answers = background.answers

    async def first_time(body: dict[str, Any]) -> bool:
        # A retried event (X-Slack-Retry-Num) or one delivered to two instances is
        # answered, but handled only the first time.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        workspace = body.get("team_id")
        # Slack's ids are short ASCII; anything else is not Slack's and is left to Bolt.
        if _slack_id(event_id) and _slack_id(workspace):
            async with uow() as unit:
                return await events.first_time(unit, str(workspace), str(event_id), clock())
        return True

    async def served(context: AsyncBoltContext) -> bool:
        # With one bot token, okrbot serves that token's workspace only: a request that says
        # it comes from another (Slack would not send one) changes nothing. With OAuth,
        # Bolt has already refused workspaces without an install.
        team = context.team_id
        if isinstance(tenancy, SingleWorkspace) and team and not await tenancy.serves(team):
            log.warning("refused a request from workspace %s, which okrbot does not serve", team)
            return False
        return True

    async def admit(context: AsyncBoltContext, body: dict[str, Any]) -> BoltResponse | None:
        if not await served(context):
            return BoltResponse(status=200, body="okrbot is not installed in this workspace.")
        if not await first_time(body):
            return BoltResponse(status=200, body="")
        return refuse_malformed(body)

    register_all(bolt, deps, admit)

    def fanout_for(workspace_id: str) -> FanOut:
        return FanOut(
            uow,
            pacer_for(workspace_id),
            clock,
            concurrency=settings.fanout_concurrency,
            lease=timedelta(seconds=settings.fanout_lease_seconds),
        )

    jobs = deps.jobs = Jobs(
        uow,
        tenancy,
        fanout_for,
        settings.schedule,
        clock,
        settings.language,
        read_source=functools.partial(read_source, allow_private=settings.allow_private_sources),
    )

    @bolt.error
    async def on_error(error: Exception) -> None:
        log.error("unhandled error in a listener: %s", type(error).__name__, exc_info=error)

    return Okrbot(settings, engine, uow, bolt, deps, background, jobs, connections)
