"""Writing, submitting and listing objectives."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from okrbot.domain.okr import (
    FieldError,
    Level,
    ObjectiveDraft,
    RawObjective,
    Status,
    kr_field,
    one_more_key_result,
    validate_objective,
)
from okrbot.domain.quarters import default_quarter_for_new, quarter_choices
from okrbot.domain.views import AlignOption, ObjectiveView
from okrbot.domain.workflow import (
    EDITABLE,
    REVISABLE,
    WITHDRAWABLE,
    NoManagerError,
    Outcome,
    Stage,
    Step,
    approval_chain,
    status_after_submit,
)
from okrbot.services import revisions
from okrbot.services.common import (
    Actor,
    NotFound,
    Organisation,
    OrganisationOf,
    organisation_in,
    to_view,
)
from okrbot.services.home import queue_home_refresh
from okrbot.services.notices import AuthorEvent, OutboxKind
from okrbot.store.models import Approval, Objective, Person
from okrbot.store.uow import Conflict, UnitOfWork, UnitOfWorkFactory

MANAGER_FIELD = "manager"
# Slack allows 100 options in a select; company and team objectives come first.
ALIGN_OPTIONS_MAX = 100


class InvalidSubmission(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.key}" for e in errors))
        self.errors = errors


class NotEditable(Exception):
    def __init__(self, objective: ObjectiveView) -> None:
        super().__init__(objective.status)
        self.objective = objective


@dataclass(frozen=True)
class FormContext:
    quarters: tuple[str, ...]
    default_quarter: str
    alignable: tuple[AlignOption, ...]
    needs_manager: bool
    editing: ObjectiveView | None = None


@dataclass(frozen=True)
class Submitted:
    objective_id: int
    version: int
    status: Status
    approver: str | None
    resubmission: bool


def _quarters(today: date, editing: Objective | None) -> tuple[str, ...]:
    choices = [str(q) for q in quarter_choices(today)]
    if editing is not None and editing.quarter not in choices:
        choices.insert(0, editing.quarter)
    return tuple(choices)


async def _alignable(
    uow: UnitOfWork, workspace_id: str, quarters: tuple[str, ...], exclude: int | None
) -> tuple[AlignOption, ...]:
    # Sorted (by quarter, company and team ones first) and cut in the query.
    rows = await uow.objectives.alignable(
        workspace_id, quarters, exclude=exclude, limit=ALIGN_OPTIONS_MAX
    )
    return tuple(
        AlignOption(id_, quarter, Level(level), title, owner)
        for id_, quarter, level, title, owner in rows
    )


async def form_context(
    uows: UnitOfWorkFactory,
    actor: Actor,
    organisation: OrganisationOf,
    today: date,
    *,
    objective_id: int | None = None,
) -> FormContext:
    """What the objective form offers: a new objective, or `objective_id` to edit (NotFound
    unless it is the person's, NotEditable unless it can still change)."""
    async with uows(readonly=True) as uow:
        org = await organisation_in(uow, organisation, actor.workspace_id)
        return await _form_context(uow, actor, org, today, objective_id=objective_id)


@dataclass(frozen=True)
class GrownForm:
    context: FormContext
    slots: int


async def add_key_result_slot(
    uows: UnitOfWorkFactory,
    actor: Actor,
    organisation: OrganisationOf,
    today: date,
    *,
    objective_id: int | None,
    slots: int,
) -> GrownForm:
    """The open form again, with room for one more key result (up to the most allowed)."""
    context = await form_context(uows, actor, organisation, today, objective_id=objective_id)
    return GrownForm(context, one_more_key_result(slots))


async def _form_context(
    uow: UnitOfWork,
    actor: Actor,
    org: Organisation,
    today: date,
    *,
    objective_id: int | None = None,
) -> FormContext:
    editing: Objective | None = None
    if objective_id is not None:
        editing = await uow.objectives.get(actor.workspace_id, objective_id)
        if editing is None or editing.owner_id != actor.user_id:
            raise NotFound(objective_id)
        if Status(editing.status) not in REVISABLE:
            raise NotEditable(to_view(editing))
    quarters = _quarters(today, editing)
    person = await uow.people.get(actor.workspace_id, actor.user_id)
    needs_manager = actor.user_id != org.ceo and (person is None or person.manager_id is None)
    default = editing.quarter if editing else str(default_quarter_for_new(today))
    return FormContext(
        quarters=quarters,
        default_quarter=default,
        alignable=await _alignable(
            uow, actor.workspace_id, quarters, editing.id if editing else None
        ),
        needs_manager=needs_manager,
        editing=to_view(editing) if editing else None,
    )


async def submit(
    uows: UnitOfWorkFactory,
    actor: Actor,
    organisation: OrganisationOf,
    raw: RawObjective,
    *,
    today: date,
    now: datetime,
    manager_choice: str | None = None,
    submission_key: str | None = None,
    edit_of: tuple[int, int] | None = None,
) -> Submitted:
    """Validate and store a new (or edited) objective and start its approval chain
    (InvalidSubmission, with the problems by field, when it cannot be stored)."""
    async with uows() as uow:
        org = await organisation_in(uow, organisation, actor.workspace_id)
        return await _submit(
            uow,
            actor,
            org,
            raw,
            today=today,
            now=now,
            manager_choice=manager_choice,
            submission_key=submission_key,
            edit_of=edit_of,
        )


async def _submit(
    uow: UnitOfWork,
    actor: Actor,
    org: Organisation,
    raw: RawObjective,
    *,
    today: date,
    now: datetime,
    manager_choice: str | None = None,
    submission_key: str | None = None,
    edit_of: tuple[int, int] | None = None,
) -> Submitted:
    """Validated, stored and committed in `uow` (rolled back when the same form won a race)."""
    ws = actor.workspace_id
    editing: Objective | None = None
    if edit_of is not None:
        editing = await uow.objectives.get(ws, edit_of[0])
        if editing is None or editing.owner_id != actor.user_id:
            raise NotFound(edit_of[0])
    elif submission_key is not None:
        earlier = await uow.objectives.by_submission_key(ws, submission_key)
        if earlier is not None:
            # The same form submitted twice: answer as the first time did.
            return Submitted(earlier.id, earlier.version, Status(earlier.status), None, False)

    quarters = _quarters(today, editing)
    chosen_quarter = (raw.quarter or "").strip()
    alignable = frozenset(
        o.id
        for o in await _alignable(uow, ws, quarters, editing.id if editing else None)
        if o.quarter == chosen_quarter
    )
    draft, errors = validate_objective(raw, allowed_quarters=quarters, alignable=alignable)

    person = await uow.people.get(ws, actor.user_id)
    manager = person.manager_id if person else None
    if actor.user_id != org.ceo and manager is None:
        choice = (manager_choice or "").strip()
        if not choice:
            errors.append(FieldError(MANAGER_FIELD, "form.manager.pick"))
        elif choice == actor.user_id:
            errors.append(FieldError(MANAGER_FIELD, "form.manager.self"))
        else:
            manager = choice

    if draft is not None:
        draft = await _check_kr_owners(uow, actor, org, raw, draft, errors)

    if editing is not None and (
        editing.version != (edit_of[1] if edit_of else editing.version)
        or Status(editing.status) not in REVISABLE
    ):
        errors.append(FieldError("title", "form.changed_since_opened"))
    if errors or draft is None:
        raise InvalidSubmission(errors)

    if person is None:
        person = Person(
            workspace_id=ws,
            user_id=actor.user_id,
            manager_id=manager,
            source="self",
            created_at=now,
            updated_at=now,
        )
        uow.people.add(person)
    elif person.manager_id is None and manager is not None:
        person.manager_id, person.source, person.updated_at = manager, "self", now

    try:
        chain = approval_chain(actor.user_id, manager, org.ceo)
    except NoManagerError:  # pragma: no cover - the manager check above prevents it
        raise InvalidSubmission([FieldError(MANAGER_FIELD, "form.manager.pick")]) from None
    if editing is not None and Status(editing.status) is Status.APPROVED:
        return await _revise(uow, actor, editing, draft, chain, now)
    status = status_after_submit(chain)
    kr_rows = [
        (kr.description, kr.start, kr.target, kr.unit, kr.kind.value, kr.owner)
        for kr in draft.key_results
    ]

    superseded: list[str] = []
    if editing is None:
        objective = Objective(
            workspace_id=ws,
            owner_id=actor.user_id,
            level=draft.level.value,
            team=person.team,
            quarter=draft.quarter,
            title=draft.title,
            description=draft.description,
            aligned_to_id=draft.aligned_to,
            status=status.value,
            version=1,
            submission_key=submission_key,
            created_at=now,
            updated_at=now,
            published_at=now if status is Status.APPROVED else None,
            key_results=[],
        )
        uow.objectives.add(objective)
        uow.objectives.add_key_results(objective, kr_rows)
    else:
        objective = editing
        old_version = objective.version
        moved = await uow.objectives.transition(
            objective.id,
            version=old_version,
            from_statuses=[s.value for s in EDITABLE],
            to_status=status.value,
            now=now,
            published=status is Status.APPROVED,
            new_version=old_version + 1,
        )
        if not moved:
            raise InvalidSubmission([FieldError("title", "form.changed_meanwhile")])
        await uow.refresh(objective, ["version", "status", "published_at"])
        objective.level, objective.quarter, objective.title = (
            draft.level.value,
            draft.quarter,
            draft.title,
        )
        objective.description, objective.aligned_to_id = draft.description, draft.aligned_to
        objective.team = person.team
        # Never deleted: a key result the new version drops is retired, like in a revision.
        live = list(objective.key_results)
        await uow.objectives.revise_key_results(objective, live, kr_rows, now)
        superseded = await _supersede(uow, objective, now)

    try:
        await uow.flush()
    except Conflict:
        # A concurrent twin of this submission won the unique key.
        await uow.rollback()
        raise InvalidSubmission([FieldError("title", "form.already_submitted")]) from None

    approver: str | None = None
    if chain:
        first = chain[0]
        approver = first.approver
        await open_stage(uow, objective, first.stage, first.approver, now)
        tell_author(uow, objective, now, AuthorEvent.SUBMITTED, next_approver=approver)
    else:
        queue_publication(uow, objective, now)
    # Whoever was asked about the old version loses that request from their Home, too.
    queue_home_refresh(uow, ws, [actor.user_id, approver, *superseded], now)
    await uow.commit()
    return Submitted(objective.id, objective.version, status, approver, editing is not None)


async def _check_kr_owners(
    uow: UnitOfWork,
    actor: Actor,
    org: Organisation,
    raw: RawObjective,
    draft: ObjectiveDraft,
    errors: list[FieldError],
) -> ObjectiveDraft:
    """Each key result's own owner must be someone okrbot knows in the workspace (in its
    org chart, or who has used it); the objective's owner chosen as one is no owner of its
    own. The draft with those cleared; what is wrong added to `errors`."""
    for index, kr in enumerate(raw.key_results):
        owner = (kr.owner or "").strip()
        if kr.is_blank or not owner or owner in (actor.user_id, org.ceo):
            continue
        if await uow.people.get(actor.workspace_id, owner) is None:
            errors.append(FieldError(kr_field(index, "owner"), "form.kr.owner.unknown"))
    key_results = tuple(
        replace(kr, owner=None) if kr.owner == actor.user_id else kr for kr in draft.key_results
    )
    return replace(draft, key_results=key_results)


async def _revise(
    uow: UnitOfWork,
    actor: Actor,
    objective: Objective,
    draft: ObjectiveDraft,
    chain: tuple[Step, ...],
    now: datetime,
) -> Submitted:
    """A change to a published objective: reworded at once, or proposed for approval."""
    ws = actor.workspace_id
    if not revisions.needs_approval(objective, draft):
        await revisions.apply_minor(uow, objective, draft, now)
        queue_home_refresh(uow, ws, [actor.user_id], now)
        await uow.commit()
        return Submitted(objective.id, objective.version, Status.APPROVED, None, True)
    first = chain[0] if chain else None
    revision = await revisions.open_revision(uow, objective, draft, first, now)
    superseded = await _supersede(uow, objective, now, before=revision.version, pending_only=True)
    if first is None:
        # The CEO's own change needs nobody's approval.
        await revisions.apply_revision(uow, objective, revision, now)
        queue_publication(uow, objective, now, updated=True)
    else:
        await open_stage(uow, objective, first.stage, first.approver, now, version=revision.version)
        tell_author(uow, objective, now, AuthorEvent.SUBMITTED, next_approver=first.approver)
    queue_home_refresh(
        uow, ws, [actor.user_id, first.approver if first else None, *superseded], now
    )
    await uow.commit()
    return Submitted(
        objective.id,
        revision.version,
        first.stage.awaiting_status if first else Status.APPROVED,
        first.approver if first else None,
        True,
    )


async def open_stage(
    uow: UnitOfWork,
    objective: Objective,
    stage: Stage,
    approver: str,
    now: datetime,
    *,
    version: int | None = None,
) -> None:
    approval = Approval(
        workspace_id=objective.workspace_id,
        objective_id=objective.id,
        version=objective.version if version is None else version,
        stage=stage.value,
        approver_id=approver,
        outcome=Outcome.PENDING.value,
        created_at=now,
    )
    uow.approvals.add(approval)
    await uow.flush()
    uow.outbox.add(
        workspace_id=objective.workspace_id,
        kind=OutboxKind.APPROVAL_REQUEST,
        now=now,
        objective_id=objective.id,
        approval_id=approval.id,
        recipient=approver,
    )


def tell_author(
    uow: UnitOfWork,
    objective: Objective,
    now: datetime,
    event: AuthorEvent,
    **details: str | None,
) -> None:
    payload: dict[str, Any] = {"event": event.value}
    payload.update((key, value) for key, value in details.items() if value is not None)
    uow.outbox.add(
        workspace_id=objective.workspace_id,
        kind=OutboxKind.AUTHOR_UPDATE,
        now=now,
        objective_id=objective.id,
        recipient=objective.owner_id,
        payload=payload,
    )


def queue_publication(
    uow: UnitOfWork, objective: Objective, now: datetime, *, updated: bool = False
) -> None:
    uow.outbox.add(
        workspace_id=objective.workspace_id,
        kind=OutboxKind.PUBLICATION,
        now=now,
        objective_id=objective.id,
        payload={"updated": True} if updated else None,
    )
    tell_author(uow, objective, now, AuthorEvent.PUBLISHED)


async def _supersede(
    uow: UnitOfWork,
    objective: Objective,
    now: datetime,
    *,
    before: int | None = None,
    pending_only: bool = False,
) -> list[str]:
    """Requests about older versions say they are out of date; their buttons go away.
    Returns who was waiting to decide on one. A change to a published objective leaves
    the decided requests of what was published as they are (`pending_only`)."""
    newer = objective.version if before is None else before
    approvers: list[str] = []
    for old in await uow.approvals.older_versions(objective.id, newer):
        pending = old.outcome == Outcome.PENDING.value
        if pending:
            await uow.approvals.decide(old.id, outcome=Outcome.SUPERSEDED.value, by=None, at=now)
            approvers.append(old.approver_id)
        if old.message_ts is not None and (pending or not pending_only):
            uow.outbox.add(
                workspace_id=objective.workspace_id,
                kind=OutboxKind.APPROVAL_OUTCOME,
                now=now,
                objective_id=objective.id,
                approval_id=old.id,
                payload={"newer_version": newer},
            )
    return approvers


class NotWithdrawable(Exception):
    def __init__(self, objective: ObjectiveView) -> None:
        super().__init__(objective.status)
        self.objective = objective


async def withdraw(
    uows: UnitOfWorkFactory, actor: Actor, objective_id: int, *, now: datetime
) -> ObjectiveView:
    """The owner takes an objective back. Nothing is deleted: it stays, marked withdrawn,
    with its history; requests still waiting say they are no longer needed."""
    async with uows() as uow:
        return await _withdraw(uow, actor, objective_id, now=now)


async def _withdraw(
    uow: UnitOfWork, actor: Actor, objective_id: int, *, now: datetime
) -> ObjectiveView:
    objective = await uow.objectives.get(actor.workspace_id, objective_id)
    if objective is None or objective.owner_id != actor.user_id:
        raise NotFound(objective_id)
    if Status(objective.status) not in WITHDRAWABLE:
        raise NotWithdrawable(to_view(objective))
    moved = await uow.objectives.transition(
        objective.id,
        version=objective.version,
        from_statuses=[s.value for s in WITHDRAWABLE],
        to_status=Status.WITHDRAWN.value,
        now=now,
    )
    if not moved:
        raise NotWithdrawable(to_view(objective))
    await uow.objectives.mark_withdrawn(objective.id, now)
    waiting = []
    for approval in await uow.approvals.for_objective(actor.workspace_id, objective.id):
        if approval.outcome != Outcome.PENDING.value:
            continue
        await uow.approvals.decide(
            approval.id, outcome=Outcome.CANCELLED.value, by=actor.user_id, at=now
        )
        waiting.append(approval.approver_id)
        uow.outbox.add(
            workspace_id=actor.workspace_id,
            kind=OutboxKind.APPROVAL_OUTCOME,
            now=now,
            objective_id=objective.id,
            approval_id=approval.id,
        )
    queue_home_refresh(uow, actor.workspace_id, [actor.user_id, *waiting], now)
    await uow.commit()
    await uow.refresh(objective, ["status"])
    return to_view(objective)
