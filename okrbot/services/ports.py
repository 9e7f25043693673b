"""What services need from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from okrbot.services.notices import Notice

if TYPE_CHECKING:
    from okrbot.domain.orgchart import DirectoryMember
    from okrbot.domain.weekly import Job
    from okrbot.services.common import Organisation
    from okrbot.services.weekly import RunReport
    from okrbot.store.uow import UnitOfWork

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class MessageRef:
    channel: str
    ts: str


class DeliveryError(Exception):
    """Slack refused or could not take a message.

    `retryable` errors (rate limits, outages) are tried again later; the others need a person
    to fix something (invite the bot, fix the org chart) and are reported to one.

    `ambiguous` errors may have followed a success: the call timed out, the connection broke
    after the request went out, Slack answered 5xx or said `fatal_error` ("some aspect of
    the operation may have succeeded"). A message is looked for before it is sent again.
    """

    def __init__(
        self,
        code: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class Notifier(Protocol):
    async def deliver(self, notice: Notice, marker: str | None = None) -> MessageRef | None:
        """Posts carry `marker` in their metadata; updates and views need none."""
        ...

    async def find(
        self, notice: Notice, marker: str, since: datetime, until: datetime
    ) -> MessageRef | None:
        """The notice's message carrying `marker`, if it went out; None also when the
        notice is not a post (an update is simply done again)."""
        ...


class Workspaces(Protocol):
    """Each Slack workspace's settings, and how to reach it."""

    async def organisation(self, uow: UnitOfWork, workspace_id: str) -> Organisation | None:
        """None when okrbot is not installed there now, or not set up yet."""
        ...

    async def notifier(self, workspace_id: str) -> Notifier:
        """Raises DeliveryError when the workspace's token is gone."""
        ...


class UserDirectory(Protocol):
    async def members_page(self, cursor: str | None) -> tuple[list[DirectoryMember], str | None]:
        """One page of the workspace's people (users.list), and the cursor of the next
        one (None after the last). Raises DeliveryError."""
        ...


class NotServed(LookupError):
    """The workspace asked for is not one okrbot serves now."""


class WeeklyJobs(Protocol):
    """The weekly jobs, as `/okr admin run` runs one now (okrbot.jobs.runner.Jobs)."""

    async def run(
        self,
        job: Job,
        *,
        force: bool = False,
        workspace_id: str | None = None,
        resend_in_doubt: bool = False,
    ) -> RunReport:
        """One job now, in one workspace (the only one, unless named); raises NotServed
        when that workspace is not served, DeliveryError when Slack refuses."""
        ...
