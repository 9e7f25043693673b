"""The approval chain: author -> manager -> CEO -> published."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from okrbot.domain.okr import Status, invisible, text_problem


class Stage(StrEnum):
    MANAGER = "manager"
    CEO = "ceo"

    @property
    def awaiting_status(self) -> Status:
        return Status.AWAITING_MANAGER if self is Stage.MANAGER else Status.AWAITING_CEO

    @property
    def label(self) -> str:
        return "manager" if self is Stage.MANAGER else "CEO"


# Where an objective may be edited in place (its approval starts again from the top).
EDITABLE = (Status.REJECTED, Status.AWAITING_MANAGER, Status.AWAITING_CEO)
# ... and changed at all: a published objective's change goes through approval on its own.
REVISABLE = (*EDITABLE, Status.APPROVED)
# Where its owner may take it back.
WITHDRAWABLE = (Status.AWAITING_MANAGER, Status.AWAITING_CEO, Status.REJECTED, Status.APPROVED)


class Outcome(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    # A newer version of the objective replaced the one this request was about.
    SUPERSEDED = "superseded"
    # The objective was withdrawn while the request waited.
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Step:
    stage: Stage
    approver: str


class NoManagerError(ValueError):
    """The author has no manager on record and is not the CEO."""


def approval_chain(author: str, manager: str | None, ceo: str) -> tuple[Step, ...]:
    """Who must approve an objective by `author`, in order.

    The CEO approves everything; the manager stage is skipped when the manager is the CEO,
    and the CEO's own objectives need nobody's approval.
    """
    if author == ceo:
        return ()
    if manager is None:
        raise NoManagerError(author)
    if manager == ceo:
        return (Step(Stage.CEO, ceo),)
    return (Step(Stage.MANAGER, manager), Step(Stage.CEO, ceo))


def status_after_submit(chain: tuple[Step, ...]) -> Status:
    return chain[0].stage.awaiting_status if chain else Status.APPROVED


def request_chain(stage: Stage, approver: str, ceo: str) -> tuple[Step, ...]:
    """The chain a request at `stage`, asked of `approver`, belongs to, as it stands now.

    A manager's approval leads to the CEO's, unless the manager is the CEO: the CEO's
    approval as manager needs no second look by the same person.
    """
    if stage is Stage.MANAGER and approver != ceo:
        return (Step(Stage.MANAGER, approver), Step(Stage.CEO, ceo))
    return (Step(stage, approver),)


def next_step(chain: tuple[Step, ...], current: Stage) -> Step | None:
    """The step after `current`, or None when `current` was the last one."""
    stages = [s.stage for s in chain]
    position = stages.index(current)
    return chain[position + 1] if position + 1 < len(chain) else None


def status_after_approval(chain: tuple[Step, ...], current: Stage) -> Status:
    following = next_step(chain, current)
    return following.stage.awaiting_status if following else Status.APPROVED


def stage_of(status: Status) -> Stage | None:
    if status is Status.AWAITING_MANAGER:
        return Stage.MANAGER
    if status is Status.AWAITING_CEO:
        return Stage.CEO
    return None


REASON_MAX = 2000


def clean_reason(text: str | None) -> tuple[str | None, str | None]:
    """(reason, error key): a rejection must say why, briefly enough to read in a DM."""
    reason = (text or "").strip()
    problem = text_problem(reason)
    if problem:
        return None, problem
    if invisible(reason):
        return None, "form.reason.empty"
    if len(reason) > REASON_MAX:
        return None, "form.reason.too_long"
    return reason, None
