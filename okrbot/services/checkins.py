"""The weekly check-in: a few numbers and a confidence per objective, kept as history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from okrbot.domain.checkin import (
    Confidence,
    check_value,
    clean_comment,
    pages,
    parse_confidence,
)
from okrbot.domain.okr import FieldError
from okrbot.domain.progress import kr_progress, objective_progress
from okrbot.domain.quarters import Quarter
from okrbot.services.common import Actor
from okrbot.services.home import queue_home_refresh
from okrbot.services.notices import OutboxKind
from okrbot.store.models import CheckIn, CheckInValue, Objective
from okrbot.store.uow import UnitOfWork

# A modal holds 100 blocks; each objective takes its key results plus a title, a
# confidence and a comment, and the form keeps a few blocks for itself.
PAGE_BLOCKS = 95
PER_OBJECTIVE_BLOCKS = 3


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

    @property
    def progress(self) -> float:
        return kr_progress(self.start, self.target, self.current)


@dataclass(frozen=True)
class ObjectiveState:
    id: int
    title: str
    quarter: str
    confidence: Confidence | None
    last_check_in_at: datetime | None
    key_results: tuple[KRState, ...]

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


class InvalidCheckIn(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.key}" for e in errors))
        self.errors = errors


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
            )
            for number, kr in enumerate(objective.key_results, start=1)
        ),
    )


async def checkable(uow: UnitOfWork, actor: Actor, today: date) -> list[ObjectiveState]:
    """The person's approved objectives of the current quarter."""
    quarter = str(Quarter.containing(today))
    rows = await uow.objectives.approved_of(actor.workspace_id, actor.user_id, quarter)
    return [to_state(o) for o in rows]


async def form_page(
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
    return CheckInPage(tuple(first), tuple(rest), len(states))


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
) -> Recorded:
    """Validate every field, then store one check-in per objective, or nothing at all."""
    wanted = set(objective_ids)
    states = {s.id: s for s in await checkable(uow, actor, today) if s.id in wanted}
    errors: list[FieldError] = []
    accepted: list[tuple[ObjectiveState, Confidence, str | None, list[tuple[int, float]]]] = []
    for objective_id in objective_ids:
        # Objectives no longer the person's to check in on (or never were) are ignored.
        state = states.get(objective_id)
        if state is None:
            continue
        values: list[tuple[int, float]] = []
        for kr in state.key_results:
            value, problem = check_value(raw.values.get(value_field(kr.id)), kr.start, kr.target)
            if problem:
                errors.append(FieldError(value_field(kr.id), problem))
            elif value is not None:
                values.append((kr.id, value))
        confidence = parse_confidence(raw.values.get(confidence_field(objective_id)))
        if confidence is None:
            errors.append(FieldError(confidence_field(objective_id), "checkin.error.confidence"))
        comment, problem = clean_comment(raw.values.get(comment_field(objective_id)))
        if problem:
            errors.append(FieldError(comment_field(objective_id), problem))
        if confidence is not None:
            accepted.append((state, confidence, comment, values))
    if errors:
        raise InvalidCheckIn(errors)

    count = 0
    for state, confidence, comment, values in accepted:
        check_in = CheckIn(
            workspace_id=actor.workspace_id,
            objective_id=state.id,
            author_id=actor.user_id,
            confidence=confidence.value,
            comment=comment,
            created_at=now,
        )
        uow.session.add(check_in)
        await uow.session.flush()
        for kr_id, value in values:
            uow.session.add(
                CheckInValue(
                    check_in_id=check_in.id, key_result_id=kr_id, value=value, created_at=now
                )
            )
            count += 1
        await uow.objectives.note_check_in(state.id, confidence.value, now, dict(values))
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
                },
            )
        queue_home_refresh(uow, actor.workspace_id, [actor.user_id], now)
    await uow.commit()
    return Recorded(len(accepted), count)
