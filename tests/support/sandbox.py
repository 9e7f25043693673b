"""The sandbox the tests run: the app against the fake Slack with faults, which can also
crash and restart the app (a new process on the same database and the same Slack)."""

from __future__ import annotations

from okrbot.background import Background
from okrbot.sandbox import harness
from tests.support.faulty_slack import FaultySlack


class Sandbox(harness.Sandbox):
    slack_class = FaultySlack
    fake: FaultySlack

    async def restart(self) -> None:
        """A new process on the same database and the same Slack."""
        await self._stop_app()
        await self._start_app()

    async def crash(self) -> None:
        """Stop without finishing anything: work in flight is cancelled, not drained."""
        if self.app is not None:
            self.app.background.abandon()
        await self._stop_app()


async def crash_and_restart(box: Sandbox, stalled: Background) -> None:
    """The process dies with the work `stalled` held back, and a new one starts."""
    stalled.abandon()
    await stalled.drain()
    await box.crash()
    await box.restart()
