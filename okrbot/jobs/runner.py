"""The weekly jobs as the scheduler and `okrbot run-job` call them: thin, over services.

Every workspace okrbot serves gets its own run, with its own token, settings and pacing;
one workspace's trouble (a revoked token, Slack refusing) never holds up another's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from okrbot import logs, sources
from okrbot.domain.weekly import Job, Schedule
from okrbot.i18n import translator
from okrbot.services import delivery, directory, events, nudges, replies
from okrbot.services import sources as source_reads
from okrbot.services.closing import Closing
from okrbot.services.common import Organisation
from okrbot.services.fanout import FanOut
from okrbot.services.ports import Clock, DeliveryError, NotServed
from okrbot.services.weekly import RunReport, Weekly
from okrbot.slack.tenancy import Tenancy
from okrbot.slack.weekly import SlackWeekly
from okrbot.store.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkspaceJobs:
    """One workspace's weekly work, bound to its token and settings."""

    workspace_id: str
    weekly: Weekly
    closing: Closing
    messenger: SlackWeekly


class Jobs:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        tenancy: Tenancy,
        fanout_for: Callable[[str], FanOut],
        schedule: Schedule,
        clock: Clock,
        language: str,
        read_source: source_reads.Reader | None = None,
    ) -> None:
        self._uow = uow
        # Reads a key result's data source (private addresses refused unless configured).
        self._read_source = read_source or partial(_read, allow_private=False)
        self._tenancy = tenancy
        self._fanout_for = fanout_for
        self._schedule = schedule
        self._clock = clock
        self._language = language

    @property
    def zone(self) -> ZoneInfo:
        return self._schedule.zone

    async def for_workspace(self, workspace_id: str) -> WorkspaceJobs:
        async with self._uow(readonly=True) as uow:
            org = await self._tenancy.organisation(uow, workspace_id)
        if org is None:
            raise NotServed(workspace_id)
        messenger = SlackWeekly(
            await self._tenancy.gateway(workspace_id), translator(self._language)
        )
        fanout = self._fanout_for(workspace_id)
        return WorkspaceJobs(
            workspace_id,
            Weekly(
                self._uow,
                messenger,
                fanout,
                self._schedule,
                org,
                self._clock,
                before_prompts=partial(self._read_before_prompts, org),
            ),
            Closing(self._uow, messenger, fanout, org, self.zone, self._clock),
            messenger,
        )

    async def refresh_directory(self, jobs: WorkspaceJobs) -> None:
        """Time zones and names, at most daily: prompts go out at each person's local time."""
        workspace_id = jobs.workspace_id
        async with self._uow(readonly=True) as uow:
            if not await directory.stale(uow, workspace_id, self._clock()):
                return
        try:
            entries = await directory.read(jobs.messenger)
        except DeliveryError as exc:
            # Without it people get their prompts in the company's zone: worth a warning only.
            log.warning("could not read Slack's directory: %s", exc.code)
            return
        async with self._uow() as uow:
            changed = await directory.sync(uow, workspace_id, entries, self._clock())
        log.info("directory refreshed: %s people changed", changed)

    async def tick(self) -> list[RunReport]:
        async with self._uow() as uow:
            await events.forget_old(uow, self._clock())
            await delivery.forget_sent(uow, self._clock())
        async with self._uow() as uow:
            await replies.forget_old(uow, self._clock())
        reports: list[RunReport] = []
        for workspace_id in await self._tenancy.workspaces():
            with logs.context(workspace=workspace_id, job="weekly-tick"):
                try:
                    reports += await self._tick(await self.for_workspace(workspace_id))
                except NotServed:
                    continue
                except DeliveryError as exc:
                    log.warning("weekly jobs stopped for now: Slack said %s", exc.code)
                except Exception:
                    log.exception("the weekly jobs failed; the next tick tries again")
        return reports

    async def _tick(self, jobs: WorkspaceJobs) -> list[RunReport]:
        await self.refresh_directory(jobs)
        # Before the due work: a claim a dead process left is settled whether or not its
        # job is due now, so recovery needs no one to run anything.
        await jobs.weekly.settle(jobs.workspace_id)
        await self.read_sources(jobs.workspace_id)
        reports = await jobs.weekly.tick(jobs.workspace_id)
        await nudges.nudge_approvers(
            self._uow, jobs.messenger, jobs.workspace_id, self._clock, self.zone
        )
        await jobs.closing.tick(jobs.workspace_id)
        return reports

    async def read_sources(self, workspace_id: str) -> source_reads.ReadReport:
        """The day's reads of the workspace's data sources, once 06:00 has passed."""
        async with self._uow(readonly=True) as uow:
            org = await self._tenancy.organisation(uow, workspace_id)
        if org is None:
            return source_reads.ReadReport()
        report = await source_reads.read_daily(
            self._uow,
            self._read_source,
            workspace_id,
            now=self._clock(),
            zone=self.zone,
            admins=_admins(org),
        )
        if report.read or report.failed:
            log.info("data sources read: %s, failed: %s", report.read, report.failed)
        return report

    async def _read_before_prompts(
        self, org: Organisation, workspace_id: str, week: str, owners: list[str]
    ) -> None:
        try:
            await source_reads.read_before_prompt(
                self._uow,
                self._read_source,
                workspace_id,
                owners,
                week,
                now=self._clock(),
                zone=self.zone,
                admins=_admins(org),
            )
        except Exception:
            # The prompts go out all the same, with the values there are.
            log.exception("reading data sources before the check-in prompts failed")

    async def run(
        self,
        job: Job,
        *,
        force: bool = False,
        workspace_id: str | None = None,
        resend_in_doubt: bool = False,
    ) -> RunReport:
        """One job now, in one workspace (the only one, unless named)."""
        if workspace_id is None:
            served = await self._tenancy.workspaces()
            if len(served) != 1:
                raise NotServed("name one workspace" if served else "no workspace is set up")
            workspace_id = served[0]
        with logs.context(workspace=workspace_id, job=job.value):
            jobs = await self.for_workspace(workspace_id)
            await self.refresh_directory(jobs)
            return await jobs.weekly.run(
                workspace_id, job, force=force, resend_in_doubt=resend_in_doubt
            )


def _admins(org: Organisation) -> list[str]:
    return sorted({org.ceo, *org.admins} - {""})


async def _read(kind: str, config: Mapping[str, Any], *, allow_private: bool) -> float:
    return await sources.read(kind, config, allow_private=allow_private)
