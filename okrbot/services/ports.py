"""What services need from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from okrbot.services.notices import Notice

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class MessageRef:
    channel: str
    ts: str


class DeliveryError(Exception):
    """Slack refused or could not take a message.

    `retryable` errors (rate limits, outages) are tried again later; the others need a person
    to fix something (invite the bot, fix the org chart) and are reported to one.
    """

    def __init__(self, code: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after


class Notifier(Protocol):
    async def deliver(self, notice: Notice) -> MessageRef | None: ...


class UserDirectory(Protocol):
    async def user_id_for_email(self, email: str) -> str | None: ...
