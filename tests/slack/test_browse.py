"""Browsing with `/okr list`, `/okr show` and `/okr tree`, through the real app: the ack
body is the whole (ephemeral) answer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from okrbot.domain.okr import Level, Status
from okrbot.sandbox.blockkit import message_problems
from okrbot.sandbox.harness import AUTHOR, CEO, COLLEAGUE, MANAGER, NEWCOMER
from okrbot.slack import ids
from okrbot.store.models import KeyResult, Objective, Person
from tests.slack.helpers import GOOD_FORM, requests_to, submit_objective
from tests.slack.weekly_helpers import seed_company
from tests.support.sandbox import Sandbox


@dataclass(frozen=True)
class Answer:
    text: str
    body: str
    blocks: list[dict[str, Any]]


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


async def ask(box: Sandbox, user: str, text: str) -> Answer:
    response = await box.slack.slash(user, text)
    assert response.status == 200
    data = response.json()
    assert "response_type" not in data or data["response_type"] == "ephemeral"
    blocks = data.get("blocks", [])
    assert message_problems(data["text"], blocks) == []
    return Answer(data["text"], "\n".join(_texts(blocks)), blocks)


async def add(
    box: Sandbox,
    owner: str,
    title: str,
    *,
    level: Level = Level.PERSONAL,
    team: str | None = "Product",
    status: Status = Status.APPROVED,
    quarter: str = "2026-Q4",
    aligned_to: int | None = None,
    values: tuple[float | None, float | None] = (None, None),
    confidence: str | None = None,
    description: str = "",
) -> int:
    now = box.clock()
    checked = now - timedelta(days=2) if confidence else None
    async with box.uow(readonly=False) as uow:
        objective = Objective(
            workspace_id=box.fake.team_id,
            owner_id=owner,
            level=level.value,
            team=team,
            quarter=quarter,
            title=title,
            description=description,
            aligned_to_id=aligned_to,
            status=status.value,
            version=1,
            created_at=now,
            updated_at=now,
            published_at=now if status is Status.APPROVED else None,
            confidence=confidence,
            last_check_in_at=checked,
            key_results=[
                KeyResult(
                    position=1,
                    description="Activation rate",
                    start_value=0.0,
                    target_value=100.0,
                    unit="%",
                    current_value=values[0],
                    current_at=checked if values[0] is not None else None,
                ),
                KeyResult(
                    position=2,
                    description="Open bugs",
                    start_value=10.0,
                    target_value=0.0,
                    unit="bugs",
                    current_value=values[1],
                    current_at=checked if values[1] is not None else None,
                ),
            ],
        )
        uow.objectives.add(objective)
        await uow.commit()
        return objective.id


async def set_person(box: Sandbox, user: str, **values: Any) -> None:
    async with box.uow(readonly=False) as uow:
        await uow.session.execute(
            update(Person)
            .where(Person.workspace_id == box.fake.team_id, Person.user_id == user)
            .values(**values)
        )
        await uow.commit()


@pytest.fixture
async def world(org_box: Sandbox) -> dict[str, int]:
    """A small company: a company objective, a team one under it, personal ones under
    that, one personal objective aligned to nothing, and some nobody else may see."""
    box = org_box
    for person, name in ((CEO, "Cora"), (MANAGER, "Mads"), (AUTHOR, "Aisha"), (COLLEAGUE, "Colin")):
        await set_person(box, person.id, display_name=name)
    company = await add(
        box, CEO.id, "Win the Nordics", level=Level.COMPANY, team="Leadership", values=(40, 6)
    )
    team = await add(
        box, MANAGER.id, "Ship a delightful product", level=Level.TEAM, aligned_to=company
    )
    return {
        "company": company,
        "team": team,
        "onboarding": await add(
            box,
            AUTHOR.id,
            "Faster onboarding",
            aligned_to=team,
            values=(50, 5),
            confidence="on_track",
            description="New teams get value on day one.",
        ),
        "design": await add(box, COLLEAGUE.id, "Design system v2", aligned_to=team),
        "loose": await add(box, COLLEAGUE.id, "Learn Norwegian", values=(30, None)),
        "secret": await add(
            box, COLLEAGUE.id, "Secret onboarding plan", status=Status.AWAITING_MANAGER
        ),
        "old": await add(box, COLLEAGUE.id, "Old news", quarter="2026-Q3"),
    }


# -- /okr list


async def test_list_someone_shows_only_their_published_objectives_of_this_quarter(
    org_box: Sandbox, world: dict[str, int]
) -> None:
    for text in ("list <@U0COL0001|colin>", "list <@U0COL0001>", "list @colin"):
        answer = await ask(org_box, AUTHOR.id, text)
        assert "Objectives of Colin \u00b7 2026-Q4" in answer.body
        assert "Design system v2" in answer.body
        assert "Learn Norwegian" in answer.body
        assert f"#{world['loose']}" in answer.body
        assert "Secret onboarding plan" not in answer.body  # not published
        assert "Old news" not in answer.body  # last quarter
        assert "<@U0COL0001>" not in answer.body  # named, not mentioned
        assert answer.text == "Objectives of Colin in 2026-Q4: 2"
    answer = await ask(org_box, AUTHOR.id, "list <@U0COL0001|colin>")
    # 30% of the way and no bugs fixed yet: 15% overall, never checked in.
    lines = answer.body.splitlines()
    line = lines[lines.index(f"*Learn Norwegian* \u00b7 #{world['loose']}") + 1]
    assert "15%" in line
    assert "\u2588\u2588\u2591" in line  # a bar, not only a number
    assert "not checked in" not in line


async def test_list_shows_progress_and_confidence(org_box: Sandbox, world: dict[str, int]) -> None:
    answer = await ask(org_box, COLLEAGUE.id, "list <@U0AUT0001|aisha>")
    assert "*Faster onboarding*" in answer.body
    assert "Aisha \u00b7 Personal \u00b7 team Product" in answer.body
    assert "50%" in answer.body
    assert ":large_green_circle: On track" in answer.body


async def test_list_yourself_keeps_status_and_adds_progress(
    org_box: Sandbox, world: dict[str, int]
) -> None:
    await add(org_box, AUTHOR.id, "Mine, still rejected", status=Status.REJECTED)
    for text in ("list", "list <@U0AUT0001|aisha>", "list me"):
        answer = await ask(org_box, AUTHOR.id, text)
        assert answer.text == "Your objectives: 2"
        assert "Your objectives (2)" in answer.body
        assert "Approved and published" in answer.body
        assert "Rejected: edit and resubmit" in answer.body
        assert "50% \u00b7 :large_green_circle: On track" in answer.body


async def test_list_a_team_ignores_case(org_box: Sandbox, world: dict[str, int]) -> None:
    answer = await ask(org_box, AUTHOR.id, "list product")
    assert "Team Product \u00b7 2026-Q4" in answer.body
    titles = ["Ship a delightful product", "Faster onboarding", "Design system v2"]
    positions = [answer.body.index(title) for title in titles]
    assert positions == sorted(positions)  # the team's own objective first
    assert "Learn Norwegian" in answer.body
    assert "Win the Nordics" not in answer.body  # Leadership's
    assert "Secret onboarding plan" not in answer.body
    assert answer.text == "Team Product, 2026-Q4: 4 published objectives"


async def test_list_company(org_box: Sandbox, world: dict[str, int]) -> None:
    answer = await ask(org_box, MANAGER.id, "list company")
    assert "Company objectives \u00b7 2026-Q4" in answer.body
    assert "Win the Nordics" in answer.body
    assert "Cora \u00b7 Company" in answer.body
    assert "Ship a delightful product" not in answer.body


async def test_unknown_person_and_team_list_the_teams(
    org_box: Sandbox, world: dict[str, int]
) -> None:
    nobody = await ask(org_box, AUTHOR.id, f"list <@{NEWCOMER.id}|nora>")
    assert f"I don't know <@{NEWCOMER.id}>" in nobody.body
    assert "*Teams:* Leadership, Product" in nobody.body
    typo = await ask(org_box, AUTHOR.id, "list @norbert")
    assert "I don't know norbert" in typo.body
    assert "Leadership, Product" in typo.body
    team = await ask(org_box, AUTHOR.id, "list Marketing & Sales")
    assert "There is no team called \u201cMarketing &amp; Sales\u201d" in team.body
    assert "*Teams:* Leadership, Product" in team.body
    assert "/okr list company" in team.body


async def test_someone_in_the_org_chart_with_nothing_published(
    org_box: Sandbox, world: dict[str, int]
) -> None:
    answer = await ask(org_box, AUTHOR.id, f"list <@{MANAGER.id}>")
    assert "Ship a delightful product" in answer.body
    await set_person(org_box, MANAGER.id, display_name=None)
    async with org_box.uow(readonly=False) as uow:
        await uow.session.execute(update(Objective).values(status=Status.WITHDRAWN.value))
        await uow.commit()
    answer = await ask(org_box, AUTHOR.id, f"list <@{MANAGER.id}>")
    assert answer.body == f"<@{MANAGER.id}> has no published objectives in 2026-Q4."


# -- /okr show


async def test_show_by_id_in_full(org_box: Sandbox, world: dict[str, int]) -> None:
    for text in (f"show {world['onboarding']}", f"show #{world['onboarding']}"):
        answer = await ask(org_box, COLLEAGUE.id, text)
        body = answer.body
        assert answer.blocks[0] == {
            "type": "header",
            "text": {"type": "plain_text", "text": "Faster onboarding", "emoji": True},
        }
        assert f"Personal objective by Aisha \u00b7 2026-Q4 \u00b7 #{world['onboarding']}" in body
        assert "New teams get value on day one." in body
        assert "0 \u2192 50 \u2192 100 %" in body  # start -> current -> target
        assert "10 \u2192 5 \u2192 0 bugs" in body  # a decreasing one
        assert (
            "*Progress* \u2588\u2588\u2588\u2588\u2588\u2591\u2591\u2591\u2591\u2591 *50%*" in body
        )
        assert "Confidence: :large_green_circle: On track \u00b7 last check-in <!date^" in body
        assert "*Supports:* *Ship a delightful product* \u00b7 Mads" in body
        assert "*Supported by:* nothing yet" in body
        assert answer.text == "Faster onboarding (2026-Q4): 50%"


async def test_show_lists_what_supports_it_but_not_others_unpublished(
    org_box: Sandbox, world: dict[str, int]
) -> None:
    await add(
        org_box, COLLEAGUE.id, "Hidden helper", aligned_to=world["team"], status=Status.AWAITING_CEO
    )
    answer = await ask(org_box, AUTHOR.id, f"show {world['team']}")
    assert "*Supports:* *Win the Nordics* \u00b7 Cora" in answer.body
    assert "*Supported by (2):*" in answer.body
    assert "Faster onboarding* \u00b7 Aisha \u00b7 50%" in answer.body
    assert "Design system v2" in answer.body
    assert "Hidden helper" not in answer.body
    loose = await ask(org_box, AUTHOR.id, f"show {world['loose']}")
    assert ":warning: *Supports:* nothing" in loose.body


async def test_show_by_words(org_box: Sandbox, world: dict[str, int]) -> None:
    answer = await ask(org_box, MANAGER.id, "show DESIGN system")
    assert answer.blocks[0]["text"]["text"] == "Design system v2"
    # Quotes and any order of the words.
    answer = await ask(org_box, MANAGER.id, "show \u201csystem design\u201d")
    assert answer.blocks[0]["text"]["text"] == "Design system v2"


async def test_show_ambiguous_lists_candidates(org_box: Sandbox, world: dict[str, int]) -> None:
    answer = await ask(org_box, MANAGER.id, "show S")  # Nordics, Ship, Faster, Design
    assert answer.text.startswith("4 objectives match \u201cS\u201d")
    assert f"`/okr show {world['company']}` \u00b7 *Win the Nordics* \u00b7 Cora" in answer.body
    assert f"`/okr show {world['onboarding']}`" in answer.body
    assert "Secret onboarding plan" not in answer.body
    assert "Old news" not in answer.body


async def test_show_not_found(org_box: Sandbox, world: dict[str, int]) -> None:
    answer = await ask(org_box, AUTHOR.id, "show world peace")
    assert answer.text.startswith("No objective matches \u201cworld peace\u201d")
    missing = await ask(org_box, AUTHOR.id, "show 99999")
    assert missing.text == "There is no objective #99999 that you can see."
    usage = await ask(org_box, AUTHOR.id, "show")
    assert "/okr show 12" in usage.text


async def test_show_hides_someone_elses_unpublished_objective(
    org_box: Sandbox, world: dict[str, int]
) -> None:
    by_id = await ask(org_box, AUTHOR.id, f"show {world['secret']}")
    assert by_id.text == f"There is no objective #{world['secret']} that you can see."
    by_words = await ask(org_box, AUTHOR.id, "show secret plan")
    assert by_words.text.startswith("No objective matches")
    # Its owner sees it, with where it stands.
    own = await ask(org_box, COLLEAGUE.id, "show secret plan")
    assert own.blocks[0]["text"]["text"] == "Secret onboarding plan"
    assert "*Status:* Waiting for the manager" in own.body
    assert "*Approved by:* nobody yet" in own.body


async def test_show_names_who_approved_when(org_box: Sandbox) -> None:
    box = org_box
    await set_person(box, MANAGER.id, display_name="Mads")
    await submit_objective(
        box, CEO.id, {**GOOD_FORM, "title": "Win the Nordics", "level": "company"}
    )
    await submit_objective(box, AUTHOR.id)
    [request] = requests_to(box, MANAGER.id)
    await box.slack.click(MANAGER.id, request, ids.APPROVE)
    await box.settle()
    waiting = await ask(box, AUTHOR.id, "show onboarding delightful")
    assert f"*Status:* Waiting for the CEO (<@{CEO.id}>)" in waiting.body
    await box.slack.click(CEO.id, requests_to(box, CEO.id)[0], ids.APPROVE)
    await box.settle()
    answer = await ask(box, COLLEAGUE.id, "show make onboarding delightful")
    assert answer.blocks[0]["text"]["text"] == "Make onboarding delightful"
    assert "*Approved by:* Mads (manager) <!date^" in answer.body
    assert f"; <@{CEO.id}> (CEO) <!date^" in answer.body
    assert "*Status:*" not in answer.body
    ceo = await ask(box, AUTHOR.id, "show win the nordics")
    assert "*Published* <!date^" in ceo.body


# -- /okr tree


async def test_tree_nests_by_alignment_and_flags_the_unaligned(
    org_box: Sandbox, world: dict[str, int]
) -> None:
    answer = await ask(org_box, AUTHOR.id, "tree")
    lines = answer.body.splitlines()
    assert answer.text == "OKR tree 2026-Q4: 5 objectives, 1 not aligned"
    assert "5 published objectives \u00b7 1 not aligned" in answer.body

    def line(title: str) -> str:
        return next(x for x in lines if title in x)

    assert line("Win the Nordics").startswith("\u2022 *Win the Nordics* \u00b7 Cora \u00b7 ")
    assert line("Ship a delightful").startswith(
        "\u2003\u25e6 *Ship a delightful product* \u00b7 Mads"
    )
    assert line("Faster onboarding").startswith(
        "\u2003\u2003\u25aa *Faster onboarding* \u00b7 Aisha"
    )
    assert line("Faster onboarding").endswith(f"50% \u00b7 #{world['onboarding']}")
    assert lines.index(line("Design system")) > lines.index(line("Ship a delightful"))
    unaligned = lines.index(line("Not aligned"))
    assert line("Learn Norwegian").startswith(":warning: *Learn Norwegian* \u00b7 Colin")
    assert lines.index(line("Learn Norwegian")) > unaligned > lines.index(line("Design system"))
    assert "Secret onboarding plan" not in answer.body
    assert "Old news" not in answer.body


async def test_tree_of_an_empty_quarter(org_box: Sandbox) -> None:
    answer = await ask(org_box, AUTHOR.id, "tree")
    assert answer.text == "No objectives are published for 2026-Q4 yet."


# -- language


async def test_norwegian_for_a_norwegian_reader(org_box: Sandbox, world: dict[str, int]) -> None:
    await set_person(org_box, AUTHOR.id, locale="nb-NO")
    listing = await ask(org_box, AUTHOR.id, "list PRODUCT")
    assert listing.text == "Team Product, 2026-Q4: 4 publiserte mål"
    assert "Aisha \u00b7 Personlig" in listing.body
    assert ":large_green_circle: I rute" in listing.body
    shown = await ask(org_box, AUTHOR.id, f"show {world['onboarding']}")
    assert "Personlig mål fra Aisha" in shown.body
    assert "*Nøkkelresultater*" in shown.body
    assert "*Støtter:* *Ship a delightful product*" in shown.body
    tree = await ask(org_box, AUTHOR.id, "tree")
    assert tree.text == "OKR-tre 2026-Q4: 5 mål, 1 ikke knyttet til noe"
    assert "Ikke knyttet til noe" in tree.body
    unknown = await ask(org_box, AUTHOR.id, "list markedsføring")
    assert "Det finnes ikke noe team som heter \u201cmarkedsføring\u201d." in unknown.body
    mine = await ask(org_box, AUTHOR.id, "list")
    assert mine.text == "Dine mål: 1"
    # Someone else still reads English.
    english = await ask(org_box, COLLEAGUE.id, "list product")
    assert english.text == "Team Product, 2026-Q4: 4 published objectives"


# -- size and speed


async def test_big_company_answers_fit_and_take_a_fixed_number_of_queries(
    org_box: Sandbox,
) -> None:
    box = org_box
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    async def queries(text: str) -> int:
        statements.clear()
        await ask(box, AUTHOR.id, text)
        return len(statements)

    await seed_company(box, 10, teams=2)
    event.listen(box.bot.engine.sync_engine, "before_cursor_execute", count)
    try:
        small = {t: await queries(t) for t in ("tree", "list team 01", "list company", "show 3")}
        # Under 500 objectives: beyond that selectinload splits its IN list in batches
        # of 500, one more query per 500 objectives, which is still not one per objective.
        await seed_company(box, 400, teams=2, first=10)
        big = {t: await queries(t) for t in ("tree", "list team 01", "list company", "show 3")}
    finally:
        event.remove(box.bot.engine.sync_engine, "before_cursor_execute", count)
    assert big == small
    assert max(big.values()) <= 10

    tree = await ask(box, AUTHOR.id, "tree")
    assert "410 published objectives \u00b7 410 not aligned" in tree.body
    assert "Team 00*: 205 not aligned" in tree.body
    assert "personal objectives are counted, not listed" in tree.body
    team = await ask(box, AUTHOR.id, "list team 01")
    assert len(team.blocks) <= 50
    assert "more \u2014 try `/okr list @person`" in team.body
    async with box.uow() as uow:
        total = len((await uow.session.scalars(select(Objective.id))).all())
    assert total == 410
