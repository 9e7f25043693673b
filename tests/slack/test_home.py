"""The App Home tab, driven as Slack drives it: an app_home_opened event in, views.publish
out, and the Home's own buttons clicked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select, update

from okrbot.domain.okr import Level, Status
from okrbot.domain.workflow import Outcome, Stage
from okrbot.sandbox.harness import AUTHOR, CEO, CHANNEL, COLLEAGUE, MANAGER, NEWCOMER
from okrbot.services.home import load_home
from okrbot.slack import ids
from okrbot.store.models import Approval, Person
from tests.slack.helpers import GOOD_FORM, objectives, requests_to, submit_objective
from tests.slack.weekly_helpers import seed_company
from tests.support import seed
from tests.support.sandbox import Sandbox

Json = dict[str, Any]


def home(box: Sandbox, user: str) -> Json:
    view = box.fake.home_view(user)
    assert view is not None, f"no Home was published for {user}"
    assert view["type"] == "home"
    return view


def text_of(view: Json) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def headers(view: Json) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]


def buttons(view: Json) -> list[tuple[str, str]]:
    found = []
    for block in view["blocks"]:
        elements = block.get("elements", []) if block["type"] == "actions" else []
        if "accessory" in block:
            elements = [block["accessory"]]
        found += [(e["action_id"], e["value"]) for e in elements if e["type"] == "button"]
    return found


def between(view: Json, first: str, last: str | None) -> list[Json]:
    """The blocks under header `first`, up to header `last`."""
    blocks, inside = [], False
    for block in view["blocks"]:
        if block["type"] == "header":
            if block["text"]["text"] == first:
                inside = True
                continue
            if last is not None and block["text"]["text"] == last:
                break
        if inside:
            blocks.append(block)
    return blocks


async def open_home(box: Sandbox, user: str, *, retry: int | None = None) -> Json:
    response = await box.slack.open_home(user, retry=retry)
    assert response.status == 200
    await box.settle()
    return home(box, user)


async def test_a_person_with_nothing_sees_every_section_empty(org_box: Sandbox) -> None:
    box = org_box
    assert box.fake.home_view(NEWCOMER.id) is None
    view = await open_home(box, NEWCOMER.id)
    assert headers(view) == [
        "Your OKRs \u00b7 2026-Q4",
        "My objectives",
        "Waiting for your approval",
        "Company",
    ]
    text = text_of(view)
    assert "You have no published objectives for 2026-Q4 yet." in text
    assert "Nothing is waiting for your approval." in text
    assert "The org chart puts you on no team yet" in text
    assert "The company has no published objectives for 2026-Q4 yet." in text
    assert buttons(view) == []
    calls = [c for c in box.fake.calls if c.method == "views.publish"]
    assert len(calls) == 1


async def test_the_author_sees_their_objective_on_its_way(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    view = await open_home(box, AUTHOR.id)
    assert "Team Product" in headers(view)
    mine = between(view, "My objectives", "Waiting for your approval")
    assert "Make onboarding delightful" in text_of({"blocks": mine})
    assert "Waiting for your manager, <@U0MGR0001>" in text_of({"blocks": mine})
    # Nothing published yet, so nothing to check in on.
    assert (ids.CHECKIN, "2026-Q4") not in buttons(view)
    assert "Nothing is waiting for your approval." in text_of(view)


async def test_the_manager_approves_from_home_and_everyones_home_follows(
    org_box: Sandbox,
) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [objective] = await objectives(box)
    view = await open_home(box, MANAGER.id)
    waiting = between(view, "Waiting for your approval", "Team Product")
    assert "Make onboarding delightful" in text_of({"blocks": waiting})
    assert "<@U0AUT0001> asks for your approval as *manager*" in text_of({"blocks": waiting})
    value = f"{objective.id}:1:manager"
    # The very buttons of the DM request: same action ids, same value.
    assert buttons(view) == [(ids.APPROVE, value), (ids.REJECT, value)]
    [dm] = requests_to(box, MANAGER.id)
    dm_buttons = [e for b in dm.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], e["value"]) for e in dm_buttons] == buttons(view)

    before = {u: home(box, u)["hash"] for u in (AUTHOR.id, MANAGER.id)}
    assert box.fake.home_view(CEO.id) is None
    response = await box.slack.click_in_view(MANAGER.id, view["id"], ids.APPROVE)
    assert response.status == 200
    await box.settle()

    assert (await objectives(box))[0].status == Status.AWAITING_CEO
    manager_home = home(box, MANAGER.id)
    assert manager_home["hash"] != before[MANAGER.id]
    assert buttons(manager_home) == []
    assert "Nothing is waiting for your approval." in text_of(manager_home)
    author_home = home(box, AUTHOR.id)
    assert author_home["hash"] != before[AUTHOR.id]
    assert "Waiting for the CEO, <@U0CEO0001>" in text_of(author_home)
    ceo_home = home(box, CEO.id)
    assert buttons(ceo_home) == [
        (ids.APPROVE, f"{objective.id}:1:ceo"),
        (ids.REJECT, f"{objective.id}:1:ceo"),
    ]

    # The CEO approves from Home too: the objective is published, and shows as such.
    await box.slack.click_in_view(CEO.id, ceo_home["id"], ids.APPROVE)
    await box.settle()
    assert (await objectives(box))[0].status == Status.APPROVED
    assert len(box.fake.channel_messages(CHANNEL)) == 1
    author_home = home(box, AUTHOR.id)
    mine = text_of({"blocks": between(author_home, "My objectives", "Waiting for your approval")})
    assert "*Make onboarding delightful*" in mine
    assert "`\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591` 0%" in mine
    assert "1. Activation rate in week one \u00b7 40 / 60 % \u00b7 0%" in mine
    assert (ids.CHECKIN, "2026-Q4") in buttons(author_home)
    # Colin is on the same team: Aisha's objective is now among his team's.
    colin = await open_home(box, COLLEAGUE.id)
    team = text_of({"blocks": between(colin, "Team Product", "Company")})
    assert "Make onboarding delightful" in team
    assert "by <@U0AUT0001>" in team


async def test_a_stale_home_button_is_refused_by_dm(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    view = await open_home(box, MANAGER.id)
    [dm] = requests_to(box, MANAGER.id)
    await box.slack.click(MANAGER.id, dm, ids.APPROVE)
    await box.settle()
    assert buttons(home(box, MANAGER.id)) == []  # republished without the request
    # A client still showing the old Home (it was open before the refresh arrived).
    box.fake.views[view["id"]] = view
    dms_before = len(box.fake.dms_to(MANAGER.id))
    response = await box.slack.click_in_view(MANAGER.id, view["id"], ids.APPROVE)
    assert response.status == 200
    await box.settle()
    assert (await objectives(box))[0].status == Status.AWAITING_CEO
    [refusal] = box.fake.dms_to(MANAGER.id)[dms_before:]
    assert "was already approved by <@U0MGR0001>" in refusal.text
    assert box.fake.ephemerals_to(MANAGER.id) == []


async def test_a_rejection_comes_home_with_the_reason_and_a_resubmit_button(
    org_box: Sandbox,
) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [objective] = await objectives(box)
    view = await open_home(box, MANAGER.id)
    await box.slack.click_in_view(MANAGER.id, view["id"], ids.REJECT)
    await box.settle()
    [reject_form] = box.fake.open_views_for(MANAGER.id)
    await box.slack.submit_view(MANAGER.id, reject_form["id"], {"reason": "Aim higher."})
    await box.settle()

    author_home = home(box, AUTHOR.id)
    text = text_of(author_home)
    assert "Rejected: edit and resubmit" in text
    assert ">Aim higher." in text
    assert (ids.RESUBMIT, f"{objective.id}:1") in buttons(author_home)
    assert buttons(home(box, MANAGER.id)) == []


async def test_checking_in_from_home_republishes_it_with_the_progress(org_box: Sandbox) -> None:
    box = org_box
    await submit_objective(box, MANAGER.id)
    [request] = requests_to(box, CEO.id)
    await box.slack.click(CEO.id, request, ids.APPROVE)
    await box.settle()
    [objective] = await objectives(box)
    view = await open_home(box, MANAGER.id)
    assert "no check-in yet" in text_of(view)

    await box.slack.click_in_view(MANAGER.id, view["id"], ids.CHECKIN)
    await box.settle()
    form = box.fake.open_views_for(MANAGER.id)[-1]
    assert form["callback_id"] == ids.CHECKIN_VIEW
    krs = [b["block_id"] for b in form["blocks"] if b.get("block_id", "").startswith("kr_")]
    assert len(krs) == 2
    box.clock.advance(minutes=5)
    response = await box.slack.submit_view(
        MANAGER.id, form["id"], {krs[0]: "50", krs[1]: "2", f"conf_{objective.id}": "at_risk"}
    )
    assert response.status == 200
    await box.settle()

    after = home(box, MANAGER.id)
    assert after["hash"] != view["hash"]
    mine = text_of({"blocks": between(after, "My objectives", "Waiting for your approval")})
    # (50-40)/(60-40) = 50% and (2-3)/(1-3) = 50%: the objective is halfway.
    assert "`\u2588\u2588\u2588\u2588\u2588\u2591\u2591\u2591\u2591\u2591` 50%" in mine
    assert ":large_yellow_circle: At risk" in mine
    assert "last check-in <!date^" in mine


async def test_norwegian_home_for_a_norwegian_locale(org_box: Sandbox) -> None:
    box = org_box
    async with box.uow(readonly=False) as uow:
        await uow.session.execute(
            update(Person).where(Person.user_id == MANAGER.id).values(locale="nb-NO")
        )
        await uow.commit()
    await submit_objective(box, AUTHOR.id)
    # Refreshed by the submission already, in the manager's language.
    refreshed = home(box, MANAGER.id)
    assert headers(refreshed)[:3] == [
        "Dine OKR-er \u00b7 2026-Q4",
        "Mine mål",
        "Venter på din godkjenning",
    ]
    view = await open_home(box, MANAGER.id)
    text = text_of(view)
    assert "<@U0AUT0001> ber om din godkjenning som *leder*" in text
    labels = [
        e["text"]["text"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["Godkjenn", "Avvis"]
    assert "Your OKRs" not in text
    # Aisha's own Home stays English.
    assert headers(home(box, AUTHOR.id))[0] == "Your OKRs \u00b7 2026-Q4"


async def test_a_retried_event_is_answered_and_handled_once(org_box: Sandbox) -> None:
    box = org_box
    first = await box.slack.event(
        {"type": "app_home_opened", "user": AUTHOR.id, "tab": "home"}, event_id="Ev0HOME001"
    )
    assert first.status == 200
    again = await box.slack.event(
        {"type": "app_home_opened", "user": AUTHOR.id, "tab": "home"},
        event_id="Ev0HOME001",
        retry=1,
    )
    assert again.status == 200
    await box.settle()
    # The event id has been handled: the redelivery is answered and changes nothing.
    publishes = [c for c in box.fake.calls if c.method == "views.publish"]
    assert len(publishes) == 1
    assert headers(home(box, AUTHOR.id))[0] == "Your OKRs \u00b7 2026-Q4"


async def test_the_messages_tab_publishes_nothing(org_box: Sandbox) -> None:
    response = await org_box.slack.event(
        {"type": "app_home_opened", "user": AUTHOR.id, "tab": "messages"}
    )
    assert response.status == 200
    await org_box.settle()
    assert org_box.fake.home_view(AUTHOR.id) is None


async def _seed_big_company(box: Sandbox, ids_: list[str]) -> tuple[str, str]:
    """Company objectives and a pile of requests waiting for one approver."""
    now = box.clock()
    approver, owner = ids_[0], ids_[1]
    async with box.uow(readonly=False) as uow:
        for n in range(25):
            uow.objectives.add(
                seed.objective(
                    workspace_id=box.fake.team_id,
                    owner_id=CEO.id,
                    title=f"Company objective {n:02d}",
                    quarter="2026-Q4",
                    now=now,
                    team="Leadership",
                    level=Level.COMPANY,
                    key_results=[
                        seed.Measure("Revenue", 0, 10, "MNOK"),
                        seed.Measure("NPS", 0, 50, ""),
                    ],
                )
            )
        pending = []
        for n in range(30):
            objective = seed.objective(
                workspace_id=box.fake.team_id,
                owner_id=owner,
                title=f"Waiting objective {n:02d}",
                quarter="2026-Q4",
                now=now,
                team="Team 01",
                status=Status.AWAITING_MANAGER,
                key_results=[seed.Measure("KR " * 90, 0, 1, "")] * 5,
            )
            uow.objectives.add(objective)
            pending.append(objective)
        await uow.session.flush()
        for n, objective in enumerate(pending):
            uow.approvals.add(
                Approval(
                    workspace_id=box.fake.team_id,
                    objective_id=objective.id,
                    version=1,
                    stage=Stage.MANAGER.value,
                    approver_id=approver,
                    outcome=Outcome.PENDING.value,
                    created_at=now + timedelta(seconds=n),
                )
            )
        await uow.commit()
    return approver, owner


@contextmanager
def counting_queries(box: Sandbox) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        # Only the reads: the transaction's own BEGIN is no query of ours.
        if str(args[2]).lstrip().upper().startswith("SELECT"):
            statements.append(str(args[2]))

    engine = box.bot.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_a_2000_objective_company_stays_within_100_blocks(box: Sandbox) -> None:
    people = await seed_company(box, 2000, per_person=1, teams=5)
    approver, _owner = await _seed_big_company(box, people)

    # A handful of queries, for a person with nothing and for the busiest person alike:
    # none per objective or per person (2,000 of each here).
    async with box.uow() as uow:
        with counting_queries(box) as few:
            await load_home(uow, box.fake.team_id, NEWCOMER.id, box.clock().date())
    async with box.uow() as uow:
        with counting_queries(box) as many:
            loaded = await load_home(uow, box.fake.team_id, approver, box.clock().date())
    # (14: the owner's failing data sources are one more, the key results the person owns
    # in the others' objectives another.)
    assert len(many) <= 14
    assert len(few) <= len(many)
    assert (loaded.requests.total, loaded.team_okrs.total, loaded.company.total) == (30, 399, 25)

    view = await open_home(box, approver)
    blocks = view["blocks"]
    assert len(blocks) <= 100
    assert headers(view) == [
        "Your OKRs \u00b7 2026-Q4",
        "My objectives",
        "Waiting for your approval",
        "Team Team 00",
        "Company",
    ]
    waiting = between(view, "Waiting for your approval", "Team Team 00")
    assert sum(1 for b in waiting if b["type"] == "actions") == 10
    # The oldest requests first: they have waited longest.
    assert "Waiting objective 00" in text_of({"blocks": waiting})
    assert "Waiting objective 10" not in text_of({"blocks": waiting})
    assert "\u2026and 20 more waiting" in text_of({"blocks": waiting})
    team = between(view, "Team Team 00", "Company")
    assert sum(1 for b in team if b["type"] == "section") == 10
    assert "\u2026and 389 more: `/okr list Team 00` shows them all." in text_of({"blocks": team})
    company = between(view, "Company", None)
    assert sum(1 for b in company if b["type"] == "section") == 10
    assert "\u2026and 15 more: `/okr list company`" in text_of({"blocks": company})
    assert "Company objective 00" in text_of({"blocks": company})

    # Everyone's Home fits, not just the approver's.
    other = await open_home(box, people[-1])
    assert len(other["blocks"]) <= 100
    mine = between(other, "My objectives", "Waiting for your approval")
    assert "Objective 0 of person 1999" in text_of({"blocks": mine})


async def test_a_resubmission_takes_the_old_request_off_the_approvers_home(
    org_box: Sandbox,
) -> None:
    box = org_box
    await submit_objective(box, AUTHOR.id)
    [request] = requests_to(box, MANAGER.id)
    await box.slack.click(MANAGER.id, request, ids.APPROVE)
    await box.settle()
    [objective] = await objectives(box)
    assert buttons(home(box, CEO.id)) == [
        (ids.APPROVE, f"{objective.id}:1:ceo"),
        (ids.REJECT, f"{objective.id}:1:ceo"),
    ]
    # Aisha edits it while the CEO's request waits: the chain starts again at version 2.
    async with box.uow() as uow:
        rows = (await uow.session.scalars(select(Approval))).all()
    assert [a.outcome for a in rows] == ["approved", "pending"]
    view = await _edit(box, objective.id)
    await box.slack.submit_view(AUTHOR.id, view, {**GOOD_FORM, "kr1_target": "70"})
    await box.settle()
    assert buttons(home(box, CEO.id)) == []
    assert buttons(home(box, MANAGER.id)) == [
        (ids.APPROVE, f"{objective.id}:2:manager"),
        (ids.REJECT, f"{objective.id}:2:manager"),
    ]


async def _edit(box: Sandbox, objective_id: int) -> str:
    """Open the edit form the way the rejection DM's button does."""
    await box.slack.click_value(AUTHOR.id, ids.RESUBMIT, f"{objective_id}:1")
    await box.settle()
    return str(box.fake.open_views_for(AUTHOR.id)[-1]["id"])


async def test_each_new_event_is_handled(org_box: Sandbox) -> None:
    box = org_box
    for event_id in ("Ev0ONE", "Ev0TWO"):
        response = await box.slack.event(
            {"type": "app_home_opened", "user": AUTHOR.id, "tab": "home"}, event_id=event_id
        )
        assert response.status == 200
        await box.settle()
    assert len(box.fake.calls_to("views.publish")) == 2
