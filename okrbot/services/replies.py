"""Checking in by replying: a DM to okrbot read as the weekly check-in (domain.reply).

A reply is read against the person's published key results of the quarter in the order
the weekly prompt lists them (`listed`, which the prompt uses too). What it records is
the same check-in the form records, through `checkins.record`, keyed by the message
(channel and ts): the same message delivered again, or by two processes, is one check-in.
The answer goes through the outbox in the same transaction, so it is sent once and never
lost. The state the check-in replaced is kept with it, for Undo (a day) and for an edit
of the reply (ten minutes), which replaces the check-in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from okrbot.domain.checkin import Confidence
from okrbot.domain.quarters import Quarter
from okrbot.domain.reply import (
    NotACheckIn,
    ReplyKR,
    Unclear,
    Understood,
    plain_number,
    read_reply,
)
from okrbot.domain.schedule import iso_week
from okrbot.services import checkins
from okrbot.services.checkins import ObjectiveState, to_state
from okrbot.services.common import Actor
from okrbot.services.home import queue_home_refresh
from okrbot.services.notices import OutboxKind
from okrbot.store.models import CheckInReply
from okrbot.store.uow import Conflict, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# An edit of a reply this soon after it replaces its check-in; later edits change nothing.
EDIT_WINDOW = timedelta(minutes=10)
# A reply's check-in can be undone this long after it was recorded.
UNDO_WINDOW = timedelta(hours=24)
# The help text goes to a person at most once in this time.
HELP_EVERY = timedelta(days=1)
# How long a reply is remembered: well past its edit, undo and help windows, and Slack's
# retries. After that the check-in it made is history like any other.
KEEP_FOR = timedelta(days=7)

RECORDED, UNCLEAR, HELP, UNDONE = "recorded", "unclear", "help", "undone"


# What the prompt lists, and a reply is read against ------------------------------------


async def listed(
    uow: UnitOfWork, workspace_id: str, quarter: str, owners: Sequence[str]
) -> dict[str, tuple[ObjectiveState, ...]]:
    """Each owner's published objectives of the quarter with their live key results, then
    the others' objectives in which they own key results, with those alone (`owned`
    False), in the order the weekly prompt lists them (objective by objective, key result
    by key result): the prompt and the reading of a reply to it both come from here."""
    states: dict[str, tuple[ObjectiveState, ...]] = {}
    for objective in await uow.objectives.approved_of_owners(workspace_id, quarter, owners):
        states[objective.owner_id] = (*states.get(objective.owner_id, ()), to_state(objective))
    for owner, objective in await uow.objectives.with_key_results_of(workspace_id, quarter, owners):
        states[owner] = (*states.get(owner, ()), theirs(to_state(objective), owner))
    # Which values were updated automatically: one read for everyone's key results.
    flat = [(owner, state) for owner, listing in states.items() for state in listing]
    marked = await checkins.with_automatic(uow, [state for _, state in flat])
    found: dict[str, tuple[ObjectiveState, ...]] = {}
    for (owner, _), state in zip(flat, marked, strict=True):
        found[owner] = (*found.get(owner, ()), state)
    return found


def theirs(state: ObjectiveState, owner: str) -> ObjectiveState:
    """Someone else's objective as its key results' owner `owner` checks it in: their key
    results alone, numbered from 1."""
    mine = [kr for kr in state.key_results if kr.owner == owner]
    return replace(
        state,
        owned=False,
        key_results=tuple(replace(kr, position=n) for n, kr in enumerate(mine, start=1)),
    )


def numbered(objectives: Iterable[ObjectiveState]) -> list[ObjectiveState]:
    """The objectives a reply numbers: those with a key result to check in."""
    return [o for o in objectives if o.key_results]


def reply_krs(objectives: Iterable[ObjectiveState]) -> list[list[ReplyKR]]:
    """The key results as a reply is read against them (and its example is written)."""
    return [
        [
            ReplyKR(
                kr.start,
                kr.target,
                kr.current,
                kr.unit,
                kr.id,
                kr.kind,
                automatic=kr.automatic is not None,
            )
            for kr in o.key_results
        ]
        for o in numbered(objectives)
    ]


# Reading a reply ------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectMessage:
    """A person's message in their DM with okrbot (or its edit)."""

    workspace_id: str
    user_id: str
    channel: str
    ts: str
    text: str
    # For an edit: the edit's own ts (`message.edited.ts`, or the event's ts).
    edited_ts: str | None = None


class Handled(StrEnum):
    RECORDED = "recorded"
    UNCLEAR = "unclear"
    HELP = "help"
    # Not a check-in, and the help text went out less than a day ago.
    QUIET = "quiet"
    # Handled before (the same message again), or an edit too late to count.
    IGNORED = "ignored"


def _sent_at(ts: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), tz=ZoneInfo("UTC"))
    except (ValueError, OverflowError, OSError):
        return None


def submission_key(message: DirectMessage) -> str:
    return f"reply:{message.channel}:{message.ts}"


async def handle(
    uows: UnitOfWorkFactory, message: DirectMessage, *, zone: ZoneInfo, now: datetime
) -> Handled:
    """Read a reply (or its edit) and record, explain or help; what to send is queued in
    the outbox in the same transaction. Bad input changes nothing."""
    try:
        try:
            async with uows() as uow:
                handled = await _handle(uow, message, zone=zone, now=now)
                if handled in (Handled.IGNORED, Handled.QUIET):
                    return handled
                await uow.commit()
                return handled
        except _KeepRecorded as keep:
            async with uows() as uow:
                row = await uow.replies.of_message(
                    message.workspace_id, message.channel, message.ts
                )
                if row is None:
                    return Handled.IGNORED
                row.edited_ts = message.edited_ts
                _answer(uow, message, now, keep.payload)
                await uow.commit()
            return Handled.UNCLEAR
    except Conflict:
        # Another delivery of the same message got there first.
        log.info("reply %s of %s handled already", message.ts, message.user_id)
        return Handled.IGNORED


async def _handle(
    uow: UnitOfWork, message: DirectMessage, *, zone: ZoneInfo, now: datetime
) -> Handled:
    row = await uow.replies.of_message(message.workspace_id, message.channel, message.ts)
    if message.edited_ts is None:
        if row is not None:
            return Handled.IGNORED
    else:
        sent = _sent_at(message.ts)
        if sent is None or now - sent > EDIT_WINDOW:
            return Handled.IGNORED
        if row is not None and row.edited_ts == message.edited_ts:
            return Handled.IGNORED
        if row is not None and row.outcome == RECORDED:
            if await uow.replies.superseded(row.check_in_ids):
                return Handled.IGNORED
            # Replaced: the state before the reply comes back, then the edit is read.
            await uow.replies.restore(row.previous)
            await uow.replies.remove_check_ins(row.check_in_ids)

    actor = Actor(message.workspace_id, message.user_id)
    today = now.astimezone(zone).date()
    quarter = str(Quarter.containing(today))
    mine = numbered(
        (await listed(uow, actor.workspace_id, quarter, [actor.user_id])).get(actor.user_id, ())
    )
    read = read_reply(message.text, reply_krs(mine)) if mine else NotACheckIn()

    if isinstance(read, Understood):
        try:
            payload = await _record(uow, actor, message, mine, read, today=today, now=now)
        except checkins.InvalidCheckIn as exc:
            # The reader checks what the form checks; this is only a race with a change.
            log.info("reply %s of %s not recorded: %s", message.ts, actor.user_id, exc)
            read = Unclear("reply.unclear.changed", {}, (), None)
        else:
            row = _save(uow, row, message, RECORDED, now)
            row.check_in_ids = await uow.replies.check_in_ids(submission_key(message))
            row.previous = payload.pop("previous")
            row.recorded_at = now
            row.undone_at = None
            await uow.flush()
            payload["reply"] = row.id
            _answer(uow, message, now, payload)
            return Handled.RECORDED

    if isinstance(read, Unclear) and row is not None and row.outcome == RECORDED:
        # An edit that cannot be read leaves the check-in as it was: this transaction
        # (which restored the state before it) is thrown away.
        raise _KeepRecorded(_unclear_payload(read, today))

    if isinstance(read, Unclear):
        _save(uow, row, message, UNCLEAR, now)
        _answer(uow, message, now, _unclear_payload(read, today))
        return Handled.UNCLEAR

    # Not a check-in: a short help text, once a day at most.
    if message.edited_ts is not None or await uow.replies.helped_since(
        actor.workspace_id, actor.user_id, now - HELP_EVERY
    ):
        return Handled.QUIET
    _save(uow, row, message, HELP, now)
    _answer(
        uow,
        message,
        now,
        {"kind": HELP, "example": [[kr.value for kr in krs] for krs in reply_krs(mine)]},
    )
    return Handled.HELP


class _KeepRecorded(Exception):
    """An edit that cannot be read, of a reply whose check-in stays."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__("unclear edit")
        self.payload = payload


def _unclear_payload(read: Unclear, today: date) -> dict[str, Any]:
    return {
        "kind": UNCLEAR,
        "reason": read.reason,
        "params": {k: str(v) for k, v in read.params.items()},
        "read": [
            [None if r.position is None else list(r.position), r.value, r.text] for r in read.read
        ],
        "week": iso_week(today),
    }


def _save(
    uow: UnitOfWork, row: CheckInReply | None, message: DirectMessage, outcome: str, now: datetime
) -> CheckInReply:
    if row is None:
        row = CheckInReply(
            workspace_id=message.workspace_id,
            user_id=message.user_id,
            channel=message.channel,
            ts=message.ts,
            check_in_ids=[],
            previous={},
            handled_at=now,
        )
        uow.replies.add(row)
    row.outcome = outcome
    row.edited_ts = message.edited_ts
    return row


def _answer(
    uow: UnitOfWork, message: DirectMessage, now: datetime, payload: dict[str, Any]
) -> None:
    uow.outbox.add(
        workspace_id=message.workspace_id,
        kind=OutboxKind.REPLY_ANSWER,
        now=now,
        recipient=message.user_id,
        payload={"channel": message.channel, "thread_ts": message.ts, **payload},
    )


async def _record(
    uow: UnitOfWork,
    actor: Actor,
    message: DirectMessage,
    objectives: Sequence[ObjectiveState],
    read: Understood,
    *,
    today: date,
    now: datetime,
) -> dict[str, Any]:
    """Record the check-in a reply holds (the form's path); what the answer shows, and
    (under "previous") the state it replaced."""
    fields: dict[str, str | None] = {}
    touched: list[int] = []
    shown: list[dict[str, Any]] = []
    for state, update in zip(objectives, read.objectives, strict=True):
        if update.confidence is None and not any(kr.given for kr in update.key_results):
            continue
        touched.append(state.id)
        confidence = update.confidence or state.confidence or Confidence.ON_TRACK
        if state.owned:
            fields[checkins.confidence_field(state.id)] = confidence.value
            fields[checkins.comment_field(state.id)] = read.comment
        krs = []
        for kr_state, kr in zip(state.key_results, update.key_results, strict=True):
            fields[checkins.value_field(kr_state.id)] = plain_number(kr.new, "en")
            krs.append(
                {
                    "position": kr.position,
                    "description": kr_state.description,
                    "unit": kr_state.unit,
                    "old": kr.old,
                    "new": kr.new,
                    "given": kr.given,
                    "start": kr_state.start,
                    "target": kr_state.target,
                    "kind": kr_state.kind,
                    # Its value before the reply came from a data source or the API.
                    **(
                        {
                            "automatic": {
                                "kind": kr_state.automatic[0],
                                "at": kr_state.automatic[1].isoformat(),
                            }
                        }
                        if kr_state.automatic is not None
                        else {}
                    ),
                }
            )
        shown.append(
            {
                "title": state.title,
                "confidence": confidence.value,
                "kept": update.confidence is None or not state.owned,
                "key_results": krs,
            }
        )
    previous = await uow.replies.state_of(touched)
    await checkins.record(
        uow,
        actor,
        touched,
        checkins.RawCheckIn(fields),
        today=today,
        now=now,
        submission_key=submission_key(message),
    )
    return {
        "kind": RECORDED,
        "objectives": shown,
        "comment": read.comment,
        "until": (now + UNDO_WINDOW).isoformat(),
        "previous": previous,
    }


# Undo -----------------------------------------------------------------------------------


class Undo(StrEnum):
    DONE = "done"
    EXPIRED = "expired"
    ALREADY = "already"
    SUPERSEDED = "superseded"
    # No such reply of this person's (a forged or foreign button).
    NOT_YOURS = "not_yours"


async def undo(
    uows: UnitOfWorkFactory,
    actor: Actor,
    reply_id: int,
    *,
    answer: tuple[str, str] | None,
    now: datetime,
) -> Undo:
    """Undo a reply's check-in: values, current values and confidence go back to what
    they were before it, the check-in is removed, and the answer (`answer`: its channel
    and ts) says so. Within a day, and unless a later check-in came after it."""
    async with uows() as uow:
        row = await uow.replies.get(reply_id)
        if row is None:
            # Forgotten long after its window (forget_old), or never there.
            return Undo.EXPIRED
        if (row.workspace_id, row.user_id) != (actor.workspace_id, actor.user_id):
            return Undo.NOT_YOURS
        if row.outcome == UNDONE:
            return Undo.ALREADY
        if row.outcome != RECORDED or row.recorded_at is None:
            return Undo.NOT_YOURS
        if now - row.recorded_at > UNDO_WINDOW:
            return Undo.EXPIRED
        if await uow.replies.superseded(row.check_in_ids):
            return Undo.SUPERSEDED
        if not await uow.replies.take_for_undo(row.id, now):
            return Undo.ALREADY
        await uow.replies.restore(row.previous)
        await uow.replies.remove_check_ins(row.check_in_ids)
        # The objectives' owners and their key results' owners see the values go back.
        touched = [int(o[0]) for o in row.previous.get("objectives", [])]
        queue_home_refresh(
            uow,
            actor.workspace_id,
            [actor.user_id, *await uow.objectives.owners_of(touched)],
            now,
        )
        if answer is not None:
            uow.outbox.add(
                workspace_id=actor.workspace_id,
                kind=OutboxKind.REPLY_UNDONE,
                now=now,
                recipient=actor.user_id,
                payload={
                    "channel": answer[0],
                    "ts": answer[1],
                    "at": (row.recorded_at).isoformat(),
                },
            )
        try:
            await uow.commit()
        except Conflict:
            return Undo.ALREADY
    return Undo.DONE


async def forget_old(uow: UnitOfWork, now: datetime) -> int:
    """Forget replies older than `KEEP_FOR` (their check-ins stay)."""
    removed = await uow.replies.forget_before(now - KEEP_FOR)
    await uow.commit()
    return removed
