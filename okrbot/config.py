"""Settings from the environment or `.env`, validated before anything starts."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from okrbot.domain.schedule import WeeklyTime
from okrbot.domain.weekly import Schedule
from okrbot.i18n import LANGUAGES

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")

DEFAULT_API_URL = "https://slack.com/api/"


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
    """One line, naming the setting, fit to print as it is."""


def load_settings(mode: str | None = None, **overrides: object) -> Settings:
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        name = ENV_NAMES.get(field, field.upper())
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        missing = "SLACK_CLIENT_SECRET" if settings.slack_client_id else "SLACK_CLIENT_ID"
        raise ConfigError(f"{missing} is not set (OAuth installs need both it and its pair)")
    if settings.oauth and mode == "socket":
        raise ConfigError(
            "SLACK_CLIENT_ID: OAuth installs need `okrbot serve` (Slack redirects to "
            "/slack/oauth_redirect); Socket Mode serves one workspace with SLACK_BOT_TOKEN"
        )
    if settings.oauth and f"{mode}-oauth" in REQUIRED_FOR:
        mode = f"{mode}-oauth"
    for field in REQUIRED_FOR.get(mode or "", ()):
        if getattr(settings, field) in (None, ""):
            raise ConfigError(
                f"{ENV_NAMES[field]} is not set (put it in the environment or in .env)"
            )
    return settings
