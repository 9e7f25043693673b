"""Sends what the outbox owes, at least once, in order, surviving crashes and restarts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from okrbot.domain.pace import DEFAULT_BEHIND_PACE_POINTS
from okrbot.domain.workflow import Outcome, Stage
from okrbot.services import people
from okrbot.services.common import Organisation, to_view
from okrbot.services.home import load_home
from okrbot.services.notices import (
    ApprovalOutcome,
    ApprovalRequest,
    AuthorEvent,
    AuthorUpdate,
    HomeRefresh,
    Notice,
    OutboxKind,
    ProblemReport,
    PromptAnswered,
    Publication,
    ReplyAnswer,
    ReplyUndone,
    posted_to,
)
from okrbot.services.ports import Clock, DeliveryError, Workspaces
from okrbot.services.revisions import revision_view
from okrbot.store.models import OutboxMessage
from okrbot.store.repositories import IN_DOUBT_PREFIX
from okrbot.store.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# A claimed message not finished in this time belonged to a process that died: another
# takes it over, looking for it in Slack first. OKRBOT_OUTBOX_LEASE_SECONDS changes it.
LEASE = timedelta(minutes=2)
Sleep = Callable[[float], Awaitable[None]]


class Pace(Protocol):
    """Slack's pace of new messages in one conversation, per workspace (see fanout.Pacer)."""

    def free_in(self, workspace_id: str, conversation: str) -> float:
        """Seconds until the conversation may have its next post (0: now)."""
        ...

    def take(self, workspace_id: str, conversation: str) -> None:
        """A post to the conversation goes now."""
        ...


# A post that may have gone out (a timeout, a 5xx, `fatal_error`): its next attempt, this
# much later, looks for it in Slack before posting.
AMBIGUOUS = "ambiguous:"
AMBIGUOUS_WAIT = timedelta(seconds=5)
# Nobody can tell whether it went out: not sent again until an admin says so.
IN_DOUBT = IN_DOUBT_PREFIX
UTC_ZONE = ZoneInfo("UTC")
MAX_ATTEMPTS = 12
# Errors a person can fix (invite the bot to the channel): report once, then keep trying
# slowly for a day so the message goes out once they have.
FIXABLE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
FIXABLE_RETRY = timedelta(hours=1)
FIXABLE_MAX_ATTEMPTS = 24


# Sent messages are kept this long (to look into a complaint), then forgotten: they are
# the biggest table after a year otherwise, and nothing reads them again.
SENT_KEPT = timedelta(days=14)


async def forget_sent(uow: UnitOfWork, now: datetime) -> int:
    removed = await uow.outbox.forget_sent_before(now - SENT_KEPT)
    await uow.commit()
    return removed


@dataclass(frozen=True)
class Skip:
    """Nothing to send any more (the request was withdrawn or decided meanwhile)."""

    why: str


@dataclass(frozen=True)
class Later:
    """Not yet: what this message depends on is still being sent by someone."""

    why: str


# How long an outcome waits for its request's message to exist before looking again.
DEPENDENCY_WAIT = timedelta(seconds=5)


class Dispatcher:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        workspaces: Workspaces,
        clock: Clock,
        *,
        zone: ZoneInfo = UTC_ZONE,
        batch: int = 50,
        lease: timedelta = LEASE,
        pace: Pace | None = None,
        sleep: Sleep = asyncio.sleep,
        behind_pace_points: float = DEFAULT_BEHIND_PACE_POINTS,
    ) -> None:
        self._behind_pace_points = behind_pace_points
        self._lease = lease
        # New messages keep Slack's pace of about one a second in any one conversation (a
        # DM too: a burst of decisions queues several requests to the CEO), shared with
        # the digest's and the report's posts to the channel. A message whose conversation
        # must wait is put back, not waited for: the others of the pass go meanwhile, and
        # the pass sleeps only when all it has left must wait.
        self._pace = pace
        self._sleep = sleep
        # Messages put back, by the conversation they wait for (this process's pace only).
        self._waiting_for: dict[int, tuple[str, str]] = {}
        self._uow = uow_factory
        self._workspaces = workspaces
        self._clock = clock
        # The company's zone: which quarter "this quarter" is on a Home that is refreshed.
        self._zone = zone
        self._batch = batch
        self._running: asyncio.Future[None] | None = None
        self._again = False

    async def run_once(self) -> int:
        """Deliver everything due now; returns how many messages went out.

        One pass at a time in a process: passes side by side only race for the same rows
        (each lost race a write transaction). A call while a pass runs asks it to look
        again before it ends, and returns when it has (0: that pass counts them)."""
        running = self._running
        if running is not None:
            self._again = True
            await asyncio.shield(running)
            return 0
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._running = done
        try:
            sent = 0
            while True:
                self._again = False
                sent += await self._pass()
                if not self._again:
                    return sent
        finally:
            self._running = None
            done.set_result(None)

    def poke(self) -> bool:
        """Have the running pass look again; False when none is running (start one)."""
        if self._running is None:
            return False
        self._again = True
        return True

    async def _pass(self) -> int:
        sent = 0
        while True:
            # Put back for their conversation's pace: left out of the query while they wait,
            # so that a queue to one conversation holds up no other.
            waits = {i: self._free_in(key) for i, key in self._waiting_for.items()}
            waiting = {i for i, wait in waits.items() if wait > 0}
            async with self._uow(readonly=True) as uow:
                due = await uow.outbox.due(self._clock(), self._batch, exclude=waiting)
            if not due:
                if not waiting:
                    return sent
                await self._sleep(min(waits[i] for i in waiting))
                continue
            progressed = False
            for message_id in due:
                key = self._waiting_for.get(message_id)
                if key is not None and self._free_in(key) > 0:
                    continue  # its conversation took another message meanwhile
                outcome = await self._deliver_one(message_id)
                progressed = progressed or outcome is not None
                sent += 1 if outcome else 0
            if not progressed and not self._waiting_for:
                return sent

    def _free_in(self, key: tuple[str, str]) -> float:
        return self._pace.free_in(*key) if self._pace is not None else 0.0

    async def _deliver_one(self, message_id: int) -> bool | None:
        """True when sent, False when skipped or deferred, None when another process has it."""
        self._waiting_for.pop(message_id, None)
        async with self._uow() as uow:
            now = self._clock()
            before = await uow.outbox.get(message_id)
            if before is None:
                return None
            # What the last attempt left: a claim still held means its process died,
            # perhaps mid-send; an ambiguous answer means the post may be in Slack.
            unsure = before.claimed_until is not None or (before.last_error or "").startswith(
                AMBIGUOUS
            )
            since = (before.claimed_until or before.next_attempt_at) - self._lease - AMBIGUOUS_WAIT
            # Claimed only as it was just read, so `unsure` is about the attempt replaced.
            if not await uow.outbox.claim(message_id, now, self._lease, seen=before.attempts):
                return None
            message = await uow.outbox.get(message_id, fresh=True)
            assert message is not None
            if message.kind == OutboxKind.HOME_REFRESH and message.recipient:
                # One Home, built below, for every refresh of it waiting (a burst of
                # decisions queues one for the CEO each).
                await uow.outbox.absorb_refreshes(
                    message.workspace_id, message.recipient, message.kind, message_id, now
                )
            await uow.commit()
        # Built after the claim is committed, not inside its write transaction: a Home can
        # take a dozen queries, and on SQLite every other writer would wait for them.
        async with self._uow(readonly=True) as uow:
            org = await self._workspaces.organisation(uow, message.workspace_id)
            notice = (
                await self._render(uow, message, org)
                if org is not None
                # Removed from the workspace (or never set up there): nobody to tell.
                else Skip(f"okrbot is not installed in {message.workspace_id}")
            )
            attempts, kind = message.attempts, message.kind

        if isinstance(notice, Skip | Later):
            async with self._uow() as uow:
                now = self._clock()
                if isinstance(notice, Later):
                    await uow.outbox.finish(
                        message_id, now=now, retry_at=now + DEPENDENCY_WAIT, error=notice.why
                    )
                else:
                    await uow.outbox.finish(message_id, now=now, sent=True)
                await uow.commit()
            log.info("outbox %s (%s) not sent now: %s", message_id, kind, notice.why)
            return False

        assert org is not None
        mark = marker(message_id)
        # Whether a failure is the look-up's: only that leaves the message in doubt.
        looking = False
        where = posted_to(notice)
        key = (message.workspace_id, where) if where is not None else None
        if key is not None and self._free_in(key) > 0:
            await self._put_back(message_id, key)
            return False
        try:
            notifier = await self._workspaces.notifier(message.workspace_id)
            looking = unsure
            ref = await notifier.find(notice, mark, since, self._clock()) if unsure else None
            looking = False
            if ref is None:
                if key is not None and self._pace is not None:
                    self._pace.take(*key)
                ref = await notifier.deliver(notice, mark)
        except DeliveryError as exc:
            await self._failed(message_id, message, notice, exc, attempts, org, looking=looking)
            return False

        async with self._uow() as uow:
            if (
                ref is not None
                and message.kind == OutboxKind.APPROVAL_REQUEST
                and message.approval_id
            ):
                await uow.approvals.set_message(message.approval_id, ref.channel, ref.ts)
            await uow.outbox.finish(message_id, now=self._clock(), sent=True)
            await uow.commit()
        return True

    async def _put_back(self, message_id: int, key: tuple[str, str]) -> None:
        """Unclaimed, as if this attempt had not been made: its conversation had a message
        this second. The pass sends it once the conversation is free."""
        self._waiting_for[message_id] = key
        async with self._uow() as uow:
            await uow.outbox.put_back(message_id)
            await uow.commit()

    async def _failed(
        self,
        message_id: int,
        message: OutboxMessage,
        notice: Notice,
        exc: DeliveryError,
        attempts: int,
        org: Organisation,
        *,
        looking: bool = False,
    ) -> None:
        now = self._clock()
        log.warning(
            "slack refused %s (outbox %s, workspace %s, recipient %s): %s",
            message.kind,
            message_id,
            message.workspace_id,
            getattr(notice, "approver_id", None) or message.recipient,
            exc.code,
        )
        fixable = exc.code in FIXABLE and message.kind == OutboxKind.PUBLICATION
        # Until it is known whether the post went out, every attempt looks first.
        unsure = looking or exc.ambiguous
        async with self._uow() as uow:
            if unsure and not (exc.retryable and attempts < MAX_ATTEMPTS):
                # The look-up was refused, or Slack stayed unsure for a dozen attempts.
                await uow.outbox.finish(message_id, now=now, failed_error=f"{IN_DOUBT}{exc.code}")
                # A problem report in doubt is not reported in turn: that could go on.
                told = [] if message.kind == OutboxKind.PROBLEM else [org.ceo, *sorted(org.admins)]
                for recipient in dict.fromkeys(told):
                    uow.outbox.add(
                        workspace_id=message.workspace_id,
                        kind=OutboxKind.PROBLEM,
                        now=now,
                        recipient=recipient,
                        payload={
                            "problem": "message_in_doubt",
                            "details": {
                                "kind": message.kind,
                                "recipient": _recipient_of(notice) or "",
                            },
                        },
                    )
                await uow.commit()
                return
            if unsure:
                delay = timedelta(seconds=exc.retry_after or 0) or AMBIGUOUS_WAIT
                await uow.outbox.finish(
                    message_id, now=now, retry_at=now + delay, error=f"{AMBIGUOUS}{exc.code}"
                )
            elif exc.retryable and attempts < MAX_ATTEMPTS:
                delay = timedelta(seconds=exc.retry_after or min(600, 5 * 2**attempts))
                await uow.outbox.finish(message_id, now=now, retry_at=now + delay, error=exc.code)
            elif fixable and attempts < FIXABLE_MAX_ATTEMPTS:
                await uow.outbox.finish(
                    message_id, now=now, retry_at=now + FIXABLE_RETRY, error=exc.code
                )
            else:
                await uow.outbox.finish(message_id, now=now, failed_error=exc.code)
            if attempts == 1 and not exc.retryable:
                report = _problem_for(message, notice, exc, org)
                if report is not None:
                    uow.outbox.add(
                        workspace_id=message.workspace_id,
                        kind=OutboxKind.PROBLEM,
                        now=now,
                        objective_id=message.objective_id,
                        recipient=report.recipient,
                        payload={"problem": report.problem, "details": dict(report.details)},
                    )
            await uow.commit()

    async def _render(
        self, uow: UnitOfWork, message: OutboxMessage, org: Organisation
    ) -> Notice | Skip | Later:
        payload = message.payload
        if message.kind == OutboxKind.PROBLEM:
            recipient = message.recipient or org.ceo
            problem = payload.get("problem")
            details = payload.get("details") or {}
            return ProblemReport(
                recipient,
                text=str(payload.get("text", "")),
                problem=str(problem) if problem else None,
                details={str(k): str(v) for k, v in details.items()},
                locale=await _locale(uow, message.workspace_id, recipient),
            )
        if message.kind == OutboxKind.PROMPT_ANSWERED:
            return PromptAnswered(
                str(payload["channel"]),
                str(payload["ts"]),
                bool(payload.get("reminder")),
                datetime.fromisoformat(str(payload["at"])),
                locale=await _locale(uow, message.workspace_id, message.recipient),
                no_change=bool(payload.get("no_change")),
            )
        if message.kind == OutboxKind.REPLY_ANSWER:
            locale = await _locale(uow, message.workspace_id, message.recipient)
            return ReplyAnswer(
                str(payload["channel"]), str(payload["thread_ts"]), payload, locale=locale
            )
        if message.kind == OutboxKind.REPLY_UNDONE:
            return ReplyUndone(
                str(payload["channel"]),
                str(payload["ts"]),
                datetime.fromisoformat(str(payload["at"])),
                locale=await _locale(uow, message.workspace_id, message.recipient),
            )
        if message.kind == OutboxKind.HOME_REFRESH:
            if message.recipient is None:
                return Skip("nobody to refresh")
            # Built now, not when queued: the Home shows the state after every change so far.
            today = self._clock().astimezone(self._zone).date()
            home = await load_home(
                uow,
                message.workspace_id,
                message.recipient,
                today,
                points=self._behind_pace_points,
            )
            return HomeRefresh(message.recipient, message.workspace_id, home)
        objective = (
            await uow.objectives.get(message.workspace_id, message.objective_id)
            if message.objective_id is not None
            else None
        )
        if objective is None:
            return Skip("objective gone")
        view = to_view(objective)
        approval = await uow.approvals.by_id(message.approval_id) if message.approval_id else None
        # A request about a change to a published objective shows the change.
        revision = (
            await uow.revisions.get(objective.id, approval.version)
            if approval is not None and approval.version > objective.version
            else None
        )
        if revision is not None:
            view = revision_view(view, revision)
        if message.kind == OutboxKind.APPROVAL_REQUEST:
            assert approval is not None
            if approval.outcome != Outcome.PENDING.value or view.version != approval.version:
                return Skip("request no longer pending")
            return ApprovalRequest(
                approver_id=approval.approver_id,
                stage=Stage(approval.stage),
                objective=view,
                requested_at=approval.created_at,
                locale=await _locale(uow, message.workspace_id, approval.approver_id),
            )
        if message.kind == OutboxKind.APPROVAL_OUTCOME:
            assert approval is not None
            if approval.message_channel is None or approval.message_ts is None:
                if await uow.outbox.is_pending(OutboxKind.APPROVAL_REQUEST, approval.id):
                    return Later("the request itself is not delivered yet")
                return Skip("the request was never delivered")
            return ApprovalOutcome(
                channel=approval.message_channel,
                ts=approval.message_ts,
                stage=Stage(approval.stage),
                objective=view,
                version=approval.version,
                outcome=Outcome(approval.outcome),
                decided_by=approval.decided_by,
                decided_at=approval.decided_at,
                reason=approval.reason,
                newer_version=payload.get("newer_version"),
                locale=await _locale(uow, message.workspace_id, approval.approver_id),
            )
        if message.kind == OutboxKind.AUTHOR_UPDATE:
            stage = payload.get("stage")
            return AuthorUpdate(
                author_id=objective.owner_id,
                event=AuthorEvent(payload["event"]),
                objective=view,
                stage=Stage(stage) if stage else None,
                by=payload.get("by"),
                reason=payload.get("reason"),
                next_approver=payload.get("next_approver"),
                locale=await _locale(uow, message.workspace_id, objective.owner_id),
            )
        if message.kind == OutboxKind.PUBLICATION:
            history = await uow.approvals.for_objective(message.workspace_id, objective.id)
            approvers = tuple(
                a.decided_by
                for a in history
                if a.version == objective.version
                and a.outcome == Outcome.APPROVED.value
                and a.decided_by
            )
            return Publication(org.channel, view, approvers, updated=bool(payload.get("updated")))
        return Skip(f"unknown kind {message.kind}")


async def _locale(uow: UnitOfWork, workspace_id: str, user_id: str | None) -> str | None:
    """A person's Slack locale, so that what they are sent is in their language."""
    return await people.locale_of(uow, workspace_id, user_id) if user_id else None


def _problem_for(
    message: OutboxMessage, notice: Notice, exc: DeliveryError, org: Organisation
) -> ProblemReport | None:
    """Tell the person who can fix it, in words they can act on."""
    if isinstance(notice, ApprovalRequest):
        return ProblemReport(
            notice.objective.owner_id,
            problem="approver_unreachable",
            details={
                "title": notice.objective.title,
                "approver": notice.approver_id,
                "stage": notice.stage.value,
                "code": exc.code,
            },
        )
    if isinstance(notice, Publication):
        return ProblemReport(
            org.ceo,
            problem="not_published",
            details={"title": notice.objective.title, "channel": notice.channel, "code": exc.code},
        )
    if isinstance(notice, ProblemReport | HomeRefresh):
        # A Home that could not be refreshed is refreshed again when the person opens it.
        return None
    log.error("could not deliver %s to %s: %s", message.kind, message.recipient, exc.code)
    return None


def marker(message_id: int) -> str:
    """What an outbox message's post carries in its metadata, to be found by."""
    return f"okrbot-outbox-{message_id}"


def _recipient_of(notice: Notice) -> str | None:
    for name in ("approver_id", "author_id", "channel", "recipient"):
        value = getattr(notice, name, None)
        if isinstance(value, str):
            return value
    return None
