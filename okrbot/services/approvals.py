"""Approve and reject: a decision applies only to the stage and version it was asked for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from okrbot.domain.okr import Status
from okrbot.domain.views import ObjectiveView
from okrbot.domain.workflow import (
    Outcome,
    Stage,
    clean_reason,
    next_step,
    request_chain,
    status_after_approval,
)
from okrbot.services import revisions
from okrbot.services.common import Actor, Organisation, OrganisationOf, organisation_in, to_view
from okrbot.services.home import queue_home_refresh
from okrbot.services.notices import AuthorEvent, OutboxKind
from okrbot.services.objectives import open_stage, queue_publication, tell_author
from okrbot.store.models import Approval, Objective, Revision
from okrbot.store.uow import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class RequestRef:
    """What an Approve / Reject button carries."""

    objective_id: int
    version: int
    stage: Stage

    def encode(self) -> str:
        return f"{self.objective_id}:{self.version}:{self.stage.value}"

    @classmethod
    def decode(cls, value: str) -> RequestRef:
        """ValueError for anything that is not a reference this app made."""
        parts = value.split(":")
        if len(parts) != 3:
            raise ValueError(value)
        objective_id, version = int(parts[0]), int(parts[1])
        if objective_id < 1 or version < 1:
            raise ValueError(value)
        return cls(objective_id, version, Stage(parts[2]))


class Verdict(StrEnum):
    APPLIED = "applied"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    ALREADY_DECIDED = "already_decided"
    OUT_OF_DATE = "out_of_date"
    INVALID_REASON = "invalid_reason"


@dataclass(frozen=True)
class DecisionResult:
    verdict: Verdict
    objective: ObjectiveView | None = None
    approver: str | None = None
    outcome: Outcome | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    error: str | None = None
    next_approver: str | None = None

    @property
    def applied(self) -> bool:
        return self.verdict is Verdict.APPLIED


@dataclass(frozen=True)
class _Open:
    approval: Approval
    objective: Objective
    # Set when the request is about a change to a published objective.
    revision: Revision | None = None


async def _check(uow: UnitOfWork, actor: Actor, ref: RequestRef) -> DecisionResult | _Open:
    """The open request when `actor` may decide on `ref` right now, else why not."""
    approval = await uow.approvals.get(actor.workspace_id, ref.objective_id, ref.version, ref.stage)
    objective = await uow.objectives.get(actor.workspace_id, ref.objective_id)
    if approval is None or objective is None:
        return DecisionResult(Verdict.NOT_FOUND)
    view = to_view(objective)
    if approval.approver_id != actor.user_id:
        return DecisionResult(Verdict.NOT_ALLOWED, view, approver=approval.approver_id)
    if approval.outcome in (Outcome.APPROVED.value, Outcome.REJECTED.value):
        return DecisionResult(
            Verdict.ALREADY_DECIDED,
            view,
            approver=approval.approver_id,
            outcome=Outcome(approval.outcome),
            decided_by=approval.decided_by,
            decided_at=approval.decided_at,
        )
    revision = (
        await uow.revisions.get(objective.id, ref.version)
        if ref.version > objective.version
        else None
    )
    # What the request is about (the objective, or a change to it) must still wait for
    # exactly this stage.
    status, version = (
        (revision.status, revision.version)
        if revision is not None
        else (objective.status, objective.version)
    )
    if (
        approval.outcome != Outcome.PENDING.value
        or version != ref.version
        or status != ref.stage.awaiting_status.value
    ):
        return DecisionResult(Verdict.OUT_OF_DATE, view, approver=approval.approver_id)
    return _Open(approval, objective, revision)


async def may_decide(uows: UnitOfWorkFactory, actor: Actor, ref: RequestRef) -> DecisionResult:
    """Checked before the reject form opens, so nobody types a reason for nothing."""
    async with uows(readonly=True) as uow:
        checked = await _check(uow, actor, ref)
    if isinstance(checked, DecisionResult):
        return checked
    return DecisionResult(
        Verdict.APPLIED, to_view(checked.objective), approver=checked.approval.approver_id
    )


async def reject(
    uows: UnitOfWorkFactory,
    actor: Actor,
    organisation: OrganisationOf,
    ref: RequestRef,
    *,
    now: datetime,
    reason: str | None,
) -> DecisionResult:
    """The reject form's answer: the request rejected with its reason, or why not."""
    async with uows() as uow:
        org = await organisation_in(uow, organisation, actor.workspace_id)
        return await decide(uow, actor, org, ref, approve=False, now=now, reason=reason)


async def decide(
    uow: UnitOfWork,
    actor: Actor,
    org: Organisation,
    ref: RequestRef,
    *,
    approve: bool,
    now: datetime,
    reason: str | None = None,
) -> DecisionResult:
    """Apply a decision in `uow` and commit it (or roll back, when another click won)."""
    cleaned: str | None = None
    if not approve:
        cleaned, problem = clean_reason(reason)
        if problem:
            return DecisionResult(Verdict.INVALID_REASON, error=problem)

    checked = await _check(uow, actor, ref)
    if isinstance(checked, DecisionResult):
        return checked
    approval, objective, revision = checked.approval, checked.objective, checked.revision

    next_stage: Stage | None = None
    if approve:
        # The approver is the actor (checked above).
        chain = request_chain(ref.stage, actor.user_id, org.ceo)
        following = next_step(chain, ref.stage)
        next_stage = following.stage if following else None
        to_status = status_after_approval(chain, ref.stage)
    else:
        to_status = Status.REJECTED

    # Both updates are conditional: of two concurrent clicks exactly one matches a row.
    if revision is None:
        moved = await uow.objectives.transition(
            objective.id,
            version=ref.version,
            from_statuses=[ref.stage.awaiting_status.value],
            to_status=to_status.value,
            now=now,
            published=to_status is Status.APPROVED,
        )
    else:
        moved = await uow.revisions.move(
            revision.id,
            from_statuses=[ref.stage.awaiting_status.value],
            to_status=to_status.value,
            now=now,
        )
    outcome = Outcome.APPROVED if approve else Outcome.REJECTED
    if not moved or not await uow.approvals.decide(
        approval.id, outcome=outcome.value, by=actor.user_id, at=now, reason=cleaned
    ):
        # Another click got there first (on PostgreSQL two instances can both pass the
        # check above). It has committed by now, so look again: the answer is the one a
        # later click gets. (The rollback expired what was loaded; this reloads it.)
        await uow.rollback()
        again = await _check(uow, actor, ref)
        if isinstance(again, DecisionResult):
            return again
        return DecisionResult(
            Verdict.OUT_OF_DATE, to_view(again.objective), approver=again.approval.approver_id
        )
    await uow.refresh(objective, ["status", "published_at", "updated_at"])

    # Queued even before the request's own message is known: the dispatcher waits for it.
    uow.outbox.add(
        workspace_id=actor.workspace_id,
        kind=OutboxKind.APPROVAL_OUTCOME,
        now=now,
        objective_id=objective.id,
        approval_id=approval.id,
    )
    stage, by = ref.stage.value, actor.user_id
    if not approve:
        tell_author(uow, objective, now, AuthorEvent.REJECTED, stage=stage, by=by, reason=cleaned)
    elif next_stage is not None:
        await open_stage(uow, objective, next_stage, org.ceo, now, version=ref.version)
        tell_author(
            uow,
            objective,
            now,
            AuthorEvent.STAGE_APPROVED,
            stage=stage,
            by=by,
            next_approver=org.ceo,
        )
    else:
        if revision is not None:
            # The change's last approval: the published objective becomes what was approved.
            await revisions.apply_revision(uow, objective, revision, now)
        queue_publication(uow, objective, now, updated=revision is not None)
    queue_home_refresh(
        uow,
        actor.workspace_id,
        [objective.owner_id, actor.user_id, org.ceo if next_stage else None],
        now,
    )
    await uow.commit()
    return DecisionResult(
        Verdict.APPLIED,
        to_view(objective),
        approver=approval.approver_id,
        outcome=outcome,
        decided_by=actor.user_id,
        decided_at=now,
        next_approver=org.ceo if next_stage else None,
    )
