"""Key results of every kind, end to end: written in the objective form and approved, then
checked in by the form, by a DM reply and through the HTTP API, and seen in the digest,
the Home, `/okr show` and the export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from okrbot import cli
from okrbot.domain.okr import Status
from okrbot.domain.weekly import Job
from okrbot.sandbox.harness import AUTHOR, CEO, COLLEAGUE, MANAGER
from okrbot.slack import ids
from okrbot.store.models import KeyResult
from tests.slack.helpers import GOOD_FORM, objectives, open_form, requests_to
from tests.slack.test_api import call, make_token
from tests.slack.test_browse import ask
from tests.slack.test_checkin_inbox import confidence_block, open_checkin, value_blocks
from tests.slack.weekly_helpers import digests
from tests.support.sandbox import Sandbox

QUARTER = "2026-Q4"

# Key result 1 a number, 2 a milestone (no start, no target).
MILESTONE_FORM: dict[str, Any] = {
    **GOOD_FORM,
    "title": "Ship the new billing",
    "kr1_kind": "numeric",
    "kr2_desc": "Billing live for every customer",
    "kr2_kind": "milestone",
    "kr2_start": None,
    "kr2_target": None,
    "kr2_unit": None,
}


@pytest.fixture
async def http(org_box: Sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=org_box.base_url) as session:
        yield session


# Key result 1 a milestone, 2 a range: uptime kept between 99.5 and 100 %.
RANGE_FORM: dict[str, Any] = {
    **GOOD_FORM,
    "title": "Keep the service up",
    "kr1_desc": "Status page moved to the new host",
    "kr1_kind": "milestone",
    "kr1_start": None,
    "kr1_target": None,
    "kr1_unit": None,
    "kr2_desc": "Uptime",
    "kr2_kind": "range",
    "kr2_start": "99.5",
    "kr2_target": "100",
    "kr2_unit": "%",
}


async def submit(box: Sandbox, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    view_id = await open_form(box, AUTHOR.id)
    response = await box.slack.submit_view(AUTHOR.id, view_id, values)
    assert response.status == 200
    await box.settle()
    return view_id, response.json()


async def approve(box: Sandbox) -> None:
    [request] = requests_to(box, MANAGER.id)
    await box.slack.click(MANAGER.id, request, ids.APPROVE)
    await box.settle()
    [request] = requests_to(box, CEO.id)
    await box.slack.click(CEO.id, request, ids.APPROVE)
    await box.settle()
    [objective] = await objectives(box)
    assert objective.status == Status.APPROVED


async def key_results(box: Sandbox) -> list[KeyResult]:
    async with box.uow() as uow:
        return list(await uow.session.scalars(select(KeyResult).order_by(KeyResult.position)))


async def export_csv(box: Sandbox, tmp_path: Path) -> list[dict[str, str]]:
    out = tmp_path / "export.csv"
    assert await cli.export(box.settings(), QUARTER, "csv", output=out, now=box.clock()) == 0
    return list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))


async def test_the_form_offers_a_kind_for_each_key_result(org_box: Sandbox) -> None:
    await open_form(org_box, AUTHOR.id)
    [view] = org_box.fake.open_views_for(AUTHOR.id)
    kinds = [b for b in view["blocks"] if b.get("block_id", "").endswith("_kind")]
    assert [b["block_id"] for b in kinds] == ["kr1_kind", "kr2_kind", "kr3_kind"]
    assert [o["value"] for o in kinds[0]["element"]["options"]] == [
        "numeric",
        "milestone",
        "range",
    ]
    assert kinds[0]["element"]["initial_option"]["value"] == "numeric"


async def test_a_numeric_key_result_still_needs_its_start_and_target(org_box: Sandbox) -> None:
    _, answer = await submit(org_box, {**MILESTONE_FORM, "kr2_kind": "numeric"})
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"kr2_start", "kr2_target"}
    _, answer = await submit(org_box, {**MILESTONE_FORM, "kr2_kind": "forged"})
    assert answer["response_action"] == "errors"
    assert "number, milestone or range" in answer["errors"]["kr2_kind"]
    assert await objectives(org_box) == []


async def test_a_milestone_end_to_end(
    org_box: Sandbox,
    http: aiohttp.ClientSession,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    box = org_box
    _, answer = await submit(box, MILESTONE_FORM)
    assert answer == {}
    [request] = requests_to(box, MANAGER.id)
    assert "Billing live for every customer \u2014 done or not done" in str(request.blocks)
    await approve(box)
    numeric, milestone = await key_results(box)
    assert (numeric.kind, milestone.kind) == ("numeric", "milestone")
    assert (milestone.start_value, milestone.target_value) == (0.0, 1.0)

    # The check-in form asks done or not done; anything else is a field error.
    view = await open_checkin(box, AUTHOR.id)
    first, second = value_blocks(view)
    block = next(b for b in view["blocks"] if b.get("block_id") == second)
    assert block["element"]["type"] == "radio_buttons"
    assert [o["value"] for o in block["element"]["options"]] == ["1", "0"]
    assert block["element"]["initial_option"]["value"] == "0"
    refused = await box.slack.submit_view(AUTHOR.id, view["id"], {first: "45", second: "0.5"})
    assert refused.json()["errors"] == {second: "Choose done or not done."}
    response = await box.slack.submit_view(
        AUTHOR.id, view["id"], {first: "50", second: "1", confidence_block(view): "on_track"}
    )
    assert response.json() == {}
    await box.settle()
    assert [kr.current_value for kr in await key_results(box)] == [50.0, 1.0]
    # Home: done, and the objective at (50 % + 100 %) / 2.
    home = json.dumps(box.fake.home_view(AUTHOR.id))
    assert "Billing live for every customer \\u00b7 done" in home
    assert "75%" in home

    # A DM reply: "not done" for the milestone, a number is unclear for it.
    response, message = await box.slack.dm(AUTHOR.id, "55, 7 on track")
    await box.settle()
    assert [kr.current_value for kr in await key_results(box)] == [50.0, 1.0]
    [unclear] = [m for m in box.fake.bot_dms_to(AUTHOR.id) if m.thread_ts == message.ts]
    assert "is a milestone" in str(unclear.blocks)
    response, message = await box.slack.dm(AUTHOR.id, "55, not done on track \u2014 slipped")
    assert response.status == 200
    await box.settle()
    assert [kr.current_value for kr in await key_results(box)] == [55.0, 0.0]
    [answer_dm] = [m for m in box.fake.bot_dms_to(AUTHOR.id) if m.thread_ts == message.ts]
    assert "not done" in str(answer_dm.blocks)

    # The API: true and 1 are done, 0.5 and booleans for a number are refused.
    token = await make_token(box, capsys)
    path = f"/key-results/{milestone.id}/values"
    status, refusal, _ = await call(http, "POST", path, token, body={"value": 0.5})
    assert (status, refusal["error"]) == (422, "invalid_value")
    assert "milestone" in refusal["message"]
    status, refusal, _ = await call(
        http, "POST", f"/key-results/{numeric.id}/values", token, body={"value": True}
    )
    assert (status, refusal["error"]) == (422, "invalid_value")
    status, recorded, _ = await call(http, "POST", path, token, body={"value": True})
    assert status == 200, recorded
    assert recorded["value"] == 1.0
    assert recorded["key_result"]["kind"] == "milestone"
    assert recorded["key_result"]["progress"] == 1.0
    await box.settle()

    # /okr show, the digest and the export.
    [objective] = await objectives(box)
    shown = await ask(box, COLLEAGUE.id, f"show {objective.id}")
    assert "done \u00b7" in shown.body
    assert "100%" in shown.body
    await box.bot.jobs.run(Job.DIGEST)
    await box.settle()
    [digest] = digests(box)
    # (15 of 20 points = 75 % + 100 %) / 2
    assert digest.text.endswith(": 88% overall"), digest.text
    status, quarter, _ = await call(http, "GET", f"/objectives?quarter={QUARTER}", token)
    [document] = quarter["objectives"]
    assert [k["kind"] for k in document["key_results"]] == ["numeric", "milestone"]
    rows = await export_csv(box, tmp_path)
    assert [r["kr_kind"] for r in rows] == ["numeric", "milestone"]
    assert rows[1]["kr_progress"] == "1"


async def test_a_range_needs_its_low_bound_below_its_high_bound(org_box: Sandbox) -> None:
    _, answer = await submit(org_box, {**RANGE_FORM, "kr2_start": "100", "kr2_target": "99.5"})
    assert answer == {
        "response_action": "errors",
        "errors": {
            "kr2_target": "For a range, the target (high bound) must be above the start (low)."
        },
    }
    _, answer = await submit(org_box, {**RANGE_FORM, "kr2_target": None})
    assert set(answer["errors"]) == {"kr2_target"}
    assert await objectives(org_box) == []


async def test_a_range_end_to_end(
    org_box: Sandbox,
    http: aiohttp.ClientSession,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    box = org_box
    _, answer = await submit(box, RANGE_FORM)
    assert answer == {}
    [request] = requests_to(box, MANAGER.id)
    assert "Uptime \u2014 keep between 99.5 and 100 %" in str(request.blocks)
    await approve(box)
    milestone, uptime = await key_results(box)
    assert (milestone.kind, uptime.kind) == ("milestone", "range")
    assert (uptime.start_value, uptime.target_value) == (99.5, 100.0)

    # The form: a number, labelled with its bounds; inside is 100 %.
    view = await open_checkin(box, AUTHOR.id)
    first, second = value_blocks(view)
    block = next(b for b in view["blocks"] if b.get("block_id") == second)
    assert block["element"]["type"] == "number_input"
    assert "keep between 99.5 and 100" in block["label"]["text"]
    refused = await box.slack.submit_view(AUTHOR.id, view["id"], {first: "0", second: "1e9"})
    assert set(refused.json()["errors"]) == {second}
    response = await box.slack.submit_view(
        AUTHOR.id, view["id"], {first: "0", second: "99.9", confidence_block(view): "on_track"}
    )
    assert response.json() == {}
    await box.settle()
    assert [kr.current_value for kr in await key_results(box)] == [0.0, 99.9]
    home = json.dumps(box.fake.home_view(AUTHOR.id))
    assert "Uptime \\u00b7 99.9 % (keep between 99.5 and 100) \\u00b7 100%" in home

    # A reply: outside the range is no progress.
    response, _ = await box.slack.dm(AUTHOR.id, "done, 98.7 at risk")
    assert response.status == 200
    await box.settle()
    assert [kr.current_value for kr in await key_results(box)] == [1.0, 98.7]
    [objective] = await objectives(box)
    shown = await ask(box, COLLEAGUE.id, f"show {objective.id}")
    assert "98.7 % (keep between 99.5 and 100) \u00b7 " in shown.body
    # Done, and outside the range: (100 % + 0 %) / 2.
    assert "50%" in shown.body
    assert "100%" not in shown.body.split("98.7 %")[1].split("\n")[0]

    # The API: back inside.
    token = await make_token(box, capsys)
    path = f"/key-results/{uptime.id}/values"
    status, recorded, _ = await call(http, "POST", path, token, body={"value": 99.95})
    assert status == 200, recorded
    assert recorded["key_result"]["kind"] == "range"
    assert recorded["key_result"]["progress"] == 1.0
    status, refusal, _ = await call(http, "POST", path, token, body={"value": True})
    assert (status, refusal["error"]) == (422, "invalid_value")
    await box.settle()

    await box.bot.jobs.run(Job.DIGEST)
    await box.settle()
    [digest] = digests(box)
    assert digest.text.endswith(": 100% overall"), digest.text
    rows = await export_csv(box, tmp_path)
    assert [(r["kr_kind"], r["kr_start"], r["kr_target"]) for r in rows] == [
        ("milestone", "0", "1"),
        ("range", "99.5", "100"),
    ]

    # Scored at the close by the share of check-ins inside: 2 of 3, suggested 0.7.
    await box.slack.slash(AUTHOR.id, "score")
    await box.settle()
    view = box.fake.open_views_for(AUTHOR.id)[-1]
    assert view["callback_id"] == ids.SCORE_VIEW
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["element"]["initial_value"] for b in inputs] == ["1.0", "0.7"]
