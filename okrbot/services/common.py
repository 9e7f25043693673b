"""Small pieces shared by the use cases."""

from __future__ import annotations

from dataclasses import dataclass

from okrbot.domain.okr import Level, Status
from okrbot.domain.views import KeyResultView, ObjectiveView
from okrbot.store.models import Objective


@dataclass(frozen=True)
class Actor:
    """Who is asking, in which workspace."""

    workspace_id: str
    user_id: str


@dataclass(frozen=True)
class Organisation:
    """Per-workspace settings the process depends on."""

    ceo: str
    channel: str
    # Besides the CEO, who may change okrbot's settings and run its jobs from Slack.
    admins: frozenset[str] = frozenset()

    def is_admin(self, user_id: str) -> bool:
        return user_id == self.ceo or user_id in self.admins


class NotFound(LookupError):
    pass


def key_result_views(objective: Objective) -> tuple[KeyResultView, ...]:
    """Numbered 1, 2, 3...: stored positions keep gaps where a key result retired."""
    return tuple(
        KeyResultView(number, kr.description, kr.start_value, kr.target_value, kr.unit)
        for number, kr in enumerate(objective.key_results, start=1)
    )


def to_view(objective: Objective) -> ObjectiveView:
    """Needs key_results and aligned_to loaded (the repository's detailed queries do that)."""
    aligned = objective.aligned_to
    return ObjectiveView(
        id=objective.id,
        version=objective.version,
        owner_id=objective.owner_id,
        level=Level(objective.level),
        team=objective.team,
        quarter=objective.quarter,
        title=objective.title,
        description=objective.description,
        status=Status(objective.status),
        key_results=key_result_views(objective),
        aligned_to_id=objective.aligned_to_id,
        aligned_to_title=aligned.title if aligned else None,
        aligned_to_owner=aligned.owner_id if aligned else None,
    )
