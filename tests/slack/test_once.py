"""One message per intent, whatever Slack or the process does: a send that may have gone
out is looked for before it is sent again, a crashed run is finished by any running okrbot,
and what nobody can tell is in doubt, told to the admins and resent on their word."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from okrbot.domain.weekly import Job
from okrbot.sandbox.fake_slack import Message
from okrbot.sandbox.harness import AUTHOR, CEO, CHANNEL, MANAGER, FrozenClock
from okrbot.store.models import Delivery, JobRun, OutboxMessage
from tests.conftest import START
from tests.slack.helpers import requests_to, submit_objective
from tests.slack.weekly_helpers import digests, prompts_to, seed_company
from tests.support.sandbox import Sandbox

# Friday 27 November 2026, 13:00 in Oslo: check-in prompts are due.
FRIDAY_NOON_UTC = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
# Monday 30 November 2026, 10:00 in Oslo: the digest is due.
DIGEST_TIME = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# Short leases, so that taking over a dead process's claims is quick to reach.
FAST = {"fanout_lease_seconds": 60.0, "outbox_lease_seconds": 30.0, "slack_timeout": 1.0}
AMBIGUOUS = ["fatal_error", "internal_error", "request_timeout", "http_500", "http_503", "drop"]


@pytest.fixture
async def fast(database_url: str) -> Sandbox:
    async with Sandbox(database_url, clock=FrozenClock(START), **FAST) as box:
        await box.import_org()
        yield box  # type: ignore[misc]
        assert box.fake.violations == []


async def deliveries(box: Sandbox) -> list[Delivery]:
    async with box.uow() as uow:
        return list((await uow.session.scalars(select(Delivery).order_by(Delivery.id))).all())


async def thread_parts(box: Sandbox) -> int:
    """How many replies the digest has besides its chart; its run is finished."""
    async with box.uow() as uow:
        run = await uow.session.scalar(select(JobRun).where(JobRun.job == Job.DIGEST.value))
    assert run is not None
    assert run.finished_at is not None
    return len(run.payload["parts"]) - 1


def thread_of(box: Sandbox, parent: Message) -> list[Message]:
    return [m for m in box.fake.channel_messages(CHANNEL) if m.thread_ts == parent.ts]


def top_level(box: Sandbox) -> list[Message]:
    return [m for m in box.fake.channel_messages(CHANNEL) if m.thread_ts is None]


# -- the outbox


@pytest.mark.parametrize("outcome", AMBIGUOUS)
async def test_an_approval_request_slack_performed_but_did_not_confirm_goes_out_once(
    fast: Sandbox, outcome: str
) -> None:
    box = fast
    box.fake.perform_then("chat.postMessage", outcome)
    await submit_objective(box, AUTHOR.id)
    assert len(requests_to(box, MANAGER.id)) == 1
    box.clock.advance(seconds=10)
    await box.settle()
    [request] = requests_to(box, MANAGER.id)
    assert request.metadata is not None
    async with box.uow() as uow:
        row = await uow.session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "approval_request")
        )
    assert row is not None
    assert row.sent_at is not None
    assert request.metadata["event_payload"]["marker"] == f"okrbot-outbox-{row.id}"
    # Found, and remembered as the request's message: the decision can replace its buttons.
    assert len(box.fake.calls_to("conversations.history")) == 1


async def test_a_request_answered_after_the_timeout_goes_out_once(fast: Sandbox) -> None:
    box = fast
    box.fake.delay_next("chat.postMessage", 5)
    await submit_objective(box, AUTHOR.id)
    box.fake.release_held()
    box.clock.advance(seconds=10)
    await box.settle()
    assert len(requests_to(box, MANAGER.id)) == 1
    assert "chat.postMessage" in box.fake.unanswered


async def test_a_post_not_found_after_an_ambiguous_answer_is_sent(fast: Sandbox) -> None:
    box = fast
    # A 503 that came before anything was done: the look-up finds nothing, so it is sent.
    box.fake.http_error_next("chat.postMessage", status=503)
    await submit_objective(box, AUTHOR.id)
    assert requests_to(box, MANAGER.id) == []
    box.clock.advance(seconds=10)
    await box.settle()
    assert len(requests_to(box, MANAGER.id)) == 1
    assert len(box.fake.calls_to("conversations.history")) == 1


async def test_an_outbox_post_nobody_can_look_for_is_in_doubt_reported_and_resent(
    fast: Sandbox,
) -> None:
    box = fast
    box.fake.perform_then("chat.postMessage", "fatal_error")
    box.fake.fail_next("conversations.open", "missing_scope")
    await submit_objective(box, AUTHOR.id)
    box.clock.advance(seconds=10)
    await box.settle()
    assert len(requests_to(box, MANAGER.id)) == 1
    [told] = [m for m in box.fake.dms_to(CEO.id) if "could not tell" in m.text]
    assert "<@" + MANAGER.id + ">" in told.text
    box.clock.advance(minutes=10)
    await box.settle()
    assert len([m for m in box.fake.dms_to(CEO.id) if "could not tell" in m.text]) == 1

    await box.slack.slash(CEO.id, "admin run checkin resend-in-doubt")
    await box.settle()
    # On the admin's word, and only then: the second copy goes out.
    assert len(requests_to(box, MANAGER.id)) == 2


# -- prompts and reminders


@pytest.mark.parametrize("outcome", ["fatal_error", "http_503", "drop"])
async def test_a_prompt_slack_performed_but_did_not_confirm_goes_out_once(
    fast: Sandbox, outcome: str
) -> None:
    box = fast
    [person] = await seed_company(box, 1)
    box.fake.perform_then("chat.postMessage", outcome)
    box.clock.now = FRIDAY_NOON_UTC
    await box.bot.jobs.tick()
    assert len(prompts_to(box, person)) == 1
    [delivery] = [d for d in await deliveries(box) if d.recipient == person]
    assert delivery.sent_at is not None
    assert delivery.ts == prompts_to(box, person)[0].ts


async def test_a_prompt_answered_after_the_timeout_goes_out_once(fast: Sandbox) -> None:
    box = fast
    people = await seed_company(box, 2)
    box.fake.delay_next("chat.postMessage", 5)
    box.clock.now = FRIDAY_NOON_UTC
    await box.bot.jobs.tick()
    box.fake.release_held()
    assert [len(prompts_to(box, p)) for p in people] == [1, 1]


async def test_a_reminder_slack_performed_but_did_not_confirm_goes_out_once(
    fast: Sandbox,
) -> None:
    box = fast
    [person] = await seed_company(box, 1)
    box.clock.now = FRIDAY_NOON_UTC
    await box.bot.jobs.tick()
    box.fake.perform_then("chat.postMessage", "internal_error")
    await box.bot.jobs.run(Job.REMINDER)
    reminders = [m for m in box.fake.dms_to(person) if m.metadata and "remind" in m.text.lower()]
    assert len(reminders) == 1


async def crash_mid_send(box: Sandbox, run: asyncio.Task[object], at: int = 1) -> None:
    """The process dies right after Slack performed its `at`-th post."""
    seen = 0

    def crash(method: str) -> None:
        nonlocal seen
        if method == "chat.postMessage":
            seen += 1
            if seen == at:
                run.cancel()

    box.fake.after_call = crash
    with pytest.raises(asyncio.CancelledError):
        await run
    box.fake.after_call = None
    await box.crash()
    await box.restart()


async def test_a_crashed_run_job_is_reported_then_finished_by_the_running_app(
    fast: Sandbox,
) -> None:
    box = fast
    people = await seed_company(box, 3)
    box.clock.now = FRIDAY_NOON_UTC
    await crash_mid_send(box, asyncio.create_task(box.bot.jobs.run(Job.CHECKIN)), at=2)
    # Run again at once: the one in flight is another process's, and said so.
    again = await box.bot.jobs.run(Job.CHECKIN)
    assert again.fanout is not None
    in_flight = {d.recipient for d in await deliveries(box) if d.sent_at is None}
    assert in_flight
    assert {p.recipient for p in again.fanout.pending} == in_flight
    assert {p.until for p in again.fanout.pending} == {FRIDAY_NOON_UTC + timedelta(seconds=60)}
    assert all(len(prompts_to(box, p)) <= 1 for p in people)
    # Hours later nobody is due, but the app's tick settles the claim by itself.
    box.clock.advance(hours=3)
    await box.bot.jobs.tick()
    assert [len(prompts_to(box, p)) for p in people] == [1, 1, 1]
    assert all(d.sent_at is not None for d in await deliveries(box))


async def test_a_rate_limited_look_up_waits_and_tries_again(fast: Sandbox) -> None:
    box = fast
    people = await seed_company(box, 2)
    box.clock.now = FRIDAY_NOON_UTC
    await crash_mid_send(box, asyncio.create_task(box.bot.jobs.tick()))
    box.clock.advance(minutes=2)
    box.fake.rate_limit_next("conversations.history", retry_after=60)
    await box.bot.jobs.tick()
    assert [len(prompts_to(box, p)) for p in people] == [1, 1]
    assert len(box.fake.calls_to("conversations.history")) == 2
    assert all(d.error is None for d in await deliveries(box))


async def test_prompts_in_doubt_are_reported_once_listed_and_resent(fast: Sandbox) -> None:
    box = fast
    [person] = await seed_company(box, 1)
    box.clock.now = FRIDAY_NOON_UTC
    await crash_mid_send(box, asyncio.create_task(box.bot.jobs.tick()))
    box.clock.advance(minutes=2)
    box.fake.fail_next("conversations.open", "missing_scope")
    await box.bot.jobs.tick()
    await box.settle()
    [told] = [m for m in box.fake.dms_to(CEO.id) if "could not tell" in m.text]
    assert f"<@{person}>" in told.text
    assert "--resend-in-doubt" in told.text
    listed = await box.bot.jobs.run(Job.CHECKIN)
    assert listed.fanout is not None
    assert listed.fanout.in_doubt == [person]
    box.clock.advance(minutes=5)
    await box.bot.jobs.tick()
    await box.settle()
    assert len([m for m in box.fake.dms_to(CEO.id) if "could not tell" in m.text]) == 1
    assert len(prompts_to(box, person)) == 1

    resent = await box.bot.jobs.run(Job.CHECKIN, resend_in_doubt=True)
    assert resent.fanout is not None
    assert resent.fanout.in_doubt == []
    assert len(prompts_to(box, person)) == 2
    assert all(d.sent_at is not None for d in await deliveries(box))


# -- the digest


async def test_a_digest_resumed_after_a_crash_finds_its_thread_part_in_the_thread(
    fast: Sandbox,
) -> None:
    box = fast
    await seed_company(box, 6, krs=1)
    box.clock.now = DIGEST_TIME
    # Parent, then a thread part: the process dies as Slack posts the part.
    await crash_mid_send(box, asyncio.create_task(box.bot.jobs.tick()), at=2)
    [parent] = digests(box)
    assert len(thread_of(box, parent)) == 2  # the chart and the part in flight
    box.clock.advance(minutes=2)
    await box.bot.jobs.tick()
    assert top_level(box) == [parent]
    parts = [m for m in thread_of(box, parent) if m.metadata]
    markers = [m.metadata["event_payload"]["marker"] for m in parts if m.metadata]
    assert len(markers) == len(set(markers)) == await thread_parts(box)
    assert len(box.fake.calls_to("conversations.replies")) == 1
    async with box.uow() as uow:
        rows = await uow.session.scalars(select(Delivery).where(Delivery.recipient == "chart"))
        assert [r.sent_at is not None for r in rows] == [True]


async def test_a_digest_parent_slack_did_not_confirm_is_found_before_its_parts(
    fast: Sandbox,
) -> None:
    box = fast
    await seed_company(box, 6, krs=1)
    box.fake.perform_then("chat.postMessage", "http_500")
    box.clock.now = DIGEST_TIME
    await box.bot.jobs.tick()
    [parent] = digests(box)
    assert top_level(box) == [parent]
    assert len([m for m in thread_of(box, parent) if m.metadata]) == await thread_parts(box)


async def test_a_thread_part_slack_did_not_confirm_is_found_in_the_thread(
    fast: Sandbox,
) -> None:
    box = fast
    await seed_company(box, 6, krs=1)
    box.clock.now = DIGEST_TIME
    seen = 0

    def second_post_times_out(method: str) -> None:
        # Called as the fake performs a call, before it answers: this answer is the fault.
        nonlocal seen
        if method == "chat.postMessage":
            seen += 1
            if seen == 2:
                box.fake.perform_then("chat.postMessage", "fatal_error")

    box.fake.after_call = second_post_times_out
    await box.bot.jobs.tick()
    box.fake.after_call = None
    [parent] = digests(box)
    assert top_level(box) == [parent]
    parts = [m for m in thread_of(box, parent) if m.metadata]
    markers = [m.metadata["event_payload"]["marker"] for m in parts if m.metadata]
    assert len(markers) == len(set(markers)) == await thread_parts(box)
    assert len(box.fake.calls_to("conversations.replies")) == 1


async def test_digest_posts_keep_to_one_a_second_in_the_channel(fast: Sandbox) -> None:
    box = fast
    box.fake.post_limit_per_channel_second = 1
    await seed_company(box, 12, krs=1, teams=6)
    box.clock.now = DIGEST_TIME
    await box.bot.jobs.tick()
    posts = [m for m in box.fake.channel_messages(CHANNEL) if m.metadata]
    assert len(posts) == await thread_parts(box) + 1
    moments = [float(m.ts) for m in posts]
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(moments))
    # Paced, not refused and retried: every post to the channel went through the first time.
    tries = [c for c in box.fake.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert len(tries) == len(posts)


async def test_a_chart_whose_uploader_died_is_settled_and_the_digest_finished(
    fast: Sandbox,
) -> None:
    """The chart cannot be looked for (a file carries no metadata). Its claim, held by a
    process that died as Slack took the upload, keeps the run open until it is stale, and
    is then settled as interrupted: the digest is finished, the picture never posted twice."""
    box = fast
    await seed_company(box, 6, krs=1)
    box.clock.now = DIGEST_TIME
    tick = asyncio.create_task(box.bot.jobs.tick())

    def crash(method: str) -> None:
        if method == "files.completeUploadExternal":
            tick.cancel()

    box.fake.after_call = crash
    with pytest.raises(asyncio.CancelledError):
        await tick
    box.fake.after_call = None
    await box.crash()
    await box.restart()

    await box.bot.jobs.tick()  # at once: the chart's claim may still be its uploader's
    [parent] = digests(box)
    async with box.uow() as uow:
        run = await uow.session.scalar(select(JobRun).where(JobRun.job == Job.DIGEST.value))
        assert run is not None
        assert run.finished_at is None
    box.clock.advance(minutes=2)
    await box.bot.jobs.tick()

    assert top_level(box) == [parent]
    charts = [m for m in thread_of(box, parent) if m.files]
    assert len(charts) == 1  # Slack had taken it before the crash; never a second
    parts = [m for m in thread_of(box, parent) if m.metadata]
    assert len(parts) == await thread_parts(box)  # and the run is finished
    async with box.uow() as uow:
        [chart] = await uow.session.scalars(select(Delivery).where(Delivery.recipient == "chart"))
    assert (chart.sent_at, chart.error) == (None, "interrupted")
