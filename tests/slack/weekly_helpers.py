from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from okrbot.sandbox.fake_slack import FakeUser, Message
from okrbot.sandbox.harness import CHANNEL
from okrbot.store.models import CheckIn, Person
from tests.support import seed
from tests.support.sandbox import Sandbox


def _weekly_dms(box: Sandbox, user: str, reminder: bool) -> list[Message]:
    """Fan-out DMs carry a delivery marker; a reminder says so, before and after it is
    answered (answering rewrites the text)."""
    return [
        m
        for m in box.fake.dms_to(user)
        if m.metadata is not None
        and "check-in" in m.text.lower()
        and ("reminder" in m.text.lower().split(":")[0]) == reminder
    ]


def prompts_to(box: Sandbox, user: str) -> list[Message]:
    return _weekly_dms(box, user, reminder=False)


def reminders_to(box: Sandbox, user: str) -> list[Message]:
    return _weekly_dms(box, user, reminder=True)


def digests(box: Sandbox) -> list[Message]:
    return [
        m
        for m in box.fake.channel_messages(CHANNEL)
        if m.thread_ts is None and m.text.startswith("OKR digest")
    ]


async def seed_company(
    box: Sandbox,
    people: int,
    *,
    per_person: int = 1,
    krs: int = 3,
    quarter: str = "2026-Q4",
    tz: str = "Europe/Oslo",
    teams: int = 5,
    published: datetime | None = None,
    first: int = 0,
) -> list[str]:
    """People with approved objectives, written straight to the database (the approval
    path has tests of its own), and known to the fake Slack with a time zone."""
    now = published or box.clock()
    ids = [f"U9{n:07d}" for n in range(first, first + people)]
    async with box.uow(readonly=False) as uow:
        for n, user_id in enumerate(ids, start=first):
            box.fake.add_user(
                FakeUser(id=user_id, name=f"p{n}", real_name=f"Person {n:04d}", tz=tz)
            )
            team = f"Team {n % teams:02d}"
            uow.people.add(
                Person(
                    workspace_id=box.fake.team_id,
                    user_id=user_id,
                    manager_id=None,
                    team=team,
                    source="org_chart",
                    created_at=now,
                    updated_at=now,
                )
            )
            for k in range(per_person):
                uow.objectives.add(
                    seed.objective(
                        workspace_id=box.fake.team_id,
                        owner_id=user_id,
                        title=f"Objective {k} of person {n:04d}",
                        quarter=quarter,
                        now=now,
                        team=team,
                        key_results=seed.measures(krs),
                    )
                )
        await uow.commit()
    return ids


async def check_in_count(box: Sandbox) -> int:
    async with box.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(CheckIn)) or 0)


def checkin_dms(box: Sandbox, user: str) -> list[Message]:
    """Check-in prompts and reminders alike."""
    return [m for m in box.fake.dms_to(user) if m.metadata and "check-in" in m.text.lower()]
