"""Settings from the environment or `.env`, validated before anything starts."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from okrbot.domain.schedule import WeeklyTime
from okrbot.domain.weekly import Schedule
from okrbot.i18n import LANGUAGES
from okrbot.store.engine import sqlite_file

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")

DEFAULT_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The databases okrbot has drivers for (aiosqlite and asyncpg are its dependencies).
DATABASES = ("sqlite", "postgresql")
DATABASE_EXAMPLE = "sqlite:///okrbot.db or postgresql://user:password@host/okrbot"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Every setting okrbot reads. Names are the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    slack_bot_token: str | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: str | None = Field(None, validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_app_token: str | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_api_url: str = Field(DEFAULT_API_URL, validation_alias=_env("SLACK_API_URL"))
    # Both set: installs through OAuth (/slack/install), one or many workspaces, each with
    # its own token and settings. Neither: one workspace, SLACK_BOT_TOKEN and the settings below.
    slack_client_id: str | None = Field(None, validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: str | None = Field(None, validation_alias=_env("SLACK_CLIENT_SECRET"))
    database_url: str = Field("sqlite:///okrbot.db", validation_alias=_env("DATABASE_URL"))
    ceo: str | None = Field(None, validation_alias=_env("OKRBOT_CEO"))
    channel: str | None = Field(None, validation_alias=_env("OKRBOT_CHANNEL"))
    # Besides the CEO, who may use `/okr admin` (single-workspace mode; comma-separated ids).
    admins: str = Field("", validation_alias=_env("OKRBOT_ADMINS"))
    timezone: str = Field("UTC", validation_alias=_env("OKRBOT_TIMEZONE"))
    port: Annotated[int, Field(ge=1, le=65535)] = Field(3000, validation_alias=_env("PORT"))
    auto_migrate: bool = Field(False, validation_alias=_env("OKRBOT_AUTO_MIGRATE"))
    log_level: str = Field("INFO", validation_alias=_env("OKRBOT_LOG_LEVEL"))
    # "json" for log collectors: one object a line, with workspace, user and request ids.
    log_format: Literal["plain", "json"] = Field(
        "plain", validation_alias=_env("OKRBOT_LOG_FORMAT")
    )
    # For people whose Slack locale is neither English nor Norwegian, or not known yet.
    language: str = Field("en", validation_alias=_env("OKRBOT_LANGUAGE"))
    # The weekly rhythm: a weekday and a local time. Prompts and reminders go out in each
    # person's own time zone (from Slack), the digest in OKRBOT_TIMEZONE.
    checkin_at: str = Field("fri 13:00", validation_alias=_env("OKRBOT_CHECKIN_AT"))
    reminder_at: str = Field("mon 09:00", validation_alias=_env("OKRBOT_REMINDER_AT"))
    digest_at: str = Field("mon 10:00", validation_alias=_env("OKRBOT_DIGEST_AT"))
    checkin_quiet_days: Annotated[int, Field(ge=0, le=7)] = Field(
        3, validation_alias=_env("OKRBOT_CHECKIN_QUIET_DAYS")
    )
    fanout_concurrency: Annotated[int, Field(ge=1, le=50)] = Field(
        4, validation_alias=_env("OKRBOT_FANOUT_CONCURRENCY")
    )
    fanout_per_minute: Annotated[int, Field(ge=1, le=10_000)] = Field(
        300, validation_alias=_env("OKRBOT_FANOUT_PER_MINUTE")
    )
    tick_seconds: Annotated[float, Field(ge=1, le=3600)] = Field(
        60.0, validation_alias=_env("OKRBOT_TICK_SECONDS")
    )
    # A Web API call not answered in this time may still have been performed: a message is
    # looked for in Slack before it is sent again.
    slack_timeout: Annotated[float, Field(gt=0, le=120)] = Field(
        10.0, validation_alias=_env("OKRBOT_SLACK_TIMEOUT")
    )
    # How long a weekly message, and an outbox message, stays claimed by the process that
    # sends it; after that another process takes it over (looking for it in Slack first).
    fanout_lease_seconds: Annotated[float, Field(gt=0, le=3600)] = Field(
        300.0, validation_alias=_env("OKRBOT_FANOUT_LEASE_SECONDS")
    )
    outbox_lease_seconds: Annotated[float, Field(gt=0, le=3600)] = Field(
        120.0, validation_alias=_env("OKRBOT_OUTBOX_LEASE_SECONDS")
    )
    # How often each process sends what the outbox owes, applies what the inboxes hold
    # and settles what a process that died left behind.
    sweep_seconds: Annotated[float, Field(ge=1, le=3600)] = Field(
        30.0, validation_alias=_env("OKRBOT_SWEEP_SECONDS")
    )

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return v

    @field_validator("ceo")
    @classmethod
    def _ceo(cls, v: str | None) -> str | None:
        if v is not None and not USER_ID.match(v.strip()):
            raise ValueError("must be a Slack user ID like U012ABCDEF")
        return v.strip() if v else v

    @field_validator("admins")
    @classmethod
    def _admins(cls, v: str) -> str:
        ids = [part.strip() for part in v.split(",") if part.strip()]
        for user_id in ids:
            if not USER_ID.match(user_id):
                raise ValueError(f"{user_id!r} is not a Slack user ID like U012ABCDEF")
        return ",".join(ids)

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str | None) -> str | None:
        if v is not None and not CHANNEL_ID.match(v.strip()):
            raise ValueError("must be a channel ID like C012ABCDEF (not a #name)")
        return v.strip() if v else v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {v!r} (try Europe/Oslo)") from None
        return v

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, v: str) -> str:
        if v.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return v.upper()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        problem = database_url_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, v: str) -> str:
        if not v.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return v if v.endswith("/") else v + "/"

    @field_validator("language")
    @classmethod
    def _language(cls, v: str) -> str:
        if v not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(sorted(LANGUAGES))}")
        return v

    @field_validator("checkin_at", "reminder_at", "digest_at")
    @classmethod
    def _weekly(cls, v: str) -> str:
        WeeklyTime.parse(v)
        return v

    @property
    def oauth(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(part for part in self.admins.split(",") if part)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def schedule(self) -> Schedule:
        return Schedule(
            checkin=WeeklyTime.parse(self.checkin_at),
            reminder=WeeklyTime.parse(self.reminder_at),
            digest=WeeklyTime.parse(self.digest_at),
            quiet_days=self.checkin_quiet_days,
            zone=self.zone,
        )


ENV_NAMES = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_api_url": "SLACK_API_URL",
    "slack_client_id": "SLACK_CLIENT_ID",
    "slack_client_secret": "SLACK_CLIENT_SECRET",
    "admins": "OKRBOT_ADMINS",
    "database_url": "DATABASE_URL",
    "ceo": "OKRBOT_CEO",
    "channel": "OKRBOT_CHANNEL",
    "timezone": "OKRBOT_TIMEZONE",
    "port": "PORT",
    "auto_migrate": "OKRBOT_AUTO_MIGRATE",
    "log_level": "OKRBOT_LOG_LEVEL",
    "log_format": "OKRBOT_LOG_FORMAT",
    "language": "OKRBOT_LANGUAGE",
    "checkin_at": "OKRBOT_CHECKIN_AT",
    "reminder_at": "OKRBOT_REMINDER_AT",
    "digest_at": "OKRBOT_DIGEST_AT",
    "checkin_quiet_days": "OKRBOT_CHECKIN_QUIET_DAYS",
    "fanout_concurrency": "OKRBOT_FANOUT_CONCURRENCY",
    "fanout_per_minute": "OKRBOT_FANOUT_PER_MINUTE",
    "tick_seconds": "OKRBOT_TICK_SECONDS",
    "slack_timeout": "OKRBOT_SLACK_TIMEOUT",
    "fanout_lease_seconds": "OKRBOT_FANOUT_LEASE_SECONDS",
    "outbox_lease_seconds": "OKRBOT_OUTBOX_LEASE_SECONDS",
    "sweep_seconds": "OKRBOT_SWEEP_SECONDS",
}

FIELDS = {name: field for field, name in ENV_NAMES.items()}

REQUIRED_FOR = {
    "serve": ("slack_bot_token", "slack_signing_secret", "ceo", "channel"),
    # With OAuth, tokens come from installs and settings from each workspace's /okr admin.
    "serve-oauth": ("slack_signing_secret",),
    "run-job-oauth": (),
    "org-oauth": (),
    "socket": ("slack_bot_token", "slack_app_token", "ceo", "channel"),
    "org": ("slack_bot_token",),
    "run-job": ("slack_bot_token", "ceo", "channel"),
}


class ConfigError(Exception):
    """Every problem with the settings, each one line naming its setting, fit to print as
    it is: someone fixing their `.env` should not have to run okrbot once per mistake."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def database_url_problem(raw: str) -> str | None:
    """What is wrong with a DATABASE_URL, found before anything connects to it: what a
    driver or SQLite would say later is a traceback or a bare "unable to open"."""
    try:
        url = make_url(raw)
    except ArgumentError:
        return f"not a database URL (like {DATABASE_EXAMPLE})"
    backend = url.get_backend_name()
    if backend not in DATABASES:
        return f"okrbot works with SQLite and PostgreSQL, not {backend} (like {DATABASE_EXAMPLE})"
    database = sqlite_file(raw)
    if database is None:
        return None
    if not database.parent.is_dir():
        return f"the folder {database.parent} of the SQLite file does not exist"
    if database.is_dir():
        return f"{database} is a folder, not a SQLite file"
    return None


def load_settings(mode: str | None = None, **overrides: object) -> Settings:
    problems: list[str] = []
    broken: set[str] = set()
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        for error in exc.errors():
            # Slack's and pydantic's names for a setting: the variable (either case) or,
            # from `overrides`, the field.
            given = str(error["loc"][0]) if error["loc"] else "?"
            field = FIELDS.get(given.upper(), given)
            broken.add(field)
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{ENV_NAMES.get(field, given.upper())}: {message}")
        # The rest is checked on what was valid, so that the settings that are missing are
        # named along with the malformed ones (which stand in as their defaults meanwhile).
        defaults = {field: Settings.model_fields[field].default for field in broken}
        settings = Settings(**{**overrides, **defaults})
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        missing = "SLACK_CLIENT_SECRET" if settings.slack_client_id else "SLACK_CLIENT_ID"
        problems.append(f"{missing} is not set (OAuth installs need both it and its pair)")
    elif settings.oauth and mode == "socket":
        problems.append(
            "SLACK_CLIENT_ID: OAuth installs need `okrbot serve` (Slack redirects to "
            "/slack/oauth_redirect); Socket Mode serves one workspace with SLACK_BOT_TOKEN"
        )
    if settings.oauth and f"{mode}-oauth" in REQUIRED_FOR:
        mode = f"{mode}-oauth"
    missing_names = [
        ENV_NAMES[field]
        for field in REQUIRED_FOR.get(mode or "", ())
        if getattr(settings, field) in (None, "") and field not in broken
    ]
    if len(missing_names) == 1:
        problems.append(f"{missing_names[0]} is not set (put it in the environment or in .env)")
    elif missing_names:
        problems.append(
            f"{', '.join(missing_names)} are not set (put them in the environment or in .env)"
        )
    if problems:
        raise ConfigError(problems)
    return settings


# The test suite's own variables (OKRBOT_TEST_POSTGRES_URL) are not okrbot's settings.
NOT_SETTINGS_PREFIX = "OKRBOT_TEST_"


def unknown_names(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> list[str]:
    """A warning for each `OKRBOT_` name in the environment or `.env` that okrbot does not
    read: a misspelt setting is otherwise ignored without a word, and its default used."""
    from dotenv import dotenv_values

    known = sorted(name for name in ENV_NAMES.values() if name.startswith("OKRBOT_"))
    found: dict[str, str] = {}
    for name in os.environ if environ is None else environ:
        found.setdefault(name, "the environment")
    if env_file is not None and env_file.is_file():
        for name in dotenv_values(env_file):
            found.setdefault(name, str(env_file))
    warnings = []
    for name, where in found.items():
        upper = name.upper()
        if not upper.startswith("OKRBOT_") or upper in known:
            continue
        if upper.startswith(NOT_SETTINGS_PREFIX):
            continue
        # Compared without the prefix they all share, which would make anything look near.
        nearest = difflib.get_close_matches(
            upper.removeprefix("OKRBOT_"), [k.removeprefix("OKRBOT_") for k in known], n=1
        )
        hint = f" (did you mean OKRBOT_{nearest[0]}?)" if nearest else ""
        warnings.append(f"{name} in {where} is not a setting okrbot knows; it is ignored{hint}")
    return warnings
