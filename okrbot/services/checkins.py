"""The weekly check-in: a few numbers and a confidence per objective, kept as history."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import groupby

from okrbot.domain.checkin import (
    Bounds,
    Confidence,
    check_value,
    clean_comment,
    pages,
    parse_confidence,
)
from okrbot.domain.okr import FieldError
from okrbot.domain.progress import kr_progress, objective_progress
from okrbot.domain.quarters import Quarter
from okrbot.domain.sources import automatic_kind
from okrbot.services.common import Actor, InvalidForm, PageStored, store_then_page
from okrbot.services.home import queue_home_refresh
from okrbot.services.notices import OutboxKind
from okrbot.store.models import CheckIn, Objective
from okrbot.store.repositories import CheckableRow
from okrbot.store.uow import UnitOfWork, UnitOfWorkFactory

# A modal holds 100 blocks; each objective takes its key results plus a title, a
# confidence and a comment, and the form keeps a few blocks for itself.
PAGE_BLOCKS = 95
PER_OBJECTIVE_BLOCKS = 3
# The submission key of a "No change this week" click starts so (services.nochange).
NO_CHANGE_KEY = "nochange:"


def is_no_change(submission_key: str | None) -> bool:
    """Whether a check-in came from a "No change this week" click."""
    return submission_key is not None and submission_key.startswith(NO_CHANGE_KEY)


def value_field(kr_id: int) -> str:
    return f"kr_{kr_id}"


def confidence_field(objective_id: int) -> str:
    return f"conf_{objective_id}"


def comment_field(objective_id: int) -> str:
    return f"note_{objective_id}"


@dataclass(frozen=True)
class KRState:
    id: int
    position: int
    description: str
    unit: str
    start: float
    target: float
    current: float | None
    current_at: datetime | None
    kind: str = "numeric"
    # Its latest value came from a data source or the API (`with_automatic`): the kind
    # ("http", "sql", "api") and when, for the form, the prompt and a reply's answer.
    automatic: tuple[str, datetime] | None = None
    # Its own owner, when someone other than the objective's owner checks it in.
    owner: str | None = None

    @property
    def progress(self) -> float:
        return kr_progress(self.start, self.target, self.current, self.kind)


@dataclass(frozen=True)
class ObjectiveState:
    id: int
    title: str
    quarter: str
    confidence: Confidence | None
    last_check_in_at: datetime | None
    key_results: tuple[KRState, ...]
    # False when listed for someone who owns only some of its key results (those alone
    # are listed): they check in those values; its confidence stays its owner's.
    owned: bool = True
    # The objective's owner (None where nobody asked).
    owner_id: str | None = None

    @property
    def progress(self) -> float:
        return objective_progress([kr.progress for kr in self.key_results])


@dataclass(frozen=True)
class CheckInPage:
    objectives: tuple[ObjectiveState, ...]
    # Objectives for the pages after this one, in order.
    remaining: tuple[int, ...]
    total: int


@dataclass(frozen=True)
class RawCheckIn:
    """The form's values by field name, as a (possibly forged) payload carried them."""

    values: Mapping[str, str | None]


class InvalidCheckIn(InvalidForm):
    pass


def to_state(objective: Objective) -> ObjectiveState:
    return ObjectiveState(
        id=objective.id,
        title=objective.title,
        quarter=objective.quarter,
        confidence=parse_confidence(objective.confidence),
        last_check_in_at=objective.last_check_in_at,
        key_results=tuple(
            KRState(
                kr.id,
                number,
                kr.description,
                kr.unit,
                kr.start_value,
                kr.target_value,
                kr.current_value,
                kr.current_at,
                kr.kind,
                owner=kr.owner_id,
            )
            for number, kr in enumerate(objective.key_results, start=1)
        ),
        owner_id=objective.owner_id,
    )


def _kr_state(number: int, row: CheckableRow) -> KRState:
    assert row.kr_id is not None
    assert row.start is not None
    assert row.target is not None
    return KRState(
        row.kr_id,
        number,
        row.description or "",
        row.unit or "",
        row.start,
        row.target,
        row.current,
        row.current_at,
        row.kind or "numeric",
        owner=row.kr_owner,
    )


async def checkable(uow: UnitOfWork, actor: Actor, today: date) -> list[ObjectiveState]:
    """The person's approved objectives of the current quarter, then the others' approved
    objectives in which they own key results (only those listed, `owned` False)."""
    quarter = str(Quarter.containing(today))
    rows = await uow.check_ins.checkable(actor.workspace_id, actor.user_id, quarter)
    states: list[ObjectiveState] = []
    for _, group in groupby(rows, key=lambda row: row.objective_id):
        objective = list(group)
        first = objective[0]
        krs = [row for row in objective if row.kr_id is not None]
        states.append(
            ObjectiveState(
                id=first.objective_id,
                title=first.title,
                quarter=first.quarter,
                confidence=parse_confidence(first.confidence),
                last_check_in_at=first.last_check_in_at,
                key_results=tuple(_kr_state(n, row) for n, row in enumerate(krs, start=1)),
                owned=first.owned,
                owner_id=first.owner_id,
            )
        )
    return states


async def form_page(uows: UnitOfWorkFactory, actor: Actor, today: date) -> CheckInPage:
    """The first page of the person's check-in form."""
    async with uows(readonly=True) as uow:
        return await _form_page(uow, actor, today)


async def submit_page(
    uows: UnitOfWorkFactory,
    actor: Actor,
    objective_ids: Sequence[int],
    raw: RawCheckIn,
    rest: Sequence[int],
    *,
    today: date,
    now: datetime,
) -> PageStored[CheckInPage]:
    """A page of the check-in form stored as it is answered (not through the inbox), and
    the page of `rest` after it (if that has anything to check in), or what is wrong."""

    async def store(uow: UnitOfWork) -> None:
        await record(uow, actor, objective_ids, raw, today=today, now=now)

    async def next_page(uow: UnitOfWork) -> CheckInPage | None:
        page = await _form_page(uow, actor, today, only=rest)
        return page if page.objectives else None

    return await store_then_page(uows, store, next_page if rest else None)


async def _form_page(
    uow: UnitOfWork, actor: Actor, today: date, *, only: Sequence[int] | None = None
) -> CheckInPage:
    """The first page of the check-in form (of `only`, when the form is already paging)."""
    states = await checkable(uow, actor, today)
    if only is not None:
        wanted = set(only)
        states = [s for s in states if s.id in wanted]
    split = pages([len(s.key_results) for s in states], PAGE_BLOCKS, PER_OBJECTIVE_BLOCKS)
    first = [states[i] for i in split[0]] if split else []
    rest = [states[i].id for page in split[1:] for i in page]
    first = await with_automatic(uow, first)
    return CheckInPage(tuple(first), tuple(rest), len(states))


async def with_automatic(uow: UnitOfWork, states: Sequence[ObjectiveState]) -> list[ObjectiveState]:
    """The objectives with `automatic` set on each key result whose latest value was not
    typed by a person but came from a data source or the HTTP API (so since the last
    check-in by form, reply or "No change", which records the values anew): the form,
    the prompt and the answer to a reply say so."""
    latest = await uow.check_ins.latest_sources([kr.id for o in states for kr in o.key_results])
    read: dict[int, tuple[str, datetime]] = {}
    for kr_id, (source, at) in latest.items():
        kind = automatic_kind(source)
        if kind is not None:
            read[kr_id] = (kind, at)
    if not read:
        return list(states)
    return [
        replace(
            o, key_results=tuple(replace(kr, automatic=read.get(kr.id)) for kr in o.key_results)
        )
        for o in states
    ]


@dataclass(frozen=True)
class CheckedObjective:
    """One objective's part of a check-in, every field of it valid."""

    objective_id: int
    # None for an objective whose key results alone were checked in (`values_only`).
    confidence: Confidence | None
    comment: str | None
    values: tuple[tuple[int, float], ...]


def check(
    objectives: Sequence[tuple[int, Sequence[Bounds]]],
    raw: RawCheckIn,
    values_only: Collection[int] = (),
) -> tuple[list[CheckedObjective], list[FieldError]]:
    """Every field of the form against its key results' bounds, the objectives in order.
    Of the objectives in `values_only` (someone else's, in which the person owns key
    results) only the values are read: no confidence, no comment.

    No database: the answer to the form checks what the form itself carries, and `record`
    checks the same way against the rows.
    """
    checked: list[CheckedObjective] = []
    errors: list[FieldError] = []
    for objective_id, key_results in objectives:
        values: list[tuple[int, float]] = []
        for kr in key_results:
            field = value_field(kr.kr_id)
            value, problem = check_value(raw.values.get(field), kr.start, kr.target, kr.kind)
            if problem:
                errors.append(FieldError(field, problem))
            elif value is not None:
                values.append((kr.kr_id, value))
        if objective_id in values_only:
            checked.append(CheckedObjective(objective_id, None, None, tuple(values)))
            continue
        confidence = parse_confidence(raw.values.get(confidence_field(objective_id)))
        if confidence is None:
            errors.append(FieldError(confidence_field(objective_id), "checkin.error.confidence"))
        comment, problem = clean_comment(raw.values.get(comment_field(objective_id)))
        if problem:
            errors.append(FieldError(comment_field(objective_id), problem))
        if confidence is not None:
            checked.append(CheckedObjective(objective_id, confidence, comment, tuple(values)))
    return checked, errors


def validate(
    objectives: Sequence[tuple[int, Sequence[Bounds]]],
    raw: RawCheckIn,
    values_only: Collection[int] = (),
) -> list[FieldError]:
    """What is wrong with the form, by field; empty when it can be stored as it is."""
    return check(objectives, raw, values_only)[1]


def form_fields(
    objectives: Sequence[tuple[int, Sequence[Bounds]]], values_only: Collection[int] = ()
) -> list[str]:
    """The names of the fields a check-in of these objectives reads."""
    return [
        name
        for objective_id, key_results in objectives
        for name in (
            *(value_field(kr.kr_id) for kr in key_results),
            *(
                ()
                if objective_id in values_only
                else (confidence_field(objective_id), comment_field(objective_id))
            ),
        )
    ]


def _bounds(state: ObjectiveState) -> tuple[Bounds, ...]:
    return tuple(Bounds(kr.id, kr.start, kr.target, kr.kind) for kr in state.key_results)


@dataclass(frozen=True)
class Recorded:
    objectives: int
    values: int


async def record(
    uow: UnitOfWork,
    actor: Actor,
    objective_ids: Sequence[int],
    raw: RawCheckIn,
    *,
    today: date,
    now: datetime,
    as_shown: Mapping[int, Collection[int]] | None = None,
    submission_key: str | None = None,
    no_change: bool = False,
) -> Recorded:
    """Validate every field, then store one check-in per objective, or nothing at all.

    Objectives no longer the person's to check in on (or never were) are ignored, unless
    `as_shown` gives the key results each objective had when the form was opened: then an
    objective gone, or whose key results changed since, makes the whole check-in invalid.
    With `no_change` (the values are the ones already there), the prompts answered say so.
    The caller commits.
    """
    wanted = set(objective_ids)
    states = {s.id: s for s in await checkable(uow, actor, today) if s.id in wanted}
    if as_shown is not None:
        changed = [
            objective_id
            for objective_id in objective_ids
            if objective_id not in states
            or {kr.id for kr in states[objective_id].key_results}
            != set(as_shown.get(objective_id, ()))
        ]
        if changed:
            raise InvalidCheckIn(
                [FieldError(confidence_field(i), "checkin.error.changed") for i in changed]
            )
    accepted, errors = check(
        [(i, _bounds(states[i])) for i in objective_ids if i in states],
        raw,
        {i for i, state in states.items() if not state.owned},
    )
    if errors:
        raise InvalidCheckIn(errors)

    # Written a few statements for the whole form, not a few per objective.
    check_ins = [
        CheckIn(
            workspace_id=actor.workspace_id,
            objective_id=objective.objective_id,
            author_id=actor.user_id,
            # A key result owner's check-in keeps the objective's confidence as it was.
            confidence=_confidence_of(objective, states[objective.objective_id]).value,
            comment=objective.comment,
            created_at=now,
            submission_key=submission_key,
        )
        for objective in accepted
    ]
    uow.add_all(check_ins)
    await uow.flush()
    rows = [
        (check_in.id, kr_id, value)
        for check_in, objective in zip(check_ins, accepted, strict=True)
        for kr_id, value in objective.values
    ]
    await uow.check_ins.add_values(rows, now)
    await uow.check_ins.note_latest(
        [
            (o.objective_id, o.confidence.value if o.confidence else None, dict(o.values))
            for o in accepted
        ],
        now,
    )
    count = len(rows)
    if accepted:
        for delivery, job in await uow.deliveries.recent_to(
            actor.workspace_id, actor.user_id, ("checkin", "reminder"), now - timedelta(days=7)
        ):
            uow.outbox.add(
                workspace_id=actor.workspace_id,
                kind=OutboxKind.PROMPT_ANSWERED,
                now=now,
                recipient=actor.user_id,
                payload={
                    "channel": delivery.channel,
                    "ts": delivery.ts,
                    "reminder": job == "reminder",
                    "at": now.isoformat(),
                    **({"no_change": True} if no_change else {}),
                },
            )
        queue_home_refresh(uow, actor.workspace_id, involved(actor, accepted, states), now)
    return Recorded(len(accepted), count)


def involved(
    actor: Actor, accepted: Sequence[CheckedObjective], states: Mapping[int, ObjectiveState]
) -> list[str]:
    """Whose Home a check-in changes, each once: the person who checked in, each
    objective's owner, and the owners of the key results it gave values to (a key result
    owner's check-in shows on the objective owner's Home, and the owner's on theirs)."""
    people = [actor.user_id]
    for objective in accepted:
        state = states[objective.objective_id]
        given = {kr_id for kr_id, _ in objective.values}
        people.append(state.owner_id or actor.user_id)
        people += [kr.owner for kr in state.key_results if kr.owner and kr.id in given]
    return list(dict.fromkeys(people))


def _confidence_of(checked: CheckedObjective, state: ObjectiveState) -> Confidence:
    """The confidence a check-in keeps: its own, else the objective's (a check-in row
    always has one; an objective never checked in reads as on track)."""
    return checked.confidence or state.confidence or Confidence.ON_TRACK
