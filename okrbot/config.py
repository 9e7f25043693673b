"""Settings from the environment or `.env`, validated before anything starts."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from okrbot.domain.pace import DEFAULT_BEHIND_PACE_POINTS
from okrbot.domain.schedule import WeeklyTime
from okrbot.domain.weekly import Schedule
from okrbot.i18n import LANGUAGES
from okrbot.store.engine import backend_of, sqlite_file

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")

DEFAULT_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The databases okrbot has drivers for (aiosqlite and asyncpg are its dependencies).
DATABASES = ("sqlite", "postgresql")
DATABASE_EXAMPLE = "sqlite:///okrbot.db or postgresql://user:password@host/okrbot"


@dataclass(frozen=True)
class _Check:
    """What the settings are checked for beyond each value: the command about to run
    (its mode: "serve", "socket", ...; None needs nothing from Slack), and the settings
    already found malformed, which are not named again as missing."""

    mode: str | None = None
    broken: frozenset[str] = frozenset()


# pydantic-settings builds the model in its constructor, which takes no validation context:
# `load_settings` hands the model validator its check through this variable.
_CHECKING: ContextVar[_Check | None] = ContextVar("okrbot_settings_check", default=None)


@contextmanager
def _checking(check: _Check) -> Iterator[None]:
    token = _CHECKING.set(check)
    try:
        yield
    finally:
        _CHECKING.reset(token)


class Settings(BaseSettings):
    """Every setting okrbot reads. A setting's environment variable is its field's alias
    (OKRBOT_CEO), or else its field's name (SLACK_BOT_TOKEN); either case is read."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_API_URL
    # Both set: installs through OAuth (/slack/install), one or many workspaces, each with
    # its own token and settings. Neither: one workspace, SLACK_BOT_TOKEN and the settings below.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    database_url: str = "sqlite:///okrbot.db"
    ceo: str | None = Field(None, validation_alias="OKRBOT_CEO")
    channel: str | None = Field(None, validation_alias="OKRBOT_CHANNEL")
    # Besides the CEO, who may use `/okr admin` (single-workspace mode; comma-separated ids).
    admins: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(), validation_alias="OKRBOT_ADMINS"
    )
    timezone: ZoneInfo = Field(ZoneInfo("UTC"), validation_alias="OKRBOT_TIMEZONE")
    port: Annotated[int, Field(ge=1, le=65535)] = 3000
    auto_migrate: bool = Field(False, validation_alias="OKRBOT_AUTO_MIGRATE")
    log_level: str = Field("INFO", validation_alias="OKRBOT_LOG_LEVEL")
    # "json" for log collectors: one object a line, with workspace, user and request ids.
    log_format: Literal["plain", "json"] = Field("plain", validation_alias="OKRBOT_LOG_FORMAT")
    # For people whose Slack locale is neither English nor Norwegian, or not known yet.
    language: str = Field("en", validation_alias="OKRBOT_LANGUAGE")
    # The weekly rhythm: a weekday and a local time. Prompts and reminders go out in each
    # person's own time zone (from Slack), the digest in OKRBOT_TIMEZONE.
    checkin_at: Annotated[WeeklyTime, NoDecode] = Field(
        WeeklyTime.parse("fri 13:00"), validation_alias="OKRBOT_CHECKIN_AT"
    )
    reminder_at: Annotated[WeeklyTime, NoDecode] = Field(
        WeeklyTime.parse("mon 09:00"), validation_alias="OKRBOT_REMINDER_AT"
    )
    digest_at: Annotated[WeeklyTime, NoDecode] = Field(
        WeeklyTime.parse("mon 10:00"), validation_alias="OKRBOT_DIGEST_AT"
    )
    checkin_quiet_days: Annotated[int, Field(ge=0, le=7)] = Field(
        3, validation_alias="OKRBOT_CHECKIN_QUIET_DAYS"
    )
    # An objective more than this many percentage points behind the share of the quarter
    # gone is flagged "behind pace" (digest, Home, /okr show), beside its confidence.
    behind_pace_points: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = Field(
        DEFAULT_BEHIND_PACE_POINTS, validation_alias="OKRBOT_BEHIND_PACE_POINTS"
    )
    fanout_concurrency: Annotated[int, Field(ge=1, le=50)] = Field(
        4, validation_alias="OKRBOT_FANOUT_CONCURRENCY"
    )
    fanout_per_minute: Annotated[int, Field(ge=1, le=10_000)] = Field(
        300, validation_alias="OKRBOT_FANOUT_PER_MINUTE"
    )
    tick_seconds: Annotated[float, Field(ge=1, le=3600)] = Field(
        60.0, validation_alias="OKRBOT_TICK_SECONDS"
    )
    # A Web API call not answered in this time may still have been performed: a message is
    # looked for in Slack before it is sent again.
    slack_timeout: Annotated[float, Field(gt=0, le=120)] = Field(
        10.0, validation_alias="OKRBOT_SLACK_TIMEOUT"
    )
    # How long a weekly message, and an outbox message, stays claimed by the process that
    # sends it; after that another process takes it over (looking for it in Slack first).
    fanout_lease_seconds: Annotated[float, Field(gt=0, le=3600)] = Field(
        300.0, validation_alias="OKRBOT_FANOUT_LEASE_SECONDS"
    )
    outbox_lease_seconds: Annotated[float, Field(gt=0, le=3600)] = Field(
        120.0, validation_alias="OKRBOT_OUTBOX_LEASE_SECONDS"
    )
    # How often each process sends what the outbox owes, applies what the inboxes hold
    # and settles what a process that died left behind.
    sweep_seconds: Annotated[float, Field(ge=1, le=3600)] = Field(
        30.0, validation_alias="OKRBOT_SWEEP_SECONDS"
    )
    # Requests a minute each HTTP API token may make (in each process).
    api_rate_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        60, validation_alias="OKRBOT_API_RATE_PER_MINUTE"
    )
    # Key results' data sources may read loopback, link-local and private addresses (an
    # internal service); cloud metadata services stay refused whatever this says.
    allow_private_sources: bool = Field(False, validation_alias="OKRBOT_ALLOW_PRIVATE_SOURCES")

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

    @field_validator("admins", mode="before")
    @classmethod
    def _admin_list(cls, v: object) -> object:
        # Comma-separated in the environment, spaces and empty items allowed.
        if isinstance(v, str):
            return [part.strip() for part in v.split(",") if part.strip()]
        return v

    @field_validator("admins")
    @classmethod
    def _admins(cls, v: frozenset[str]) -> frozenset[str]:
        for user_id in sorted(v):
            if not USER_ID.match(user_id):
                raise ValueError(f"{user_id!r} is not a Slack user ID like U012ABCDEF")
        return v

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str | None) -> str | None:
        if v is not None and not CHANNEL_ID.match(v.strip()):
            raise ValueError("must be a channel ID like C012ABCDEF (not a #name)")
        return v.strip() if v else v

    @field_validator("timezone", mode="before")
    @classmethod
    def _tz(cls, v: object) -> object:
        if not isinstance(v, str):
            return v
        try:
            return ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {v!r} (try Europe/Oslo)") from None

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

    @field_validator("checkin_at", "reminder_at", "digest_at", mode="before")
    @classmethod
    def _weekly(cls, v: object) -> object:
        return WeeklyTime.parse(v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _together(self) -> Settings:
        """The settings that only make sense with others: OAuth's pair, and what the
        command being run needs. Each problem is a line of the one error."""
        check = _CHECKING.get() or _Check()
        problems = self._mode_problems(check.mode, check.broken)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _mode_problems(self, mode: str | None, broken: frozenset[str]) -> list[str]:
        problems: list[str] = []
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            missing = "slack_client_secret" if self.slack_client_id else "slack_client_id"
            problems.append(
                f"{ENV_NAMES[missing]} is not set (OAuth installs need both it and its pair)"
            )
        elif self.oauth and mode == "socket":
            problems.append(
                f"{ENV_NAMES['slack_client_id']}: OAuth installs need `okrbot serve` (Slack "
                "redirects to /slack/oauth_redirect); Socket Mode serves one workspace with "
                f"{ENV_NAMES['slack_bot_token']}"
            )
        if self.oauth and f"{mode}-oauth" in REQUIRED_FOR:
            mode = f"{mode}-oauth"
        missing_names = [
            ENV_NAMES[field]
            for field in REQUIRED_FOR.get(mode or "", ())
            if getattr(self, field) in (None, "") and field not in broken
        ]
        if len(missing_names) == 1:
            problems.append(f"{missing_names[0]} is not set (put it in the environment or in .env)")
        elif missing_names:
            problems.append(
                f"{', '.join(missing_names)} are not set (put them in the environment or in .env)"
            )
        return problems

    @property
    def oauth(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def schedule(self) -> Schedule:
        return Schedule(
            checkin=self.checkin_at,
            reminder=self.reminder_at,
            digest=self.digest_at,
            quiet_days=self.checkin_quiet_days,
            zone=self.timezone,
            behind_pace_points=self.behind_pace_points,
        )


def _env_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return (alias if isinstance(alias, str) else field).upper()


# Each setting's environment variable, and the other way round.
ENV_NAMES = {field: _env_name(field) for field in Settings.model_fields}
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
    backend = backend_of(raw)
    if backend is None:
        return f"not a database URL (like {DATABASE_EXAMPLE})"
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
    """The settings, from the environment, `.env` and `overrides` (by field name), checked
    for `mode`; else a ConfigError naming every problem at once."""
    try:
        with _checking(_Check(mode)):
            return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems, broken = _problems(exc)
    if broken:
        # The rest is checked on what was valid, so that the settings that are missing are
        # named along with the malformed ones (which stand in as their defaults meanwhile).
        defaults = {field: Settings.model_fields[field].default for field in broken}
        try:
            with _checking(_Check(mode, frozenset(broken))):
                Settings(**{**overrides, **defaults})
        except ValidationError as exc:
            problems += _problems(exc)[0]
    raise ConfigError(problems)


def _problems(exc: ValidationError) -> tuple[list[str], set[str]]:
    """One line per problem, each naming its variable; and the fields that were malformed."""
    problems: list[str] = []
    broken: set[str] = set()
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        if not error["loc"]:
            # The model validator's: settings that do not go together, a line each.
            problems += message.splitlines()
            continue
        # The variable (either case) or, from `overrides`, the field.
        given = str(error["loc"][0])
        field = FIELDS.get(given.upper(), given)
        broken.add(field)
        problems.append(f"{ENV_NAMES.get(field, given.upper())}: {message}")
    return problems, broken


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
