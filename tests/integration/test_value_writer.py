"""The API's writer on its own: how many values one write takes, while Slack's requests
are being answered and while they are not."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from okrbot.background import Answers
from okrbot.services.values import BUSY_BATCH, ValueWriter
from okrbot.store.engine import create_engine
from okrbot.store.uow import SessionFactory
from tests.support import seed

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
VALUES = 2 * BUSY_BATCH + 10


async def _writes(database_url: str, *, answering: bool) -> tuple[int, int]:
    """(writes, check-ins stored) for VALUES values sent at once."""
    engine = create_engine(database_url)
    factory = SessionFactory(engine)
    try:
        objective = seed.objective(
            workspace_id="T1", owner_id="U1", title="Values", quarter="2026-Q4", now=NOW
        )
        async with factory() as uow:
            uow.objectives.add(objective)
            await uow.commit()
        kr = objective.key_results[0].id
        answers = Answers()
        # No lull to wait for: only how much a write takes is looked at here.
        writer = ValueWriter(factory, ZoneInfo("UTC"), answers=answers, give_way=0, direct=factory)
        reads: list[str] = []
        if answering:
            answers.begin()
        with factory.watching(reads.append):
            await asyncio.gather(
                *(
                    writer.record(
                        "T1", kr, float(n), comment=None, at=None, source="api:t", now=NOW
                    )
                    for n in range(VALUES)
                )
            )
        if answering:
            answers.end()
        async with factory(readonly=True) as uow:
            stored = len((await uow.check_ins.values_of([kr]))[kr])
    finally:
        await factory.dispose()
        await engine.dispose()
    writes = sum(
        1 for s in reads if "JOIN objective ON objective.id = key_result.objective_id" in s
    )
    return writes, stored


async def test_values_waiting_are_written_together_when_slack_is_calm(database_url: str) -> None:
    assert await _writes(database_url, answering=False) == (1, VALUES)


async def test_while_slack_is_answered_a_write_takes_a_few_values(database_url: str) -> None:
    assert await _writes(database_url, answering=True) == (3, VALUES)
