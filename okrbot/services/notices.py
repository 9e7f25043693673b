"""Messages the services owe people, described without any Slack formatting."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from okrbot.domain.views import ObjectiveView
from okrbot.domain.workflow import Outcome, Stage

if TYPE_CHECKING:
    # services.home queues these notices; importing it here at run time would be a cycle.
    from okrbot.services.home import HomeView


@dataclass(frozen=True)
class ApprovalRequest:
    """A DM to the approver with Approve / Reject buttons."""

    approver_id: str
    stage: Stage
    objective: ObjectiveView
    requested_at: datetime
    # The approver's Slack locale: the request is in their language.
    locale: str | None = None


@dataclass(frozen=True)
class ApprovalOutcome:
    """Replaces the buttons on an approver's request with what happened to it."""

    channel: str
    ts: str
    stage: Stage
    objective: ObjectiveView
    version: int
    outcome: Outcome
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    newer_version: int | None = None
    # The locale of the approver whose message this is.
    locale: str | None = None


class OutboxKind(StrEnum):
    """What an outbox row asks the dispatcher to send."""

    APPROVAL_REQUEST = "approval_request"
    APPROVAL_OUTCOME = "approval_outcome"
    AUTHOR_UPDATE = "author_update"
    PUBLICATION = "publication"
    PROBLEM = "problem"
    PROMPT_ANSWERED = "prompt_answered"
    HOME_REFRESH = "home_refresh"
    REPLY_ANSWER = "reply_answer"
    REPLY_UNDONE = "reply_undone"


class AuthorEvent(StrEnum):
    SUBMITTED = "submitted"
    STAGE_APPROVED = "stage_approved"
    PUBLISHED = "published"
    REJECTED = "rejected"


@dataclass(frozen=True)
class AuthorUpdate:
    author_id: str
    event: AuthorEvent
    objective: ObjectiveView
    stage: Stage | None = None
    by: str | None = None
    reason: str | None = None
    next_approver: str | None = None
    # The author's Slack locale.
    locale: str | None = None


@dataclass(frozen=True)
class Publication:
    """Goes to the company channel, so it is in the company's language: no locale."""

    channel: str
    objective: ObjectiveView
    approvers: tuple[str, ...]
    # An approved change to an objective already published.
    updated: bool = False


@dataclass(frozen=True)
class ProblemReport:
    """Something went wrong that `recipient` can put right.

    `problem` names what went wrong (a catalogue entry, `problem.<name>`) and `details`
    fill it in with plain values: title, approver (a user id), stage, channel (a channel
    id), code, week. The Slack side formats them, in the recipient's language. `text` is
    for rows queued before problems had names, which carry their words ready-made.
    """

    recipient: str
    text: str = ""
    problem: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)
    locale: str | None = None


@dataclass(frozen=True)
class PromptAnswered:
    """A check-in prompt (or reminder) the person has answered: it says so, and loses its
    button, so nobody checks in twice by accident."""

    channel: str
    ts: str
    reminder: bool
    at: datetime
    # The locale of the person who checked in: the prompt was theirs.
    locale: str | None = None
    # Answered with "No change this week".
    no_change: bool = False


@dataclass(frozen=True)
class HomeRefresh:
    """A person's App Home, republished because something of theirs changed. Carries the
    view as it is when the dispatcher takes the row, not as it was when queued."""

    user_id: str
    workspace_id: str
    home: HomeView


@dataclass(frozen=True)
class ReplyAnswer:
    """okrbot's answer in the thread of a person's reply (services.replies): what it
    recorded, what it could not read, or how to reply. `content` is the outbox payload."""

    channel: str
    thread_ts: str
    content: Mapping[str, Any]
    locale: str | None = None


@dataclass(frozen=True)
class ReplyUndone:
    """The answer to a reply, once its check-in is undone."""

    channel: str
    ts: str
    at: datetime
    locale: str | None = None


Notice = (
    ApprovalRequest
    | ApprovalOutcome
    | AuthorUpdate
    | Publication
    | ProblemReport
    | PromptAnswered
    | HomeRefresh
    | ReplyAnswer
    | ReplyUndone
)


def posted_to(notice: Notice) -> str | None:
    """The conversation a notice is posted to as a new message (a user id stands for the
    DM), or None for what updates a message or a Home: the same whether done once or
    twice, and not paced per conversation by Slack."""
    match notice:
        case ApprovalRequest():
            return notice.approver_id
        case AuthorUpdate():
            return notice.author_id
        case Publication():
            return notice.channel
        case ProblemReport():
            return notice.recipient
        case ReplyAnswer():
            return notice.channel
    return None
