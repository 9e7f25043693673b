"""The check-in form is answered once it is in the inbox, and stored from there right after:
exactly once, after a crash too, and never past what the database's rules allow."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update

from okrbot.background import Answers, Background
from okrbot.domain.checkin import Bounds
from okrbot.domain.okr import Status
from okrbot.services.inbox import GRACE, MAX_TRIES, RETRY_AFTER
from okrbot.slack import ids
from okrbot.slack.blocks.common import PageState
from okrbot.store.models import CheckIn, CheckInValue, InboxCheckIn, KeyResult, Objective
from tests.slack.weekly_helpers import check_in_count, seed_company
from tests.support.sandbox import Sandbox, crash_and_restart

NOT_SAVED = "could not save your check-in"


async def open_checkin(box: Sandbox, person: str) -> dict[str, Any]:
    await box.slack.slash(person, "checkin")
    await box.settle()
    view = box.fake.open_views_for(person)[-1]
    assert view["callback_id"] == ids.CHECKIN_VIEW
    return view


def value_blocks(view: dict[str, Any]) -> list[str]:
    return [b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("kr_")]


def confidence_block(view: dict[str, Any]) -> str:
    return next(b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("conf_"))


async def inbox_count(box: Sandbox) -> int:
    async with box.uow() as uow:
        return await uow.inbox.count()


async def stored_values(box: Sandbox) -> list[float]:
    async with box.uow() as uow:
        rows = await uow.session.scalars(select(CheckInValue.value).order_by(CheckInValue.id))
        return list(rows.all())


@contextmanager
def inbox_inserts(box: Sandbox) -> Iterator[list[str]]:
    """Every INSERT into the inbox the app runs meanwhile."""
    seen: list[str] = []

    def note(statement: str) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO CHECK_IN_INBOX"):
            seen.append(statement)

    with box.bot.uow.watching(note):
        yield seen


def not_saved_dms(box: Sandbox, person: str) -> list[str]:
    return [m.text for m in box.fake.dms_to(person) if NOT_SAVED in m.text]


async def test_a_valid_check_in_is_answered_then_stored_once(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, krs=2)
    view = await open_checkin(box, person)
    krs = value_blocks(view)
    with inbox_inserts(box) as inserts:
        response = await box.slack.submit_view(
            person, view["id"], {krs[0]: "40", krs[1]: "12.5", confidence_block(view): "at_risk"}
        )
    assert response.status == 200
    assert response.json() == {}
    assert len(inserts) == 1
    await box.settle()

    assert await check_in_count(box) == 1
    assert await stored_values(box) == [40.0, 12.5]
    assert await inbox_count(box) == 0
    async with box.uow() as uow:
        check_in = await uow.session.scalar(select(CheckIn))
    assert check_in is not None
    assert check_in.confidence == "at_risk"
    assert check_in.created_at == box.clock()
    # What storing queued went out: the Home shows the new progress.
    home = box.fake.home_view(person)
    assert home is not None
    assert "At risk" in json.dumps(home)


async def test_an_invalid_value_is_refused_in_the_answer_and_nothing_is_queued(
    box: Sandbox,
) -> None:
    [person] = await seed_company(box, 1, krs=2)
    view = await open_checkin(box, person)
    krs = value_blocks(view)
    with inbox_inserts(box) as inserts:
        response = await box.slack.submit_view(person, view["id"], {krs[0]: "abc", krs[1]: "1e9"})
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == set(krs)
    assert "far outside" in body["errors"][krs[1]]
    assert inserts == []
    await box.settle()
    assert await inbox_count(box) == 0
    assert await check_in_count(box) == 0


async def test_a_crash_after_the_answer_is_stored_later_exactly_once(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, krs=2)
    view = await open_checkin(box, person)
    krs = value_blocks(view)
    # Work after the answer never gets a turn before the crash.
    stalled = Background(concurrency=0)
    box.bot.deps.background = stalled
    response = await box.slack.submit_view(person, view["id"], {krs[0]: "30", krs[1]: "7"})
    assert response.json() == {}
    assert await inbox_count(box) == 1
    assert await check_in_count(box) == 0
    stalled.abandon()
    await stalled.drain()
    await box.crash()
    await box.restart()

    # Too young: the process that answered may still be storing it.
    assert await box.bot.recover_inbox() == 0
    assert await check_in_count(box) == 0
    box.clock.advance(seconds=GRACE.total_seconds() + 1)
    assert await box.bot.recover_inbox() == 1
    assert await box.bot.recover_inbox() == 0
    await box.settle()
    assert await check_in_count(box) == 1
    assert await stored_values(box) == [30.0, 7.0]
    assert await inbox_count(box) == 0


async def test_two_processes_storing_the_same_row_store_it_once(
    box: Sandbox, database_url: str
) -> None:
    [person] = await seed_company(box, 1, krs=2)
    view = await open_checkin(box, person)
    box.bot.deps.background = stalled = Background(concurrency=0)
    assert (await box.slack.submit_view(person, view["id"], {})).json() == {}
    stalled.abandon()
    await stalled.drain()
    box.clock.advance(seconds=GRACE.total_seconds() + 1)
    other = Sandbox(database_url, clock=box.clock)
    async with other:
        done = await asyncio.gather(box.bot.recover_inbox(), other.bot.recover_inbox())
    assert sorted(done) == [0, 1]
    assert await check_in_count(box) == 1
    assert await inbox_count(box) == 0


@pytest.mark.parametrize("change", ["withdrawn", "key result removed"])
async def test_an_objective_changed_after_the_form_opened_is_not_stored_and_the_person_told(
    box: Sandbox, change: str
) -> None:
    [person] = await seed_company(box, 1, krs=3)
    view = await open_checkin(box, person)
    async with box.uow(readonly=False) as uow:
        if change == "withdrawn":
            await uow.session.execute(
                update(Objective).values(status=Status.WITHDRAWN.value, withdrawn_at=box.clock())
            )
        else:
            last = await uow.session.scalar(select(func.max(KeyResult.id)))
            await uow.session.execute(
                update(KeyResult).where(KeyResult.id == last).values(retired_at=box.clock())
            )
        await uow.commit()

    response = await box.slack.submit_view(person, view["id"], {})
    assert response.json() == {}
    await box.settle()
    assert await check_in_count(box) == 0
    assert await inbox_count(box) == 0
    [told] = not_saved_dms(box, person)
    assert "/okr checkin" in told


async def test_forged_wider_bounds_store_nothing_the_database_refuses(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, krs=2)
    view = await open_checkin(box, person)
    krs = value_blocks(view)
    state = PageState.decode(view["private_metadata"])
    [objective_id] = state.ids
    wide = {objective_id: tuple(Bounds(kr.kr_id, -1e12, 1e12) for kr in state.bounds[objective_id])}
    forged = PageState(state.ids, (), wide).encode()
    # 1e9 from a start of 0 towards 100 is a typo by the database's rules, not the form's.
    response = await box.slack.submit_view(
        person, view["id"], {krs[0]: "1e9", krs[1]: "50"}, private_metadata=forged
    )
    assert response.json() == {}
    await box.settle()
    assert await check_in_count(box) == 0
    assert await stored_values(box) == []
    assert await inbox_count(box) == 0
    assert len(not_saved_dms(box, person)) == 1


async def test_forged_bounds_for_someone_elses_objective_store_nothing(box: Sandbox) -> None:
    mine, theirs = await seed_company(box, 2, krs=2)
    view = await open_checkin(box, mine)
    their_view = await open_checkin(box, theirs)
    response = await box.slack.submit_view(
        mine,
        view["id"],
        {},
        raw_state={
            block: {ids.VALUE: {"type": "number_input", "value": "50"}}
            for block in value_blocks(their_view)
        }
        | {
            confidence_block(their_view): {
                ids.VALUE: {"type": "static_select", "selected_option": {"value": "on_track"}}
            }
        },
        private_metadata=their_view["private_metadata"],
    )
    assert response.json() == {}
    await box.settle()
    assert await check_in_count(box) == 0
    assert await inbox_count(box) == 0
    assert len(not_saved_dms(box, mine)) == 1
    assert not_saved_dms(box, theirs) == []


async def test_concurrent_answers_share_inbox_commits(box: Sandbox) -> None:
    people = await seed_company(box, 20, krs=2)
    views = [await open_checkin(box, person) for person in people]
    with inbox_inserts(box) as inserts:
        responses = await asyncio.gather(
            *(
                box.slack.submit_view(
                    person, view["id"], {value_blocks(view)[0]: str(n), value_blocks(view)[1]: "1"}
                )
                for n, (person, view) in enumerate(zip(people, views, strict=True))
            )
        )
        await box.settle()
    assert [r.json() for r in responses] == [{}] * 20
    # Several answers to a commit: fewer INSERTs (each one transaction) than answers.
    assert 1 <= len(inserts) < 20
    assert await check_in_count(box) == 20
    assert await inbox_count(box) == 0
    async with box.uow() as uow:
        authors = await uow.session.scalars(select(CheckIn.author_id))
        assert sorted(authors.all()) == sorted(people)
    assert sorted(await stored_values(box)) == sorted([float(n) for n in range(20)] + [1.0] * 20)


async def test_when_the_inbox_cannot_be_written_the_answer_says_sorry(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, krs=2)
    view = await open_checkin(box, person)
    async with box.uow(readonly=False) as uow:
        await uow.session.execute(text("DROP TABLE check_in_inbox"))
        await uow.commit()
    responses = await asyncio.gather(
        *(box.slack.submit_view(person, view["id"], {}) for _ in range(3))
    )
    for response in responses:
        body = response.json()
        assert body["response_action"] == "errors"
        assert "Sorry" in " ".join(body["errors"].values())
    assert await check_in_count(box) == 0


async def test_a_form_opened_before_the_bounds_were_carried_is_stored_before_the_answer(
    box: Sandbox,
) -> None:
    [person] = await seed_company(box, 1, krs=2)
    view = await open_checkin(box, person)
    old = json.dumps({"ids": PageState.decode(view["private_metadata"]).ids, "rest": []})
    box.bot.deps.background = Background(concurrency=0)
    response = await box.slack.submit_view(person, view["id"], {}, private_metadata=old)
    assert response.json() == {}
    assert await check_in_count(box) == 1
    assert await inbox_count(box) == 0


async def test_inbox_rows_keep_only_the_forms_fields(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, krs=2)
    view = await open_checkin(box, person)
    box.bot.deps.background = stalled = Background(concurrency=0)
    await box.slack.submit_view(person, view["id"], {})
    async with box.uow() as uow:
        [row] = (await uow.session.scalars(select(InboxCheckIn))).all()
    stalled.abandon()
    await stalled.drain()
    [objective_id] = PageState.decode(view["private_metadata"]).ids
    assert set(row.fields) == {*value_blocks(view), f"conf_{objective_id}", f"note_{objective_id}"}
    assert row.user_id == person
    assert row.received_at == box.clock()


class CountingBackground(Background):
    """Background work as the app runs it (giving way to the same answers), counting the
    pieces queued."""

    def __init__(self, answers: Answers) -> None:
        super().__init__(answers=answers)
        self.spawned = 0

    def spawn(self, work: Any, **kwargs: Any) -> asyncio.Task[None]:
        self.spawned += 1
        return super().spawn(work, **kwargs)


async def test_a_burst_of_answers_is_stored_by_one_piece_of_work(box: Sandbox) -> None:
    people = await seed_company(box, 20, krs=2)
    views = [await open_checkin(box, person) for person in people]
    box.bot.deps.background = counting = CountingBackground(box.bot.background.answers)
    # Answers first: nothing after them starts while they come in.
    with box.bot.background.answers.answering():
        responses = await asyncio.gather(
            *(
                box.slack.submit_view(person, view["id"], {value_blocks(view)[0]: str(n)})
                for n, (person, view) in enumerate(zip(people, views, strict=True))
            )
        )
        assert [r.json() for r in responses] == [{}] * 20
        assert await inbox_count(box) == 20
        # One piece of work queued for all twenty, not one each (the delivery it starts
        # after storing comes later).
        assert counting.spawned == 1
    await counting.drain()
    await box.settle()
    assert await check_in_count(box) == 20
    assert await inbox_count(box) == 0
    # Each stored check-in refreshed its author's Home.
    assert all(box.fake.home_view(person) is not None for person in people)


async def test_work_cancelled_before_it_started_leaves_nothing_waiting_for_recovery(
    box: Sandbox,
) -> None:
    first, second = await seed_company(box, 2, krs=2)
    first_view, second_view = await open_checkin(box, first), await open_checkin(box, second)
    # The piece of work queued for the first answer never starts (a crash would cancel it).
    box.bot.deps.background = stalled = Background(concurrency=0)
    assert (await box.slack.submit_view(first, first_view["id"], {})).json() == {}
    stalled.abandon()
    await stalled.drain()
    box.bot.deps.background = box.bot.background
    # The next answer queues a new piece of work, which takes both rows: no wait for the
    # sweeper's grace period.
    assert (await box.slack.submit_view(second, second_view["id"], {})).json() == {}
    await box.bot.background.drain()
    assert await check_in_count(box) == 2
    assert await inbox_count(box) == 0


FAILED_TEXT = "Please check in again"


def failed_dms(box: Sandbox, person: str) -> list[str]:
    return [m.text for m in box.fake.dms_to(person) if FAILED_TEXT in m.text]


def comment_block(view: dict[str, Any]) -> str:
    return next(b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("note_"))


async def test_the_same_submission_delivered_three_times_is_one_check_in(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, krs=2)
    view = await open_checkin(box, person)
    krs = value_blocks(view)
    response = await box.slack.submit_view(person, view["id"], {krs[0]: "30", krs[1]: "7"})
    assert response.json() == {}
    # Once while the first waits in the inbox, once after it was stored.
    assert (await box.slack.replay()).json() == {}
    await box.settle()
    assert (await box.slack.replay()).json() == {}
    await box.settle()
    assert await check_in_count(box) == 1
    assert await stored_values(box) == [30.0, 7.0]
    assert await inbox_count(box) == 0
    assert not_saved_dms(box, person) == []
    async with box.uow() as uow:
        check_in = await uow.session.scalar(select(CheckIn))
    assert check_in is not None
    assert check_in.submission_key is not None
    assert check_in.submission_key.startswith(view["id"])


async def test_what_no_database_can_store_is_left_out_of_the_comment(box: Sandbox) -> None:
    [person] = await seed_company(box, 1, krs=2)
    view = await open_checkin(box, person)
    krs = value_blocks(view)
    comment = "nul\x00 and a lone \ud800surrogate, and \U0001f680 kept"
    response = await box.slack.submit_view(
        person, view["id"], {krs[0]: "30", krs[1]: "7", comment_block(view): comment}
    )
    assert response.json() == {}
    await box.settle()
    async with box.uow() as uow:
        check_in = await uow.session.scalar(select(CheckIn))
    assert check_in is not None
    assert check_in.comment == "nul and a lone surrogate, and \U0001f680 kept"


async def _poisoned_rows(box: Sandbox, person: str, count: int) -> list[str]:
    """Rows as an older okrbot (one that kept what it was sent) left them: a comment with
    a lone surrogate, which neither database can store in a check-in."""
    view = await open_checkin(box, person)
    krs = value_blocks(view)
    stalled = Background(concurrency=0)
    real = box.bot.deps.background
    box.bot.deps.background = stalled
    await box.slack.submit_view(person, view["id"], {krs[0]: "30", krs[1]: "7"})
    stalled.abandon()
    await stalled.drain()
    box.bot.deps.background = real
    async with box.uow(readonly=False) as uow:
        [template] = (await uow.session.scalars(select(InboxCheckIn))).all()
        rows = []
        for n in range(count):
            fields = dict(template.fields)
            fields[comment_block(view)] = "broken \ud800"
            rows.append(
                {
                    "id": f"{n:032d}",
                    "workspace_id": template.workspace_id,
                    "user_id": template.user_id,
                    "objectives": template.objectives,
                    "fields": fields,
                    "received_at": template.received_at,
                    "submission_key": f"poisoned-{n}",
                    "tries": 0,
                }
            )
        await uow.session.execute(delete(InboxCheckIn))
        await uow.inbox.add_all(rows)
        await uow.commit()
    return [row["id"] for row in rows]


async def test_a_row_that_cannot_be_stored_is_put_aside_after_its_tries_and_the_person_told(
    box: Sandbox,
) -> None:
    [person] = await seed_company(box, 1, krs=2)
    await _poisoned_rows(box, person, 1)
    for tries in range(1, MAX_TRIES + 1):
        box.clock.advance(seconds=RETRY_AFTER.total_seconds() + 1)
        assert await box.bot.recover_inbox() == (1 if tries == MAX_TRIES else 0)
        async with box.uow() as uow:
            [row] = (await uow.session.scalars(select(InboxCheckIn))).all()
        assert row.tries == tries
        assert row.reason is not None
    assert row.dead_at is not None
    await box.settle()
    assert await check_in_count(box) == 0
    assert await inbox_count(box) == 0
    assert len(failed_dms(box, person)) == 1
    # Dead rows are never tried again, nor told again.
    box.clock.advance(hours=1)
    assert await box.bot.recover_inbox() == 0
    await box.settle()
    async with box.uow() as uow:
        assert len(await uow.inbox.dead()) == 1
    assert len(failed_dms(box, person)) == 1


async def test_broken_rows_never_hold_back_a_good_one(box: Sandbox) -> None:
    poisoned, genuine = await seed_company(box, 2, krs=2)
    await _poisoned_rows(box, poisoned, 60)
    # A good row a crash left behind, younger than all of them.
    view = await open_checkin(box, genuine)
    krs = value_blocks(view)
    stalled = Background(concurrency=0)
    box.bot.deps.background = stalled
    await box.slack.submit_view(genuine, view["id"], {krs[0]: "30", krs[1]: "7"})
    await crash_and_restart(box, stalled)
    box.clock.advance(seconds=GRACE.total_seconds() + 1)

    assert await box.bot.recover_inbox() == 1
    assert await check_in_count(box) == 1
    assert await inbox_count(box) == 60
    for _ in range(MAX_TRIES - 1):
        box.clock.advance(seconds=RETRY_AFTER.total_seconds() + 1)
        await box.bot.recover_inbox()
    await box.settle()
    assert await inbox_count(box) == 0
    assert len(failed_dms(box, poisoned)) == 60
    assert failed_dms(box, genuine) == []
