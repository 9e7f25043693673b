"""`okrbot org import` against the fake Slack: all rows or none, and never a duplicate."""

from __future__ import annotations

from pathlib import Path

import pytest

from okrbot.cli import EXIT_CONFIG, EXIT_INPUT, org_import
from okrbot.sandbox.fake_slack import FakeUser
from okrbot.sandbox.harness import AUTHOR, CEO, COLLEAGUE, MANAGER, NEWCOMER, Sandbox
from okrbot.store.models import Person

GOOD = (
    "user,manager,team,role\n"
    f"{CEO.id},,Leadership,CEO\n"
    f"{MANAGER.email},{CEO.id},Product,Head of Product\n"
    f"{AUTHOR.email},{MANAGER.email},Product,Engineer\n"
    f"{COLLEAGUE.id},{MANAGER.id},Product,Designer\n"
)

# Colin moves to a new team under Cora, and Nora joins under Mads.
CHANGED = (
    "user,manager,team,role\n"
    f"{CEO.id},,Leadership,CEO\n"
    f"{MANAGER.email},{CEO.id},Product,Head of Product\n"
    f"{AUTHOR.email},{MANAGER.email},Product,Engineer\n"
    f"{COLLEAGUE.id},{CEO.id},Design,Designer\n"
    f"{NEWCOMER.email},{MANAGER.id},Product,Engineer\n"
)


async def _people(box: Sandbox) -> dict[str, Person]:
    async with box.uow() as uow:
        return {p.user_id: p for p in await uow.people.all(box.fake.team_id)}


def _chart(people: dict[str, Person]) -> dict[str, tuple[str | None, str | None, str | None]]:
    return {uid: (p.manager_id, p.team, p.role) for uid, p in people.items()}


async def test_good_file_imports_ids_and_emails(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await org_import(box.settings(), "org.csv", GOOD) == 0

    out = capsys.readouterr().out
    assert out.strip() == "okrbot: imported org.csv: 4 added, 0 updated, 0 unchanged"
    people = await _people(box)
    assert _chart(people) == {
        CEO.id: (None, "Leadership", "CEO"),
        MANAGER.id: (CEO.id, "Product", "Head of Product"),
        AUTHOR.id: (MANAGER.id, "Product", "Engineer"),
        COLLEAGUE.id: (MANAGER.id, "Product", "Designer"),
    }
    # The address is kept only for people the file named by address.
    assert {uid: p.email for uid, p in people.items()} == {
        CEO.id: None,
        MANAGER.id: MANAGER.email,
        AUTHOR.id: AUTHOR.email,
        COLLEAGUE.id: None,
    }
    assert {p.source for p in people.values()} == {"org_chart"}
    # Mads is named by address twice but looked up once; ids are never looked up.
    looked_up = [call.args["email"] for call in box.fake.calls_to("users.lookupByEmail")]
    assert looked_up == [MANAGER.email, AUTHOR.email]


async def test_reimport_updates_in_place_and_counts(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await org_import(box.settings(), "org.csv", GOOD) == 0
    before = await _people(box)
    capsys.readouterr()

    assert await org_import(box.settings(), "org.csv", CHANGED) == 0

    out = capsys.readouterr().out
    assert out.strip() == "okrbot: imported org.csv: 1 added, 1 updated, 3 unchanged"
    after = await _people(box)
    assert len(after) == 5
    assert _chart(after)[COLLEAGUE.id] == (CEO.id, "Design", "Designer")
    assert _chart(after)[NEWCOMER.id] == (MANAGER.id, "Product", "Engineer")
    # The same rows, changed where they stand, not replaced by new ones.
    assert {uid: p.id for uid, p in before.items()} == {
        uid: p.id for uid, p in after.items() if uid != NEWCOMER.id
    }
    assert after[COLLEAGUE.id].updated_at > before[COLLEAGUE.id].updated_at
    assert after[AUTHOR.id].updated_at == before[AUTHOR.id].updated_at

    # The same file again changes nothing at all.
    assert await org_import(box.settings(), "org.csv", CHANGED) == 0
    out = capsys.readouterr().out
    assert out.strip() == "okrbot: imported org.csv: 0 added, 0 updated, 5 unchanged"
    assert len(await _people(box)) == 5


async def test_unknown_email_imports_nothing(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "user,manager,team\n"
        f"{CEO.id},,Leadership\n"
        f"{MANAGER.email},{CEO.id},Product\n"
        f"ghost@example.com,{MANAGER.email},Product\n"
    )
    assert await org_import(box.settings(), "org.csv", text) == EXIT_INPUT

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "okrbot: org.csv was not imported:",
        "line 4: unknown user: no Slack user has ghost@example.com",
    ]
    assert await _people(box) == {}


async def test_unknown_email_leaves_the_stored_chart_alone(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await org_import(box.settings(), "org.csv", GOOD) == 0
    before = _chart(await _people(box))

    # Colin's move would be a valid change, but an error anywhere stops the whole file.
    text = CHANGED + "ghost@example.com,,Product\n"
    assert await org_import(box.settings(), "org.csv", text) == EXIT_INPUT

    assert "line 7: unknown user: no Slack user has ghost@example.com" in capsys.readouterr().err
    assert _chart(await _people(box)) == before


async def test_manager_cycle_imports_nothing(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "user,manager,team\n"
        f"{CEO.id},,Leadership\n"
        f"{MANAGER.id},{AUTHOR.email},Product\n"
        f"{AUTHOR.email},{COLLEAGUE.id},Product\n"
        f"{COLLEAGUE.id},{MANAGER.id},Product\n"
    )
    assert await org_import(box.settings(), "org.csv", text) == EXIT_INPUT

    err = capsys.readouterr().err.splitlines()
    assert err == [
        "okrbot: org.csv was not imported:",
        f"line 3: manager cycle: {MANAGER.id} -> {AUTHOR.id} -> {COLLEAGUE.id} -> {MANAGER.id} "
        "(lines 3, 4, 5)",
    ]
    assert await _people(box) == {}


async def test_missing_team_column_is_refused(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    text = f"user,manager\n{CEO.id},\n{MANAGER.id},{CEO.id}\n"
    assert await org_import(box.settings(), "org.csv", text) == EXIT_INPUT

    err = capsys.readouterr().err
    assert "line 1: missing required column(s): team" in err
    assert await _people(box) == {}
    # Nothing was worth resolving once the header was wrong.
    assert box.fake.calls_to("users.lookupByEmail") == []


async def test_import_overrides_a_self_chosen_manager(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    now = box.clock()
    async with box.uow(readonly=False) as uow:
        uow.people.add(
            Person(
                workspace_id=box.fake.team_id,
                user_id=COLLEAGUE.id,
                manager_id=AUTHOR.id,
                team=None,
                source="self",
                created_at=now,
                updated_at=now,
            )
        )
        await uow.commit()

    assert await org_import(box.settings(), "org.csv", GOOD) == 0

    assert capsys.readouterr().out.strip() == (
        "okrbot: imported org.csv: 3 added, 1 updated, 0 unchanged"
    )
    people = await _people(box)
    assert len(people) == 4
    colin = people[COLLEAGUE.id]
    assert (colin.manager_id, colin.team, colin.source) == (MANAGER.id, "Product", "org_chart")


async def test_unmigrated_database_is_refused_on_stderr(
    box: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    settings = box.settings().model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'empty.db'}"}
    )
    assert await org_import(settings, "org.csv", GOOD) == EXIT_CONFIG

    captured = capsys.readouterr()
    # stdout is for results; a refusal there would read like a successful run in scripts.
    assert captured.out == ""
    assert "run `okrbot migrate`" in captured.err
    assert box.fake.calls_to("users.lookupByEmail") == []


@pytest.mark.xfail(
    strict=True,
    reason="the import looks people up with one users.lookupByEmail each (Tier 3, 50+ a "
    "minute), unpaced: Slack refuses a few hundred in a minute",
)
async def test_a_large_org_chart_by_email_imports(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = ["user,manager,team,role", f"{CEO.id},,Leadership,CEO"]
    for n in range(300):
        user = box.fake.add_user(
            FakeUser(f"U0BIG{n:04d}", f"p{n}", f"Person {n}", email=f"p{n}@example.com")
        )
        rows.append(f"{user.email},{CEO.id},Sales,Seller")
    assert await org_import(box.settings(), "org.csv", "\n".join(rows) + "\n") == 0
    assert len(await _people(box)) == 301
