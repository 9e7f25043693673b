"""Key results' values from outside Slack (the HTTP API): recorded as check-ins like the
form's, and read back as `okrbot export --format json` has them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo

from okrbot.background import Answers
from okrbot.domain.checkin import Confidence, clean_comment, value_problem
from okrbot.domain.okr import Kind, Status
from okrbot.domain.quarters import Quarter
from okrbot.domain.values import moment_problem
from okrbot.services.export import KeyResultRecord, QuarterExport, export_quarter, key_result_record
from okrbot.services.home import WithOutbox, queue_home_refresh
from okrbot.services.notices import OutboxKind
from okrbot.store.direct import DirectUnit
from okrbot.store.models import CheckIn, KeyResult, Objective
from okrbot.store.repositories import MeasuredValue
from okrbot.store.uow import DirectRunner, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Values written in one transaction at most; more waiting go in the next.
MAX_BATCH = 250
# ... while Slack's requests are being answered.
BUSY_BATCH = 25
# The longest a write waits for a lull in Slack's requests (seconds). Longer, and the API
# is slowed by more than Slack is helped: a caller with 64 connections has at most 64
# values waiting, so a write that waits 30 ms caps it near 2,000 values a second.
GIVE_WAY = 0.03
# Callers answered in one turn of the event loop, after a write: each answer is a few
# hundred microseconds of work (its JSON, its response), and a Slack request arriving then
# waits for one share, not for a whole batch's.
ANSWERED_AT_ONCE = 25
# A value's owners see it on their Home this long after it is recorded: values sent in a
# stream (a CI job, a dashboard's exporter) refresh each Home once in that time, not once
# a value. Slack takes views.publish about twice a second in a workspace (Tier 4).
HOME_REFRESH_AFTER = timedelta(seconds=5)


class ValueRefused(Exception):
    """Why a value was not recorded: `reason` is "not_found", "not_open" or "invalid",
    `problem` says more ("checkin.error.absurd", "future", ...)."""

    def __init__(self, reason: str, problem: str = "", **details: object) -> None:
        super().__init__(reason, problem)
        self.reason = reason
        self.problem = problem
        self.details = details


@dataclass(frozen=True)
class KeyResultInfo:
    """A key result as the export has it, with its objective."""

    objective_id: int
    objective_status: str
    quarter: str
    record: KeyResultRecord


@dataclass(frozen=True)
class RecordedValue:
    value: float
    at: datetime
    comment: str | None
    source: str
    key_result: KeyResultInfo


@dataclass(frozen=True)
class _Wanted:
    workspace_id: str
    key_result_id: int
    # true / false: a milestone's done / not done.
    value: float | bool
    comment: str | None
    at: datetime | None
    source: str
    now: datetime


Outcome = RecordedValue | ValueRefused


@dataclass
class _Written:
    """One write's values: refused (`ValueRefused` in `results`) or accepted (their rows),
    and after the write each key result's latest."""

    now: datetime
    results: list[Outcome | None] = field(default_factory=list)
    rows: list[MeasuredValue] = field(default_factory=list)
    accepted: list[tuple[int, _Wanted, KeyResult, Objective, str | None]] = field(
        default_factory=list
    )
    currents: dict[int, tuple[float | None, datetime | None]] = field(default_factory=dict)
    refreshed: bool = False

    def owners(self) -> dict[str, set[str]]:
        """Whose Homes show the new values (the objectives' and the key results' owners),
        by workspace."""
        owners: dict[str, set[str]] = {}
        for _, wanted, kr, objective, _ in self.accepted:
            people = owners.setdefault(wanted.workspace_id, set())
            people.add(objective.owner_id)
            if kr.owner_id:
                people.add(kr.owner_id)
        return owners

    def refresh(self, uow: WithOutbox, workspace_id: str, people: set[str]) -> None:
        """As after a check-in from the form: one refresh each, however many values (none
        for those who have one waiting), HOME_REFRESH_AFTER from now."""
        queue_home_refresh(uow, workspace_id, sorted(people), self.now, after=HOME_REFRESH_AFTER)
        self.refreshed = self.refreshed or bool(people)

    def outcomes(self) -> list[Outcome]:
        results = list(self.results)
        for place, wanted, kr, objective, text in self.accepted:
            current, current_at = self.currents.get(kr.id, (None, None))
            info = KeyResultInfo(
                objective.id,
                objective.status,
                objective.quarter,
                replace(key_result_record(kr), current=current, current_at=current_at),
            )
            results[place] = RecordedValue(
                float(wanted.value), wanted.at or wanted.now, text, wanted.source, info
            )
        return [r for r in results if r is not None]


class ValueWriter:
    """Records values (`record`), many in one transaction: a value's answer waits until
    its check-in is committed, with the values of every other request waiting then.

    One write runs at a time. It takes every value waiting (up to `batch`), checks each
    against its key result as read in that transaction, writes the good ones in a few
    statements and commits; then each caller has its answer (or its refusal). Values that
    arrive meanwhile wait for the next write, which starts as soon as this one ends: at a
    thousand values a second one commit carries dozens, at one a minute it carries one.
    Each value is stored once, by the one transaction that took it, and is durable before
    its answer; when a write fails, none of its values is stored and each caller is told.

    While Slack's requests are being answered a write waits for a lull (`Answers.quiet`),
    `give_way` seconds at most, and then writes BUSY_BATCH values at most: Slack gives up
    on an answer after 3 s, the API's callers do not, and a check-in's answer waits for
    the write lock a write holds. A value's owners get one Home refresh queued for any
    number of values, HOME_REFRESH_AFTER later: none is added while one is waiting in the
    outbox already.
    """

    def __init__(
        self,
        uows: UnitOfWorkFactory,
        zone: tzinfo,
        *,
        answers: Answers | None = None,
        batch: int = MAX_BATCH,
        give_way: float = GIVE_WAY,
        deliver: Callable[[], None] | None = None,
        direct: DirectRunner | None = None,
    ) -> None:
        self._uows = uows
        # Writes on a SQLite file's direct connection (SessionFactory.run_direct).
        self._direct = direct
        # Starts a delivery pass (the Homes' refreshes, once due).
        self._deliver = deliver
        self._delivery: asyncio.TimerHandle | None = None
        self._zone = zone
        self._answers = answers
        self._batch = batch
        self._give_way_for = give_way
        self._waiting: list[tuple[_Wanted, asyncio.Future[RecordedValue]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(
        self,
        workspace_id: str,
        key_result_id: int,
        value: float | bool,
        *,
        comment: str | None,
        at: datetime | None,
        source: str,
        now: datetime,
    ) -> RecordedValue:
        """Record a value of one of the workspace's key results, measured `at` (default:
        now), as a check-in of its objective by the objective's owner, which keeps the
        objective's confidence (on track for one never checked in). It is the key result's
        latest value unless a later one is recorded already. `ValueRefused` says why not."""
        written: asyncio.Future[RecordedValue] = asyncio.get_running_loop().create_future()
        self._waiting.append(
            (_Wanted(workspace_id, key_result_id, value, comment, at, source, now), written)
        )
        if self._writer is None:
            # A task of its own: a caller that gives up waiting must not stop the others'
            # write half-way.
            self._writer = asyncio.create_task(self._write_all())
        return await written

    def _calm(self) -> bool:
        return self._answers is None or self._answers.is_calm

    async def _give_way(self) -> None:
        answers = self._answers
        if answers is None:
            return
        await answers.quiet(asyncio.get_running_loop().time() + self._give_way_for)

    async def _write_all(self) -> None:
        try:
            while self._waiting:
                await self._give_way()
                # While Slack's requests are answered, short writes: an answer waiting for
                # the write lock (a check-in's row in the inbox) waits for less.
                size = self._batch if self._calm() else min(self._batch, BUSY_BATCH)
                batch = self._waiting[:size]
                del self._waiting[:size]
                try:
                    outcomes = await self._write([wanted for wanted, _ in batch])
                except Exception as exc:
                    log.exception("recording %d values failed; none was stored", len(batch))
                    for _, written in batch:
                        if not written.done():
                            written.set_exception(exc)
                    continue
                except BaseException:
                    for _, written in batch:
                        written.cancel()
                    raise
                try:
                    await self._answer(batch, outcomes)
                except BaseException:
                    for _, written in batch:
                        written.cancel()
                    raise
        finally:
            for _, written in self._waiting:
                written.cancel()
            self._waiting.clear()
            self._writer = None

    @staticmethod
    async def _answer(
        batch: list[tuple[_Wanted, asyncio.Future[RecordedValue]]], outcomes: list[Outcome]
    ) -> None:
        for n, ((_, written), outcome) in enumerate(zip(batch, outcomes, strict=True)):
            if n and n % ANSWERED_AT_ONCE == 0:
                # Those answered so far run now, with whatever else is ready.
                await asyncio.sleep(0)
            if written.done():
                continue
            if isinstance(outcome, ValueRefused):
                written.set_exception(outcome)
            else:
                written.set_result(outcome)

    async def _write(self, batch: list[_Wanted]) -> list[Outcome]:
        wanted = {(w.workspace_id, w.key_result_id) for w in batch}
        written: _Written | None = None
        if self._direct is not None:
            # A SQLite file: the whole transaction in one call (okrbot/store/direct.py).

            def write(unit: DirectUnit) -> _Written:
                sorted_out = self._sorted(batch, unit.key_results_of(wanted))
                if sorted_out.rows:
                    unit.add_measured(sorted_out.rows)
                    sorted_out.currents = unit.note_measured(sorted_out.rows)
                    for workspace_id, people in sorted_out.owners().items():
                        waiting = unit.waiting_for(
                            workspace_id, OutboxKind.HOME_REFRESH, people, sorted_out.now
                        )
                        sorted_out.refresh(unit, workspace_id, people - waiting)
                return sorted_out

            written = await self._direct.run_direct(write)
        if written is None:
            async with self._uows(quick=True) as uow:
                written = self._sorted(batch, await uow.objectives.key_results_of(wanted))
                if written.rows:
                    await uow.check_ins.add_measured(written.rows)
                    written.currents = await uow.check_ins.note_measured(written.rows)
                    for workspace_id, people in written.owners().items():
                        waiting = await uow.outbox.waiting_for(
                            workspace_id, OutboxKind.HOME_REFRESH, people, written.now
                        )
                        written.refresh(uow, workspace_id, people - waiting)
                    await uow.commit()
        if written.refreshed:
            self._deliver_later()
        return written.outcomes()

    def _sorted(
        self, batch: list[_Wanted], found: dict[tuple[str, int], tuple[KeyResult, Objective]]
    ) -> _Written:
        """Each value checked against its key result as read: the rows to write, and the
        refusals."""
        written = _Written(batch[-1].now)
        for wanted in batch:
            try:
                kr, objective, text = self._checked(wanted, found)
            except ValueRefused as refused:
                written.results.append(refused)
                continue
            written.accepted.append((len(written.results), wanted, kr, objective, text))
            written.results.append(None)
            written.rows.append(
                MeasuredValue(
                    wanted.workspace_id,
                    objective.id,
                    kr.id,
                    objective.owner_id,
                    objective.confidence or Confidence.ON_TRACK.value,
                    text,
                    float(wanted.value),
                    wanted.at or wanted.now,
                    wanted.source,
                )
            )
        return written

    def close(self) -> None:
        """No delivery pass after this (shutting down)."""
        self._deliver = None
        if self._delivery is not None:
            self._delivery.cancel()
            self._delivery = None

    def _deliver_later(self) -> None:
        """A delivery pass once the refreshes just queued are due (one pass for all of
        them); the sweeper would send them too, later."""
        if self._deliver is None or self._delivery is not None:
            return
        deliver = self._deliver

        def due() -> None:
            self._delivery = None
            deliver()

        self._delivery = asyncio.get_running_loop().call_later(
            HOME_REFRESH_AFTER.total_seconds(), due
        )

    def _checked(
        self, wanted: _Wanted, found: dict[tuple[str, int], tuple[KeyResult, Objective]]
    ) -> tuple[KeyResult, Objective, str | None]:
        """The key result, its objective and the clean comment; `ValueRefused` when the
        value cannot be recorded."""
        pair = found.get((wanted.workspace_id, wanted.key_result_id))
        if pair is None:
            raise ValueRefused("not_found")
        kr, objective = pair
        text = checked(
            kr,
            objective,
            wanted.value,
            wanted.comment,
            wanted.at or wanted.now,
            wanted.now,
            self._zone,
        )
        return kr, objective, text


def checked(
    kr: KeyResult,
    objective: Objective,
    value: float | bool,
    comment: str | None,
    moment: datetime,
    now: datetime,
    zone: tzinfo,
) -> str | None:
    """The clean comment of a value that may be recorded for `kr`, measured at `moment`;
    `ValueRefused` says why one may not."""
    if objective.status != Status.APPROVED.value:
        raise ValueRefused("not_open", "objective", status=objective.status)
    if kr.retired_at is not None:
        raise ValueRefused("not_open", "retired")
    if isinstance(value, bool) and kr.kind != Kind.MILESTONE:
        # true and false are a milestone's done and not done, and nothing else's.
        raise ValueRefused("invalid", "checkin.error.boolean")
    problem = value_problem(float(value), kr.start_value, kr.target_value, kr.kind)
    if problem is not None:
        raise ValueRefused("invalid", problem, start=kr.start_value, target=kr.target_value)
    text, problem = clean_comment(comment)
    if problem is not None:
        raise ValueRefused("invalid", problem)
    problem = moment_problem(moment, now, Quarter.parse(objective.quarter), zone)
    if problem is not None:
        raise ValueRefused("invalid", problem, quarter=objective.quarter)
    return text


async def record_value(
    uows: UnitOfWorkFactory,
    workspace_id: str,
    key_result_id: int,
    value: float | bool,
    *,
    comment: str | None,
    at: datetime | None,
    source: str,
    now: datetime,
    zone: tzinfo,
    checked_in: bool = True,
) -> RecordedValue:
    """One value on its own, in a unit of work of its own (a data source's daily read;
    the API's many values go through `ValueWriter`). Record a value of one of the
    workspace's key results, measured `at` (default: now),
    as a check-in of its objective by the objective's owner, which keeps the objective's
    confidence (on track for one never checked in). It is the key result's latest value
    unless a later one is recorded already. `ValueRefused` says why not. Unless
    `checked_in`, the objective's last check-in stays as it was (a data source's value: the
    owner is still prompted to add confidence and a comment)."""
    moment = at or now
    async with uows() as uow:
        found = await uow.objectives.key_result_of(workspace_id, key_result_id)
        if found is None:
            raise ValueRefused("not_found")
        kr, objective = found
        text = checked(kr, objective, value, comment, moment, now, zone)
        value = float(value)
        check_in = CheckIn(
            workspace_id=workspace_id,
            objective_id=objective.id,
            author_id=objective.owner_id,
            confidence=objective.confidence or Confidence.ON_TRACK.value,
            comment=text,
            created_at=moment,
            source=source,
        )
        uow.check_ins.add(check_in)
        await uow.flush()
        await uow.check_ins.add_values([(check_in.id, kr.id, value)], moment)
        current, current_at = await uow.check_ins.note_value(
            objective.id, kr.id, value, moment, checked_in=checked_in
        )
        # The owners' Homes show the new value, as after a check-in from the form.
        queue_home_refresh(uow, workspace_id, [objective.owner_id, kr.owner_id], now)
        record = key_result_record(kr)
        info = KeyResultInfo(
            objective.id,
            objective.status,
            objective.quarter,
            replace(record, current=current, current_at=current_at),
        )
        await uow.commit()
    return RecordedValue(value, moment, text, source, info)


async def key_result(
    uows: UnitOfWorkFactory, workspace_id: str, key_result_id: int
) -> KeyResultInfo | None:
    """One of the workspace's key results, None for any other id."""
    async with uows(readonly=True) as uow:
        found = await uow.objectives.key_result_of(workspace_id, key_result_id)
        if found is None:
            return None
        kr, objective = found
        return KeyResultInfo(
            objective.id, objective.status, objective.quarter, key_result_record(kr)
        )


async def quarter(
    uows: UnitOfWorkFactory, workspace_id: str, wanted: Quarter, now: datetime
) -> QuarterExport:
    """The workspace's objectives of a quarter, as `okrbot export` has them."""
    async with uows(readonly=True) as uow:
        await uow.snapshot()
        return await export_quarter(uow, workspace_id, wanted, now=now)
