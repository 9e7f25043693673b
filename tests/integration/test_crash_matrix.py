"""What a SIGKILL leaves behind, and what Slack's late or ambiguous answers leave behind,
with real `okrbot serve` processes on the test's database (SQLite, and PostgreSQL with
OKRBOT_TEST_POSTGRES_URL set: every case killed by SIGKILL runs on both; the case with
Slack answering badly, where nothing is killed, on SQLite only).

Each case is an intent a person expressed (a click, a submission) or a message okrbot owes
someone, interrupted at its most awkward moment: right after Slack had its 200, with the
message posted but its answer not yet heard, half-way through a fan-out or a digest's
thread. After a restart, with no manual step, each intent has exactly one effect in the
database and exactly one message in Slack. Cases share process lives to keep starts few.

Everything here is observed from the outside (HTTP, the fake Slack, the database's
objectives, approvals, check-ins, outbox and deliveries), not through how okrbot recovers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from okrbot.domain.okr import Status
from okrbot.domain.weekly import Job
from okrbot.sandbox.driver import Response
from okrbot.sandbox.fake_slack import Message
from okrbot.sandbox.harness import AUTHOR, CEO, CHANNEL, COLLEAGUE, MANAGER
from okrbot.slack import ids
from okrbot.store.models import Approval, CheckIn, Delivery, JobRun, Objective
from tests.slack.helpers import GOOD_FORM, button_values, unsent
from tests.slack.weekly_helpers import check_in_count, digests, prompts_to, seed_company
from tests.support.processes import (
    RECOVERY_TIMEOUT,
    ZONE,
    Okrbot,
    Processes,
    WallClock,
    current_quarter,
    eventually,
    just_passed,
    kill_when,
    open_requests,
    published,
    recovering_env,
    stop_within_grace,
    weekly_state,
)
from tests.support.sandbox import Sandbox

# Long enough to stand for "never answered": the process is killed before it ends.
HELD_SECONDS = 60.0
# Past OKRBOT_SLACK_TIMEOUT (QUICK_RECOVERY): the caller has given up when it comes.
LATE_SECONDS = 3.0
REASON = "Aim higher."


# --------------------------------------------------------------------------- helpers


def _quoted(title: str) -> str:
    return f"“{title}”"


def _dms_about(box: Sandbox, user: str, title: str, words: str = "") -> list[Message]:
    return [m for m in box.fake.dms_to(user) if _quoted(title) in m.text and words in m.text]


def _open_request(box: Sandbox, approver: str, title: str) -> Message:
    [request] = open_requests(box, approver, _quoted(title))
    return request


def _decided(message: Message) -> bool:
    """Its buttons replaced by who decided, once."""
    return message.updated == 1 and not button_values(message)


async def _submit(box: Sandbox, user: str, title: str) -> int:
    """A new objective, through the in-process app (the setup, not the case)."""
    await box.slack.slash(user, "new")
    await box.settle()
    view = box.fake.open_views_for(user)[-1]
    form = {**GOOD_FORM, "title": title, "quarter": current_quarter()}
    assert (await box.slack.submit_view(user, view["id"], form)).json() == {}
    await box.settle()
    async with box.uow() as uow:
        found = await uow.session.scalar(select(Objective.id).where(Objective.title == title))
    assert found is not None
    return int(found)


async def _open_view(box: Sandbox, user: str, opened_by: Any) -> dict[str, Any]:
    """The modal that `opened_by` (a request to the in-process app) opens for `user`."""
    before = len(box.fake.open_views_for(user))
    await opened_by
    await box.settle()
    views = box.fake.open_views_for(user)
    assert len(views) == before + 1
    return views[-1]


async def _objective(box: Sandbox, title: str) -> Objective:
    async with box.uow() as uow:
        found = await uow.session.scalar(select(Objective).where(Objective.title == title))
    assert found is not None
    return found


async def _approvals(box: Sandbox, title: str) -> list[tuple[int, str, str, str | None]]:
    async with box.uow() as uow:
        rows = await uow.session.scalars(
            select(Approval)
            .join(Objective, Objective.id == Approval.objective_id)
            .where(Objective.title == title)
            .order_by(Approval.id)
        )
        return [(a.version, a.stage, a.outcome, a.reason) for a in rows]


async def _checkins_of(box: Sandbox, person: str) -> int:
    async with box.uow() as uow:
        count = await uow.session.scalar(
            select(func.count()).select_from(CheckIn).where(CheckIn.author_id == person)
        )
    return int(count or 0)


async def _settled(box: Sandbox) -> bool:
    return await unsent(box) == 0


async def _is(value: Awaitable[object], expected: object) -> bool:
    return await value == expected


async def _until_all(
    conditions: dict[str, Callable[[], Awaitable[bool]]], context: str, okrbot: Okrbot
) -> None:
    """Wait, up to RECOVERY_TIMEOUT, for every condition; fail naming those that never held."""
    missing: list[str] = []

    async def all_hold() -> bool:
        missing[:] = [name for name, holds in conditions.items() if not await holds()]
        return not missing

    try:
        await eventually(all_hold, "everything is recovered", RECOVERY_TIMEOUT, watch=[okrbot])
    except AssertionError as failure:
        raise AssertionError(
            f"not recovered after the restart: {missing} ({context})\n{okrbot.output()}"
        ) from failure


async def _quiet_for_a_while(okrbot: Okrbot) -> None:
    """Three more ticks of its timer: anything about to be done twice has had its chance."""
    ticks = okrbot.ticks()
    await eventually(
        lambda: okrbot.ticks() >= ticks + 3, f"{okrbot.name} ticked three times", watch=[okrbot]
    )


# --------------------------------------------------------------------------- killed after the 200


async def test_each_kind_of_click_and_submission_killed_after_its_answer_applies_once(
    database_url: str, tmp_path: Path
) -> None:
    box = Sandbox(database_url, clock=WallClock(), timezone=ZONE)
    async with box:
        await box.import_org()
        [scorer, checker] = await seed_company(
            box, 2, quarter=current_quarter(), tz=ZONE, published=box.clock()
        )
        # Each case brought to the moment before its request, by the in-process app.
        await _submit(box, AUTHOR.id, "Manager approves")
        await _submit(box, AUTHOR.id, "CEO approves")
        await box.slack.click(
            MANAGER.id, _open_request(box, MANAGER.id, "CEO approves"), ids.APPROVE
        )
        await box.settle()
        await _submit(box, COLLEAGUE.id, "Manager rejects")
        reject_view = await _open_view(
            box,
            MANAGER.id,
            box.slack.click(
                MANAGER.id, _open_request(box, MANAGER.id, "Manager rejects"), ids.REJECT
            ),
        )
        withdrawn = await _submit(box, COLLEAGUE.id, "Author withdraws")
        await _submit(box, AUTHOR.id, "Author resubmits")
        first_reject = await _open_view(
            box,
            MANAGER.id,
            box.slack.click(
                MANAGER.id, _open_request(box, MANAGER.id, "Author resubmits"), ids.REJECT
            ),
        )
        await box.slack.submit_view(MANAGER.id, first_reject["id"], {"reason": REASON})
        await box.settle()
        [notice] = _dms_about(box, AUTHOR.id, "Author resubmits", "rejected")
        resubmit_view = await _open_view(
            box, AUTHOR.id, box.slack.click(AUTHOR.id, notice, ids.RESUBMIT)
        )
        score_view = await _open_view(box, scorer, box.slack.slash(scorer, "score"))
        checkin_view = await _open_view(box, checker, box.slack.slash(checker, "checkin"))
        scores = {b["block_id"]: "0.8" for b in score_view["blocks"] if b["type"] == "input"}
        values = {
            b["block_id"]: "30"
            for b in checkin_view["blocks"]
            if str(b.get("block_id", "")).startswith("kr_")
        }
        ceo_request = _open_request(box, CEO.id, "CEO approves")
        manager_request = _open_request(box, MANAGER.id, "Manager approves")

        async with Processes(tmp_path) as processes:
            env = recovering_env(tmp_path, box.fake, database_url)
            first = await processes.serve("first", env, box.fake)
            await processes.ready(first)
            slack = first.slack
            answers: list[Response] = list(
                await asyncio.gather(
                    slack.click(MANAGER.id, manager_request, ids.APPROVE),
                    slack.click(CEO.id, ceo_request, ids.APPROVE),
                    slack.submit_view(MANAGER.id, reject_view["id"], {"reason": REASON}),
                    slack.slash(COLLEAGUE.id, f"withdraw {withdrawn}"),
                    slack.submit_view(AUTHOR.id, resubmit_view["id"], {"kr1_target": "75"}),
                    slack.submit_view(scorer, score_view["id"], scores),
                    slack.submit_view(checker, checkin_view["id"], values),
                )
            )
            await first.killed()
            assert [a.status for a in answers] == [200] * len(answers)
            # What the kill interrupted, for the failure message: whichever way the race
            # went, the assertions below hold.
            at_kill = {
                title: (await _objective(box, title)).status
                for title in (
                    "Manager approves",
                    "CEO approves",
                    "Manager rejects",
                    "Author withdraws",
                    "Author resubmits",
                )
            }
            at_kill["check-ins"] = str(await check_in_count(box))

            second = await processes.serve("second", env, box.fake)
            await processes.ready(second)

            async def checkins() -> int:
                return await _checkins_of(box, checker)

            async def status(title: str) -> str:
                return (await _objective(box, title)).status

            async def version(title: str) -> int:
                return (await _objective(box, title)).version

            await _until_all(
                {
                    "the manager's approval": lambda: _is(
                        status("Manager approves"), Status.AWAITING_CEO
                    ),
                    "the CEO's approval": lambda: _is(status("CEO approves"), Status.APPROVED),
                    "the rejection": lambda: _is(status("Manager rejects"), Status.REJECTED),
                    "the withdrawal": lambda: _is(status("Author withdraws"), Status.WITHDRAWN),
                    "the resubmission": lambda: _is(version("Author resubmits"), 2),
                    "the check-in": lambda: _is(checkins(), 1),
                    "the outbox": lambda: _settled(box),
                },
                f"at the kill: {at_kill}",
                second,
            )
            await _quiet_for_a_while(second)
            assert await stop_within_grace(second) == 0, second.output()

        # The manager's approval: the CEO asked once, the author told once.
        [manager_dm] = _dms_about(box, MANAGER.id, "Manager approves")
        assert _decided(manager_dm)
        assert len(_dms_about(box, CEO.id, "Manager approves")) == 1
        assert len(_dms_about(box, AUTHOR.id, "Manager approves", "now waits for")) == 1
        assert await _approvals(box, "Manager approves") == [
            (1, "manager", "approved", None),
            (1, "ceo", "pending", None),
        ]
        # The CEO's: published once, the author told once.
        [ceo_dm] = _dms_about(box, CEO.id, "CEO approves")
        assert _decided(ceo_dm)
        assert len(published(box, "CEO approves")) == 1
        assert len(_dms_about(box, AUTHOR.id, "CEO approves", "approved and published")) == 1
        # The rejection with its reason: the author told once, with the reason.
        [rejected_dm] = _dms_about(box, MANAGER.id, "Manager rejects")
        assert _decided(rejected_dm)
        [told] = _dms_about(box, COLLEAGUE.id, "Manager rejects", "rejected")
        assert button_values(told) == [ids.RESUBMIT]
        assert (await _approvals(box, "Manager rejects"))[-1] == (1, "manager", "rejected", REASON)
        # The withdrawal: the manager's request lost its buttons.
        [withdrawn_dm] = _dms_about(box, MANAGER.id, "Author withdraws")
        assert not button_values(withdrawn_dm)
        # The resubmission: one new request, with buttons, to the manager.
        assert (
            len([m for m in _dms_about(box, MANAGER.id, "Author resubmits") if button_values(m)])
            == 1
        )
        assert (await _objective(box, "Author resubmits")).status == Status.AWAITING_MANAGER
        assert [a[:3] for a in await _approvals(box, "Author resubmits")] == [
            (1, "manager", "rejected"),
            (2, "manager", "pending"),
        ]
        # The score and the check-in: stored once.
        async with box.uow() as uow:
            score = await uow.session.scalar(
                select(Objective.score).where(Objective.owner_id == scorer)
            )
        assert score == 0.8
        assert await _checkins_of(box, checker) == 1
        outputs = first.output() + second.output()
        assert "Traceback" not in second.output(), outputs
        assert box.fake.violations == []


# --------------------------------------------------------------------------- outbox in flight


async def test_each_kind_of_outbox_message_in_flight_at_a_kill_is_sent_once(
    database_url: str, tmp_path: Path
) -> None:
    """Posted, but the answer never heard: an approval request, the author's updates and
    a publication in one life, a problem report in the next."""
    box = Sandbox(database_url, clock=WallClock(), timezone=ZONE)
    async with box:
        await box.import_org()
        await _submit(box, AUTHOR.id, "Published at the kill")
        await box.slack.click(
            MANAGER.id, _open_request(box, MANAGER.id, "Published at the kill"), ids.APPROVE
        )
        await box.settle()
        await _submit(box, COLLEAGUE.id, "Rejected at the kill")
        reject_view = await _open_view(
            box,
            MANAGER.id,
            box.slack.click(
                MANAGER.id, _open_request(box, MANAGER.id, "Rejected at the kill"), ids.REJECT
            ),
        )
        new_view = await _open_view(box, AUTHOR.id, box.slack.slash(AUTHOR.id, "new"))
        problem_view = await _open_view(box, AUTHOR.id, box.slack.slash(AUTHOR.id, "new"))
        ceo_request = _open_request(box, CEO.id, "Published at the kill")
        form = {**GOOD_FORM, "quarter": current_quarter()}

        async with Processes(tmp_path) as processes:
            env = recovering_env(tmp_path, box.fake, database_url)
            first = await processes.serve("first", env, box.fake)
            await processes.ready(first)
            # The request and "submitted" for the new objective, the rejection's notice,
            # the publication and the author's "published": five posts, none answered.
            in_flight = 5
            box.fake.delay_next("chat.postMessage", HELD_SECONDS, times=in_flight)
            answers = await asyncio.gather(
                first.slack.submit_view(
                    AUTHOR.id, new_view["id"], {**form, "title": "Requested at the kill"}
                ),
                first.slack.submit_view(MANAGER.id, reject_view["id"], {"reason": REASON}),
                first.slack.click(CEO.id, ceo_request, ids.APPROVE),
            )
            assert [a.status for a in answers] == [200] * 3
            await eventually(
                lambda: len(box.fake.held) == in_flight, "five posts are in flight", watch=[first]
            )
            await first.killed()
            box.fake.release_held()

            second = await processes.serve("second", env, box.fake)
            await processes.ready(second)
            await _until_all({"the outbox": lambda: _settled(box)}, "after the kill", second)

            # A problem report: the manager has left, so the author is told.
            box.fake.users[MANAGER.id].deleted = True
            kill_when(
                box.fake,
                second,
                lambda method: bool(
                    [m for m in box.fake.dms_to(AUTHOR.id) if "could not send" in m.text]
                ),
            )
            answer = await second.slack.submit_view(
                AUTHOR.id, problem_view["id"], {**form, "title": "Reported at the kill"}
            )
            assert answer.status == 200
            await eventually(
                lambda: second.returncode is not None, "killed with the report in flight"
            )

            third = await processes.serve("third", env, box.fake)
            await processes.ready(third)
            await _until_all({"the outbox": lambda: _settled(box)}, "after the kill", third)
            await _quiet_for_a_while(third)
            assert await stop_within_grace(third) == 0, third.output()

        assert len(_dms_about(box, MANAGER.id, "Requested at the kill")) == 1
        assert len(_dms_about(box, AUTHOR.id, "Requested at the kill", "Submitted")) == 1
        assert len(_dms_about(box, COLLEAGUE.id, "Rejected at the kill", "rejected")) == 1
        assert len(published(box, "Published at the kill")) == 1
        assert (
            len(_dms_about(box, AUTHOR.id, "Published at the kill", "approved and published")) == 1
        )
        assert len([m for m in box.fake.dms_to(AUTHOR.id) if "could not send" in m.text]) == 1
        assert box.fake.violations == []


# --------------------------------------------------------------------------- fan-out and digest


async def test_a_fanout_and_a_digest_killed_half_way_are_finished_once_by_the_next_server(
    database_url: str, tmp_path: Path
) -> None:
    box = Sandbox(database_url, clock=WallClock(), timezone=ZONE)
    async with box:
        await box.import_org()
        owners = await seed_company(
            box, 30, quarter=current_quarter(), tz=ZONE, published=box.clock()
        )
        moment = just_passed(ZONE)
        env = recovering_env(
            tmp_path,
            box.fake,
            database_url,
            OKRBOT_CHECKIN_AT=moment,
            OKRBOT_REMINDER_AT=moment,
            OKRBOT_DIGEST_AT=moment,
        )

        def prompted() -> list[str]:
            return [owner for owner in owners if prompts_to(box, owner)]

        def replies() -> list[Message]:
            parents = {m.ts for m in digests(box)}
            return [m for m in box.fake.channel_messages(CHANNEL) if m.thread_ts in parents]

        async with Processes(tmp_path) as processes:
            first = await processes.serve("first", env, box.fake)
            kill_when(box.fake, first, lambda method: len(prompted()) >= 5)
            await processes.ready(first)
            await eventually(lambda: first.returncode is not None, "killed mid fan-out")
            reached = len(prompted())
            assert 5 <= reached < len(owners)

            second = await processes.serve("second", env, box.fake)
            kill_when(box.fake, second, lambda method: bool(digests(box) and replies()))
            await processes.ready(second)
            await eventually(
                lambda: second.returncode is not None,
                "killed mid digest thread",
                RECOVERY_TIMEOUT,
            )
            assert len(digests(box)) == 1

            third = await processes.serve("third", env, box.fake)
            await processes.ready(third)

            async def weekly_done() -> bool:
                _runs, open_digests, unsettled = await weekly_state(box)
                return len(prompted()) == len(owners) and (open_digests, unsettled) == (0, 0)

            await _until_all(
                {"the fan-out and the digest": weekly_done},
                f"{reached} prompted at the first kill",
                third,
            )
            await _quiet_for_a_while(third)
            assert await stop_within_grace(third) == 0, third.output()

        assert {owner: len(prompts_to(box, owner)) for owner in owners} == dict.fromkeys(owners, 1)
        [digest] = digests(box)
        top_level = [m for m in box.fake.channel_messages(CHANNEL) if m.thread_ts is None]
        assert top_level == [digest]
        async with box.uow() as uow:
            parts = await uow.session.scalar(
                select(func.count())
                .select_from(Delivery)
                .join(JobRun, JobRun.id == Delivery.job_run_id)
                .where(
                    JobRun.job == Job.DIGEST.value,
                    Delivery.recipient.startswith("part-"),
                    Delivery.sent_at.is_not(None),
                )
            )
        thread = replies()
        # Every part once, in the thread; the chart (which carries no marker, and whose
        # uploader may have died as Slack took it) at most once.
        marked = [m for m in thread if m.metadata]
        assert len(marked) == int(parts or 0) - 1 > 0
        assert len(thread) - len(marked) <= 1
        assert len({(m.text, tuple(m.files)) for m in thread}) == len(thread)
        assert box.fake.violations == []


# --------------------------------------------------------------------------- Slack answering badly


# SQLite only: each of these answers is taken through the outbox in process on both
# databases by tests/slack/test_once.py, and the outbox's SQL after a kill by the in-flight
# case above; what this case adds is a real process and Slack's answers in real time.
@pytest.mark.one_database
async def test_each_kind_of_send_answered_late_or_ambiguously_is_sent_once(
    database_url: str, tmp_path: Path
) -> None:
    """Slack performs the post and then answers too late, with a 503, with fatal_error or
    not at all: each message is in Slack once, whatever okrbot concluded."""
    box = Sandbox(database_url, clock=WallClock(), timezone=ZONE)
    async with box:
        await box.import_org()
        await _submit(box, AUTHOR.id, "Published after a fatal error")
        await box.slack.click(
            MANAGER.id,
            _open_request(box, MANAGER.id, "Published after a fatal error"),
            ids.APPROVE,
        )
        await box.settle()
        await _submit(box, COLLEAGUE.id, "Rejected after a 503")
        reject_view = await _open_view(
            box,
            MANAGER.id,
            box.slack.click(
                MANAGER.id, _open_request(box, MANAGER.id, "Rejected after a 503"), ids.REJECT
            ),
        )
        late_view = await _open_view(box, AUTHOR.id, box.slack.slash(AUTHOR.id, "new"))
        dropped_view = await _open_view(box, COLLEAGUE.id, box.slack.slash(COLLEAGUE.id, "new"))
        ceo_request = _open_request(box, CEO.id, "Published after a fatal error")
        form = {**GOOD_FORM, "quarter": current_quarter()}

        async with Processes(tmp_path) as processes:
            okrbot = await processes.serve(
                "a", recovering_env(tmp_path, box.fake, database_url), box.fake
            )
            await processes.ready(okrbot)
            slack = okrbot.slack
            # One at a time, so that each fault lands on the send it is meant for.
            box.fake.delay_next("chat.postMessage", LATE_SECONDS)
            await slack.submit_view(AUTHOR.id, late_view["id"], {**form, "title": "Requested late"})
            await eventually(
                lambda: bool(_dms_about(box, MANAGER.id, "Requested late")), "posted late"
            )
            box.fake.perform_then("chat.postMessage", "http_503")
            await slack.submit_view(MANAGER.id, reject_view["id"], {"reason": REASON})
            await eventually(
                lambda: bool(_dms_about(box, COLLEAGUE.id, "Rejected after a 503", "rejected")),
                "posted before a 503",
            )
            box.fake.perform_then("chat.postMessage", "fatal_error")
            await slack.click(CEO.id, ceo_request, ids.APPROVE)
            await eventually(
                lambda: len(box.fake.performed_unanswered) >= 2, "posted before a fatal error"
            )
            box.fake.perform_then("chat.postMessage", "drop")
            await slack.submit_view(
                COLLEAGUE.id, dropped_view["id"], {**form, "title": "Requested, then dropped"}
            )
            await eventually(
                lambda: bool(_dms_about(box, MANAGER.id, "Requested, then dropped")),
                "posted before the connection dropped",
            )
            await _until_all({"the outbox": lambda: _settled(box)}, "after bad answers", okrbot)
            await _quiet_for_a_while(okrbot)
            assert await stop_within_grace(okrbot) == 0, okrbot.output()

        assert box.fake.performed_unanswered == ["chat.postMessage"] * 3
        assert len(_dms_about(box, MANAGER.id, "Requested late")) == 1
        assert len(_dms_about(box, AUTHOR.id, "Requested late", "Submitted")) == 1
        assert len(_dms_about(box, COLLEAGUE.id, "Rejected after a 503", "rejected")) == 1
        assert len(published(box, "Published after a fatal error")) == 1
        assert (
            len(
                _dms_about(
                    box, AUTHOR.id, "Published after a fatal error", "approved and published"
                )
            )
            == 1
        )
        assert len(_dms_about(box, MANAGER.id, "Requested, then dropped")) == 1
        assert len(_dms_about(box, COLLEAGUE.id, "Requested, then dropped", "Submitted")) == 1
        assert box.fake.violations == []
