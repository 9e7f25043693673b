"""Bursts of requests into a real `okrbot serve` in its first second, while its start-up
catch-up (a check-in fan-out and a digest, both due) is running: on a fresh database, and
after a SIGKILL and a restart.

Six people type `/okr new` all at once, then submit their forms, then the manager and
the CEO approve all six, each in a burst. Every answer is a 200, but what matters
is the work after the answers: every form opens within its trigger id's 3 s (the fake
refuses an expired one), every submission reaches the manager, every decision is applied
and the next message sent. Nothing ever stalls: the watchdog never logs that background
work made no progress, and a SIGTERM at the end exits 0 within the shutdown grace.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select, update

from okrbot.domain.okr import Status
from okrbot.sandbox.harness import CEO, MANAGER
from okrbot.slack import ids
from okrbot.store.models import Objective, Person
from tests.slack.helpers import GOOD_FORM, unsent
from tests.slack.weekly_helpers import digests, prompts_to, seed_company
from tests.support.processes import (
    ZONE,
    Okrbot,
    Processes,
    WallClock,
    current_quarter,
    eventually,
    in_bursts,
    just_passed,
    kill_when,
    open_requests,
    published,
    recovering_env,
    stop_within_grace,
)
from tests.support.sandbox import Sandbox

# Each approver's requests, and the publications, keep Slack's pace of one message a
# second in a conversation: every person costs the test about three seconds. Six, all at
# once, is a burst as a crowd clicking together makes one (twelve, six at a time, only
# doubled the wait for the pace and proved nothing more).
PEOPLE = 6
AT_ONCE = 6
# A form that has not opened by now never will: its trigger id expired long ago.
FORMS_TIMEOUT = 10.0


async def _company(box: Sandbox) -> list[str]:
    """The org chart, and PEOPLE people reporting to the manager, each with an objective
    published this quarter (so the check-in fan-out and the digest have work to do)."""
    await box.import_org()
    people = await seed_company(
        box, PEOPLE, quarter=current_quarter(), tz=ZONE, published=box.clock()
    )
    async with box.uow(readonly=False) as uow:
        await uow.session.execute(
            update(Person).where(Person.user_id.in_(people)).values(manager_id=MANAGER.id)
        )
        await uow.commit()
    return people


def _catching_up() -> dict[str, str]:
    """A check-in, a reminder and a digest due this minute: the start-up catch-up runs."""
    moment = just_passed(ZONE)
    return {"OKRBOT_CHECKIN_AT": moment, "OKRBOT_REMINDER_AT": moment, "OKRBOT_DIGEST_AT": moment}


def _title(person: str) -> str:
    return f"Burst objective of {person}"


async def _statuses(box: Sandbox, people: list[str]) -> dict[str, str]:
    async with box.uow() as uow:
        rows = await uow.session.execute(
            select(Objective.owner_id, Objective.status).where(
                Objective.title.in_([_title(p) for p in people])
            )
        )
        return {str(owner): str(status) for owner, status in rows}


async def _burst_through(box: Sandbox, okrbot: Okrbot, people: list[str]) -> float:
    """Forms, submissions, the manager's approvals and the CEO's, each a burst; returns
    how long after the first request the forms' burst had all its answers."""
    watch = [okrbot]
    started = time.monotonic()
    answers = await in_bursts((okrbot.slack.slash(p, "new") for p in people), AT_ONCE)
    answered_in = time.monotonic() - started
    assert [a.status for a in answers] == [200] * len(people)

    def forms() -> dict[str, int]:
        return {
            p: sum(
                1
                for view in box.fake.open_views_for(p)
                if view["callback_id"] == ids.NEW_OBJECTIVE_VIEW
            )
            for p in people
        }

    await eventually(
        lambda: all(forms().values()), "every form has opened", FORMS_TIMEOUT, watch=watch
    )
    assert forms() == dict.fromkeys(people, 1)

    quarter = current_quarter()
    views = {p: box.fake.open_views_for(p)[-1]["id"] for p in people}
    answers = await in_bursts(
        (
            okrbot.slack.submit_view(
                p, views[p], {**GOOD_FORM, "title": _title(p), "quarter": quarter}
            )
            for p in people
        ),
        AT_ONCE,
    )
    assert [(a.status, a.json()) for a in answers] == [(200, {})] * len(people)
    await eventually(
        lambda: len(open_requests(box, MANAGER.id)) >= len(people),
        "the manager is asked about every objective",
        watch=watch,
    )

    for approver, next_status in ((MANAGER.id, Status.AWAITING_CEO), (CEO.id, Status.APPROVED)):
        requests = open_requests(box, approver)
        assert len(requests) == len(people)
        answers = await in_bursts(
            (okrbot.slack.click(approver, request, ids.APPROVE) for request in requests),
            AT_ONCE,
        )
        assert [a.status for a in answers] == [200] * len(people)

        async def decided(approver: str = approver, status: Status = next_status) -> bool:
            return (
                await _statuses(box, people) == dict.fromkeys(people, status.value)
                and not open_requests(box, approver)
                and await unsent(box) == 0
            )

        await eventually(decided, f"every decision of {approver} is applied", watch=watch)

    assert len(published(box, "Burst objective")) == len(people)
    assert len(open_requests(box, CEO.id)) == 0
    return answered_in


def _assert_clean(okrbot: Okrbot) -> None:
    output = okrbot.output()
    assert not okrbot.stalled(), output
    assert "expired_trigger_id" not in output, output
    assert "Traceback" not in output, output


async def test_a_burst_in_the_first_second_after_start_is_served_in_full(
    database_url: str, tmp_path: Path
) -> None:
    box = Sandbox(database_url, clock=WallClock(), timezone=ZONE)
    async with box:
        people = await _company(box)
        env = recovering_env(tmp_path, box.fake, database_url, **_catching_up())
        async with Processes(tmp_path) as processes:
            okrbot = await processes.serve("a", env, box.fake)
            await processes.ready(okrbot)
            answered_in = await _burst_through(box, okrbot, people)

            # The catch-up was under way all along, and finishes too.
            async def caught_up() -> bool:
                return bool(digests(box)) and all(prompts_to(box, p) for p in people)

            await eventually(caught_up, "the start-up catch-up has finished", watch=[okrbot])
            code = await stop_within_grace(okrbot)

        assert code == 0, okrbot.output()
        _assert_clean(okrbot)
        # Six slash commands at once are all answered within the first second or so; the
        # forms were opened within 3 s of each (the fake checked).
        assert answered_in < 3.0
        assert {p: len(prompts_to(box, p)) for p in people} == dict.fromkeys(people, 1)
        assert len(digests(box)) == 1
        assert box.fake.violations == []


async def test_a_burst_right_after_a_restart_from_a_kill_is_served_in_full(
    database_url: str, tmp_path: Path
) -> None:
    """The first process is killed while its catch-up posts the digest; the second one
    gets the burst in its first second, with the catch-up's remains to recover."""
    box = Sandbox(database_url, clock=WallClock(), timezone=ZONE)
    async with box:
        people = await _company(box)
        env = recovering_env(tmp_path, box.fake, database_url, **_catching_up())
        async with Processes(tmp_path) as processes:
            first = await processes.serve("first", env, box.fake)
            kill_when(box.fake, first, lambda method: bool(digests(box)))
            await processes.ready(first)
            await eventually(
                lambda: first.returncode is not None, "the first process is killed mid-digest"
            )
            assert len(digests(box)) == 1

            second = await processes.serve("second", env, box.fake)
            await processes.ready(second)
            await _burst_through(box, second, people)
            code = await stop_within_grace(second)

        assert code == 0, second.output()
        _assert_clean(second)
        assert box.fake.violations == []
