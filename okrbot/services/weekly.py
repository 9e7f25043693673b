"""The weekly rhythm: check-in prompts, reminders and the Monday digest.

Each run is claimed in the database (job, workspace, ISO week); each message of a run is
a delivery row with a unique (run, recipient) key. So a restart, a second instance on the
same database or `okrbot run-job` never sends anything twice, and a run missed while the
app was down happens when it comes back, as long as it is still that week.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from okrbot.domain.checkin import parse_confidence
from okrbot.domain.digest import Digest, DigestKR, DigestObjective, build_digest
from okrbot.domain.okr import Level
from okrbot.domain.pace import CHART_TEAMS, PaceChart, pace_chart
from okrbot.domain.quarters import Quarter
from okrbot.domain.schedule import due_week, iso_week, occurrence, previous_iso_week
from okrbot.domain.trend import objectives_progress_at, values_at
from okrbot.domain.weekly import Job, Schedule
from okrbot.services import replies, runs
from okrbot.services.checkins import ObjectiveState
from okrbot.services.common import Organisation
from okrbot.services.fanout import FanOut, FanOutReport, Pending, Send
from okrbot.services.notices import OutboxKind
from okrbot.services.nudges import claim_daily_slot
from okrbot.services.ports import Clock, DeliveryError, MessageRef
from okrbot.services.threads import Part, ThreadPoster
from okrbot.store.models import JobRun
from okrbot.store.repositories import ProgressObjective
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
        self, recipient: str, marker: str, since: datetime, until: datetime
    ) -> MessageRef | None: ...

    async def find_reply(
        self, channel: str, thread_ts: str, marker: str, since: datetime
    ) -> MessageRef | None: ...


@dataclass
class RunReport:
    job: Job
    weeks: tuple[str, ...] = ()
    fanout: FanOutReport | None = None
    # Outbox messages (approval requests, publications...) in doubt, by recipient.
    outbox_in_doubt: tuple[str, ...] = ()
    # A digest not posted because nothing is published this quarter.
    nothing_published: bool = False

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


BeforePrompts = Callable[[str, str, list[str]], Awaitable[object]]


class Weekly:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        messenger: WeeklyMessenger,
        fanout: FanOut,
        schedule: Schedule,
        org: Organisation,
        clock: Clock,
        before_prompts: BeforePrompts | None = None,
    ) -> None:
        self._uow = uow
        # Called with the workspace, the week and its owners just before their check-in
        # prompts are made (their key results' data sources are read then).
        self._before_prompts = before_prompts
        self._messenger = messenger
        self._fanout = fanout
        self._schedule = schedule
        self._org = org
        self._clock = clock
        self._threads = ThreadPoster(
            uow, fanout, clock, messenger.post_part, messenger.find_marked, messenger.find_reply
        )

    # -- entry points

    async def tick(self, workspace_id: str) -> list[RunReport]:
        """What the scheduler calls every minute: each job for whoever is due now."""
        return [
            await self.prompts(workspace_id, reminder=False),
            await self.prompts(workspace_id, reminder=True),
            await self.digest(workspace_id),
        ]

    async def run(
        self, workspace_id: str, job: Job, *, force: bool = False, resend_in_doubt: bool = False
    ) -> RunReport:
        """`okrbot run-job`: everyone due this week now, whatever their local time; with
        `resend_in_doubt`, the messages of this week and last that nobody could tell had
        gone out are sent first."""
        resent = (
            await self.resend_in_doubt(workspace_id, job) if resend_in_doubt else FanOutReport()
        )
        if job is Job.DIGEST:
            report = await self.digest(workspace_id, now_for_everyone=True, force=force)
        else:
            report = await self.prompts(
                workspace_id, reminder=job is Job.REMINDER, now_for_everyone=True, force=force
            )
        assert report.fanout is not None
        report.fanout.add(resent)
        async with self._uow(readonly=True) as uow:
            report.outbox_in_doubt = tuple(
                m.recipient or "" for m in await uow.outbox.in_doubt(workspace_id)
            )
        return report

    # -- recovery

    def _recent_weeks(self) -> tuple[str, str]:
        today = self._clock().astimezone(self._schedule.zone).date()
        this_week = iso_week(today)
        return this_week, previous_iso_week(this_week)

    async def settle(self, workspace_id: str) -> FanOutReport:
        """What every running okrbot does on its periodic pass, due or not: the stale
        claims of every unfinished run of this ISO week and last are settled (looked for
        in Slack, sent if not there), and an interrupted digest is posted to its end."""
        report = FanOutReport()
        weeks = self._recent_weeks()
        for job in (Job.CHECKIN, Job.REMINDER):
            async with self._uow(readonly=True) as uow:
                open_runs = await uow.job_runs.in_periods(workspace_id, job.value, weeks)
            for run in open_runs:
                send = await self._prompt_sender(workspace_id, run.period, job is Job.REMINDER)
                recovered = await self._fanout.recover(run.id, send, self._messenger.find_marked)
                await self._tell_in_doubt(workspace_id, job, run.period, recovered)
                report.add(recovered)
        async with self._uow(readonly=True) as uow:
            digests = await uow.job_runs.in_periods(workspace_id, Job.DIGEST.value, weeks)
        for run in digests:
            posted = await self._post_digest(run)
            await self._tell_in_doubt(workspace_id, Job.DIGEST, run.period, posted)
            report.add(posted)
        return report

    async def resend_in_doubt(self, workspace_id: str, job: Job) -> FanOutReport:
        """An admin's `--resend-in-doubt`: this week's and last week's messages of `job`
        in doubt are sent."""
        report = FanOutReport()
        async with self._uow() as uow:
            # The outbox's messages in doubt are due again too; the dispatcher sends them.
            await uow.outbox.resend_in_doubt(workspace_id, self._clock())
            await uow.commit()
        async with self._uow(readonly=True) as uow:
            open_runs = await uow.job_runs.in_periods(workspace_id, job.value, self._recent_weeks())
        for run in open_runs:
            if job is Job.DIGEST:
                report.add(await self._post_digest(run, resend_in_doubt=True))
                continue
            send = await self._prompt_sender(workspace_id, run.period, job is Job.REMINDER)
            report.add(
                await self._fanout.resend_in_doubt(run.id, send, self._messenger.find_marked)
            )
        return report

    async def _tell_in_doubt(
        self, workspace_id: str, job: Job, week: str, report: FanOutReport
    ) -> None:
        """Once, when they become so: the CEO and the admins learn which messages may not
        have gone out, and how to send them."""
        if not report.newly_in_doubt:
            return
        people = [r for r in report.newly_in_doubt if r.startswith(("U", "W"))]
        async with self._uow() as uow:
            for recipient in dict.fromkeys([self._org.ceo, *sorted(self._org.admins)]):
                if not recipient:
                    continue
                uow.outbox.add(
                    workspace_id=workspace_id,
                    kind=OutboxKind.PROBLEM,
                    now=self._clock(),
                    recipient=recipient,
                    payload={
                        "problem": "messages_in_doubt",
                        "details": {
                            "job": job.value,
                            "week": week,
                            "count": str(len(report.newly_in_doubt)),
                            "people": " ".join(people),
                        },
                    },
                )
            await uow.commit()

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
            owners = _with_kr_owners(
                await uow.objectives.owners_in(workspace_id, quarter),
                await uow.objectives.key_result_owners_in(workspace_id, quarter),
            )
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
            if todo and not reminder and self._before_prompts is not None:
                await self._before_prompts(workspace_id, week, todo)
            send = await self._prompt_sender(
                workspace_id, week, reminder, week_owners if todo else [], locales
            )
            assert report.fanout is not None
            recovered = await self._fanout.recover(run.id, send, self._messenger.find_marked)
            await self._tell_in_doubt(workspace_id, job, week, recovered)
            report.fanout.add(recovered)
            report.fanout.add(
                await self._fanout.to_each(run.id, todo, send, self._messenger.find_marked)
            )
        return report

    async def _prompt_sender(
        self,
        workspace_id: str,
        week: str,
        reminder: bool,
        owners: list[str] | None = None,
        locales: dict[str, str | None] | None = None,
    ) -> Send:
        """Sends one person their prompt of `week`, built when it is sent: a prompt resumed
        after a crash shows the objectives as they are then. Loads `owners`' objectives
        now, anyone else's when sent."""
        quarter = str(Quarter.containing(self._clock().astimezone(self._schedule.zone).date()))
        states: dict[str, tuple[ObjectiveState, ...]] = {}
        if owners:
            async with self._uow(readonly=True) as uow:
                # In the order a reply to the prompt is read in (services.replies).
                states = await replies.listed(uow, workspace_id, quarter, owners)
                states.update({o: () for o in owners if o not in states})

        async def send(recipient: str, marker: str) -> MessageRef:
            mine = states.get(recipient)
            if mine is None:
                async with self._uow(readonly=True) as uow:
                    listed = await replies.listed(uow, workspace_id, quarter, [recipient])
                    mine = listed.get(recipient, ())
                    locale = (await uow.people.locales(workspace_id)).get(recipient)
            else:
                locale = (locales or {}).get(recipient)
            prompt = CheckInPrompt(recipient, week, mine, reminder, locale)
            return await self._messenger.send_prompt(prompt, marker)

        return send

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
            digest, chart = await self.digest_content(workspace_id)
            attempt = latest.attempt + 1 if latest is not None else 0
            if digest.objectives:
                payload: dict[str, object] = {
                    "parts": self._messenger.digest_parts(digest),
                    "chart": chart,
                }
            else:
                # A new install's first start (on a Monday afternoon, the start-up tick
                # catches up on this week's digest) or a quarter nobody has published in
                # yet: a digest saying there is nothing would be the channel's first word
                # from okrbot. The week's run is recorded as done all the same, so that
                # the next tick does not look again every minute; an objective published
                # later this week is in next week's digest.
                payload = {"parts": [], "skipped": "nothing published"}
                log.info(
                    "no digest for %s in %s: nothing is published in %s yet",
                    week,
                    workspace_id,
                    digest.quarter,
                )
            claimed = await runs.claim(
                self._uow,
                self._clock,
                workspace_id,
                Job.DIGEST,
                week,
                attempt,
                payload,
                finished=not digest.objectives,
            )
            if claimed is None:
                async with self._uow(readonly=True) as uow:
                    latest = await uow.job_runs.latest(workspace_id, Job.DIGEST, week)
            else:
                latest = claimed
        assert latest is not None
        report.weeks = (week,)
        report.nothing_published = bool(latest.payload.get("skipped"))
        assert report.fanout is not None
        if latest.finished_at is None:
            posted = await self._post_digest(latest)
            await self._tell_in_doubt(workspace_id, Job.DIGEST, week, posted)
            report.fanout.add(posted)
        else:
            # Posted already this week: say so, message by message, as a fan-out does.
            report.fanout.already += len(latest.payload.get("parts", []))
        return report

    async def _post_digest(self, run: JobRun, *, resend_in_doubt: bool = False) -> FanOutReport:
        channel = self._org.channel

        async def chart(thread_ts: str) -> Pending | None:
            return await self._post_chart(run, channel, thread_ts)

        async def failed() -> None:
            await self._digest_failed(run)

        return await self._threads.post(
            run,
            channel,
            list(run.payload.get("parts", [])),
            after_parent=chart,
            on_failure=failed,
            resend_in_doubt=resend_in_doubt,
        )

    async def _post_chart(self, run: JobRun, channel: str, thread_ts: str) -> Pending | None:
        """The picture goes first in the thread; the digest does not depend on it. Returns
        when the chart is still another process's to upload (the run stays open until
        then)."""
        chart = run.payload.get("chart")
        if not chart:
            return None
        delivery = await self._fanout.claim(run.id, "chart")
        if delivery is None:
            # A file carries no metadata, and the thread's replies do not say which file a
            # message shares: a chart whose uploader died cannot be looked for. A picture
            # missing is better than two, so it is marked as not posted, never sent again.
            async with self._uow(readonly=True) as uow:
                rows = await uow.deliveries.for_run(run.id)
            stuck = next((d for d in rows if d.recipient == "chart"), None)
            if stuck is None or stuck.sent_at is not None or stuck.failed_at is not None:
                return None
            if not self._fanout.stale(stuck, self._clock()):
                # Its uploader may be alive, or may have died a moment ago: a later pass
                # looks again, so that a dead uploader's claim is settled all the same.
                return Pending("chart", stuck.claimed_at + self._fanout.lease)
            if await self._fanout.take_over(stuck):
                async with self._uow() as uow:
                    await uow.deliveries.settle(stuck.id, now=self._clock(), error="interrupted")
                    await uow.commit()
            return None
        try:
            await self._messenger.upload_chart(channel, thread_ts, chart)
        except DeliveryError as exc:
            log.warning("the digest's chart was not posted: %s", exc.code)
            async with self._uow() as uow:
                await uow.deliveries.settle(delivery.id, now=self._clock(), error=exc.code)
                await uow.commit()
            return None
        async with self._uow() as uow:
            await uow.deliveries.settle(delivery.id, now=self._clock(), channel=channel)
            await uow.commit()
        return None

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

    async def digest_content(self, workspace_id: str) -> tuple[Digest, Part]:
        """The digest, and its chart's data: each team's progress at the end of each week
        of the quarter so far (`pace_chart`). One read of the quarter (its published
        objectives, their key results and every value checked in for them) in a fixed
        number of queries, whatever the company's size."""
        now = self._clock()
        zone = self._schedule.zone
        today = now.astimezone(zone).date()
        quarter = Quarter.containing(today)
        week_ends = _week_ends(quarter, now, zone)
        moments = sorted({*week_ends, now - STALE_AFTER})
        async with self._uow(readonly=True) as uow:
            objectives, krs = await uow.objectives.published_progress(workspace_id, str(quarter))
            names = await uow.people.names(workspace_id)
            checked = await uow.check_ins.values_by_moment(workspace_id, str(quarter), moments)
            values = values_at(checked, len(moments))
        week_ago = moments.index(now - STALE_AFTER)
        by_objective: dict[int, list[DigestKR]] = defaultdict(list)
        for kr in krs:
            kr_values = values.get(kr.id)
            by_objective[kr.objective_id].append(
                DigestKR(
                    kr.start,
                    kr.target,
                    kr.current,
                    kr_values[week_ago] if kr_values else None,
                    kr.kind,
                )
            )
        digest = build_digest(
            quarter,
            today,
            now,
            [_digest_objective(o, names, tuple(by_objective[o.id])) for o in objectives],
            behind_pace_points=self._schedule.behind_pace_points,
        )
        if not krs:
            return digest, {}
        indexes = [moments.index(moment) for moment in week_ends]
        shares = objectives_progress_at({kr.id: kr for kr in krs}, values, indexes)
        # An objective without a live key result is at no progress, as the digest counts it.
        nothing = [0.0] * len(indexes)
        chart = pace_chart(
            [(o.team, shares.get(o.id, nothing)) for o in objectives],
            quarter,
            # The "at most 8 teams, the rest as other": 8 teams get their own line
            # and "other" is a ninth, since it is no team; fewer would merge a team the
            # issue promises a line of.
            teams=CHART_TEAMS,
        )
        return digest, chart_data(chart, quarter)


def _with_kr_owners(
    owners: list[tuple[str, datetime | None]], kr_owners: list[tuple[str, datetime | None]]
) -> list[tuple[str, datetime | None]]:
    """Objective owners and key result owners, each once with the older of their latest
    check-ins (None, never, first): someone is prompted while anything of theirs waits."""
    merged = dict(owners)
    for person, last in kr_owners:
        if person not in merged:
            merged[person] = last
        else:
            before = merged[person]
            merged[person] = None if before is None or last is None else min(before, last)
    return sorted(merged.items())


def chart_data(chart: PaceChart, quarter: Quarter) -> Part:
    """The chart's data as the run's payload keeps it (JSON): a resumed run draws the same
    chart. A line's `team` is None for objectives of no team, and for "other"."""
    return {
        "quarter": str(quarter),
        "weeks": chart.weeks,
        "even_pace": list(chart.even_pace),
        "lines": [
            {
                "team": line.team,
                "other": line.other,
                "objectives": line.objectives,
                "progress": list(line.progress),
            }
            for line in chart.series
        ],
    }


def _week_ends(quarter: Quarter, now: datetime, zone: ZoneInfo) -> list[datetime]:
    """The end of each week of the quarter up to now, now last."""
    start = datetime.combine(quarter.first_day, time(), zone)
    moments = []
    for week in range(1, quarter.weeks + 1):
        moment = start + timedelta(days=7 * week)
        moments.append(min(moment, now))
        if moment >= now:
            break
    return moments


def _digest_objective(
    objective: ProgressObjective, names: dict[str, str | None], krs: tuple[DigestKR, ...]
) -> DigestObjective:
    return DigestObjective(
        id=objective.id,
        title=objective.title,
        owner_id=objective.owner_id,
        owner_name=names.get(objective.owner_id),
        team=objective.team,
        level=Level(objective.level),
        confidence=parse_confidence(objective.confidence),
        krs=krs,
        last_check_in=objective.last_check_in_at,
        published_at=objective.published_at,
    )
