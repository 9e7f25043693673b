"""The weekly jobs as the scheduler and `okrbot run-job` call them: thin, over services."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from okrbot import logs
from okrbot.domain.weekly import Job
from okrbot.services import directory, events, nudges
from okrbot.services.closing import Closing
from okrbot.services.ports import Clock, DeliveryError
from okrbot.services.weekly import RunReport, Weekly
from okrbot.store.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


class Jobs:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        weekly: Weekly,
        people: directory.Directory,
        workspace: Callable[[], Awaitable[str]],
        clock: Clock,
        nudger: nudges.NudgeMessenger,
        zone: ZoneInfo,
        closing: Closing,
    ) -> None:
        self.closing = closing
        self._nudger = nudger
        self._zone = zone
        self._uow = uow
        self.weekly = weekly
        self._people = people
        self._workspace = workspace
        self._clock = clock

    async def refresh_directory(self, workspace_id: str) -> None:
        """Time zones and names, at most daily: prompts go out at each person's local time."""
        async with self._uow(readonly=True) as uow:
            if not await directory.stale(uow, workspace_id, self._clock()):
                return
        try:
            async with self._uow() as uow:
                changed = await directory.sync(uow, workspace_id, self._people, self._clock())
        except DeliveryError as exc:
            # Without it people get their prompts in the company's zone: worth a warning only.
            log.warning("could not read Slack's directory: %s", exc.code)
            return
        log.info("directory refreshed: %s people changed", changed)

    async def tick(self) -> list[RunReport]:
        workspace_id = await self._workspace()
        with logs.context(workspace=workspace_id, job="weekly-tick"):
            return await self._tick(workspace_id)

    async def _tick(self, workspace_id: str) -> list[RunReport]:
        await self.refresh_directory(workspace_id)
        async with self._uow() as uow:
            await events.forget_old(uow, self._clock())
        reports = await self.weekly.tick(workspace_id)
        await nudges.nudge_approvers(self._uow, self._nudger, workspace_id, self._clock, self._zone)
        await self.closing.tick(workspace_id)
        return reports

    async def run(self, job: Job, *, force: bool = False) -> RunReport:
        workspace_id = await self._workspace()
        await self.refresh_directory(workspace_id)
        return await self.weekly.run(workspace_id, job, force=force)
