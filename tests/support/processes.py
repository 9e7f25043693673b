"""okrbot as real processes: `okrbot serve` and `okrbot migrate` run by the test, pointed at
the test's database and at a fake Slack running in the test's own event loop."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TypeVar
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import func, select

from okrbot.bootstrap import EVENTS_PATH, HEALTH_PATH, SHUTDOWN_GRACE
from okrbot.domain.quarters import Quarter
from okrbot.domain.weekly import Job
from okrbot.sandbox.driver import SlackDriver
from okrbot.sandbox.fake_slack import Message
from okrbot.sandbox.harness import CEO, CHANNEL, SIGNING_SECRET, FrozenClock
from okrbot.slack import ids
from okrbot.store.models import Delivery, JobRun
from tests.support.faulty_slack import FaultySlack
from tests.support.sandbox import Sandbox

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Starting Python and importing okrbot on a busy machine with two cores.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
DONE_TIMEOUT = 90.0

T = TypeVar("T")

# What the watchdog logs when background work is stuck (okrbot.background).
STALLED = "made no progress"

# Settings that make recovery after a SIGKILL quick enough for a test: Slack calls given up
# after a second, claims of a dead process held for two seconds, the sweeper every two. One
# place, so that a renamed setting is one edit; unknown OKRBOT_ variables are ignored.
QUICK_RECOVERY = {
    "OKRBOT_SLACK_TIMEOUT": "1",
    "OKRBOT_OUTBOX_LEASE_SECONDS": "2",
    "OKRBOT_FANOUT_LEASE_SECONDS": "2",
    "OKRBOT_SWEEP_SECONDS": "2",
}
# How long, after a restart, what a dead process left behind may take to be finished: the
# start, a lease and a sweep or two, on a busy machine.
RECOVERY_TIMEOUT = 45.0

# The processes' company zone, and everyone's (the sandbox's fake users live there).
ZONE = "Europe/Oslo"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WallClock(FrozenClock):
    """Real time: a sandbox that shares its database and its fake Slack with real okrbot
    processes must agree with them on the time (trigger ids, weeks, leases)."""

    def __init__(self) -> None:
        super().__init__(datetime.now(UTC))

    def __call__(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def just_passed(zone: str) -> str:
    """A weekly time ("wed 14:05") that is this minute in `zone`: due at once, this week."""
    now = datetime.now(ZoneInfo(zone))
    return f"{_DAYS[now.weekday()]} {now:%H:%M}"


def current_quarter() -> str:
    return str(Quarter.containing(datetime.now(ZoneInfo(ZONE)).date()))


async def weekly_state(box: Sandbox) -> tuple[int, int, int]:
    """(check-in runs, digest runs still open, deliveries claimed but not settled)."""
    async with box.uow() as uow:
        session = uow.session
        checkin_runs = await session.scalar(
            select(func.count()).select_from(JobRun).where(JobRun.job == Job.CHECKIN.value)
        )
        open_digests = await session.scalar(
            select(func.count())
            .select_from(JobRun)
            .where(JobRun.job == Job.DIGEST.value, JobRun.finished_at.is_(None))
        )
        unsettled = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.sent_at.is_(None), Delivery.failed_at.is_(None))
        )
    return int(checkin_runs or 0), int(open_digests or 0), int(unsettled or 0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def base_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """Only what the test chooses: nothing from the developer's environment or a .env."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_ROOT),
        "MPLCONFIGDIR": str(tmp_path / "matplotlib"),
        # DEBUG: APScheduler says when a tick has run (`ticks`) only then.
        "OKRBOT_LOG_LEVEL": "DEBUG",
        **settings,
    }


def serve_env(
    tmp_path: Path, fake: FaultySlack, database_url: str, **settings: str
) -> dict[str, str]:
    return base_env(
        tmp_path,
        SLACK_API_URL=fake.api_url,
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        OKRBOT_CEO=CEO.id,
        OKRBOT_CHANNEL=CHANNEL,
        OKRBOT_TIMEZONE=ZONE,
        DATABASE_URL=database_url,
        **settings,
    )


def recovering_env(
    tmp_path: Path, fake: FaultySlack, database_url: str, **settings: str
) -> dict[str, str]:
    """`serve_env` for a process that may be killed: a timer that ticks every second, and
    QUICK_RECOVERY's leases and sweeps."""
    return serve_env(
        tmp_path,
        fake,
        database_url,
        **{"OKRBOT_TICK_SECONDS": "1", **QUICK_RECOVERY, **settings},
    )


def open_requests(box: Sandbox, approver: str, about: str = "") -> list[Message]:
    """The approver's DMs (about `about`, when given) that still carry an Approve button."""
    return [m for m in box.fake.dms_to(approver) if about in m.text and _asks_to_approve(m)]


def _asks_to_approve(message: Message) -> bool:
    return any(
        element.get("action_id") == ids.APPROVE
        for block in message.blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    )


def published(box: Sandbox, about: str) -> list[Message]:
    """Top-level messages in the OKR channel that mention `about`: its publications."""
    return [
        m for m in box.fake.channel_messages(CHANNEL) if m.thread_ts is None and about in m.text
    ]


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]],
    what: str,
    within: float = DONE_TIMEOUT,
    *,
    watch: list[Okrbot] | None = None,
) -> None:
    """Poll until `condition` holds; fail with `what` (and the processes' output) if it
    does not `within` seconds, or as soon as a watched process has exited."""
    deadline = time.monotonic() + within
    while True:
        outcome = condition()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        for process in watch or []:
            if process.returncode is not None:
                raise AssertionError(
                    f"{process.name} exited ({process.returncode}) before {what}:\n"
                    + process.output()
                )
        if time.monotonic() > deadline:
            logs = "".join(f"\n--- {p.name}\n{p.output()}" for p in watch or [])
            raise AssertionError(f"timed out waiting until {what}{logs}")
        await asyncio.sleep(0.05)


class Okrbot:
    """One `okrbot` process; what it writes goes to a file the test reads as it runs."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, log: Path) -> None:
        self.name = name
        self.process = process
        self.log = log
        self.port: int | None = None
        self.driver: SlackDriver | None = None

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    @property
    def slack(self) -> SlackDriver:
        assert self.driver is not None, f"{self.name} is not serving"
        return self.driver

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def ticks(self) -> int:
        """Weekly-timer ticks this process has finished."""
        return self.output().count("executed successfully")

    def stalled(self) -> bool:
        return STALLED in self.output()

    def kill(self) -> None:
        """SIGKILL: nothing is finished, nothing is drained, as when a machine goes away."""
        if self.process.returncode is None:
            self.process.kill()

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    async def wait(self, within: float = STOP_TIMEOUT) -> int:
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            raise AssertionError(
                f"{self.name} did not exit within {within:.0f} s:\n{self.output()}"
            ) from None

    async def killed(self) -> None:
        self.kill()
        await self.process.wait()

    async def stop(self, within: float = STOP_TIMEOUT) -> int:
        """SIGTERM, as a platform stops a process, and its exit code."""
        self.terminate()
        return await self.wait(within)


class Processes:
    """Starts okrbot processes in `cwd` and makes sure none outlives the test."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.started: list[Okrbot] = []

    async def __aenter__(self) -> Processes:
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        for okrbot in self.started:
            if okrbot.driver is not None:
                await okrbot.driver.__aexit__(None, None, None)
            if okrbot.returncode is None:
                okrbot.process.kill()
                await okrbot.process.wait()

    async def run(self, name: str, env: dict[str, str], *args: str) -> Okrbot:
        log = self.cwd / f"{name}.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "okrbot",
                *args,
                cwd=self.cwd,
                env=env,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
            )
        okrbot = Okrbot(name, process, log)
        self.started.append(okrbot)
        return okrbot

    async def serve(self, name: str, env: dict[str, str], fake: FaultySlack) -> Okrbot:
        """`okrbot serve` on a port of its own, with a driver that plays Slack to it; call
        `ready()` before sending it anything."""
        port = free_port()
        okrbot = await self.run(name, env, "serve", "--host", "127.0.0.1", "--port", str(port))
        okrbot.port = port
        okrbot.driver = SlackDriver(
            f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, fake, team_id=fake.team_id
        )
        await okrbot.driver.__aenter__()
        return okrbot

    async def ready(self, *okrbots: Okrbot) -> None:
        async with aiohttp.ClientSession() as http:
            for okrbot in okrbots:

                async def healthy(okrbot: Okrbot = okrbot) -> bool:
                    try:
                        async with http.get(
                            f"http://127.0.0.1:{okrbot.port}{HEALTH_PATH}"
                        ) as response:
                            return response.status == 200
                    except aiohttp.ClientConnectionError:
                        return False

                await eventually(healthy, f"{okrbot.name} answers", START_TIMEOUT, watch=[okrbot])


def kill_when(fake: FaultySlack, okrbot: Okrbot, condition: Callable[[str], bool]) -> None:
    """SIGKILL `okrbot` right after the fake has performed a call for which `condition`
    (given the method) holds, before its answer leaves: the process dies not knowing
    whether the call took effect. Once only."""

    def after(method: str) -> None:
        if condition(method):
            okrbot.kill()
            fake.after_call = None

    fake.after_call = after


async def in_bursts(requests: Iterable[Awaitable[T]], at_once: int) -> list[T]:
    """Send requests `at_once` at a time, as a crowd of people clicking together does."""
    gate = asyncio.Semaphore(at_once)

    async def one(request: Awaitable[T]) -> T:
        async with gate:
            return await request

    return list(await asyncio.gather(*(one(request) for request in requests)))


async def stop_within_grace(okrbot: Okrbot) -> int:
    """SIGTERM, and the exit code, which must come within the shutdown grace."""
    return await okrbot.stop(within=SHUTDOWN_GRACE + 5)
