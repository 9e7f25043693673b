"""Graceful shutdown of `okrbot serve`, as a real process: SIGTERM while Slack is slow to
answer lets what is in flight finish, starts nothing new, and exits 0.

What is proven here is the process's own behaviour at a signal, so it runs on SQLite only
(`one_database`): the SQL it relies on, claiming a fan-out's deliveries and handing the rest
to the next instance, is proven on both databases by test_crash_matrix.py's fan-out case
and test_instances.py's two schedulers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from okrbot.sandbox.harness import AUTHOR
from okrbot.slack import ids
from okrbot.store.models import Delivery
from tests.slack.weekly_helpers import digests, prompts_to, seed_company
from tests.support.processes import (
    ZONE,
    Processes,
    WallClock,
    current_quarter,
    eventually,
    just_passed,
    serve_env,
    weekly_state,
)
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.one_database

# Long enough that the SIGTERM surely lands while the answer is held.
SLOW_ANSWER_SECONDS = 3.0


async def test_sigterm_while_a_form_is_opening_lets_it_open(
    database_url: str, tmp_path: Path
) -> None:
    box = Sandbox(database_url, clock=WallClock(), timezone=ZONE)
    async with box:
        await box.import_org()
        async with Processes(tmp_path) as processes:
            okrbot = await processes.serve(
                "a", serve_env(tmp_path, box.fake, database_url), box.fake
            )
            await processes.ready(okrbot)

            box.fake.delay_next("views.open", SLOW_ANSWER_SECONDS)
            answer = await okrbot.slack.slash(AUTHOR.id, "new")
            assert answer.status == 200
            await eventually(
                lambda: box.fake.held == ["views.open"], "views.open is in flight", watch=[okrbot]
            )
            okrbot.terminate()
            code = await okrbot.wait()
            # Had okrbot not waited for it, the answer would find its caller gone.
            await eventually(lambda: not box.fake.held, "Slack has answered")

        output = okrbot.output()
        assert code == 0, output
        # The form opened, and okrbot was still there to hear Slack say so.
        [view] = box.fake.open_views_for(AUTHOR.id)
        assert view["callback_id"] == ids.NEW_OBJECTIVE_VIEW
        assert box.fake.unanswered == []
        assert "shutting down" in output
        assert "views.open failed" not in output
        assert "Traceback" not in output
        assert box.fake.ephemerals_to(AUTHOR.id) == box.fake.dms_to(AUTHOR.id) == []
        assert box.fake.violations == []


async def test_sigterm_during_a_fanout_leaves_nothing_half_done(
    database_url: str, tmp_path: Path
) -> None:
    """The prompt in flight is finished and recorded; nothing more is claimed; the next
    instance sends the rest at once (no lease to wait out), and nobody gets two."""
    box = Sandbox(database_url, clock=WallClock(), timezone=ZONE)
    async with box:
        await box.import_org()
        owners = await seed_company(
            box, 30, quarter=current_quarter(), tz=ZONE, published=box.clock()
        )
        moment = just_passed(ZONE)
        weekly = {
            "OKRBOT_TICK_SECONDS": "1",
            "OKRBOT_CHECKIN_AT": moment,
            "OKRBOT_REMINDER_AT": moment,
            "OKRBOT_DIGEST_AT": moment,
        }

        def prompted() -> list[str]:
            return [owner for owner in owners if prompts_to(box, owner)]

        async with Processes(tmp_path) as processes:
            # A slow fan-out: one message a second, two in flight at most.
            slow = serve_env(
                tmp_path,
                box.fake,
                database_url,
                OKRBOT_FANOUT_PER_MINUTE="60",
                OKRBOT_FANOUT_CONCURRENCY="2",
                **weekly,
            )
            first = await processes.serve("first", slow, box.fake)
            await processes.ready(first)
            await eventually(lambda: len(prompted()) >= 3, "a few prompts are out", watch=[first])
            box.fake.delay_next("chat.postMessage", SLOW_ANSWER_SECONDS)
            await eventually(
                lambda: box.fake.held == ["chat.postMessage"],
                "a prompt is in flight",
                watch=[first],
            )
            first.terminate()
            assert await first.wait() == 0, first.output()
            await eventually(lambda: not box.fake.held, "Slack has answered")

            reached = prompted()
            assert 3 <= len(reached) < len(owners)
            assert box.fake.unanswered == []
            assert digests(box) == []  # its turn came after the stop: left for the next
            # Every prompt that went out is recorded as sent, and nothing else is claimed.
            async with box.uow() as uow:
                recorded = await uow.session.scalar(
                    select(func.count()).select_from(Delivery).where(Delivery.sent_at.is_not(None))
                )
            assert recorded == len(reached)
            _runs, _open, unsettled = await weekly_state(box)
            assert unsettled == 0

            second = await processes.serve(
                "second",
                serve_env(
                    tmp_path, box.fake, database_url, OKRBOT_FANOUT_PER_MINUTE="1200", **weekly
                ),
                box.fake,
            )
            await processes.ready(second)

            async def done() -> bool:
                _runs, open_digests, unsettled = await weekly_state(box)
                return (
                    len(prompted()) == len(owners)
                    and bool(digests(box))
                    and (open_digests, unsettled) == (0, 0)
                )

            await eventually(done, "the next instance has sent the rest", watch=[second])
            ticks = second.ticks()
            await eventually(
                lambda: second.ticks() >= ticks + 2, "it ticked twice more", watch=[second]
            )
            assert await second.stop() == 0, second.output()

        outputs = first.output() + second.output()
        assert "Traceback" not in outputs
        assert "cancelled at shutdown" not in outputs
        assert {owner: len(prompts_to(box, owner)) for owner in owners} == dict.fromkeys(owners, 1)
        assert len(digests(box)) == 1
        assert box.fake.violations == []
