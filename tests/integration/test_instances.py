"""Several okrbot instances on one database, as real processes: `okrbot migrate` run by two
at once, and two `okrbot serve` handling requests and running their schedulers side by side.

Each process gets its own port; all of them talk to the one fake Slack running here, in
real time. With OKRBOT_TEST_POSTGRES_URL set these run on PostgreSQL too, where the
instances really do work in parallel.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from okrbot.domain.okr import Status
from okrbot.domain.weekly import Job
from okrbot.sandbox.driver import Response, SlackDriver, sign
from okrbot.sandbox.fake_slack import FakeSlack, Message
from okrbot.sandbox.harness import (
    AUTHOR,
    CEO,
    CHANNEL,
    COLLEAGUE,
    MANAGER,
    SIGNING_SECRET,
)
from okrbot.slack import ids
from okrbot.store import schema
from okrbot.store.engine import create_engine
from okrbot.store.models import Approval, Delivery, JobRun, Objective
from tests.conftest import admin_sql, postgres_database_url
from tests.slack.helpers import GOOD_FORM, submit_objective, unsent
from tests.slack.weekly_helpers import digests, prompts_to, reminders_to, seed_company
from tests.support.processes import (
    START_TIMEOUT,
    ZONE,
    Okrbot,
    Processes,
    WallClock,
    base_env,
    current_quarter,
    eventually,
    just_passed,
    serve_env,
    weekly_state,
)
from tests.support.sandbox import Sandbox

# --------------------------------------------------------------------------- migrations


@pytest.fixture
async def fresh_database(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database: nothing migrated yet."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"okrbot_instances_{uuid.uuid4().hex}"
    await admin_sql(f"CREATE DATABASE {name}")
    try:
        yield postgres_database_url(name)
    finally:
        await admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _versions(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return [str(version) for (version,) in rows]
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def _migration_in_progress(url: str) -> AsyncIterator[None]:
    """Hold what a migrating instance holds, so that others must wait for it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None
        connection = sqlite3.connect(parsed.database, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("BEGIN IMMEDIATE")
            yield
            connection.execute("ROLLBACK")
        finally:
            connection.close()
        return
    postgres = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
    )
    try:
        await postgres.execute("SELECT pg_advisory_lock($1)", schema.MIGRATION_LOCK_KEY)
        yield
        await postgres.execute("SELECT pg_advisory_unlock($1)", schema.MIGRATION_LOCK_KEY)
    finally:
        await postgres.close()


def _migrated_here(okrbot: Okrbot) -> bool:
    return "Running upgrade  -> 0001" in okrbot.output()


async def test_two_migrates_started_at_once_both_succeed(
    fresh_database: str, tmp_path: Path
) -> None:
    env = base_env(tmp_path, DATABASE_URL=fresh_database)
    async with Processes(tmp_path) as processes:
        both = await asyncio.gather(
            processes.run("first", env, "migrate"), processes.run("second", env, "migrate")
        )
        codes = [await okrbot.wait(START_TIMEOUT) for okrbot in both]
    outputs = "\n".join(okrbot.output() for okrbot in both)
    assert codes == [0, 0], outputs
    assert [_migrated_here(okrbot) for okrbot in both].count(True) == 1, outputs
    for okrbot in both:
        assert f"okrbot: database schema is at {schema.head_revision()}" in okrbot.output()
    assert await _versions(fresh_database) == [schema.head_revision()]


async def test_migrates_that_meet_take_turns(fresh_database: str, tmp_path: Path) -> None:
    """Both are made to arrive while a migration is in progress, so they meet for sure:
    they wait, then one migrates and the other finds the schema at head."""
    env = base_env(tmp_path, DATABASE_URL=fresh_database)
    async with Processes(tmp_path) as processes:
        async with _migration_in_progress(fresh_database):
            both = [
                await processes.run("first", env, "migrate"),
                await processes.run("second", env, "migrate"),
            ]
            await eventually(
                lambda: all(schema.WAITING in okrbot.output() for okrbot in both),
                "both wait for the migration in progress",
                START_TIMEOUT,
                watch=both,
            )
        codes = [await okrbot.wait(START_TIMEOUT) for okrbot in both]
    outputs = "\n".join(okrbot.output() for okrbot in both)
    assert codes == [0, 0], outputs
    assert [_migrated_here(okrbot) for okrbot in both].count(True) == 1, outputs
    assert "Traceback" not in outputs
    assert await _versions(fresh_database) == [schema.head_revision()]


# --------------------------------------------------------------------------- serving


def _request_for(fake: FakeSlack, approver: str, objective_id: int) -> list[Message]:
    """DMs to `approver` with an Approve button for the objective."""
    return [
        message
        for message in fake.dms_to(approver)
        for block in message.blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
        if element.get("action_id") == ids.APPROVE
        and str(element.get("value", "")).startswith(f"{objective_id}:")
    ]


async def _objective(box: Sandbox, objective_id: int) -> Objective:
    async with box.uow() as uow:
        found = await uow.session.get(Objective, objective_id)
        assert found is not None
        return found


async def _approvals(box: Sandbox, objective_id: int) -> list[tuple[str, str, str | None]]:
    async with box.uow() as uow:
        rows = await uow.session.scalars(
            select(Approval).where(Approval.objective_id == objective_id).order_by(Approval.id)
        )
        return [(a.stage, a.outcome, a.decided_by) for a in rows]


async def _new_objective(box: Sandbox, user: str, title: str) -> int:
    form = {**GOOD_FORM, "title": title, "quarter": current_quarter()}
    assert await submit_objective(box, user, form) == {}
    async with box.uow() as uow:
        objective_id = await uow.session.scalar(
            select(Objective.id).where(Objective.title == title)
        )
    assert objective_id is not None
    return int(objective_id)


class _Capture(SlackDriver):
    """Builds a request as the driver would send it, and keeps it instead."""

    body = ""

    async def post_raw(self, body: str, **_options: Any) -> Response:
        self.body = body
        return Response(200, "")


async def _click_on_both(
    box: Sandbox, both: list[Okrbot], user: str, message: Message
) -> list[Response]:
    """One click, delivered to both instances at the same moment: the same body, signed
    once, as when a load balancer (or Slack's retry) hands one request to two of them."""
    capture = _Capture("unused", SIGNING_SECRET, box.fake, team_id=box.fake.team_id)
    await capture.click(user, message, ids.APPROVE)
    timestamp = str(int(time.time()))
    signature = sign(SIGNING_SECRET, timestamp, capture.body)
    return list(
        await asyncio.gather(
            *(
                okrbot.slack.post_raw(capture.body, timestamp=timestamp, signature=signature)
                for okrbot in both
            )
        )
    )


async def test_an_approval_clicked_on_two_instances_at_once_applies_once(
    database_url: str, tmp_path: Path
) -> None:
    box = Sandbox(database_url, clock=WallClock(), timezone=ZONE)
    async with box:
        await box.import_org()
        titles = [f"Race {n}: ship the thing" for n in range(5)]
        created = [await _new_objective(box, AUTHOR.id, title) for title in titles]

        env = serve_env(tmp_path, box.fake, database_url)
        async with Processes(tmp_path) as processes:
            both = [
                await processes.serve("a", env, box.fake),
                await processes.serve("b", env, box.fake),
            ]
            await processes.ready(*both)

            for objective_id, title in zip(created, titles, strict=True):
                # The manager's approval: one request to the CEO. The same click on both
                # is one click (its key is unique): no note to the manager either.
                [request] = _request_for(box.fake, MANAGER.id, objective_id)
                notes = len(box.fake.ephemerals_to(MANAGER.id))
                answers = await _click_on_both(box, both, MANAGER.id, request)
                assert [a.status for a in answers] == [200, 200]

                async def decided(objective_id: int = objective_id) -> bool:
                    return bool(_request_for(box.fake, CEO.id, objective_id)) and (
                        await unsent(box) == 0
                    )

                await eventually(decided, f"{title!r} is decided by one instance", watch=both)
                assert len(_request_for(box.fake, CEO.id, objective_id)) == 1
                assert box.fake.ephemerals_to(MANAGER.id)[notes:] == []
                assert (await _objective(box, objective_id)).status == Status.AWAITING_CEO
                assert await _approvals(box, objective_id) == [
                    ("manager", "approved", MANAGER.id),
                    ("ceo", "pending", None),
                ]

                # The CEO's: published once, the author told once.
                [ceo_request] = _request_for(box.fake, CEO.id, objective_id)
                notes = len(box.fake.ephemerals_to(CEO.id))
                answers = await _click_on_both(box, both, CEO.id, ceo_request)
                assert [a.status for a in answers] == [200, 200]

                def posts(title: str = title) -> list[Message]:
                    return [
                        m
                        for m in box.fake.channel_messages(CHANNEL)
                        if m.thread_ts is None and title in m.text
                    ]

                async def published(posts: Any = posts) -> bool:
                    return bool(posts()) and await unsent(box) == 0

                await eventually(published, f"{title!r} is published by one instance", watch=both)
                assert len(posts()) == 1
                assert box.fake.ephemerals_to(CEO.id)[notes:] == []
                assert (await _objective(box, objective_id)).status == Status.APPROVED
                told = [
                    m
                    for m in box.fake.dms_to(AUTHOR.id)
                    if title in m.text and "approved and published" in m.text
                ]
                assert len(told) == 1

            codes = [await okrbot.stop() for okrbot in both]
        outputs = "".join(okrbot.output() for okrbot in both)
        assert codes == [0, 0], outputs
        assert "Traceback" not in outputs
        assert box.fake.violations == []


async def test_two_schedulers_send_one_prompt_per_person_and_one_digest(
    database_url: str, tmp_path: Path
) -> None:
    box = Sandbox(database_url, clock=WallClock(), timezone=ZONE)
    async with box:
        await box.import_org()
        quarter = current_quarter()
        # Two objectives through the whole approval path, and a company's worth written
        # straight to the database, so that both fan-outs have plenty to share.
        for user in (AUTHOR.id, COLLEAGUE.id):
            objective_id = await _new_objective(box, user, f"Weekly for {user}")
            for approver in (MANAGER.id, CEO.id):
                [request] = _request_for(box.fake, approver, objective_id)
                await box.slack.click(approver, request, ids.APPROVE)
                await box.settle()
            assert (await _objective(box, objective_id)).status == Status.APPROVED
        seeded = await seed_company(box, 40, quarter=quarter, tz=ZONE, published=box.clock())
        owners = [AUTHOR.id, COLLEAGUE.id, *seeded]

        moment = just_passed(ZONE)
        env = serve_env(
            tmp_path,
            box.fake,
            database_url,
            OKRBOT_TICK_SECONDS="1",
            OKRBOT_CHECKIN_AT=moment,
            OKRBOT_DIGEST_AT=moment,
            # The reminder's moment equal to the prompt's: a prompt sent now is never one
            # this week's reminder is about, so no reminder muddles the count.
            OKRBOT_REMINDER_AT=moment,
        )
        async with Processes(tmp_path) as processes:
            both = list(
                await asyncio.gather(
                    processes.serve("a", env, box.fake), processes.serve("b", env, box.fake)
                )
            )
            await processes.ready(*both)

            async def all_sent() -> bool:
                if any(not prompts_to(box, owner) for owner in owners) or not digests(box):
                    return False
                _runs, open_digests, unsettled = await weekly_state(box)
                return open_digests == 0 and unsettled == 0

            await eventually(all_sent, "everyone is prompted and the digest is posted", watch=both)
            # And both schedulers keep ticking for a while with nothing left to do.
            ticks = [okrbot.ticks() for okrbot in both]
            await eventually(
                lambda: all(o.ticks() >= t + 3 for o, t in zip(both, ticks, strict=True)),
                "both schedulers ticked three more times",
                watch=both,
            )
            codes = [await okrbot.stop() for okrbot in both]

        outputs = "".join(f"--- {o.name}\n{o.output()}" for o in both)
        assert codes == [0, 0], outputs
        assert "Traceback" not in outputs
        assert {owner: len(prompts_to(box, owner)) for owner in owners} == dict.fromkeys(owners, 1)
        assert prompts_to(box, MANAGER.id) == prompts_to(box, CEO.id) == []
        assert all(reminders_to(box, owner) == [] for owner in owners)
        [digest] = digests(box)
        # Each part of the digest (and its chart) in its thread once: as many replies as
        # the run recorded deliveries besides the parent.
        replies = [m for m in box.fake.channel_messages(CHANNEL) if m.thread_ts == digest.ts]
        async with box.uow() as uow:
            parts = await uow.session.scalar(
                select(func.count())
                .select_from(Delivery)
                .join(JobRun, JobRun.id == Delivery.job_run_id)
                .where(JobRun.job == Job.DIGEST.value, Delivery.sent_at.is_not(None))
            )
        assert len(replies) == int(parts or 0) - 1 > 0
        assert await weekly_state(box) == (1, 0, 0)
        assert box.fake.violations == []
