"""The weekly rhythm: check-in prompts, reminders and the Monday digest.

Each run is claimed in the database (job, workspace, ISO week); each message of a run is
a delivery row with a unique (run, recipient) key. So a restart, a second instance on the
same database or `okrbot run-job` never sends anything twice, and a run missed while the
app was down happens when it comes back, as long as it is still that week.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from okrbot.domain.checkin import parse_confidence
from okrbot.domain.digest import Digest, DigestKR, DigestObjective, build_digest
from okrbot.domain.okr import Level
from okrbot.domain.quarters import Quarter
from okrbot.domain.schedule import due_week, iso_week, occurrence
from okrbot.domain.trend import TrendKR, weekly_progress
from okrbot.domain.weekly import Job, Schedule
from okrbot.services import runs
from okrbot.services.checkins import ObjectiveState, to_state
from okrbot.services.common import Organisation
from okrbot.services.fanout import FanOut, FanOutReport
from okrbot.services.notices import OutboxKind
from okrbot.services.nudges import claim_daily_slot
from okrbot.services.ports import Clock, DeliveryError, MessageRef
from okrbot.services.threads import Part, ThreadPoster
from okrbot.store.models import JobRun, Objective, Person
from okrbot.store.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class CheckInPrompt:
    user_id: str
    week: str
    objectives: tuple[ObjectiveState, ...]
    reminder: bool
    # The person's Slack locale: the prompt is in their language.
    locale: str | None = None


class WeeklyMessenger(Protocol):
    async def send_prompt(self, prompt: CheckInPrompt, marker: str) -> MessageRef: ...

    async def post_part(
        self, channel: str, part: Part, thread_ts: str | None, marker: str
    ) -> MessageRef: ...

    def digest_parts(self, digest: Digest) -> list[Part]: ...

    async def upload_chart(self, channel: str, thread_ts: str, chart: Part) -> None: ...

    async def find_marked(
        self, recipient: str, marker: str, since: datetime
    ) -> MessageRef | None: ...


@dataclass
class RunReport:
    job: Job
    weeks: tuple[str, ...] = ()
    fanout: FanOutReport | None = None

    @property
    def sent(self) -> int:
        return self.fanout.sent + self.fanout.recovered if self.fanout else 0


def _zone(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


class Weekly:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        messenger: WeeklyMessenger,
        fanout: FanOut,
        schedule: Schedule,
        org: Organisation,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._messenger = messenger
        self._fanout = fanout
        self._schedule = schedule
        self._org = org
        self._clock = clock
        self._threads = ThreadPoster(uow, fanout, clock, messenger.post_part, messenger.find_marked)

    # -- entry points

    async def tick(self, workspace_id: str) -> list[RunReport]:
        """What the scheduler calls every minute: each job for whoever is due now."""
        return [
            await self.prompts(workspace_id, reminder=False),
            await self.prompts(workspace_id, reminder=True),
            await self.digest(workspace_id),
        ]

    async def run(self, workspace_id: str, job: Job, *, force: bool = False) -> RunReport:
        """`okrbot run-job`: everyone due this week now, whatever their local time."""
        if job is Job.DIGEST:
            return await self.digest(workspace_id, now_for_everyone=True, force=force)
        return await self.prompts(
            workspace_id, reminder=job is Job.REMINDER, now_for_everyone=True, force=force
        )

    # -- prompts and reminders

    async def prompts(
        self,
        workspace_id: str,
        *,
        reminder: bool,
        now_for_everyone: bool = False,
        force: bool = False,
    ) -> RunReport:
        job = Job.REMINDER if reminder else Job.CHECKIN
        now = self._clock()
        quarter = str(Quarter.containing(now.astimezone(self._schedule.zone).date()))
        # Every minute, for everyone: only owners, zones and dates here; key results are
        # loaded only for those who get a message now.
        async with self._uow(readonly=True) as uow:
            owners = await uow.objectives.owners_in(workspace_id, quarter)
            zones = await uow.people.zones(workspace_id)
            locales = await uow.people.locales(workspace_id)
            prompted = (
                await uow.deliveries.sent_since(workspace_id, Job.CHECKIN, now - timedelta(days=14))
                if reminder
                else {}
            )

        due: dict[str, list[str]] = defaultdict(list)
        company_week = iso_week(now.astimezone(self._schedule.zone).date())
        when = self._schedule.time_of(job)
        quiet = timedelta(days=self._schedule.quiet_days)
        for owner, last in owners:
            zone = _zone(zones.get(owner), self._schedule.zone)
            week = company_week if now_for_everyone else due_week(now, when, zone)
            if week is None:
                continue
            if reminder:
                # The prompt this reminds of came before this reminder's own moment (a
                # Monday reminder is about last Friday's prompt, not this Friday's).
                moment = now if now_for_everyone else occurrence(week, when, zone)
                prompt = prompted.get(owner)
                if prompt is None or prompt.sent_at is None:
                    continue
                if not moment - timedelta(days=7) <= prompt.sent_at < moment:
                    continue
                if last is not None and last >= prompt.sent_at:
                    continue
            elif last is not None and now - last < quiet:
                continue
            due[week].append(owner)

        report = RunReport(job, tuple(sorted(due)), FanOutReport())
        for week, week_owners in sorted(due.items()):
            run = await runs.current(self._uow, self._clock, workspace_id, job, week, force=force)
            async with self._uow(readonly=True) as uow:
                reached = {d.recipient for d in await uow.deliveries.for_run(run.id)}
                if not force:
                    reached |= await uow.deliveries.recipients(workspace_id, job, week)
            todo = sorted(o for o in week_owners if o not in reached)
            if reminder:
                # A reminder is a nudge: at most one a day, whatever else okrbot nudged for.
                todo = [
                    owner
                    for owner in todo
                    if await claim_daily_slot(
                        self._uow,
                        workspace_id,
                        owner,
                        now,
                        _zone(zones.get(owner), self._schedule.zone),
                    )
                ]
            states: dict[str, tuple[ObjectiveState, ...]] = defaultdict(tuple)
            async with self._uow(readonly=True) as uow:
                for objective in await uow.objectives.approved_of_owners(
                    workspace_id, quarter, week_owners if todo else []
                ):
                    states[objective.owner_id] += (to_state(objective),)

            async def send(
                recipient: str,
                marker: str,
                week: str = week,
                states: dict[str, tuple[ObjectiveState, ...]] = states,
            ) -> MessageRef:
                prompt = CheckInPrompt(
                    recipient, week, states[recipient], reminder, locales.get(recipient)
                )
                return await self._messenger.send_prompt(prompt, marker)

            assert report.fanout is not None
            report.fanout.add(await self._fanout.recover(run.id, send, self._messenger.find_marked))
            report.fanout.add(await self._fanout.to_each(run.id, todo, send))
        return report

    # -- the digest

    async def digest(
        self, workspace_id: str, *, now_for_everyone: bool = False, force: bool = False
    ) -> RunReport:
        now = self._clock()
        zone = self._schedule.zone
        week = (
            iso_week(now.astimezone(zone).date())
            if now_for_everyone
            else due_week(now, self._schedule.digest, zone)
        )
        report = RunReport(Job.DIGEST, (), FanOutReport())
        if week is None:
            return report
        async with self._uow(readonly=True) as uow:
            latest = await uow.job_runs.latest(workspace_id, Job.DIGEST, week)
        if latest is None or force:
            # The content is fixed when the run is claimed, so a resumed run posts the rest
            # of the same digest, whoever resumes it.
            digest = await self.build_digest(workspace_id)
            payload = {
                "parts": self._messenger.digest_parts(digest),
                "chart": await self.trend(workspace_id),
            }
            attempt = latest.attempt + 1 if latest is not None else 0
            claimed = await runs.claim(
                self._uow, self._clock, workspace_id, Job.DIGEST, week, attempt, payload
            )
            if claimed is None:
                async with self._uow(readonly=True) as uow:
                    latest = await uow.job_runs.latest(workspace_id, Job.DIGEST, week)
            else:
                latest = claimed
        assert latest is not None
        report.weeks = (week,)
        assert report.fanout is not None
        if latest.finished_at is None:
            report.fanout.add(await self._post_digest(latest))
        else:
            # Posted already this week: say so, message by message, as a fan-out does.
            report.fanout.already += len(latest.payload.get("parts", []))
        return report

    async def _post_digest(self, run: JobRun) -> FanOutReport:
        channel = self._org.channel

        async def chart(thread_ts: str) -> None:
            await self._post_chart(run, channel, thread_ts)

        async def failed() -> None:
            await self._digest_failed(run)

        return await self._threads.post(
            run,
            channel,
            list(run.payload.get("parts", [])),
            after_parent=chart,
            on_failure=failed,
        )

    async def _post_chart(self, run: JobRun, channel: str, thread_ts: str) -> None:
        """The picture goes first in the thread; the digest does not depend on it."""
        chart = run.payload.get("chart")
        if not chart:
            return
        delivery = await self._fanout.claim(run.id, "chart")
        if delivery is None:
            return
        try:
            await self._messenger.upload_chart(channel, thread_ts, chart)
        except DeliveryError as exc:
            log.warning("the digest's chart was not posted: %s", exc.code)
            async with self._uow() as uow:
                await uow.deliveries.settle(delivery.id, now=self._clock(), error=exc.code)
                await uow.commit()
            return
        async with self._uow() as uow:
            await uow.deliveries.settle(delivery.id, now=self._clock(), channel=channel)
            await uow.commit()

    async def trend(self, workspace_id: str) -> Part:
        """Overall progress at the end of each week of the quarter so far."""
        now = self._clock()
        zone = self._schedule.zone
        quarter = Quarter.containing(now.astimezone(zone).date())
        async with self._uow(readonly=True) as uow:
            krs, history = await uow.objectives.history_in(workspace_id, str(quarter))
        if not krs:
            return {}
        start = datetime.combine(quarter.first_day, time(), zone)
        moments = []
        for week in range(1, quarter.weeks + 1):
            moment = start + timedelta(days=7 * week)
            moments.append(min(moment, now))
            if moment >= now:
                break
        series = weekly_progress(
            {kr_id: TrendKR(o, a, b) for kr_id, (o, a, b) in krs.items()}, history, moments
        )
        return {"quarter": str(quarter), "weeks": quarter.weeks, "series": series}

    async def _digest_failed(self, run: JobRun) -> None:
        async with self._uow() as uow:
            uow.outbox.add(
                workspace_id=run.workspace_id,
                kind=OutboxKind.PROBLEM,
                now=self._clock(),
                recipient=self._org.ceo,
                payload={
                    "problem": "digest_not_posted",
                    "details": {"week": run.period, "channel": self._org.channel},
                },
            )
            await uow.commit()

    async def build_digest(self, workspace_id: str) -> Digest:
        now = self._clock()
        today = now.astimezone(self._schedule.zone).date()
        quarter = Quarter.containing(today)
        async with self._uow(readonly=True) as uow:
            objectives = await uow.objectives.approved_in(workspace_id, str(quarter))
            people = {p.user_id: p for p in await uow.people.all(workspace_id)}
            week_ago = await uow.objectives.values_as_of(
                workspace_id, str(quarter), now - STALE_AFTER
            )
        return build_digest(
            quarter, today, now, [_digest_objective(o, people, week_ago) for o in objectives]
        )


def _digest_objective(
    objective: Objective, people: dict[str, Person], week_ago: dict[int, float]
) -> DigestObjective:
    person = people.get(objective.owner_id)
    return DigestObjective(
        id=objective.id,
        title=objective.title,
        owner_id=objective.owner_id,
        owner_name=person.display_name if person else None,
        team=objective.team,
        level=Level(objective.level),
        confidence=parse_confidence(objective.confidence),
        krs=tuple(
            DigestKR(kr.start_value, kr.target_value, kr.current_value, week_ago.get(kr.id))
            for kr in objective.key_results
        ),
        last_check_in=objective.last_check_in_at,
        published_at=objective.published_at,
    )
