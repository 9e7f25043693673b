"""The quarter's close: owners score their objectives, and a report closes the quarter."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from okrbot.sandbox.harness import CHANNEL, FrozenClock
from okrbot.slack import ids
from okrbot.store.models import KeyResult, Objective
from tests.slack.weekly_helpers import seed_company
from tests.support.sandbox import Sandbox

LAST_TWO_WEEKS = datetime(2026, 12, 18, 9, 0, tzinfo=UTC)  # 10:00 in Oslo, 14 days left
NEW_QUARTER = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)


def asks_to(box: Sandbox, user: str) -> list[object]:
    return [m for m in box.fake.dms_to(user) if "score your OKRs" in m.text]


async def tick_at(box: Sandbox, moment: datetime) -> None:
    box.clock.now = moment
    await box.bot.jobs.tick()
    await box.settle()


async def test_owners_are_asked_to_score_once_in_the_last_two_weeks(box: Sandbox) -> None:
    [person] = await seed_company(box, 1)
    await tick_at(box, datetime(2026, 12, 17, 12, 0, tzinfo=UTC))
    assert asks_to(box, person) == []
    await tick_at(box, LAST_TWO_WEEKS)
    await tick_at(box, datetime(2026, 12, 21, 9, 0, tzinfo=UTC))
    [ask] = [m for m in box.fake.dms_to(person) if "score your OKRs" in m.text]
    actions = [e["action_id"] for b in ask.blocks if b["type"] == "actions" for e in b["elements"]]
    assert actions == [ids.SCORE, ids.NEXT_QUARTER]
    assert "2027-Q1" in str(ask.blocks)


async def test_scoring_is_prefilled_from_progress_and_validated(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, krs=2)
    async with box.uow(readonly=False) as uow:
        krs = (await uow.session.scalars(select(KeyResult).order_by(KeyResult.id))).all()
        krs[0].current_value = 66.0  # 66% -> suggested 0.7
        await uow.commit()
    await tick_at(box, LAST_TWO_WEEKS)
    [ask] = [m for m in box.fake.dms_to(person) if "score your OKRs" in m.text]
    await box.slack.click(person, ask, ids.SCORE)
    await box.settle()
    [view] = box.fake.open_views_for(person)
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["element"]["initial_value"] for b in inputs] == ["0.7", "0.0"]
    fields = [b["block_id"] for b in inputs]

    bad = await box.slack.submit_view(person, view["id"], {fields[0]: "abc", fields[1]: "1.5"})
    assert bad.json()["errors"] == {
        fields[0]: "That is not a number: use 0.0 to 1.0 (or a percentage).",
        fields[1]: "A score is between 0.0 and 1.0.",
    }
    good = await box.slack.submit_view(person, view["id"], {fields[0]: "0.8", fields[1]: "60%"})
    assert good.json() == {}
    async with box.uow() as uow:
        objective = await uow.session.scalar(select(Objective))
        scores = [
            kr.score
            for kr in (await uow.session.scalars(select(KeyResult).order_by(KeyResult.id))).all()
        ]
    assert objective is not None
    assert objective.score == 0.7
    assert scores == [0.8, 0.6]


async def test_next_quarters_okrs_start_from_the_ask(box: Sandbox) -> None:
    [person] = await seed_company(box, 1)
    await tick_at(box, LAST_TWO_WEEKS)
    [ask] = [m for m in box.fake.dms_to(person) if "score your OKRs" in m.text]
    await box.slack.click(person, ask, ids.NEXT_QUARTER)
    await box.settle()
    [form] = box.fake.open_views_for(person)
    assert form["callback_id"] == ids.NEW_OBJECTIVE_VIEW
    quarter = next(b for b in form["blocks"] if b.get("block_id") == "quarter")
    assert quarter["element"]["initial_option"]["value"] == "2027-Q1"


async def test_the_report_closes_the_quarter_once(box: Sandbox) -> None:
    people = await seed_company(box, 30, teams=3)
    async with box.uow(readonly=False) as uow:
        first = await uow.session.scalar(select(Objective).order_by(Objective.id))
        assert first is not None
        first.score = 0.7
        await uow.commit()
    await tick_at(box, datetime(2027, 1, 1, 8, 59, tzinfo=UTC))
    assert reports(box) == []
    await tick_at(box, NEW_QUARTER)
    await tick_at(box, datetime(2027, 1, 2, 9, 0, tzinfo=UTC))
    [parent] = reports(box)
    assert "1 of 30 objectives scored, average 0.7" in parent.text
    replies = [m for m in box.fake.channel_messages(CHANNEL) if m.thread_ts == parent.ts]
    everything = " ".join(str(m.blocks) for m in replies)
    assert "*0.7*" in everything
    assert everything.count("not scored") == 29
    async with box.uow() as uow:
        statuses = {o.status for o in (await uow.session.scalars(select(Objective))).all()}
    assert statuses == {"closed"}
    assert len(people) == 30


async def test_the_report_speaks_the_companys_language(database_url: str) -> None:
    async with Sandbox(database_url, clock=FrozenClock(NEW_QUARTER), language="nb") as box:
        await seed_company(box, 2, quarter="2026-Q4")
        await tick_at(box, NEW_QUARTER)
        parents = [m for m in box.fake.channel_messages(CHANNEL) if m.thread_ts is None]
        assert [m.text.split(":")[0] for m in parents if "er over" in m.text] == ["2026-Q4 er over"]


def reports(box: Sandbox) -> list[object]:
    return [
        m for m in box.fake.channel_messages(CHANNEL) if m.thread_ts is None and "is over" in m.text
    ]


async def test_score_command_opens_the_form_any_time(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, krs=3)
    await box.slack.slash(person, "score")
    await box.settle()
    [view] = box.fake.open_views_for(person)
    assert view["callback_id"] == ids.SCORE_VIEW
    assert sum(1 for b in view["blocks"] if b["type"] == "input") == 3
