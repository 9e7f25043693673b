"""Logging: plain lines or JSON (OKRBOT_LOG_FORMAT=json), with who and where each line is
about, and never a token or a secret."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import TextIO

# What the current request or job is about; set where a request enters (Bolt middleware)
# and read by every log line written while it is handled, also in background work.
_context: ContextVar[dict[str, str]] = ContextVar("okrbot_log_context", default={})  # noqa: B039

# Slack tokens, whatever sits around them, and any value we were told is secret.
TOKEN = re.compile(r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")
REDACTED = "[redacted]"
CHATTY = ("apscheduler", "alembic", "aiohttp.access")


@contextmanager
def context(**fields: str | None) -> Iterator[None]:
    """Add fields (workspace, user, request) to every log line written inside."""
    token = enter(**fields)
    try:
        yield
    finally:
        leave(token)


def enter(**fields: str | None) -> Token[dict[str, str]]:
    """`context` without a context manager: `leave` with what this returns."""
    return _context.set({**_context.get(), **{k: v for k, v in fields.items() if v}})


def leave(token: Token[dict[str, str]]) -> None:
    _context.reset(token)


def current() -> dict[str, str]:
    return dict(_context.get())


class Redact(logging.Filter):
    """Scrubs tokens and the configured secrets from the message and its arguments."""

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 8]

    def scrub(self, text: str) -> str:
        text = TOKEN.sub(REDACTED, text)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        for key, value in current().items():
            setattr(record, f"okrbot_{key}", value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: what log collectors index without parsing."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key.startswith("okrbot_"):
                entry[key.removeprefix("okrbot_")] = value
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(
            f"{key.removeprefix('okrbot_')}={value}"
            for key, value in vars(record).items()
            if key.startswith("okrbot_")
        )
        return f"{line} [{extra}]" if extra else line


def configure(
    level: str, fmt: str, secrets: Sequence[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """The root handler: every library's lines go through the same redaction."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(Redact(secrets))
    handler.setFormatter(JsonFormatter() if fmt == "json" else PlainFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    chosen = getattr(logging, level.upper(), logging.INFO)
    root.setLevel(chosen)
    # Libraries that narrate at INFO what an operator does not need: APScheduler two lines
    # a tick ("Running job", "executed successfully"), Alembic its dialect and plugins on
    # every command, aiohttp a line a request (a twentieth of the work of an API write).
    # What okrbot itself says at INFO (listening, migrated, shutting down) stays; at DEBUG
    # they all speak again.
    for name in CHATTY:
        logging.getLogger(name).setLevel(
            max(chosen, logging.WARNING) if chosen > logging.DEBUG else logging.NOTSET
        )
    return handler
