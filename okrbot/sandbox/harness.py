"""The whole app against a fake Slack, on loopback: for `okrbot demo` and the tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web

from okrbot.bootstrap import EVENTS_PATH, Okrbot, build
from okrbot.config import Settings
from okrbot.sandbox.driver import SlackDriver
from okrbot.sandbox.fake_slack import FakeSlack, FakeUser
from okrbot.services import orgchart
from okrbot.store import schema
from okrbot.store.uow import UnitOfWork

SIGNING_SECRET = "sandbox-signing-secret"  # noqa: S105 - only ever signs loopback requests


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str


CEO = Person("U0CEO0001", "Cora (CEO)", "cora@example.com")
MANAGER = Person("U0MGR0001", "Mads (manager)", "mads@example.com")
AUTHOR = Person("U0AUT0001", "Aisha", "aisha@example.com")
COLLEAGUE = Person("U0COL0001", "Colin", "colin@example.com")
NEWCOMER = Person("U0NEW0001", "Nora (not in the org chart)", "nora@example.com")
PEOPLE = (CEO, MANAGER, AUTHOR, COLLEAGUE, NEWCOMER)
CHANNEL = "C0OKRS001"

ORG_CSV = (
    "user,manager,team,role\n"
    f"{CEO.id},,Leadership,CEO\n"
    f"{MANAGER.email},{CEO.id},Product,Head of Product\n"
    f"{AUTHOR.email},{MANAGER.email},Product,Engineer\n"
    f"{COLLEAGUE.id},{MANAGER.id},Product,Designer\n"
)


class FrozenClock:
    """Time that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    async def sleep(self, seconds: float) -> None:
        """What the app waits with: time passes at once, nobody waits for real (but other
        tasks get their turn, as with a real sleep)."""
        self.advance(seconds=max(0.0, seconds))
        await asyncio.sleep(0)


class Sandbox:
    def __init__(
        self,
        database_url: str,
        *,
        clock: FrozenClock | None = None,
        timezone: str = "Europe/Oslo",
        **settings: object,
    ) -> None:
        self.database_url = database_url
        self.clock = clock or FrozenClock(datetime.now(UTC).replace(microsecond=0))
        self.timezone = timezone
        self.overrides = settings
        # Slack's clock is the app's clock: trigger ids and rate limits follow the test's time.
        self.fake = FakeSlack(clock=lambda: self.clock().timestamp())
        self.app: Okrbot | None = None
        self.driver: SlackDriver | None = None
        self._runner: web.AppRunner | None = None

    @property
    def bot(self) -> Okrbot:
        assert self.app is not None, "start the sandbox first"
        return self.app

    @property
    def slack(self) -> SlackDriver:
        assert self.driver is not None, "start the sandbox first"
        return self.driver

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=self.fake.bot_token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.fake.api_url,
            database_url=self.database_url,
            ceo=CEO.id,
            channel=CHANNEL,
            timezone=self.timezone,
        ).model_copy(update=self.overrides)

    async def migrate(self) -> None:
        # Alembic's env.py runs its own event loop, so it gets a thread of its own.
        await asyncio.to_thread(schema.upgrade, self.database_url)

    async def start(self) -> None:
        await self.fake.start()
        for person in PEOPLE:
            self.fake.add_user(
                FakeUser(
                    id=person.id,
                    name=person.name.split()[0].lower(),
                    real_name=person.name,
                    email=person.email,
                )
            )
        self.fake.add_channel(CHANNEL, "okrs")
        await self._start_app()

    async def _start_app(self) -> None:
        self.app = build(self.settings(), clock=self.clock, sleep=self.clock.sleep)
        await self.app.check_schema()
        self._runner = web.AppRunner(self.app.web_app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.driver = SlackDriver(
            f"http://127.0.0.1:{port}{EVENTS_PATH}",
            SIGNING_SECRET,
            self.fake,
            team_id=self.fake.team_id,
        )
        await self.driver.__aenter__()

    async def _stop_app(self) -> None:
        if self.driver is not None:
            await self.driver.__aexit__(None, None, None)
        if self._runner is not None:
            await self._runner.cleanup()
        if self.app is not None:
            await self.app.close()
        self.app = self.driver = self._runner = None

    async def restart(self) -> None:
        """A new process on the same database and the same Slack."""
        await self._stop_app()
        await self._start_app()

    async def crash(self) -> None:
        """Stop without finishing anything: work in flight is cancelled, not drained."""
        if self.app is not None:
            self.app.background.abandon()
        await self._stop_app()

    async def stop(self) -> None:
        await self._stop_app()
        await self.fake.stop()

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def settle(self) -> None:
        await self.bot.settle()

    async def import_org(self, text: str = ORG_CSV) -> orgchart.ImportSummary:
        async with self.bot.uow() as uow:
            return await orgchart.import_org(
                uow, self.bot.gateway, self.fake.team_id, text, now=self.clock()
            )

    def uow(self, *, readonly: bool = True) -> UnitOfWork:
        return self.bot.uow(readonly=readonly)
