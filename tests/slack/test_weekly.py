"""The weekly rhythm through the real app: prompts in local time, the check-in form,
reminders, the digest, and runs that never happen twice."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from okrbot.bootstrap import build
from okrbot.domain.quarters import Quarter
from okrbot.domain.weekly import Job
from okrbot.sandbox.harness import AUTHOR, CHANNEL, FrozenClock
from okrbot.slack import ids
from okrbot.store.models import CheckIn, CheckInValue, Delivery, JobRun, KeyResult, Objective
from tests.conftest import START
from tests.slack.weekly_helpers import (
    check_in_count,
    digests,
    prompts_to,
    reminders_to,
    seed_company,
)
from tests.support.sandbox import Sandbox

# Friday 27 November 2026: Oslo is UTC+1, New York UTC-5.
FRIDAY_NOON_UTC = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


async def tick_at(box: Sandbox, moment: datetime) -> None:
    box.clock.now = moment
    await box.bot.jobs.tick()
    await box.settle()


async def test_prompts_arrive_at_each_persons_local_time(box: Sandbox) -> None:
    [oslo] = await seed_company(box, 1, tz="Europe/Oslo")
    [new_york] = await seed_company(box, 1, tz="America/New_York", first=1)
    await tick_at(box, datetime(2026, 11, 27, 11, 59, tzinfo=UTC))
    assert prompts_to(box, oslo) == []
    await tick_at(box, FRIDAY_NOON_UTC)  # 13:00 in Oslo
    assert len(prompts_to(box, oslo)) == 1
    assert prompts_to(box, new_york) == []
    await tick_at(box, datetime(2026, 11, 27, 17, 59, tzinfo=UTC))
    assert prompts_to(box, new_york) == []
    await tick_at(box, datetime(2026, 11, 27, 18, 0, tzinfo=UTC))  # 13:00 in New York
    for later in (18, 21, 23):
        await tick_at(box, datetime(2026, 11, 27, later, 30, tzinfo=UTC))
    assert len(prompts_to(box, oslo)) == 1
    assert len(prompts_to(box, new_york)) == 1
    prompt = prompts_to(box, oslo)[0]
    assert "Objective 0 of person 0000" in str(prompt.blocks)
    assert [
        e["action_id"] for b in prompt.blocks if b["type"] == "actions" for e in b["elements"]
    ] == [ids.CHECKIN]
    # DMs go to the user id: no conversations.open per person.
    assert box.fake.calls_to("conversations.open") == []


async def test_a_run_missed_while_down_happens_when_back_within_the_week(box: Sandbox) -> None:
    [person] = await seed_company(box, 1)
    await tick_at(box, datetime(2026, 11, 29, 22, 0, tzinfo=UTC))  # Sunday 23:00 in Oslo
    assert len(prompts_to(box, person)) == 1
    await tick_at(box, datetime(2026, 12, 4, 11, 0, tzinfo=UTC))  # next Friday, 12:00 Oslo
    assert len(prompts_to(box, person)) == 1


async def test_down_all_week_sends_nothing_late(box: Sandbox) -> None:
    [person] = await seed_company(box, 1)
    await tick_at(box, datetime(2026, 11, 29, 23, 30, tzinfo=UTC))  # Monday 00:30 in Oslo
    assert prompts_to(box, person) == []


async def test_check_in_from_the_prompt_is_prefilled_and_kept_as_history(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, krs=2)
    await tick_at(box, FRIDAY_NOON_UTC)
    [prompt] = prompts_to(box, person)
    await box.slack.click(person, prompt, ids.CHECKIN)
    await box.settle()
    [view] = box.fake.open_views_for(person)
    assert view["callback_id"] == ids.CHECKIN_VIEW
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    numbers = [b for b in inputs if b["element"]["type"] == "number_input"]
    assert [b["element"]["initial_value"] for b in numbers] == ["0", "0"]
    assert "(%)" in numbers[0]["label"]["text"]

    # Nonsense is refused under its field and nothing is stored.
    kr_blocks = [b["block_id"] for b in numbers]
    conf = next(b["block_id"] for b in inputs if b.get("block_id", "").startswith("conf_"))
    bad = await box.slack.submit_view(
        person, view["id"], {kr_blocks[0]: "abc", kr_blocks[1]: "1e9"}
    )
    assert set(bad.json()["errors"]) == set(kr_blocks)
    assert await check_in_count(box) == 0

    ok = await box.slack.submit_view(
        person, view["id"], {kr_blocks[0]: "40", kr_blocks[1]: "25.5", conf: "at_risk"}
    )
    assert ok.json() == {}
    await box.settle()
    box.clock.advance(days=1)
    await box.slack.slash(person, "checkin")
    await box.settle()
    second = box.fake.open_views_for(person)[-1]
    numbers = [
        b
        for b in second["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "number_input"
    ]
    assert [b["element"]["initial_value"] for b in numbers] == ["40", "25.5"]
    selects = [b for b in second["blocks"] if b.get("block_id", "").startswith("conf_")]
    assert selects[0]["element"]["initial_option"]["value"] == "at_risk"
    await box.slack.submit_view(person, second["id"], {kr_blocks[0]: "55"})
    await box.settle()

    async with box.uow() as uow:
        history = (await uow.session.scalars(select(CheckIn).order_by(CheckIn.id))).all()
        values = (await uow.session.scalars(select(CheckInValue).order_by(CheckInValue.id))).all()
        krs = (await uow.session.scalars(select(KeyResult).order_by(KeyResult.id))).all()
        objective = await uow.session.scalar(select(Objective))
    assert [c.confidence for c in history] == ["at_risk", "at_risk"]
    assert [v.value for v in values] == [40.0, 25.5, 55.0, 25.5]
    assert [kr.current_value for kr in krs] == [55.0, 25.5]
    assert objective is not None
    assert objective.confidence == "at_risk"
    # The prompt says it is done, so nobody checks in twice by accident.
    assert "you checked in" in prompt.text


async def test_checkin_command_without_objectives_explains(org_box: Sandbox) -> None:
    await org_box.slack.slash(AUTHOR.id, "checkin")
    await org_box.settle()
    [view] = org_box.fake.open_views_for(AUTHOR.id)
    assert "nothing to check in on" in str(view["blocks"])


async def test_five_objectives_of_five_krs_fit_one_form(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, per_person=5, krs=5)
    await box.slack.slash(person, "checkin")
    await box.settle()
    [view] = box.fake.open_views_for(person)
    assert len(view["blocks"]) <= 100
    assert sum(1 for b in view["blocks"] if b.get("block_id", "").startswith("kr_")) == 25


async def test_more_objectives_than_a_form_holds_page_through(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, per_person=13, krs=5)
    await box.slack.slash(person, "checkin")
    await box.settle()
    [view] = box.fake.open_views_for(person)
    first = await box.slack.submit_view(person, view["id"], {})
    assert first.json()["response_action"] == "update"
    page_two = first.json()["view"]
    assert "Objective 12 of person 0000" in str(page_two["blocks"])
    assert await check_in_count(box) == 11


async def test_quiet_days_and_reminders_only_for_the_silent(box: Sandbox) -> None:
    early, silent, prompted_then_done = await seed_company(box, 3)
    # `early` checked in on Wednesday: no prompt on Friday.
    box.clock.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    await checkin_everything(box, early)
    await tick_at(box, FRIDAY_NOON_UTC)
    assert prompts_to(box, early) == []
    assert len(prompts_to(box, silent)) == 1
    box.clock.advance(hours=2)
    await checkin_everything(box, prompted_then_done)
    await tick_at(box, datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # Monday 09:00 in Oslo
    await tick_at(box, datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    assert len(reminders_to(box, silent)) == 1
    assert reminders_to(box, prompted_then_done) == []
    assert reminders_to(box, early) == []


async def checkin_everything(box: Sandbox, person: str) -> None:
    await box.slack.slash(person, "checkin")
    await box.settle()
    view = box.fake.open_views_for(person)[-1]
    assert (await box.slack.submit_view(person, view["id"], {})).json() == {}
    await box.settle()


async def test_digest_once_a_week_and_again_only_when_forced(box: Sandbox) -> None:
    await seed_company(box, 4)
    await tick_at(box, datetime(2026, 11, 30, 8, 59, tzinfo=UTC))
    assert digests(box) == []
    await tick_at(box, datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # Monday 10:00 in Oslo
    await tick_at(box, datetime(2026, 11, 30, 15, 0, tzinfo=UTC))
    [digest] = digests(box)
    assert "week 14 of 13" not in digest.text
    assert "2026-Q4" in digest.text
    report = await box.bot.jobs.run(Job.DIGEST)
    assert report.sent == 0
    assert len(digests(box)) == 1
    forced = await box.bot.jobs.run(Job.DIGEST, force=True)
    assert forced.sent >= 1
    assert len(digests(box)) == 2


async def test_run_job_checkin_sends_now_whatever_the_local_time(box: Sandbox) -> None:
    people = await seed_company(box, 3)
    box.clock.now = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # Wednesday morning
    report = await box.bot.jobs.run(Job.CHECKIN)
    assert report.sent == 3
    again = await box.bot.jobs.run(Job.CHECKIN)
    assert (again.sent, again.fanout.already if again.fanout else None) == (0, 0)
    assert all(len(prompts_to(box, p)) == 1 for p in people)
    # The scheduled Friday run knows they were reached this week.
    await tick_at(box, FRIDAY_NOON_UTC)
    assert all(len(prompts_to(box, p)) == 1 for p in people)
    await box.bot.jobs.run(Job.CHECKIN, force=True)
    assert all(len(prompts_to(box, p)) == 2 for p in people)


async def test_two_schedulers_on_one_database_send_everything_once(
    box: Sandbox, database_url: str
) -> None:
    people = await seed_company(box, 30)
    other = build(box.settings(), clock=box.clock, sleep=box.clock.sleep)
    try:
        box.clock.now = FRIDAY_NOON_UTC
        await asyncio.gather(box.bot.jobs.tick(), other.jobs.tick(), box.bot.jobs.tick())
        box.clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        await asyncio.gather(box.bot.jobs.tick(), other.jobs.tick())
    finally:
        await other.close()
    assert [len(prompts_to(box, p)) for p in people] == [1] * 30
    # One digest a week: this week's (due since Monday, caught up on Friday) and next week's.
    posted = [
        datetime.fromtimestamp(float(d.ts), UTC).replace(second=0, microsecond=0)
        for d in digests(box)
    ]
    assert posted == [FRIDAY_NOON_UTC, datetime(2026, 11, 30, 9, 0, tzinfo=UTC)]


async def test_a_crash_half_way_resumes_without_a_second_prompt(box: Sandbox) -> None:
    people = await seed_company(box, 40)
    # Slack's own limit: 10 messages a minute, then 429 with Retry-After.
    box.fake.post_limit_per_minute = 10
    box.clock.now = FRIDAY_NOON_UTC
    tick = asyncio.create_task(box.bot.jobs.tick())
    posted = 0

    def crash_after_15(method: str) -> None:
        nonlocal posted
        if method == "chat.postMessage":
            posted += 1
            if posted == 15:
                tick.cancel()

    box.fake.after_call = crash_after_15
    with pytest.raises(asyncio.CancelledError):
        await tick
    box.fake.after_call = None
    # Up to `fanout_concurrency - 1` other sends were already on their way when it died
    # (SQLite serialises the workers; PostgreSQL lets them run side by side).
    in_flight = box.settings().fanout_concurrency - 1
    assert 14 <= sum(len(prompts_to(box, p)) for p in people) <= 15 + in_flight
    assert any(call.args.get("metadata") for call in box.fake.calls_to("chat.postMessage"))
    # The eleventh post met Slack's limit: a 429, its Retry-After waited out at once on the
    # frozen clock. Only the workers already sending when it came can have met one too.
    rate_limited = len(box.fake.calls_to("chat.postMessage")) - len(box.fake.messages)
    assert 1 <= rate_limited <= 1 + in_flight

    await box.restart()
    box.clock.advance(minutes=6)  # past the dead process's lease on what it had claimed
    await box.bot.jobs.tick()
    assert [len(prompts_to(box, p)) for p in people] == [1] * 40
    async with box.uow() as uow:
        rows = (
            await uow.session.scalars(
                select(Delivery).join(JobRun).where(JobRun.job == Job.CHECKIN.value)
            )
        ).all()
    assert len(rows) == 40
    assert all(r.sent_at is not None for r in rows)


async def test_a_300_person_digest_is_split_within_slacks_limits(box: Sandbox) -> None:
    await seed_company(box, 300, per_person=2, teams=12)
    report = await box.bot.jobs.run(Job.DIGEST)
    [parent] = digests(box)
    replies = [
        m for m in box.fake.channel_messages(CHANNEL) if m.thread_ts == parent.ts and not m.files
    ]
    assert report.sent == 1 + len(replies)
    assert len(replies) >= 2
    everything = " ".join(str(m.blocks) for m in replies)
    assert all(
        f"Objective {k} of person {n:04d}" in everything for n in range(300) for k in range(2)
    )
    # The box fixture asserts that the fake Slack refused nothing as over a limit.


@pytest.mark.parametrize(
    ("zone", "start", "weeks"),
    [
        # Each window starts on a Monday at noon local time and spans a DST change, with a
        # prompt and a digest on each side of it; the domain's tests tick every 10 minutes
        # through all four changes of both zones.
        ("Europe/Oslo", datetime(2026, 10, 19, 10, 0, tzinfo=UTC), 2),  # back on Oct 25
        ("America/New_York", datetime(2027, 3, 8, 17, 0, tzinfo=UTC), 2),  # forward Mar 14
    ],
)
async def test_dst_weeks_neither_skip_nor_double(
    database_url: str, zone: str, start: datetime, weeks: int
) -> None:
    box = Sandbox(database_url, clock=FrozenClock(start), timezone=zone)
    async with box:
        quarter = str(Quarter.containing(start.date()))
        [person] = await seed_company(box, 1, quarter=quarter, tz=zone)
        prompted: list[datetime] = []
        for hour in range(weeks * 7 * 24):
            await tick_at(box, start + timedelta(hours=hour))
            if len(prompts_to(box, person)) > len(prompted):
                prompted.append(box.clock.now)
        local = [moment.astimezone(ZoneInfo(zone)) for moment in prompted]
        assert [m.strftime("%a %H:%M") for m in local] == ["Fri 13:00"] * weeks
        digest_times = [
            datetime.fromtimestamp(float(d.ts), UTC).astimezone(ZoneInfo(zone))
            for d in digests(box)
        ]
        # The first one is caught up at start (Monday noon), then every Monday at 10:00.
        expected = ["Mon 12:00"] + ["Mon 10:00"] * weeks
        assert [m.strftime("%a %H:%M") for m in digest_times] == expected


async def test_a_delivery_that_cannot_be_verified_is_not_sent_twice(database_url: str) -> None:
    # One message at a time, so that exactly one is in flight when the process dies.
    async with Sandbox(database_url, clock=FrozenClock(START), fanout_concurrency=1) as box:
        await _unverifiable(box)


async def _unverifiable(box: Sandbox) -> None:
    people = await seed_company(box, 3)
    box.clock.now = FRIDAY_NOON_UTC
    tick = asyncio.create_task(box.bot.jobs.tick())
    seen = 0

    def crash_on_second(method: str) -> None:
        nonlocal seen
        if method == "chat.postMessage":
            seen += 1
            if seen == 2:
                tick.cancel()

    box.fake.after_call = crash_on_second
    with pytest.raises(asyncio.CancelledError):
        await tick
    box.fake.after_call = None
    await box.restart()
    box.clock.advance(minutes=6)
    # Without the history scopes okrbot cannot tell whether the second prompt went out.
    box.fake.revoke_scope("im:history")
    await box.bot.jobs.tick()
    assert sorted(len(prompts_to(box, p)) for p in people) == [1, 1, 1]
    async with box.uow() as uow:
        doubtful = (
            await uow.session.scalars(select(Delivery).where(Delivery.error.is_not(None)))
        ).all()
    assert [d.error for d in doubtful] == ["in_doubt:missing_scope"]


async def test_recovery_finds_the_message_in_slack(box: Sandbox) -> None:
    people = await seed_company(box, 2)
    box.clock.now = FRIDAY_NOON_UTC
    tick = asyncio.create_task(box.bot.jobs.tick())

    def crash_on_first(method: str) -> None:
        if method == "chat.postMessage":
            tick.cancel()

    box.fake.after_call = crash_on_first
    with pytest.raises(asyncio.CancelledError):
        await tick
    box.fake.after_call = None
    await box.restart()
    box.clock.advance(minutes=6)
    await box.bot.jobs.tick()
    assert [len(prompts_to(box, p)) for p in people] == [1, 1]
    assert len(box.fake.calls_to("conversations.history")) == 1


async def test_a_forged_check_in_for_someone_elses_objective_changes_nothing(
    box: Sandbox,
) -> None:
    mine, theirs = await seed_company(box, 2, krs=2)
    await box.slack.slash(mine, "checkin")
    await box.settle()
    view = box.fake.open_views_for(mine)[-1]
    async with box.uow() as uow:
        other = await uow.session.scalar(select(Objective).where(Objective.owner_id == theirs))
    assert other is not None
    forged = json.dumps({"ids": [other.id], "rest": []})
    response = await box.slack.submit_view(mine, view["id"], {}, private_metadata=forged)
    assert response.status == 200
    assert await check_in_count(box) == 0


async def test_help_mentions_the_check_in(box: Sandbox) -> None:
    body = (await box.slack.slash("U0AUT0001", "help")).json()
    assert "/okr checkin" in str(body["blocks"])


async def test_the_digest_carries_a_chart_of_the_quarter(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, krs=1)
    box.clock.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    await checkin_everything(box, person)
    box.clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    await box.bot.jobs.tick()
    [parent] = digests(box)
    [chart] = [f for f in box.fake.files.values() if f.get("thread_ts") == parent.ts]
    assert chart["data"][:8] == b"\x89PNG\r\n\x1a\n"
    assert chart["filename"] == "okr-progress-2026-Q4.png"
    replies = [m for m in box.fake.channel_messages(CHANNEL) if m.thread_ts == parent.ts]
    # The picture first, then the teams.
    assert replies[0].files == [next(iter(box.fake.files))]


async def check_in_value(box: Sandbox, person: str, value: str) -> None:
    await box.slack.slash(person, "checkin")
    await box.settle()
    view = box.fake.open_views_for(person)[-1]
    [number] = [
        b["block_id"]
        for b in view["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "number_input"
    ]
    assert (await box.slack.submit_view(person, view["id"], {number: value})).json() == {}
    await box.settle()


async def test_the_charts_lines_follow_each_teams_check_ins_week_by_week(box: Sandbox) -> None:
    first, second = await seed_company(box, 2, krs=1, teams=2)
    box.clock.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # in week 8 of 2026-Q4
    await check_in_value(box, first, "40")
    box.clock.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # in week 9
    await check_in_value(box, second, "80")
    box.clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    await box.bot.jobs.tick()
    assert len(digests(box)) == 1
    async with box.uow() as uow:
        [run] = (await uow.session.scalars(select(JobRun).where(JobRun.job == Job.DIGEST))).all()
    chart = run.payload["chart"]
    assert (chart["quarter"], chart["weeks"]) == ("2026-Q4", 13)
    # The end of each of the 8 weeks gone, then the digest's moment.
    assert [(line["team"], line["progress"]) for line in chart["lines"]] == [
        ("Team 00", [0.0] * 7 + [0.4, 0.4]),
        ("Team 01", [0.0] * 8 + [0.8]),
    ]


async def test_the_digest_goes_out_when_the_chart_cannot(box: Sandbox) -> None:
    await seed_company(box, 3)
    box.fake.fail_next("files.getUploadURLExternal", "not_allowed_token_type")
    report = await box.bot.jobs.run(Job.DIGEST)
    [parent] = digests(box)
    replies = [m for m in box.fake.channel_messages(CHANNEL) if m.thread_ts == parent.ts]
    assert replies
    assert all(not m.files for m in replies)
    assert report.sent == 1 + len(replies)
    async with box.uow() as uow:
        [chart] = (
            await uow.session.scalars(select(Delivery).where(Delivery.recipient == "chart"))
        ).all()
    assert chart.error == "not_allowed_token_type"


async def test_reading_slacks_directory_holds_no_write_transaction(org_box: Sandbox) -> None:
    """users.list is paged through first and kept after: a write transaction held open
    meanwhile kept every other writer waiting (an answer's inbox row included) for as long
    as Slack took."""
    box = org_box
    jobs = box.bot.jobs
    box.fake.delay_next("users.list", 30)
    reading = asyncio.create_task(
        jobs.refresh_directory(await jobs.for_workspace(box.fake.team_id))
    )
    deadline = time.monotonic() + 10  # loopback, one loop: a few turns
    while not box.fake.held:
        assert time.monotonic() < deadline, "users.list was never called"
        await asyncio.sleep(0)
    assert box.fake.held == ["users.list"]

    async with asyncio.timeout(2):
        async with box.uow(readonly=False) as uow:
            await uow.events.forget_before(box.clock())
            await uow.commit()

    box.fake.release_held()
    await reading
    async with box.uow() as uow:
        people = await uow.people.all(box.fake.team_id)
    assert people
    assert all(p.directory_synced_at is not None for p in people)
    assert all(p.tz == "Europe/Oslo" for p in people)


async def test_a_new_install_posts_no_empty_digest_and_does_not_look_again(
    org_box: Sandbox,
) -> None:
    box = org_box
    # The first start is on a Monday afternoon: the start-up tick catches up on the
    # week's digest, and nobody has published anything yet.
    await tick_at(box, datetime(2026, 11, 30, 14, 0, tzinfo=UTC))
    assert box.fake.channel_messages(CHANNEL) == []
    async with box.uow() as uow:
        [run] = (await uow.session.scalars(select(JobRun).where(JobRun.job == "digest"))).all()
    assert run.finished_at is not None
    assert run.payload["parts"] == []
    # Recorded as done: later ticks this week neither post nor call Slack.
    reads = len(box.fake.calls)
    for minute in (1, 2, 3):
        await tick_at(box, datetime(2026, 11, 30, 14, minute, tzinfo=UTC))
    assert box.fake.channel_messages(CHANNEL) == []
    async with box.uow() as uow:
        runs = (await uow.session.scalars(select(JobRun).where(JobRun.job == "digest"))).all()
    assert len(runs) == 1
    assert len(box.fake.calls) == reads
    # An operator asking for it is told why nothing went out, even with --force.
    report = await box.bot.jobs.run(Job.DIGEST, force=True)
    assert report.nothing_published
    assert report.sent == 0
    assert box.fake.channel_messages(CHANNEL) == []


async def test_only_last_quarters_objectives_make_no_digest_either(box: Sandbox) -> None:
    await seed_company(box, 3, quarter="2026-Q3")
    await tick_at(box, datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    assert digests(box) == []
    assert box.fake.channel_messages(CHANNEL) == []
    # The next week, with something published this quarter, the digest is back.
    await seed_company(box, 1, first=10)
    await tick_at(box, datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    [digest] = digests(box)
    assert "1 objective" in str(digest.blocks)
