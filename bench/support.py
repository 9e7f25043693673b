"""What the benchmarks share: child processes, the fake Slack's process, tables.

Importing it puts the repository on sys.path, so that `python bench/x.py` finds okrbot
without an install; the child processes get it as PYTHONPATH.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SIGNING_SECRET = "bench-signing-secret"  # noqa: S105 - signs loopback requests only
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

# Settings a developer may have exported; the benchmarks set their own.
_OWN_SETTINGS = ("SLACK_", "OKRBOT_", "DATABASE_URL", "PORT")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_SETTINGS)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(settings)
    return env


class Child:
    """A child process whose output goes to a log file in the run's temporary directory."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.name = name
        self.proc = proc
        self.log = log

    @classmethod
    async def start(
        cls,
        name: str,
        args: Sequence[str],
        *,
        env: dict[str, str],
        workdir: Path,
        stdin: int | None = asyncio.subprocess.DEVNULL,
        stdout_pipe: bool = False,
    ) -> Child:
        log = workdir / f"{name}.log"
        with log.open("ab") as sink:
            proc = await asyncio.create_subprocess_exec(
                *args,
                stdin=stdin,
                stdout=asyncio.subprocess.PIPE if stdout_pipe else sink,
                stderr=sink,
                env=env,
                cwd=workdir,  # no .env of the repository is read
            )
        return cls(name, proc, log)

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def stop(self, grace: float = 20.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit in time; the exit code."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), grace)
            except TimeoutError:
                self.kill()
                await self.proc.wait()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGKILL)

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


async def wait_for(
    check: Callable[[], Awaitable[bool]], what: str, *, within: float, child: Child | None = None
) -> None:
    """Poll `check` until it holds; fail after `within` seconds (or when `child` died)."""
    deadline = time.monotonic() + within
    while not await check():
        if child is not None and child.proc.returncode is not None:
            raise RuntimeError(
                f"{child.name} exited with {child.proc.returncode} while waiting for {what}:\n"
                f"{child.tail()}"
            )
        if time.monotonic() > deadline:
            detail = f":\n{child.tail()}" if child is not None else ""
            raise TimeoutError(f"timed out waiting for {what}{detail}")
        await asyncio.sleep(0.05)


async def wait_healthy(url: str, child: Child, within: float = 60.0) -> None:
    async with aiohttp.ClientSession() as session:

        async def healthy() -> bool:
            try:
                async with session.get(url) as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False

        await wait_for(healthy, f"{child.name} to answer {url}", within=within, child=child)


class FakeSlackProcess:
    """bench/fake_server.py, set up with users, channels and limits."""

    def __init__(self, child: Child, ready: dict[str, Any]) -> None:
        self.child = child
        self.api_url: str = ready["api_url"]
        self.bot_token: str = ready["bot_token"]
        self.team_id: str = ready["team_id"]
        self.control_url: str = ready["control_url"]
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    async def start(cls, spec: dict[str, Any], workdir: Path) -> FakeSlackProcess:
        child = await Child.start(
            "fake-slack",
            [sys.executable, str(BENCH / "fake_server.py")],
            env=child_env(),
            workdir=workdir,
            stdin=asyncio.subprocess.PIPE,
            stdout_pipe=True,
        )
        assert child.proc.stdin is not None
        assert child.proc.stdout is not None
        child.proc.stdin.write(json.dumps(spec).encode() + b"\n")
        await child.proc.stdin.drain()
        line = await asyncio.wait_for(child.proc.stdout.readline(), 60)
        if not line:
            raise RuntimeError(f"the fake Slack did not start:\n{child.tail()}")
        return cls(child, json.loads(line))

    async def _get(self, path: str, **params: str) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.get(self.control_url + path, params=params) as response:
            response.raise_for_status()
            return await response.json()

    async def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = await self._get("/stats")
        return data

    async def messages(self, channel: str) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = await self._get("/messages", channel=channel)
        return data

    async def views(self, user: str) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = await self._get("/views", user=user)
        return data

    async def marked(self) -> dict[str, Any]:
        data: dict[str, Any] = await self._get("/marked")
        return data

    async def reset(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(self.control_url + "/reset") as response:
            response.raise_for_status()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        stdin = self.child.proc.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            await asyncio.wait_for(self.child.proc.wait(), 10)
        except TimeoutError:
            await self.child.stop()


class TempDatabase:
    """The database of one run: a SQLite file in the run's directory, or, given a
    PostgreSQL URL, a database of its own on that server, dropped at the end."""

    def __init__(self, workdir: Path, server_url: str | None = None) -> None:
        self.server_url = server_url
        self.name = f"okrbot_bench_{uuid.uuid4().hex[:12]}"
        self.url = (
            make_url(server_url).set(database=self.name).render_as_string(hide_password=False)
            if server_url
            else f"sqlite:///{workdir / 'okrbot.db'}"
        )
        self._engine: Any = None

    async def _admin(self, statement: str) -> None:
        await pg_admin(self.server_url or "", statement)

    async def create(self) -> str:
        if self.server_url:
            await self._admin(f"CREATE DATABASE {self.name}")
        return self.url

    async def count(self, sql: str) -> int:
        """One number from the database, read beside the running app."""
        from sqlalchemy import text

        from okrbot.store.engine import create_engine

        if self._engine is None:
            self._engine = create_engine(self.url)
        async with self._engine.connect() as connection:
            return int((await connection.execute(text(sql))).scalar_one())

    async def drop(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
        if self.server_url:
            await self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


async def pg_connect(database_url: str, *, database: str | None = None) -> Any:
    """An asyncpg connection to the URL's database (or `database` on its server)."""
    import asyncpg  # type: ignore[import-untyped]

    url = make_url(database_url)
    return await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=database or url.database or "postgres",
    )


async def pg_admin(server_url: str, statement: str) -> None:
    """A statement on the server URL's database, outside a transaction (asyncpg straight:
    CREATE and DROP DATABASE cannot run inside one)."""
    connection = await pg_connect(server_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far; NaN off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    # utime and stime: fields 14 and 15 of proc(5), counted after the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def idle(child: Child, *, within: float = 300.0, quiet: float = 1.0) -> None:
    """Wait until `child` has used almost no CPU (under 2 %) for `quiet` seconds."""
    deadline = time.monotonic() + within
    before = cpu_seconds(child.pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(quiet)
        now = cpu_seconds(child.pid)
        if now - before < 0.02 * quiet:
            return
        before = now
    raise TimeoutError(f"{child.name} stayed busy for {within:.0f} s")


def keep_logs(workdir: Path, target: Path) -> None:
    """Copy the child processes' logs out of the run's temporary directory."""
    for log in workdir.rglob("*.log"):
        copy = target / log.relative_to(workdir)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, copy)


def dm_id(user_id: str) -> str:
    """The fake's id of the app's DM with a person."""
    return "D" + user_id[1:]


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values sorted ascending."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
