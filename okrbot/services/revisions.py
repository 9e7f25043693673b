"""Changing a published objective: what was approved goes back through approval.

The objective stays published as it was, with its check-ins, until the change's last
approval applies it; a change that touches nothing approved is applied at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from okrbot.domain.okr import KeyResultDraft, Level, ObjectiveDraft, Status, kind_of
from okrbot.domain.views import KeyResultView, ObjectiveView
from okrbot.domain.workflow import Step
from okrbot.store.models import Objective, Revision
from okrbot.store.uow import UnitOfWork

# A revision's own status: the same words as an objective's.
OPEN = (Status.AWAITING_MANAGER.value, Status.AWAITING_CEO.value)


def content_of(draft: ObjectiveDraft) -> dict[str, Any]:
    return {
        "title": draft.title,
        "description": draft.description,
        "level": draft.level.value,
        "quarter": draft.quarter,
        "aligned_to": draft.aligned_to,
        "key_results": [
            {
                "description": kr.description,
                "start": kr.start,
                "target": kr.target,
                "unit": kr.unit,
                "kind": kr.kind.value,
                "owner": kr.owner,
            }
            for kr in draft.key_results
        ],
    }


def draft_of(content: dict[str, Any]) -> ObjectiveDraft:
    return ObjectiveDraft(
        title=str(content["title"]),
        description=str(content.get("description") or ""),
        level=Level(content["level"]),
        quarter=str(content["quarter"]),
        aligned_to=content.get("aligned_to"),
        key_results=tuple(
            KeyResultDraft(
                str(kr["description"]),
                float(kr["start"]),
                float(kr["target"]),
                str(kr["unit"]),
                kind_of(kr.get("kind")),
                kr.get("owner") or None,
            )
            for kr in content["key_results"]
        ),
    )


def approved_part(objective: Objective) -> tuple[object, ...]:
    """What an approver said yes to: title, level, quarter, alignment, each key result's
    description, start and target. Description and units are the owner's to reword."""
    return (
        objective.title,
        objective.level,
        objective.quarter,
        objective.aligned_to_id,
        tuple(
            (kr.description, kr.start_value, kr.target_value, kind_of(kr.kind))
            for kr in objective.key_results
            if kr.retired_at is None
        ),
    )


def approved_part_of(draft: ObjectiveDraft) -> tuple[object, ...]:
    return (
        draft.title,
        draft.level.value,
        draft.quarter,
        draft.aligned_to,
        tuple((kr.description, kr.start, kr.target, kr.kind) for kr in draft.key_results),
    )


def needs_approval(objective: Objective, draft: ObjectiveDraft) -> bool:
    return approved_part(objective) != approved_part_of(draft)


async def apply_minor(
    uow: UnitOfWork, objective: Objective, draft: ObjectiveDraft, now: datetime
) -> None:
    """Rewording the description or units, or another owner for a key result: no approval,
    the published objective changes."""
    objective.description = draft.description
    live = [kr for kr in objective.key_results if kr.retired_at is None]
    for kr, new in zip(live, draft.key_results, strict=False):
        kr.unit = new.unit
        # Who checks a key result in is not part of what was approved.
        kr.owner_id = new.owner
    objective.updated_at = now


async def open_revision(
    uow: UnitOfWork, objective: Objective, draft: ObjectiveDraft, first: Step | None, now: datetime
) -> Revision:
    """A new proposal replaces any still waiting; its version follows every earlier one."""
    for pending in await uow.revisions.pending(objective.id):
        await uow.revisions.move(pending.id, from_statuses=OPEN, to_status="superseded", now=now)
    version = max(objective.version, await uow.revisions.latest_version(objective.id)) + 1
    revision = Revision(
        workspace_id=objective.workspace_id,
        objective_id=objective.id,
        version=version,
        status=first.stage.awaiting_status.value if first else Status.APPROVED.value,
        content=content_of(draft),
        created_at=now,
    )
    uow.revisions.add(revision)
    await uow.flush()
    return revision


async def apply_revision(
    uow: UnitOfWork, objective: Objective, revision: Revision, now: datetime
) -> None:
    """The change's last approval: the published objective becomes what was approved.

    Key results keep their identity (and check-ins) by position; one the change removes
    is retired, not deleted.
    """
    draft = draft_of(revision.content)
    objective.title, objective.description = draft.title, draft.description
    objective.level, objective.quarter = draft.level.value, draft.quarter
    objective.aligned_to_id = draft.aligned_to
    objective.version = revision.version
    objective.updated_at = objective.published_at = now
    live = sorted(
        (kr for kr in objective.key_results if kr.retired_at is None), key=lambda kr: kr.position
    )
    rows = [
        (kr.description, kr.start, kr.target, kr.unit, kr.kind.value, kr.owner)
        for kr in draft.key_results
    ]
    await uow.objectives.revise_key_results(objective, live, rows, now)


def revision_view(objective: ObjectiveView, revision: Revision) -> ObjectiveView:
    """The objective as the change proposes it, for the approver's request."""
    draft = draft_of(revision.content)
    return ObjectiveView(
        id=objective.id,
        version=revision.version,
        owner_id=objective.owner_id,
        level=draft.level,
        team=objective.team,
        quarter=draft.quarter,
        title=draft.title,
        description=draft.description,
        status=Status(revision.status) if revision.status in OPEN else objective.status,
        key_results=tuple(
            KeyResultView(i, kr.description, kr.start, kr.target, kr.unit, kr.kind, kr.owner)
            for i, kr in enumerate(draft.key_results, start=1)
        ),
        aligned_to_id=draft.aligned_to,
        aligned_to_title=objective.aligned_to_title
        if draft.aligned_to == objective.aligned_to_id
        else None,
        aligned_to_owner=objective.aligned_to_owner
        if draft.aligned_to == objective.aligned_to_id
        else None,
    )
