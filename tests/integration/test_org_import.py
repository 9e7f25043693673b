"""`okrbot org import` against the fake Slack: all rows or none, and never a duplicate."""

from __future__ import annotations

from pathlib import Path

import pytest

from okrbot.cli import EXIT_CONFIG, EXIT_INPUT, org_import, read_org_file
from okrbot.sandbox.fake_slack import FakeUser
from okrbot.sandbox.harness import AUTHOR, CEO, COLLEAGUE, MANAGER, NEWCOMER
from okrbot.store.models import Person
from tests.support.sandbox import Sandbox

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
    # One read of the directory for the whole file, not a look-up per person.
    assert [call.args.get("limit") for call in box.fake.calls_to("users.list")] == ["200"]
    assert box.fake.calls_to("users.lookupByEmail") == []


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
    text = CHANGED + f"ghost@example.com,{CEO.id},Product\n"
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
    assert box.fake.calls_to("users.list") == []


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
    assert box.fake.calls_to("users.list") == []


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
    # 305 people in the workspace: two pages of users.list, the second by its cursor.
    pages = box.fake.calls_to("users.list")
    assert [(call.args.get("limit"), call.args.get("cursor")) for call in pages] == [
        ("200", None),
        ("200", "200"),
    ]


async def test_a_rate_limit_waits_and_tries_again(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    box.fake.rate_limit_next("users.list", retry_after=30, times=2)
    start = box.clock()

    assert await org_import(box.settings(), "org.csv", GOOD, sleep=box.clock.sleep) == 0

    captured = capsys.readouterr()
    assert captured.out.strip() == "okrbot: imported org.csv: 4 added, 0 updated, 0 unchanged"
    assert (
        captured.err.splitlines()
        == ["okrbot: org.csv: Slack asks okrbot to wait (ratelimited); trying again in 30 s"] * 2
    )
    assert (box.clock() - start).total_seconds() == 60
    assert len(box.fake.calls_to("users.list")) == 3
    assert len(await _people(box)) == 4


async def test_a_rate_limit_that_does_not_end_imports_nothing(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    box.fake.rate_limit_next("users.list", retry_after=60, times=100)
    start = box.clock()

    assert await org_import(box.settings(), "org.csv", GOOD, sleep=box.clock.sleep) == EXIT_CONFIG

    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (
        "okrbot: could not read the workspace's people from Slack (ratelimited); "
        "nothing was imported"
    )
    # Five minutes of waiting, then it gives up rather than hang.
    assert (box.clock() - start).total_seconds() == 300
    assert len(box.fake.calls_to("users.list")) == 6
    assert await _people(box) == {}


async def test_every_id_is_checked_and_every_problem_has_its_line(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    box.fake.add_user(FakeUser("U0GONE001", "gone", "Gone", email="gone@example.com", deleted=True))
    text = (
        "user,manager,team\n"
        f"{CEO.id},,Leadership\n"
        f"{MANAGER.id},U0NOBODY1,Product\n"  # a manager neither in the file nor in Slack
        f"{AUTHOR.id},,Product\n"  # a second person without a manager
        f"{COLLEAGUE.id},{MANAGER.id},\n"  # no team
        f"U0GONE001,{MANAGER.id},Product\n"
        f"U0NOBODY2,{MANAGER.id},Product\n"
    )
    assert await org_import(box.settings(), "org.csv", text) == EXIT_INPUT

    # The file's own mistakes and Slack's answers, all in one run.
    assert capsys.readouterr().err.splitlines() == [
        "okrbot: org.csv was not imported:",
        "line 3: unknown manager: no Slack user in this workspace is U0NOBODY1",
        "line 4: manager is empty, but only the CEO has no manager and line 2 "
        f"({CEO.id}) has none already",
        "line 5: team is empty",
        "line 6: user U0GONE001 is deactivated in Slack",
        "line 7: unknown user: no Slack user in this workspace is U0NOBODY2",
    ]
    assert await _people(box) == {}


async def test_without_the_email_scope_the_import_says_so(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    box.fake.revoke_scope("users:read.email")

    assert await org_import(box.settings(), "org.csv", GOOD) == EXIT_INPUT

    assert capsys.readouterr().err.splitlines() == [
        "okrbot: org.csv was not imported: Slack gave okrbot no e-mail addresses: the app "
        "needs the users:read.email scope (add it and reinstall the app), or name people by "
        "their Slack user ID"
    ]
    assert await _people(box) == {}


async def test_at_most_fifty_problems_are_listed(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = "".join(f"U0MISS{n:04d},{CEO.id},Sales\n" for n in range(120))
    text = f"user,manager,team\n{CEO.id},,Leadership\n{rows}"
    assert await org_import(box.settings(), "org.csv", text) == EXIT_INPUT

    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 + 50 + 1
    assert err[1] == "line 3: unknown user: no Slack user in this workspace is U0MISS0000"
    assert err[-1] == "… and 70 more"
    assert await _people(box) == {}


async def test_an_excel_file_in_windows_1252_imports(
    box: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "org.csv"
    path.write_bytes(
        (
            "user;manager;team\r\n".replace(";", ",")
            + f"{CEO.id},,Ledelse\r\n{MANAGER.email},{CEO.id},Økonomi\r\n"
        ).encode("cp1252")
    )
    text = read_org_file(path)
    assert text is not None
    assert capsys.readouterr().err == (
        "okrbot: reading org.csv as Windows-1252, as it is not UTF-8\n"
    )

    assert await org_import(box.settings(), "org.csv", text) == 0

    assert _chart(await _people(box))[MANAGER.id] == (CEO.id, "Økonomi", None)


async def test_a_utf8_file_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "org.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert read_org_file(path) == GOOD
    assert capsys.readouterr().err == (
        "okrbot: reading org.csv as UTF-8 (with a byte order mark)\n"
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00", "is a zip archive (an Excel workbook?)"),
        (bytes(range(256)), "is not text (it contains NUL bytes)"),
    ],
)
def test_a_binary_file_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, reason: str
) -> None:
    path = tmp_path / "org.xlsx"
    path.write_bytes(data)
    assert read_org_file(path) is None
    assert capsys.readouterr().err == (
        f"okrbot: org.xlsx was not imported: the file {reason}: save it as CSV\n"
    )


def test_a_file_over_20_mb_is_refused_before_it_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.csv"
    # A sparse file: 50 MB on paper, nothing on disk, and nothing to read if it is refused.
    with path.open("wb") as file:
        file.truncate(50 * 1024 * 1024)
    assert read_org_file(path) is None
    assert capsys.readouterr().err == (
        "okrbot: huge.csv was not imported: the file is 50.0 MB, more than the 20 MB okrbot "
        "imports at once: is it the right file?\n"
    )


def test_an_unreadable_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert read_org_file(tmp_path / "missing.csv") is None
    assert capsys.readouterr().err == (
        f"okrbot: cannot read {tmp_path / 'missing.csv'}: No such file or directory\n"
    )


async def test_a_big_file_reports_progress_on_stderr(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [f"{CEO.id},,Leadership"]
    for n in range(5_000):
        box.fake.add_user(FakeUser(f"U0BIG{n:05d}", f"p{n}", f"Person {n}"))
        rows.append(f"U0BIG{n:05d},{CEO.id},Sales")
    text = "user,manager,team\n" + "\n".join(rows) + "\n"

    assert await org_import(box.settings(), "org.csv", text) == 0

    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "okrbot: org.csv: 5,000 rows read",
        "okrbot: org.csv: 5,000 people read from Slack's directory",
        "okrbot: org.csv: 5,000 of 5,001 rows stored",
    ]
    assert captured.out.strip() == ("okrbot: imported org.csv: 5001 added, 0 updated, 0 unchanged")
    assert len(await _people(box)) == 5_001
