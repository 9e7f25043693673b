"""The digest and App Home measurements of benchmarks 2 and 4, and what they share.

Run by scale.py and growth.py in a fresh process for each measurement, so that the peak
RSS it reports belongs to that measurement alone:

    python bench/digest_home.py --database-url URL [--repeat N] [--profile]

It wires the pieces of the app these two paths use as the app does (an engine and units
of work from okrbot.store, `Weekly` with a `SlackWeekly` messenger whose Slack client is
never called), with the whole app imported so that the process weighs what a server's
does, then times, with the clock frozen at the quarter's last Monday 10:00:

* the digest: what the Monday job (services/weekly.py `Weekly.digest`) does before its
  first Slack call: look up the week's run, `digest_content` (the digest and the chart's
  data), the block packing (`digest_parts`, slack/blocks/digest.py) and the claim of the
  run, which stores all of it as the run's payload;
* the App Home of a few people: what the app_home_opened listener (`show_home`) does
  before views.publish: `load_home` in a read-only unit of work, then `home_view`.

Every SQL statement is counted with a `before_cursor_execute` event on the engine. The
result is one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import synthetic
from sqlalchemy import delete, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from support import pg_admin, pg_connect

import okrbot.bootstrap  # noqa: F401 - the server's modules, for a server's footprint
from okrbot.cli import tune_collector
from okrbot.config import Settings
from okrbot.domain.quarters import Quarter
from okrbot.domain.schedule import iso_week
from okrbot.domain.weekly import Job
from okrbot.i18n import language_of, translator
from okrbot.services import runs
from okrbot.services.common import Organisation
from okrbot.services.fanout import FanOut, Pacer
from okrbot.services.home import load_home
from okrbot.services.weekly import Weekly
from okrbot.slack.blocks.home import home_view
from okrbot.slack.gateway import SlackGateway, make_client
from okrbot.slack.weekly import SlackWeekly
from okrbot.store.engine import create_engine
from okrbot.store.models import JobRun
from okrbot.store.uow import SessionFactory

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Never called: nothing here reaches Slack. A closed loopback port, should that change.
NOWHERE = "http://127.0.0.1:9/api/"


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM belongs to the process's own
    memory map, which exec replaces; ru_maxrss would also carry the peak of the parent
    the process was forked from."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Kilobytes elsewhere, bytes on macOS.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, columns padded so that it reads in a terminal too."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


# -- scratch databases


@contextlib.asynccontextmanager
async def scratch_database(server_url: str | None, label: str) -> AsyncIterator[str]:
    """An empty database for one run: a SQLite file in a temporary directory, or, given a
    PostgreSQL server's URL, a database of its own there, dropped at the end."""
    if not server_url:
        with tempfile.TemporaryDirectory(prefix=f"okrbot-bench-{label}-") as directory:
            yield sqlite_url(Path(directory) / "okrbot.db")
        return
    url = make_url(server_url)
    name = f"okrbot_bench_{label}_{uuid.uuid4().hex[:8]}"
    await pg_admin(server_url, f"CREATE DATABASE {name}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        await pg_admin(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def database_size(database_url: str) -> int:
    """Bytes on disk: the SQLite file after a checkpoint, or pg_database_size."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_size(Path(url.database or ""))
    connection = await pg_connect(database_url)
    try:
        return int(await connection.fetchval("SELECT pg_database_size(current_database())"))
    finally:
        await connection.close()


async def largest_tables(database_url: str, count: int = 6) -> list[tuple[str, int]]:
    """The tables taking most room, with their indexes, largest first (bytes)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_tables(Path(url.database or ""), count)
    connection = await pg_connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT relname, pg_total_relation_size(relid) AS size FROM pg_stat_user_tables "
            "ORDER BY size DESC LIMIT $1",
            count,
        )
    finally:
        await connection.close()
    return [(str(row["relname"]), int(row["size"])) for row in rows]


def _sqlite_tables(path: Path, count: int) -> list[tuple[str, int]]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        owner = dict(connection.execute("SELECT name, tbl_name FROM sqlite_master"))
        try:
            pages = connection.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")
        except sqlite3.OperationalError:
            return []  # an SQLite built without the dbstat table
        sizes: dict[str, int] = {}
        for name, size in pages:
            table = owner.get(name, name)
            sizes[table] = sizes.get(table, 0) + int(size)
    return sorted(sizes.items(), key=lambda item: -item[1])[:count]


def _sqlite_size(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


async def analyze(database_url: str) -> None:
    """PostgreSQL's autovacuum analyzes freshly loaded tables soon after a load; do it now so
    that the planner sees the data as it would a minute later. SQLite gets nothing: the app
    never runs ANALYZE there."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return
    connection = await pg_connect(database_url)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def run_worker(database_url: str, *args: str) -> dict[str, Any]:
    """This module in a fresh interpreter; its JSON answer."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    done = subprocess.run(  # noqa: S603 - our own script, with our own arguments
        [sys.executable, str(BENCH / "digest_home.py"), "--database-url", database_url, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the measurement failed:\n{done.stderr}")
    if done.stderr.strip():
        print(done.stderr, file=sys.stderr, end="")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- measuring


@dataclass
class Statements:
    """Every statement the engine sends to the database, counted as it goes."""

    seen: list[str] = field(default_factory=list)

    def __call__(self, *args: Any) -> None:
        # before_cursor_execute(conn, cursor, statement, parameters, context, executemany)
        self.seen.append(" ".join(str(args[2]).split()))

    def mark(self) -> int:
        return len(self.seen)

    def since(self, mark: int) -> list[str]:
        return self.seen[mark:]


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    # This process's CPU time: less swayed than the wall clock by others on the machine.
    cpu: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=dict)

    def add_part(self, name: str, seconds: float) -> None:
        self.parts.setdefault(name, []).append(seconds)

    def summary(self) -> dict[str, Any]:
        warm = self.seconds[1:] or self.seconds
        return {
            "first_s": self.seconds[0],
            "median_s": statistics.median(warm),
            "cpu_median_s": statistics.median(self.cpu[1:] or self.cpu),
            "runs": len(self.seconds),
            "statements": sorted(set(self.statements)),
            "parts_median_s": {k: statistics.median(v[1:] or v) for k, v in self.parts.items()},
        }


async def _timed(
    timing: Timing, statements: Statements, work: Callable[[], Awaitable[object]]
) -> list[str]:
    mark = statements.mark()
    started, cpu = time.perf_counter(), time.process_time()
    await work()
    timing.seconds.append(time.perf_counter() - started)
    timing.cpu.append(time.process_time() - cpu)
    issued = statements.since(mark)
    timing.statements.append(len(issued))
    return issued


async def measure(
    database_url: str,
    repeat: int,
    profile: bool,
    homes: list[str] | None,
    gc_freeze: bool = False,
) -> dict[str, Any]:
    rss_start = peak_rss_mb()
    async with _app(database_url) as bot:
        if gc_freeze:
            # What okrbot serve and run-job do once started: what exists by then is never
            # collected again, and young collections come every 5,000 new objects.
            tune_collector()
        now = bot.now
        workspace = synthetic.WORKSPACE
        statements = Statements()
        event.listen(bot.engine.sync_engine, "before_cursor_execute", statements)
        weekly, messenger = bot.weekly, bot.messenger
        week = iso_week(now.astimezone(bot.settings.timezone).date())
        digest = Timing()

        async def digest_job() -> None:
            """Weekly.digest up to its first Slack call (see the module's docstring)."""
            started = time.perf_counter()
            async with bot.uow(readonly=True) as uow:
                latest = await uow.job_runs.latest(workspace, Job.DIGEST, week)
            built, chart = await weekly.digest_content(workspace)
            digest.add_part("digest_content", time.perf_counter() - started)
            started = time.perf_counter()
            parts = messenger.digest_parts(built)
            digest.add_part("digest_parts", time.perf_counter() - started)
            started = time.perf_counter()
            attempt = latest.attempt + 1 if latest is not None else 0
            claimed = await runs.claim(
                bot.uow,
                lambda: now,
                workspace,
                Job.DIGEST,
                week,
                attempt,
                {"parts": parts, "chart": chart},
            )
            assert claimed is not None
            digest.add_part("claim", time.perf_counter() - started)
            digest_sizes.update(
                parts=len(parts),
                objectives=built.objectives,
                teams=len(built.teams),
                payload_kb=round(len(json.dumps({"parts": parts, "chart": chart})) / 1024),
            )

        digest_sizes: dict[str, Any] = {}
        digest_statements = await _timed(digest, statements, digest_job)
        for _ in range(repeat):
            await _timed(digest, statements, digest_job)
        profiled = _profile(digest_job) if profile else None
        if profiled is not None:
            await profiled[0]
        rss_after_digest = peak_rss_mb()

        people = homes or await _people_for_home(bot)
        home: dict[str, Any] = {}
        home_statements: list[str] = []
        for user in people:
            timing = Timing()

            async def show(user: str = user) -> None:
                async with bot.uow(readonly=True) as uow:
                    view = await load_home(uow, workspace, user, bot.today())
                words = translator(language_of(view.locale, bot.settings.language))
                built = home_view(view, words)
                assert len(built["blocks"]) <= 100

            issued = await _timed(timing, statements, show)
            home_statements = home_statements or issued
            for _ in range(max(repeat, 5)):
                await _timed(timing, statements, show)
            home[user] = timing.summary()

        # What the repeated claims added: the database keeps the run a real Monday leaves.
        async with bot.uow() as uow:
            await uow.session.execute(
                delete(JobRun).where(
                    JobRun.workspace_id == workspace,
                    JobRun.job == Job.DIGEST.value,
                    JobRun.period == week,
                    JobRun.attempt > 0,
                )
            )
            await uow.commit()
        event.remove(bot.engine.sync_engine, "before_cursor_execute", statements)

    return {
        "backend": make_url(database_url).get_backend_name(),
        "gc_freeze": gc_freeze,
        "now": now.isoformat(),
        "digest": digest.summary() | {"size": digest_sizes},
        "digest_sql": digest_statements,
        "home": home,
        "home_sql": home_statements,
        "rss_start_mb": round(rss_start, 1),
        "rss_after_digest_mb": round(rss_after_digest, 1),
        "rss_peak_mb": round(peak_rss_mb(), 1),
        "profile": profiled[1].getvalue() if profiled is not None else None,
    }


def _profile(work: Callable[[], Awaitable[None]]) -> tuple[Awaitable[None], io.StringIO]:
    out = io.StringIO()

    async def profiled() -> None:
        profiler = cProfile.Profile()
        profiler.enable()
        await work()
        profiler.disable()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)

    return profiled(), out


async def _people_for_home(bot: App) -> list[str]:
    """The CEO, a manager of an ordinary team and someone with no reports."""
    async with bot.uow(readonly=True) as uow:
        count = await uow.session.scalar(text("SELECT count(*) FROM person"))
    org = synthetic.company(int(count or 0))
    return [org.ceo, org.manager_of_a_team(), org.individual()]


@dataclass
class App:
    """The app's pieces the digest and the Home need, wired as bootstrap wires them."""

    settings: Settings
    engine: AsyncEngine
    uow: SessionFactory
    weekly: Weekly
    messenger: SlackWeekly
    now: datetime

    def today(self) -> date:
        return self.now.astimezone(self.settings.timezone).date()


@contextlib.asynccontextmanager
async def _app(database_url: str) -> AsyncIterator[App]:
    now = await _now(database_url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-bench",  # noqa: S106 - never sent anywhere
        slack_api_url=NOWHERE,
        database_url=database_url,
        ceo=synthetic.user_id(1),
        channel=synthetic.CHANNEL,
        timezone=synthetic.TIMEZONE,
    )
    assert settings.ceo is not None
    assert settings.channel is not None

    def clock() -> datetime:
        return now

    async def sleep(_seconds: float) -> None:
        return None

    engine = create_engine(database_url)
    uow = SessionFactory(engine)
    gateway = SlackGateway(make_client(settings.slack_bot_token, settings.slack_api_url))
    messenger = SlackWeekly(gateway, translator(settings.language))
    fanout = FanOut(
        uow,
        Pacer(settings.fanout_per_minute, lambda: now.timestamp(), sleep),
        clock,
        concurrency=settings.fanout_concurrency,
    )
    org = Organisation(ceo=settings.ceo, channel=settings.channel)
    weekly = Weekly(uow, messenger, fanout, settings.schedule, org, clock)
    try:
        yield App(settings, engine, uow, weekly, messenger, now)
    finally:
        await engine.dispose()


async def _now(database_url: str) -> datetime:
    """The latest quarter in the database, at its last Monday's digest."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            quarter = await connection.scalar(text("SELECT max(quarter) FROM objective"))
    finally:
        await engine.dispose()
    if quarter is None:
        raise SystemExit("no objectives in the database: generate a company first")
    return synthetic.Calendar.of(Quarter.parse(str(quarter))).now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=5, help="warm runs after the first")
    parser.add_argument("--profile", action="store_true", help="cProfile one more digest")
    parser.add_argument("--home", action="append", help="a user id whose Home to build")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="tune the cycle collector once wired, as okrbot serve does",
    )
    args = parser.parse_args()
    result = asyncio.run(
        measure(args.database_url, args.repeat, args.profile, args.home, args.gc_freeze)
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
