"""Check-ins answered before they are stored.

The answer to a check-in form waits for one durable row in the inbox, written in the same
transaction as the rows of every other answer waiting at that moment. The check-in is
stored from the row right after the answer, in the transaction that deletes the row; a
crash in between leaves the row for any process to store later (`recover`). Deleting
first makes that exactly once: of two processes that try, only one deletes the row.

Each row carries the submission's key (the view's id and hash), unique in the inbox and on
the check-ins stored from it: the same submission delivered twice is one check-in, whether
the second comes while the first waits in the inbox or after it was stored.

A row that cannot be stored (an error, not a refusal) is tried again later, each failure
counted in a transaction of its own, so that the failure cannot roll its own count back.
After `MAX_TRIES` it is dead: kept with its reason, tried no more, and the person is asked
to check in again. Recovery skips rows waiting for their next try, so no number of broken
rows holds back the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from okrbot.background import Answers
from okrbot.services import checkins
from okrbot.services.common import Actor
from okrbot.services.notices import OutboxKind
from okrbot.store.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Rows in one INSERT at most: six bound parameters each stays far below what SQLite and
# PostgreSQL allow in one statement. More waiting go in the next transaction.
MAX_BATCH = 500
# The answer's own background work stores a row within moments; recovery leaves younger
# rows to it rather than race it (which would be safe, but wasted work).
GRACE = timedelta(seconds=10)
# The longest a flush waits for the requests being answered to bring their rows (seconds).
# None by default: a row goes in through the direct connection in well under a millisecond,
# and under load (a thousand API writes a second) waiting for the other answers' rows made
# a check-in's answer 1.4 to 1.5 times the bare app's; without the wait, 1.0.
GATHER = 0.0
# Rows one recovery pass stores at most, each in its own transaction.
RECOVER_BATCH = 50
# What the person is told when their check-in could not be stored after all.
NOT_SAVED = "checkin_not_saved"
# ... and when storing it failed again and again (not a refusal: an error).
FAILED = "checkin_failed"
# Tries at storing a row before it is put aside as dead, and the wait between two.
MAX_TRIES = 3
RETRY_AFTER = timedelta(minutes=1)


def storable(text: str) -> str:
    """`text` without what no database can store: NUL (PostgreSQL refuses it in text) and
    lone surrogates (which have no UTF-8 form). Slack sends neither; a forged request can,
    and a row holding one could never be stored."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii():
        return text
    return text.encode("utf-8", "ignore").decode("utf-8")


def problem_text(exc: BaseException) -> str:
    """What a failure is kept as, on a dead row (200 characters, storable)."""
    return storable(f"{type(exc).__name__}: {exc}")[:200]


@dataclass(frozen=True)
class Submission:
    """A check-in form whose values passed every check the form itself allows."""

    workspace_id: str
    user_id: str
    # Each objective of the form with its key results' ids, as the form showed them.
    objectives: tuple[tuple[int, tuple[int, ...]], ...]
    fields: Mapping[str, str | None]
    received_at: datetime
    # The view's id and hash: the same submission delivered again has the same.
    key: str | None = None


class Inbox:
    """Writes submissions to the inbox, many at once: `put` returns once its row is
    committed.

    One flush runs at a time. It takes everything waiting, inserts it with one statement in
    one transaction, and then answers each caller; what arrives meanwhile waits for the
    next flush, which starts as soon as this one ends. Before it takes its rows, a flush
    lets the requests being answered at that moment bring theirs (`GATHER` at most): in a
    burst of check-ins those are a few turns of the event loop away, and one commit then
    carries a score of answers instead of one or two. A lone submission, the only request
    being answered, is written at once.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        *,
        answers: Answers | None = None,
        append: Callable[[list[dict[str, Any]]], Awaitable[None]] | None = None,
        batch: int = MAX_BATCH,
        gather: float = GATHER,
    ) -> None:
        self._uow = uow
        self._append = append if append is not None else self._append_in_unit
        self._answers = answers
        self._batch = batch
        self._gather = gather
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[str]]] = []
        self._flusher: asyncio.Task[None] | None = None
        # Set when a row arrives or an answer is done: a flush gathering looks again.
        self._stir = asyncio.Event()
        if answers is not None:
            answers.watch(self._stir)

    async def put(self, submission: Submission) -> str:
        """The row's id, once it is committed; raises what the transaction raised."""
        # The row's columns (not an entity: a mapped object costs more to make than the
        # rest of the answer).
        return await self.put_row(
            {
                "id": secrets.token_hex(16),
                "workspace_id": submission.workspace_id,
                "user_id": submission.user_id,
                "objectives": [[i, list(krs)] for i, krs in submission.objectives],
                "fields": {
                    k: None if v is None else storable(v) for k, v in submission.fields.items()
                },
                "received_at": submission.received_at,
                "submission_key": submission.key,
                "tries": 0,
                "retry_at": None,
                "dead_at": None,
                "reason": None,
            }
        )

    async def put_row(self, row: dict[str, Any]) -> str:
        """Any row of the table `append` writes to (with its "id"): its id once committed.
        A row whose unique key was taken already is not written, and still answered."""
        written: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, written))
        self._stir.set()
        if self._flusher is None:
            # A task of its own: a caller that gives up waiting must not stop the others'
            # flush half-way.
            self._flusher = asyncio.create_task(self._flush())
        return await written

    async def _append_in_unit(self, rows: list[dict[str, Any]]) -> None:
        async with self._uow() as uow:
            await uow.inbox.add_all(rows)
            await uow.commit()

    async def _gathered(self) -> None:
        """Until every request being answered has its row waiting, or `gather` seconds."""
        answers = self._answers
        if answers is None or answers.in_flight <= len(self._waiting):
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._gather):
                while answers.in_flight > len(self._waiting) < self._batch:
                    self._stir.clear()
                    await self._stir.wait()

    async def _flush(self) -> None:
        try:
            while self._waiting:
                await self._gathered()
                batch = self._waiting[: self._batch]
                del self._waiting[: self._batch]
                try:
                    await self._append([row for row, _ in batch])
                except Exception as exc:
                    for _, written in batch:
                        if not written.done():
                            written.set_exception(exc)
                    continue
                except BaseException:
                    for _, written in batch:
                        written.cancel()
                    raise
                for row, written in batch:
                    # A caller that gave up has its row anyway: recovery stores it.
                    if not written.done():
                        written.set_result(row["id"])
        finally:
            for _, written in self._waiting:
                written.cancel()
            self._waiting.clear()
            self._flusher = None


class Stored(StrEnum):
    STORED = "stored"
    # No longer valid (the objective changed, or the form was forged): dropped, and the
    # person told.
    REFUSED = "refused"
    # Another process took the row first, or the same submission was stored already.
    GONE = "gone"
    # An error: the row waits for its next try.
    FAILED = "failed"
    # ... and that was its last: put aside, and the person told.
    DEAD = "dead"


def _objectives(raw: Any) -> list[tuple[int, tuple[int, ...]]]:
    return [(int(i), tuple(int(kr) for kr in krs)) for i, krs in raw]


def _fields(raw: Mapping[str, Any]) -> dict[str, str | None]:
    return {str(k): None if v is None else str(v) for k, v in raw.items()}


async def store(uow: UnitOfWorkFactory, item_id: str, *, zone: ZoneInfo, now: datetime) -> Stored:
    """Store the check-in an inbox row holds, in the transaction that deletes the row.

    An error leaves the row where it was, its try counted, for recovery to try again (or
    puts it aside after its last). Raises only when even counting fails.
    """
    try:
        return await _store(uow, item_id, zone=zone, now=now)
    except Exception as exc:
        log.exception("storing check-in %s failed", item_id)
        failure = exc
    counted = await count_failure(
        uow, lambda unit: unit.inbox, item_id, failure, now=now, problem=FAILED, what="check-in"
    )
    if counted is None:
        return Stored.GONE
    return Stored.DEAD if counted.dead_at is not None else Stored.FAILED


class FailedRow(Protocol):
    workspace_id: str
    user_id: str
    dead_at: datetime | None
    reason: str | None


class FailingRows(Protocol):
    async def failed(
        self, item_id: str, *, reason: str, retry_at: datetime, dead_after: int, now: datetime
    ) -> FailedRow | None: ...


async def count_failure(
    uow: UnitOfWorkFactory,
    rows: Callable[[UnitOfWork], FailingRows],
    item_id: str,
    failure: BaseException,
    *,
    now: datetime,
    problem: str,
    what: str,
) -> FailedRow | None:
    """A row of either inbox failed: its try is counted in a transaction of its own (so
    that a row which always fails never rolls its own counter back), and after its last
    it is put aside and its person asked, in a DM, to try again. The row as it is now;
    None when it is gone (another process dealt with it)."""
    async with uow() as unit:
        item = await rows(unit).failed(
            item_id,
            reason=problem_text(failure),
            retry_at=now + RETRY_AFTER,
            dead_after=MAX_TRIES,
            now=now,
        )
        if item is None:
            return None
        if item.dead_at is not None:
            log.error("%s %s of %s put aside: %s", what, item_id, item.user_id, item.reason)
            unit.outbox.add(
                workspace_id=item.workspace_id,
                kind=OutboxKind.PROBLEM,
                now=now,
                recipient=item.user_id,
                payload={"problem": problem, "details": {}},
            )
        await unit.commit()
    return item


async def _store(uow: UnitOfWorkFactory, item_id: str, *, zone: ZoneInfo, now: datetime) -> Stored:
    # Quick: a form's few rows, and every answer that needs the write lock waits for it.
    async with uow(quick=True) as unit:
        item = await unit.inbox.take(item_id)
        if item is None:
            return Stored.GONE
        key = item.submission_key
        if key is not None and await unit.check_ins.stored_already(key):
            # The same submission delivered again after the first was stored.
            log.info("check-in %s of %s stored already (%s)", item_id, item.user_id, key)
            await unit.commit()
            return Stored.GONE
        objectives = _objectives(item.objectives)
        try:
            # Checked again against the database: the form may have been opened before a
            # change to its objectives, or forged. As of when the person sent it.
            await checkins.record(
                unit,
                Actor(item.workspace_id, item.user_id),
                [i for i, _ in objectives],
                checkins.RawCheckIn(_fields(item.fields)),
                today=item.received_at.astimezone(zone).date(),
                now=item.received_at,
                as_shown=dict(objectives),
                submission_key=key,
                no_change=checkins.is_no_change(key),
            )
        except checkins.InvalidCheckIn as exc:
            refused = exc
        else:
            await unit.commit()
            return Stored.STORED
    # The first unit of work is rolled back: the row is still there, to drop on its own.
    log.info("check-in %s of %s not stored: %s", item_id, item.user_id, refused)
    async with uow() as unit:
        if not await unit.inbox.discard(item_id):
            return Stored.GONE
        unit.outbox.add(
            workspace_id=item.workspace_id,
            kind=OutboxKind.PROBLEM,
            now=now,
            recipient=item.user_id,
            payload={"problem": NOT_SAVED, "details": {}},
        )
        await unit.commit()
    return Stored.REFUSED


# Outcomes after which there is something to deliver.
QUEUED_MESSAGES = frozenset({Stored.STORED, Stored.REFUSED, Stored.DEAD})

Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]


class Storing:
    """Rows put in the inbox, stored after the answers: by one piece of work for all the
    rows answered before it starts, not one each (in a burst of check-ins, a row then costs
    a list entry until it is stored, not a task waiting with a timer of its own).

    A piece of work takes every row queued when it starts; rows queued after that get the
    next. What a crash leaves queued is still in the inbox, for `recover`.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        spawn: Spawn,
        *,
        zone: ZoneInfo,
        clock: Callable[[], datetime],
        stored: Callable[[], None],
    ) -> None:
        self._uow = uow
        self._spawn = spawn
        self._zone = zone
        self._clock = clock
        self._stored = stored
        self._queued: list[str] = []
        # The piece of work that has not started yet, which takes what is queued now.
        self._next: asyncio.Task[None] | None = None

    def soon(self, item_id: str) -> None:
        self._queued.append(item_id)
        # A piece of work cancelled before it started (a crash) took nothing.
        if self._next is None or self._next.done():
            self._next = self._spawn(self._store_queued())

    async def _store_queued(self) -> None:
        self._next = None
        taken, self._queued = self._queued, []
        for item_id in taken:
            try:
                outcome = await store(self._uow, item_id, zone=self._zone, now=self._clock())
            except Exception:
                log.exception("storing check-in %s failed; it is tried again later", item_id)
                continue
            if outcome in QUEUED_MESSAGES:
                self._stored()


async def recover(
    uow: UnitOfWorkFactory,
    *,
    zone: ZoneInfo,
    now: datetime,
    grace: timedelta = GRACE,
    limit: int = RECOVER_BATCH,
) -> int:
    """Store rows older than `grace`, oldest first, each tried once at most; returns how
    many were dealt with (stored, refused or put aside).

    Batch after batch until none is left: a row that fails waits for its next try, so
    the next batch holds others, and broken rows never hold back the good ones behind them.
    """
    done = 0
    tried: set[str] = set()
    while True:
        async with uow(readonly=True) as unit:
            waiting = await unit.inbox.waiting(now - grace, limit, now)
        fresh = [item_id for item_id in waiting if item_id not in tried]
        if not fresh:
            return done
        for item_id in fresh:
            tried.add(item_id)
            try:
                outcome = await store(uow, item_id, zone=zone, now=now)
            except Exception:
                log.exception("storing check-in %s failed; it is tried again later", item_id)
                continue
            done += outcome in QUEUED_MESSAGES
