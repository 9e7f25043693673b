"""Signatures, Slack refusing things, and restarts: nothing lost, nothing sent twice."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

import okrbot.services.approvals as approvals_service
from okrbot.domain.okr import Status
from okrbot.sandbox.driver import sign
from okrbot.sandbox.harness import AUTHOR, CEO, CHANNEL, MANAGER, SIGNING_SECRET
from okrbot.services.delivery import LEASE
from okrbot.services.inbox import MAX_TRIES, RETRY_AFTER
from okrbot.slack import ids
from okrbot.store.models import OutboxMessage
from tests.slack.helpers import objectives, requests_to, submit_objective, unsent
from tests.support.sandbox import Sandbox


async def outbox_rows(box: Sandbox) -> list[OutboxMessage]:
    async with box.uow() as uow:
        rows = await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return list(rows.all())


async def test_bad_signature_is_refused(org_box: Sandbox) -> None:
    body = "command=%2Fokr&text=new&user_id=U0AUT0001&team_id=T0DEMO000"
    response = await org_box.slack.post_raw(body, signature="v0=" + "0" * 64)
    assert response.status == 401
    ts = str(int(time.time()))
    wrong_secret = sign("not-the-secret", ts, body)
    response = await org_box.slack.post_raw(body, timestamp=ts, signature=wrong_secret)
    assert response.status == 401
    await org_box.settle()
    assert org_box.fake.calls_to("views.open") == []


async def test_stale_timestamp_is_refused(org_box: Sandbox) -> None:
    body = "command=%2Fokr&text=new&user_id=U0AUT0001&team_id=T0DEMO000"
    stale = str(int(time.time()) - 6 * 60)
    response = await org_box.slack.post_raw(
        body, timestamp=stale, signature=sign(SIGNING_SECRET, stale, body)
    )
    assert response.status == 401
    await org_box.settle()
    assert org_box.fake.calls_to("views.open") == []


async def test_restart_between_commit_and_delivery_loses_nothing(
    org_box: Sandbox,
) -> None:
    box = org_box
    # Slack is down when the request would go out: the change is committed, the DM waits.
    box.fake.http_error_next("chat.postMessage", status=503, times=2)
    await submit_objective(box, AUTHOR.id)
    assert requests_to(box, MANAGER.id) == []
    assert (await objectives(box))[0].status == Status.AWAITING_MANAGER

    await box.restart()
    await box.settle()
    assert requests_to(box, MANAGER.id) == []  # not due yet: the back-off is honoured
    box.clock.advance(minutes=5)
    await box.settle()
    [request] = requests_to(box, MANAGER.id)

    # The next process takes the click on a message the previous one sent.
    await box.restart()
    await box.slack.click(MANAGER.id, request, ids.APPROVE)
    await box.settle()
    assert len(requests_to(box, CEO.id)) == 1
    assert await unsent(box) == 0


async def test_a_crashed_sender_is_taken_over_after_its_lease(org_box: Sandbox) -> None:
    box = org_box
    box.fake.http_error_next("chat.postMessage", status=503, times=1)
    await submit_objective(box, AUTHOR.id)
    box.clock.advance(minutes=1)
    # Another process claimed the request and died before sending it.
    async with box.uow(readonly=False) as uow:
        [pending] = await uow.outbox.due(box.clock(), 10)
        assert await uow.outbox.claim(pending, box.clock(), LEASE)
        await uow.commit()
    await box.crash()
    await box.restart()
    await box.settle()
    assert requests_to(box, MANAGER.id) == []  # still leased to the dead process
    box.clock.advance(seconds=LEASE.total_seconds() + 1)
    await box.settle()
    await box.settle()
    assert len(requests_to(box, MANAGER.id)) == 1


async def test_rate_limit_defers_by_retry_after(org_box: Sandbox) -> None:
    box = org_box
    box.fake.rate_limit_next("chat.postMessage", retry_after=30)
    await submit_objective(box, AUTHOR.id)
    assert requests_to(box, MANAGER.id) == []
    [request_row] = [r for r in await outbox_rows(box) if r.kind == "approval_request"]
    assert request_row.last_error == "ratelimited"
    assert request_row.next_attempt_at == box.clock() + timedelta(seconds=30)
    box.clock.advance(seconds=31)
    await box.settle()
    assert len(requests_to(box, MANAGER.id)) == 1


async def test_deactivated_manager_is_explained_to_the_author(org_box: Sandbox) -> None:
    box = org_box
    box.fake.users[MANAGER.id].deleted = True
    await submit_objective(box, AUTHOR.id)
    [failed] = [r for r in await outbox_rows(box) if r.kind == "approval_request"]
    assert failed.failed_at is not None
    assert failed.last_error == "channel_not_found"
    problem = box.fake.dms_to(AUTHOR.id)[-1]
    assert "could not send your objective" in problem.text
    assert "<@U0MGR0001>" in problem.text
    assert "okrbot org import" in problem.text


async def test_bot_outside_the_channel_is_told_to_the_ceo_and_retried(
    org_box: Sandbox,
) -> None:
    box = org_box
    box.fake.channels[CHANNEL].bot_is_member = False
    await submit_objective(box, CEO.id)
    assert box.fake.channel_messages(CHANNEL) == []
    [report] = [m for m in box.fake.dms_to(CEO.id) if "could not publish" in m.text]
    assert "/invite @okrbot" in report.text
    assert "not_in_channel" in report.text

    box.fake.channels[CHANNEL].bot_is_member = True
    box.clock.advance(hours=1, seconds=1)
    await box.settle()
    assert len(box.fake.channel_messages(CHANNEL)) == 1
    # Reported once, not once an hour.
    assert len([m for m in box.fake.dms_to(CEO.id) if "could not publish" in m.text]) == 1


async def test_views_open_failure_is_explained(org_box: Sandbox) -> None:
    org_box.fake.fail_next("views.open", "expired_trigger_id")
    await org_box.slack.slash(AUTHOR.id, "new")
    await org_box.settle()
    assert org_box.fake.open_views_for(AUTHOR.id) == []
    [note] = org_box.fake.dms_to(AUTHOR.id)
    assert "did not let me open the form in time" in note.text


async def test_a_failing_listener_says_sorry_without_a_stack_trace(
    org_box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [request] = requests_to(box, MANAGER.id)

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(approvals_service, "decide", broken)
    response = await box.slack.click(MANAGER.id, request, ids.APPROVE)
    assert response.status == 200
    # The click is kept and tried again a few times before the manager is told.
    for _ in range(MAX_TRIES):
        await box.settle()
        box.clock.advance(seconds=RETRY_AFTER.total_seconds())
    await box.settle()
    [note] = [m.text for m in box.fake.dms_to(MANAGER.id) if "wrong" in m.text]
    assert "something went wrong on my side" in note
    assert "Traceback" not in note
    assert "fire" not in note
    assert (await objectives(box))[0].status == Status.AWAITING_MANAGER


async def test_a_request_decided_before_its_dm_went_out_is_never_sent(
    org_box: Sandbox,
) -> None:
    box = org_box
    box.fake.http_error_next("chat.postMessage", status=503, times=2)
    await submit_objective(box, AUTHOR.id)
    [objective] = await objectives(box)
    # The manager decides from elsewhere (here: a replayed payload) while the DM waits.
    await box.slack.click_value(MANAGER.id, ids.APPROVE, f"{objective.id}:1:manager")
    await box.settle()
    box.clock.advance(minutes=5)
    await box.settle()
    assert requests_to(box, MANAGER.id) == []  # no DM with buttons that no longer work
    assert len(requests_to(box, CEO.id)) == 1
    assert await unsent(box) == 0


async def test_sent_messages_are_forgotten_after_two_weeks_and_pending_ones_kept(
    org_box: Sandbox,
) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    for method in ("chat.postMessage", "chat.update", "views.publish"):
        box.fake.http_error_next(method, status=503, times=100)  # Slack down: kept for later
    await box.slack.slash(AUTHOR.id, "withdraw 1")
    await box.settle()

    async def ids() -> tuple[set[int], set[int]]:
        rows = await outbox_rows(box)
        return (
            {m.id for m in rows if m.sent_at is not None},
            {m.id for m in rows if m.sent_at is None},
        )

    sent, waiting = await ids()
    assert sent
    assert waiting
    box.clock.advance(days=13)
    await box.bot.jobs.tick()
    still_sent, still_waiting = await ids()
    assert sent <= still_sent
    assert waiting <= still_waiting
    box.clock.advance(days=2)
    await box.bot.jobs.tick()
    forgotten_sent, kept = await ids()
    assert not (sent & forgotten_sent)
    assert waiting <= kept
