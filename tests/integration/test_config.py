"""Settings validation and the `okrbot` command's behaviour when run as a process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from okrbot import cli
from okrbot.config import ENV_NAMES, ConfigError, load_settings
from okrbot.store import schema
from okrbot.store.engine import async_url

# The project is run from its source tree, not installed, so the child needs it on its path.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Nothing listens here: whatever would call Slack fails fast instead of leaving the machine.
UNUSED_SLACK = "http://127.0.0.1:9/api/"
SERVE_ENV = {
    "SLACK_BOT_TOKEN": "xoxb-test",
    "SLACK_SIGNING_SECRET": "secret",
    "SLACK_API_URL": UNUSED_SLACK,
    "OKRBOT_CEO": "U0CEO0001",
    "OKRBOT_CHANNEL": "C0OKRS001",
}
# Generous bounds, only ever reached when something is broken.
PROCESS_TIMEOUT = 20.0


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No okrbot variable from the developer's shell, and no `.env` in the working directory."""
    for name in ENV_NAMES.values():
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def _error(mode: str | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(mode)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_serve_without_a_bot_token_names_the_variable(clean_env: pytest.MonkeyPatch) -> None:
    assert _error("serve") == (
        "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, OKRBOT_CEO, OKRBOT_CHANNEL are not set "
        "(put them in the environment or in .env)"
    )
    Path(".env").write_text("SLACK_SIGNING_SECRET=secret\nOKRBOT_CEO=U0CEO0001\n")
    clean_env.setenv("OKRBOT_CHANNEL", "C0OKRS001")
    assert _error("serve") == "SLACK_BOT_TOKEN is not set (put it in the environment or in .env)"


def test_required_settings_depend_on_the_mode(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert _error("serve").startswith(
        "SLACK_SIGNING_SECRET, OKRBOT_CEO, OKRBOT_CHANNEL are not set"
    )
    assert _error("socket").startswith("SLACK_APP_TOKEN, OKRBOT_CEO, OKRBOT_CHANNEL are not set")
    # migrate needs nothing from Slack.
    assert load_settings(None).slack_bot_token == "xoxb-1"


def test_oauth_installs_need_both_halves_and_no_bot_token(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("SLACK_SIGNING_SECRET", "secret")
    clean_env.setenv("SLACK_CLIENT_ID", "123.456")
    assert _error("serve").startswith(
        "SLACK_CLIENT_SECRET is not set (OAuth installs need both it and its pair); "
    )
    clean_env.setenv("SLACK_CLIENT_SECRET", "shh")
    # Tokens come from installs, the CEO and the channel from each workspace's /okr admin.
    settings = load_settings("serve")
    assert settings.oauth
    assert settings.slack_bot_token is None
    load_settings("run-job")
    assert "Socket Mode" in _error("socket")
    clean_env.delenv("SLACK_SIGNING_SECRET")
    assert _error("serve").startswith("SLACK_SIGNING_SECRET is not set")


def test_admins_are_slack_user_ids(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("OKRBOT_ADMINS", " U0AAA0001, W0BBB0002 ,")
    assert load_settings().admins == {"U0AAA0001", "W0BBB0002"}
    clean_env.setenv("OKRBOT_ADMINS", "U0AAA0001,@mads")
    assert _error() == "OKRBOT_ADMINS: '@mads' is not a Slack user ID like U012ABCDEF"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("OKRBOT_CEO", "general", "OKRBOT_CEO: must be a Slack user ID like U012ABCDEF"),
        (
            "OKRBOT_CHANNEL",
            "#okrs",
            "OKRBOT_CHANNEL: must be a channel ID like C012ABCDEF (not a #name)",
        ),
        (
            "OKRBOT_TIMEZONE",
            "Mars/Olympus",
            "OKRBOT_TIMEZONE: unknown IANA time zone 'Mars/Olympus' (try Europe/Oslo)",
        ),
        (
            "SLACK_BOT_TOKEN",
            "xoxp-user-token",
            "SLACK_BOT_TOKEN: must be a bot token starting with xoxb-",
        ),
        ("PORT", "0", "PORT: Input should be greater than or equal to 1"),
    ],
)
def test_invalid_value_is_one_line_naming_the_variable(
    clean_env: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    clean_env.setenv(name, value)
    assert _error() == expected


def test_database_urls_get_async_drivers(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "sqlite:///x.db")
    sqlite = async_url(load_settings().database_url)
    assert sqlite.drivername == "sqlite+aiosqlite"
    assert sqlite.database == "x.db"

    postgres = async_url("postgresql://u:p@h/db")
    assert postgres.drivername == "postgresql+asyncpg"
    assert (postgres.username, postgres.password, postgres.host, postgres.database) == (
        "u",
        "p",
        "h",
        "db",
    )
    # A URL that already names the async driver stays as it is.
    assert async_url("sqlite+aiosqlite:///y.db").render_as_string() == "sqlite+aiosqlite:///y.db"


def test_slack_api_url_gets_a_trailing_slash(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    assert load_settings().slack_api_url == "http://127.0.0.1:9/api/"
    clean_env.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    assert load_settings().slack_api_url == "http://127.0.0.1:9/api/"


def test_dotenv_in_the_working_directory_is_read(clean_env: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("OKRBOT_TIMEZONE=Europe/Oslo\nPORT=8080\n", encoding="utf-8")
    settings = load_settings()
    assert (settings.timezone, settings.port) == (ZoneInfo("Europe/Oslo"), 8080)


def test_run_job_needs_its_settings(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["run-job", "digest"])
    assert exited.value.code == cli.EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "okrbot: configuration error: SLACK_BOT_TOKEN, OKRBOT_CEO, OKRBOT_CHANNEL are not set "
        "(put them in the environment or in .env)"
    ]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("OKRBOT_CHECKIN_AT", "someday 13:00", "OKRBOT_CHECKIN_AT: "),
        ("OKRBOT_DIGEST_AT", "mon 25:00", "OKRBOT_DIGEST_AT: "),
        ("OKRBOT_CHECKIN_QUIET_DAYS", "9", "OKRBOT_CHECKIN_QUIET_DAYS: "),
        ("OKRBOT_BEHIND_PACE_POINTS", "101", "OKRBOT_BEHIND_PACE_POINTS: "),
        ("OKRBOT_BEHIND_PACE_POINTS", "-1", "OKRBOT_BEHIND_PACE_POINTS: "),
        ("OKRBOT_BEHIND_PACE_POINTS", "lots", "OKRBOT_BEHIND_PACE_POINTS: "),
        ("OKRBOT_BEHIND_PACE_POINTS", "nan", "OKRBOT_BEHIND_PACE_POINTS: "),
    ],
)
def test_schedule_settings_are_checked(
    name: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)


# --------------------------------------------------------------------------- processes


def _env(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(PROJECT_ROOT), **extra}


def _okrbot(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter running our own module
        [sys.executable, "-m", "okrbot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )


def test_cli_serve_without_settings_exits_2_with_one_line(tmp_path: Path) -> None:
    result = _okrbot(tmp_path, _env(), "serve")
    assert result.returncode == cli.EXIT_CONFIG
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("okrbot: configuration error: SLACK_BOT_TOKEN")
    assert result.stdout == ""


def test_cli_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    database = tmp_path / "okrbot.db"
    result = _okrbot(tmp_path, _env(**SERVE_ENV, DATABASE_URL=f"sqlite:///{database}"), "serve")
    assert result.returncode == cli.EXIT_CONFIG
    assert "Traceback" not in result.stderr
    advice = [line for line in result.stderr.splitlines() if "`okrbot migrate`" in line]
    assert len(advice) == 1, result.stderr
    assert advice[0].startswith("okrbot: the database schema is at nothing")


def test_cli_migrate_creates_the_schema(tmp_path: Path) -> None:
    database = tmp_path / "okrbot.db"
    # migrate needs no Slack settings at all.
    result = _okrbot(tmp_path, _env(DATABASE_URL=f"sqlite:///{database}"), "migrate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"okrbot: database schema upgraded from nothing to {schema.head_revision()}",
        f"okrbot: database schema is at {schema.head_revision()}",
    ]
    with sqlite3.connect(database) as connection:
        (version,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        tables = {
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    assert version == schema.head_revision()
    assert {"person", "objective", "key_result", "approval", "outbox"} <= tables


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _read_until(stream: asyncio.StreamReader, marker: str, seen: list[str]) -> None:
    while True:
        line = (await stream.readline()).decode()
        if not line:
            raise AssertionError("okrbot exited before it listened:\n" + "".join(seen))
        seen.append(line)
        if marker in line:
            return


async def test_cli_serve_answers_healthz_and_stops_on_sigterm(
    tmp_path: Path, database_url: str
) -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "okrbot",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        cwd=tmp_path,
        env=_env(**SERVE_ENV, DATABASE_URL=database_url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    seen: list[str] = []
    try:
        await asyncio.wait_for(
            _read_until(process.stderr, f"listening on 127.0.0.1:{port}", seen), PROCESS_TIMEOUT
        )
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 200
            assert json.loads(await response.text()) == {"ok": True}

        process.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = "".join(seen) + rest.decode()
    assert process.returncode == 0, stderr
    assert "shutting down" in stderr
    assert "Traceback" not in stderr


def test_behind_pace_points_default_and_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().schedule.behind_pace_points == 25
    monkeypatch.setenv("OKRBOT_BEHIND_PACE_POINTS", "12.5")
    assert load_settings().schedule.behind_pace_points == 12.5
