"""The whole app against a fake Slack, on loopback: for `okrbot demo` and the tests."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from okrbot.bootstrap import EVENTS_PATH, Okrbot, build
from okrbot.config import Settings
from okrbot.sandbox.driver import SlackDriver
from okrbot.sandbox.fake_slack import FakeSlack, FakeUser
from okrbot.services import orgchart
from okrbot.slack import oauth
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
    # The Slack stand-in the sandbox runs (the tests run one that injects faults).
    slack_class: type[FakeSlack] = FakeSlack

    def __init__(
        self,
        database_url: str,
        *,
        clock: FrozenClock | None = None,
        timezone: str = "Europe/Oslo",
        oauth: bool = False,
        **settings: object,
    ) -> None:
        self.database_url = database_url
        # OAuth installs: no token of its own; each workspace installs through /slack/install.
        self.oauth = oauth
        self.clock = clock or FrozenClock(datetime.now(UTC).replace(microsecond=0))
        self.timezone = timezone
        self.overrides = settings
        # Slack's clock is the app's clock: trigger ids and rate limits follow the test's time.
        self.fake = self.slack_class(clock=lambda: self.clock().timestamp())
        self.app: Okrbot | None = None
        self.driver: SlackDriver | None = None
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._drivers: list[SlackDriver] = []

    @property
    def bot(self) -> Okrbot:
        assert self.app is not None, "start the sandbox first"
        return self.app

    @property
    def slack(self) -> SlackDriver:
        assert self.driver is not None, "start the sandbox first"
        return self.driver

    def settings(self) -> Settings:
        oauth = {
            "slack_bot_token": None,
            "slack_client_id": self.fake.client_id,
            "slack_client_secret": self.fake.client_secret,
            "ceo": None,
            "channel": None,
        }
        single: dict[str, Any] = {
            "slack_bot_token": self.fake.bot_token,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": self.fake.api_url,
            "database_url": self.database_url,
            "ceo": CEO.id,
            "channel": CHANNEL,
            "timezone": self.timezone,
        }
        # Validated like the environment's: "U1,U2" for admins, "fri 13:00" for a time.
        values = {**single, **(oauth if self.oauth else {}), **self.overrides}
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

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
        # The company's OKR channel: everyone is in it, so a note in it reaches anyone.
        self.fake.add_channel(CHANNEL, "okrs", members=[p.id for p in PEOPLE])
        await self._start_app()

    async def _start_app(self) -> None:
        self.app = build(self.settings(), clock=self.clock, sleep=self.clock.sleep)
        await self.app.check_schema()
        self._runner = web.AppRunner(self.app.web_app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.driver = SlackDriver(
            f"{self.base_url}{EVENTS_PATH}",
            SIGNING_SECRET,
            self.fake,
            team_id=self.fake.team_id,
        )
        await self.driver.__aenter__()

    async def _stop_app(self) -> None:
        for driver in self._drivers:
            await driver.__aexit__(None, None, None)
        self._drivers.clear()
        if self.driver is not None:
            await self.driver.__aexit__(None, None, None)
        if self._runner is not None:
            await self._runner.cleanup()
        if self.app is not None:
            await self.app.close()
        self.app = self.driver = self._runner = None

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

    async def import_org(
        self, text: str = ORG_CSV, *, team_id: str | None = None
    ) -> orgchart.ImportSummary:
        team = team_id or self.fake.team_id
        gateway = await self.bot.tenancy.gateway(team)
        async with self.bot.uow() as uow:
            return await orgchart.import_org(uow, gateway, team, text, now=self.clock())

    async def install(self, team_id: str, installer: str) -> SlackDriver:
        """The OAuth install, as the installer's browser and Slack play it: okrbot's install
        page, Slack's consent (the fake hands out a code), then the redirect back. Returns a
        driver that sends requests from that workspace."""
        async with aiohttp.ClientSession() as browser:
            async with browser.get(f"{self.base_url}{oauth.INSTALL_PATH}") as page:
                html = await page.text()
                if page.status != 200:
                    raise RuntimeError(f"install page answered {page.status}: {html[:200]}")
                # The state cookie is Secure: a browser sends it back over HTTPS, which a
                # loopback test has not, so it is handed back by hand.
                cookies = [c.split(";", 1)[0] for c in page.headers.getall("Set-Cookie", [])]
            found = re.search(r"[?&;]state=([^&\"']+)", html)
            if found is None:
                raise RuntimeError("the install page has no link to Slack")
            code = self.fake.install_code(team_id, installer)
            query = {"code": code, "state": found.group(1)}
            async with browser.get(
                f"{self.base_url}{oauth.REDIRECT_PATH}",
                params=query,
                headers={"Cookie": "; ".join(cookies)},
            ) as done:
                body = await done.text()
                if done.status != 200:
                    raise RuntimeError(f"the redirect answered {done.status}: {body[:200]}")
        driver = SlackDriver(
            f"{self.base_url}{EVENTS_PATH}", SIGNING_SECRET, self.fake, team_id=team_id
        )
        await driver.__aenter__()
        self._drivers.append(driver)
        await self.settle()
        return driver

    def uow(self, *, readonly: bool = True) -> UnitOfWork:
        return self.bot.uow(readonly=readonly)
