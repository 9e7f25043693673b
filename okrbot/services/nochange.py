""" "No change this week": one tap on the weekly prompt checks in what is already there.

A click is checked in as the form would be with nothing changed: every objective the
prompt is about gets a check-in with its key results' current values and the confidence
its owner chose last, no comment. It goes the form's way (the check-in inbox: durable
before Slack has its answer, stored right after it, validated again against the
database), so it is the same record, counted for the reminder, the digest and Home.

Exactly once: the check-in's submission key is the click's message (the prompt or the
reminder clicked, by person), so a double click, or Slack delivering the click again, is
one check-in, whether the second comes while the first waits in the inbox or after it
was stored. A prompt of another week is another message, and another key.

Nothing to say "no change" to: an objective never checked in (no confidence chosen) or a
key result without a value yet has no "as before". The prompt offers the button only
when everything it lists has both, and a click that finds otherwise (an objective
published or a key result added since the prompt) opens the check-in form instead:
recording the start values would put words in the owner's mouth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from okrbot.services import checkins
from okrbot.services.checkins import ObjectiveState
from okrbot.services.common import Actor
from okrbot.services.inbox import Submission
from okrbot.store.uow import UnitOfWorkFactory

# Separates the week from the objectives' ids in the button's value.
_SEP = "|"
# The button's value stays far below Slack's 2000 characters.
VALUE_MAX = 2000


def offered(objectives: Sequence[ObjectiveState]) -> bool:
    """Whether a prompt about `objectives` offers "No change this week"."""
    return bool(objectives) and all(_has_before(o) for o in objectives)


def _has_before(objective: ObjectiveState) -> bool:
    return (objective.confidence is not None or not objective.owned) and all(
        kr.current is not None for kr in objective.key_results
    )


def button_value(week: str, objectives: Sequence[ObjectiveState]) -> str:
    """The week and the objectives the prompt is about; only the week when their ids
    would not fit (then the click is about the person's objectives as they are)."""
    value = f"{week}{_SEP}{','.join(str(o.id) for o in objectives)}"
    return value if len(value) <= VALUE_MAX else week


def parse_value(value: str) -> tuple[str, tuple[int, ...] | None]:
    """(week, the objectives' ids or None for all of them) from a button's value."""
    week, _, listed = value.partition(_SEP)
    if not listed:
        return week, None
    try:
        return week, tuple(int(part) for part in listed.split(","))
    except ValueError:
        return week, None


def submission_key(actor: Actor, channel: str | None, message_ts: str | None, week: str) -> str:
    """The click's key: the person and the message clicked (the week when Slack names no
    message), within the check-ins' 128 characters."""
    where = f"{channel}:{message_ts}" if message_ts else week
    return f"{checkins.NO_CHANGE_KEY}{actor.workspace_id}:{actor.user_id}:{where}"[:128]


class Outcome(StrEnum):
    # A submission to put in the inbox.
    CHECK_IN = "check_in"
    # Something has no value or confidence yet: the form instead.
    FORM = "form"
    # Nothing of the person's to check in on (any more).
    NOTHING = "nothing"


@dataclass(frozen=True)
class NoChange:
    outcome: Outcome
    submission: Submission | None = None


async def prepare(
    uows: UnitOfWorkFactory,
    actor: Actor,
    objective_ids: Sequence[int] | None,
    *,
    today: date,
    now: datetime,
    key: str,
) -> NoChange:
    """The check-in a click on "No change this week" stands for: the current values and
    confidence of `objective_ids` (all of the person's objectives when None) that are
    still theirs to check in on."""
    async with uows(readonly=True) as uow:
        states = await checkins.checkable(uow, actor, today)
    if objective_ids is not None:
        wanted = set(objective_ids)
        states = [s for s in states if s.id in wanted]
    if not states:
        return NoChange(Outcome.NOTHING)
    if not offered(states):
        return NoChange(Outcome.FORM)
    fields: dict[str, str | None] = {}
    for state in states:
        for kr in state.key_results:
            assert kr.current is not None
            fields[checkins.value_field(kr.id)] = _number(kr.current)
        if state.owned:
            # Someone else's objective keeps its confidence: its key results' values alone.
            assert state.confidence is not None
            fields[checkins.confidence_field(state.id)] = state.confidence.value
    submission = Submission(
        actor.workspace_id,
        actor.user_id,
        tuple((s.id, tuple(kr.id for kr in s.key_results)) for s in states),
        fields,
        now,
        key=key,
    )
    return NoChange(Outcome.CHECK_IN, submission)


def _number(value: float) -> str:
    """The value as text that reads back as exactly the same number."""
    return repr(float(value))
