"""The mistakes a person makes setting okrbot up, each met by one line on stderr and exit
code 2, never a traceback: run as the real command, against a loopback fake Slack."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

from okrbot import logs
from okrbot.cli import EXIT_CONFIG
from okrbot.store import schema
from tests.support.faulty_slack import FaultySlack

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Nothing listens here: whatever would call Slack fails at once.
UNUSED_SLACK = "http://127.0.0.1:9/api/"
SETTINGS = {
    "SLACK_SIGNING_SECRET": "secret",
    "SLACK_API_URL": UNUSED_SLACK,
    "OKRBOT_CEO": "U0CEO0001",
    "OKRBOT_CHANNEL": "C0OKRS001",
}
# Generous, only ever reached when something is broken.
PROCESS_TIMEOUT = 30.0


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.err.splitlines()


async def okrbot(cwd: Path, *args: str, **env: str) -> Ran:
    """The command, as an operator runs it: nothing from the developer's environment."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "okrbot",
        *args,
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(PROJECT_ROOT), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    ran = Ran(process.returncode, out.decode(), err.decode())
    assert "Traceback" not in ran.err, ran.err
    return ran


@pytest.fixture
async def fake() -> AsyncIterator[FaultySlack]:
    async with FaultySlack() as slack:
        yield slack


@pytest.fixture
def migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'okrbot.db'}"
    schema.upgrade(url)
    return url


# --------------------------------------------------------------------------- DATABASE_URL

POSTGRES_NOT_LISTENING = "postgresql://okrbot@127.0.0.1:9/okrbot"
BAD_URLS = {
    "nonsense": "DATABASE_URL: not a database URL (like sqlite:///okrbot.db or "
    "postgresql://user:password@host/okrbot)",
    "mysql://okrbot@127.0.0.1/okrbot": "DATABASE_URL: okrbot works with SQLite and "
    "PostgreSQL, not mysql (like sqlite:///okrbot.db or postgresql://user:password@host/okrbot)",
    "sqlite:////no/such/dir/x.db": "DATABASE_URL: the folder /no/such/dir of the SQLite file "
    "does not exist",
    POSTGRES_NOT_LISTENING: f"DATABASE_URL: cannot open {POSTGRES_NOT_LISTENING}: connection "
    "refused: is the database server running, on that host and port?",
}
COMMANDS = {
    "serve": ["serve"],
    "socket": ["socket"],
    "migrate": ["migrate"],
    "org import": ["org", "import", "org.csv"],
    "run-job": ["run-job", "digest"],
    "export": ["export"],
}


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("url", list(BAD_URLS))
@pytest.mark.parametrize("command", list(COMMANDS))
async def test_a_database_url_that_cannot_work_is_one_line(
    tmp_path: Path, url: str, command: str
) -> None:
    (tmp_path / "org.csv").write_text("user,manager,team\nU0CEO0001,,Board\n", encoding="utf-8")
    ran = await okrbot(
        tmp_path,
        *COMMANDS[command],
        **SETTINGS,
        SLACK_BOT_TOKEN="xoxb-fake",
        SLACK_APP_TOKEN="xapp-fake",
        DATABASE_URL=url,
    )
    assert ran.code == EXIT_CONFIG
    # Found in the settings, except the server that is not there: found on connecting.
    found = "okrbot: " if url == POSTGRES_NOT_LISTENING else "okrbot: configuration error: "
    # (`org import` first says how it read the file, which it does before connecting.)
    errors = [line for line in ran.lines if not line.startswith("okrbot: reading org.csv as ")]
    assert errors == [found + BAD_URLS[url]]
    assert ran.out == ""
    # Nothing was created on the way to the error.
    assert _names(tmp_path) == ["org.csv"]


# --------------------------------------------------------------------------- Slack's tokens


async def test_serve_with_a_refused_bot_token_stops_at_once(
    tmp_path: Path, fake: FaultySlack, migrated: str
) -> None:
    ran = await okrbot(
        tmp_path,
        "serve",
        "--port",
        str(_free_port()),
        **{**SETTINGS, "SLACK_API_URL": fake.api_url},
        SLACK_BOT_TOKEN="xoxb-revoked",
        DATABASE_URL=migrated,
    )
    assert ran.code == EXIT_CONFIG
    assert ran.lines == [
        "okrbot: SLACK_BOT_TOKEN: Slack refused the token (invalid_auth); copy it again from "
        "the app's settings at api.slack.com/apps"
    ]
    assert [c.method for c in fake.calls] == ["auth.test"]


async def test_socket_with_a_refused_app_token_stops_at_once(
    tmp_path: Path, fake: FaultySlack, migrated: str
) -> None:
    ran = await okrbot(
        tmp_path,
        "socket",
        **{**SETTINGS, "SLACK_API_URL": fake.api_url},
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_APP_TOKEN="xapp-someone-else",
        DATABASE_URL=migrated,
    )
    assert ran.code == EXIT_CONFIG
    assert ran.lines == [
        "okrbot: SLACK_APP_TOKEN: Slack refused the token (invalid_auth); copy it again from "
        "the app's settings at api.slack.com/apps"
    ]
    assert [c.method for c in fake.calls] == ["auth.test", "apps.connections.open"]


async def test_run_job_with_a_refused_token_is_one_line(
    tmp_path: Path, fake: FaultySlack, migrated: str
) -> None:
    ran = await okrbot(
        tmp_path,
        "run-job",
        "checkin",
        **{**SETTINGS, "SLACK_API_URL": fake.api_url},
        SLACK_BOT_TOKEN="xoxb-revoked",
        DATABASE_URL=migrated,
    )
    assert ran.code == EXIT_CONFIG
    [line] = ran.lines
    assert line.startswith("okrbot: SLACK_BOT_TOKEN: Slack refused the token (invalid_auth)")
    assert fake.calls_to("chat.postMessage") == []


async def test_run_job_when_slack_is_unreachable_is_one_line(tmp_path: Path, migrated: str) -> None:
    ran = await okrbot(
        tmp_path,
        "run-job",
        "digest",
        **SETTINGS,
        SLACK_BOT_TOKEN="xoxb-fake",
        DATABASE_URL=migrated,
    )
    assert ran.code == EXIT_CONFIG
    assert ran.lines == [
        f"okrbot: digest: could not reach Slack at {UNUSED_SLACK} (unreachable); try again "
        "when it answers"
    ]


# --------------------------------------------------------------------------- the port


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_port_out_of_range_is_one_line(tmp_path: Path) -> None:
    ran = await okrbot(tmp_path, "serve", "--port", "70000")
    assert ran.code == EXIT_CONFIG
    assert ran.lines == [
        "okrbot serve: argument --port: --port 70000: must be a number from 1 to 65535 "
        "(see `okrbot serve --help`)"
    ]


async def test_a_port_in_use_is_one_line(tmp_path: Path, fake: FaultySlack, migrated: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = await okrbot(
            tmp_path,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            **{**SETTINGS, "SLACK_API_URL": fake.api_url},
            SLACK_BOT_TOKEN=fake.bot_token,
            DATABASE_URL=migrated,
        )
    assert ran.code == EXIT_CONFIG
    [line] = ran.lines
    assert line.startswith(f"okrbot: cannot listen on 127.0.0.1:{port}: ")
    assert line.endswith("(choose another with --port or PORT)")
    assert "in use" in line


# --------------------------------------------------------------------------- the settings


async def test_every_missing_and_malformed_setting_is_named_at_once(tmp_path: Path) -> None:
    ran = await okrbot(tmp_path, "serve", OKRBOT_LOG_LEVEL="LOUD", OKRBOT_TIMEZONE="Mars/Olympus")
    assert ran.code == EXIT_CONFIG
    assert ran.lines == [
        "okrbot: configuration error: OKRBOT_TIMEZONE: unknown IANA time zone 'Mars/Olympus' "
        "(try Europe/Oslo)",
        "okrbot: configuration error: OKRBOT_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, "
        "ERROR, CRITICAL",
        "okrbot: configuration error: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, OKRBOT_CEO, "
        "OKRBOT_CHANNEL are not set (put them in the environment or in .env)",
    ]


async def test_unknown_okrbot_names_are_warned_about(tmp_path: Path, migrated: str) -> None:
    (tmp_path / ".env").write_text("OKRBOT_CHECKIN_ATT=thu 13:00\n", encoding="utf-8")
    ran = await okrbot(tmp_path, "migrate", DATABASE_URL=migrated, OKRBOT_TIMEZNE="Europe/Oslo")
    assert ran.code == 0
    assert sorted(ran.lines) == [
        "okrbot: warning: OKRBOT_CHECKIN_ATT in .env is not a setting okrbot knows; it is "
        "ignored (did you mean OKRBOT_CHECKIN_AT?)",
        "okrbot: warning: OKRBOT_TIMEZNE in the environment is not a setting okrbot knows; it "
        "is ignored (did you mean OKRBOT_TIMEZONE?)",
    ]


async def test_migrate_says_what_it_did_and_nothing_of_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    head = schema.head_revision()
    first = await okrbot(tmp_path, "migrate", DATABASE_URL=url)
    assert (first.code, first.err) == (0, "")
    assert first.out.splitlines() == [
        f"okrbot: database schema upgraded from nothing to {head}",
        f"okrbot: database schema is at {head}",
    ]
    again = await okrbot(tmp_path, "migrate", DATABASE_URL=url)
    assert (again.code, again.err, again.out) == (0, "", f"okrbot: database schema is at {head}\n")


def test_libraries_narrate_only_at_debug() -> None:
    root = logging.getLogger()
    before = (root.handlers[:], root.level)

    def shown(level: str) -> list[str]:
        out = io.StringIO()
        logs.configure(level, "plain", stream=out)
        try:
            logging.getLogger("apscheduler.executors.default").info("Running job")
            logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
            logging.getLogger("aiohttp.access").info('"POST /slack/events HTTP/1.1" 200')
            logging.getLogger("alembic.runtime.migration").warning("a real problem")
            logging.getLogger("okrbot").info("okrbot listening")
        finally:
            root.handlers[:], level_before = before
            root.setLevel(level_before)
            for name in logs.CHATTY:
                logging.getLogger(name).setLevel(logging.NOTSET)
        return [line.split(": ", 1)[1] for line in out.getvalue().splitlines()]

    assert shown("INFO") == ["a real problem", "okrbot listening"]
    assert shown("DEBUG") == [
        "Running job",
        "Context impl SQLiteImpl.",
        '"POST /slack/events HTTP/1.1" 200',
        "a real problem",
        "okrbot listening",
    ]
    assert shown("ERROR") == []


# --------------------------------------------------------------------------- help


async def test_version_and_help(tmp_path: Path) -> None:
    ran = await okrbot(tmp_path, "--version")
    assert (ran.code, ran.out) == (0, f"okrbot {version('okrbot')}\n")
    for command, words in (
        (["serve"], "Answer Slack's HTTP requests"),
        (["socket"], "Connect to Slack over Socket Mode"),
        (["migrate"], "Bring the schema of DATABASE_URL up to date"),
        (["org", "import"], "a CSV file with the header user,manager,team"),
    ):
        helped = await okrbot(tmp_path, *command, "--help")
        assert helped.code == 0
        assert words in " ".join(helped.out.split()), helped.out


# --------------------------------------------------------------------------- the demo


async def test_the_demo_runs_twice_on_one_file(tmp_path: Path) -> None:
    for _ in range(2):
        ran = await okrbot(tmp_path, "demo", "--database", "demo.db")
        assert ran.code == 0, ran.err
        assert "OKR DIGEST" in ran.out
    assert "(starting afresh: demo.db held an earlier demo)" in ran.out
    with sqlite3.connect(tmp_path / "demo.db") as db:
        # One demo's people, not two.
        assert db.execute("SELECT count(*) FROM objective WHERE title LIKE '%'").fetchone()[0] > 0
        people = db.execute("SELECT count(*), count(DISTINCT user_id) FROM person").fetchone()
    assert people[0] == people[1]


async def test_the_demo_refuses_a_database_it_did_not_make(tmp_path: Path, migrated: str) -> None:
    real = tmp_path / "okrbot.db"
    before = real.read_bytes()
    ran = await okrbot(tmp_path, "demo", "--database", str(real))
    assert ran.code == EXIT_CONFIG
    assert ran.lines == [
        f"okrbot: {real} is not a database an earlier demo made; the demo only writes to a "
        "new file or one of its own (give another file name)"
    ]
    assert real.read_bytes() == before
