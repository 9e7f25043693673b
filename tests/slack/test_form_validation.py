"""The objective form's checks, through the real app: signed submissions in, a
`response_action: errors` answer out, and nothing stored or sent when the form is refused.

Slack's client checks lengths, required blocks and number inputs before it submits, but
a payload can be forged; so most cases here send what the client would never let through.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from okrbot.sandbox.driver import Response, form_state
from okrbot.sandbox.harness import AUTHOR, MANAGER
from okrbot.slack import ids
from okrbot.store.models import KeyResult, Objective
from tests.slack.helpers import GOOD_FORM, objectives, open_form, requests_to
from tests.support.sandbox import Sandbox

NO_KR2 = {"kr2_desc": None, "kr2_start": None, "kr2_target": None, "kr2_unit": None}


async def key_result_counts(box: Sandbox) -> list[int]:
    async with box.uow() as uow:
        rows = await uow.session.execute(
            select(func.count(KeyResult.id))
            .select_from(Objective)
            .outerjoin(KeyResult, KeyResult.objective_id == Objective.id)
            .group_by(Objective.id)
            .order_by(Objective.id)
        )
        return [int(count) for (count,) in rows.all()]


async def assert_refused(box: Sandbox, response: Response) -> dict[str, str]:
    """The answer is an errors response, and the refusal left no trace."""
    assert response.status == 200
    body = response.json()
    assert body.get("response_action") == "errors", body
    assert set(body) == {"response_action", "errors"}
    await box.settle()
    assert await objectives(box) == []
    assert requests_to(box, MANAGER.id) == []
    errors: dict[str, str] = body["errors"]
    return errors


def kr_state(index: int, desc: str, start: str, target: str) -> dict[str, Any]:
    """State entries Slack would send for key result `index` (1-based)."""
    return {
        f"kr{index}_desc": {ids.VALUE: {"type": "plain_text_input", "value": desc}},
        f"kr{index}_start": {ids.VALUE: {"type": "number_input", "value": start}},
        f"kr{index}_target": {ids.VALUE: {"type": "number_input", "value": target}},
        f"kr{index}_unit": {ids.VALUE: {"type": "plain_text_input", "value": None}},
    }


# -- what a person (or a forged payload) types into the fields


@pytest.mark.parametrize(
    ("changes", "block", "fragment"),
    [
        pytest.param({"title": None}, "title", "short title", id="title-empty"),
        pytest.param({"title": "   "}, "title", "short title", id="title-whitespace"),
        pytest.param({"title": "x" * 151}, "title", "(151 now)", id="title-151"),
        pytest.param({"title": "x" * 10_000}, "title", "(10000 now)", id="title-10000"),
        pytest.param({"description": "d" * 2001}, "description", "2000", id="description-long"),
        pytest.param({"kr1_desc": "k" * 301}, "kr1_desc", "(301 now)", id="kr-desc-long"),
        pytest.param({"kr2_unit": "u" * 31}, "kr2_unit", "30", id="unit-long"),
        pytest.param({"kr1_start": "abc"}, "kr1_start", "must be a number", id="start-abc"),
        pytest.param({"kr1_start": "1e999"}, "kr1_start", "must be a number", id="start-inf"),
        pytest.param({"kr2_target": "NaN"}, "kr2_target", "must be a number", id="target-nan"),
        pytest.param({"kr1_target": "1e13"}, "kr1_target", "out of range", id="target-huge"),
        pytest.param({"kr1_start": None}, "kr1_start", "Enter a start", id="start-missing"),
        pytest.param({"kr1_target": "40.0"}, "kr1_target", "must differ", id="start-eq-target"),
        pytest.param(
            {"kr2_desc": "  ACTIVATION rate   in week ONE "},
            "kr2_desc",
            "Same as key result 1",
            id="duplicate-kr",
        ),
        pytest.param(
            {"kr3_start": "1", "kr3_target": "2"}, "kr3_desc", "Describe", id="kr-without-desc"
        ),
        pytest.param(NO_KR2, "kr2_desc", "2 to 5 key results (1 filled in)", id="one-kr"),
        pytest.param(
            {**NO_KR2, "kr1_desc": None, "kr1_start": None, "kr1_target": None, "kr1_unit": None},
            "kr1_desc",
            "(0 filled in)",
            id="no-kr",
        ),
        pytest.param({"level": "galactic"}, "level", "company, team or personal", id="level"),
        pytest.param({"level": None}, "level", "company, team or personal", id="level-none"),
        pytest.param({"quarter": "2026-Q3"}, "quarter", "2026-Q4, 2027-Q1", id="quarter-past"),
        pytest.param({"quarter": "2031-Q1"}, "quarter", "2026-Q4, 2027-Q1", id="quarter-far"),
        # Slack never sends these; a forged payload can, and no database stores them.
        pytest.param({"title": "Grow\x00 revenue"}, "title", "cannot be stored", id="title-nul"),
        pytest.param({"title": "Grow \ud800"}, "title", "cannot be stored", id="title-surrogate"),
        pytest.param(
            {"description": "Why\x00" + "d" * 2001},
            "description",
            "cannot be stored",
            id="description-nul",
        ),
        pytest.param(
            {"kr1_desc": "Activation \udfff"}, "kr1_desc", "cannot be stored", id="kr-surrogate"
        ),
        pytest.param({"kr2_unit": "da\x00ys"}, "kr2_unit", "cannot be stored", id="unit-nul"),
        # Published for everyone to read: nothing invisible, nothing that reorders the text.
        pytest.param(
            {"title": "\u200b\u200c\u200d\u2060\ufeff\u00ad \u3164"},
            "title",
            "nothing visible",
            id="title-zero-width",
        ),
        pytest.param(
            {"title": "Ship the \u202egnirut\u202c app"},
            "title",
            "direction controls",
            id="title-override",
        ),
        pytest.param(
            {"description": "Plan \u2066x\u2069"},
            "description",
            "direction controls",
            id="description-isolate",
        ),
        pytest.param({"kr2_unit": "\u202d%"}, "kr2_unit", "direction controls", id="unit-bidi"),
        pytest.param({"kr1_desc": "\u200b\u200b"}, "kr1_desc", "Describe", id="kr-zero-width"),
    ],
)
async def test_a_bad_field_is_refused_under_its_block(
    org_box: Sandbox, changes: dict[str, Any], block: str, fragment: str
) -> None:
    view_id = await open_form(org_box, AUTHOR.id)
    response = await org_box.slack.submit_view(AUTHOR.id, view_id, {**GOOD_FORM, **changes})
    errors = await assert_refused(org_box, response)
    assert list(errors) == [block]
    assert fragment in errors[block]


async def test_all_problems_come_back_in_one_answer(org_box: Sandbox) -> None:
    view_id = await open_form(org_box, AUTHOR.id)
    bad = {**GOOD_FORM, "title": "", "level": "galactic", "kr1_start": "abc"}
    errors = await assert_refused(org_box, await org_box.slack.submit_view(AUTHOR.id, view_id, bad))
    assert sorted(errors) == ["kr1_start", "level", "title"]


# -- states the Slack client never sends


def _without(block: str) -> Any:
    def edit(state: dict[str, Any]) -> None:
        del state[block]

    return edit


def _sixth_key_result(state: dict[str, Any]) -> None:
    for index in range(3, 7):
        state.update(kr_state(index, f"Measure {index}", "0", "1"))


def _aligned_to(value: str) -> Any:
    def edit(state: dict[str, Any]) -> None:
        state[ids.ALIGNED_TO] = {
            ids.VALUE: {"type": "static_select", "selected_option": {"value": value}}
        }

    return edit


def _junk_values(state: dict[str, Any]) -> None:
    state["title"] = "a string where a dict belongs"
    state["level"] = {ids.VALUE: {"type": "static_select", "selected_option": ["team"]}}
    state["kr1_start"] = {ids.VALUE: {"type": "number_input", "value": 40}}


async def test_errors_for_absent_blocks_join_the_title_error(org_box: Sandbox) -> None:
    view_id = await open_form(org_box, AUTHOR.id)
    state = form_state(org_box.fake.views[view_id], {**GOOD_FORM, "title": ""})
    _aligned_to("abc")(state)
    response = await org_box.slack.submit_view(AUTHOR.id, view_id, raw_state=state)
    errors = await assert_refused(org_box, response)
    assert list(errors) == ["title"]
    assert "short title" in errors["title"]
    assert "from the list" in errors["title"]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(_without("title"), {"title": "short title"}, id="no-title-block"),
        pytest.param(_without("level"), {"level": "company, team"}, id="no-level-block"),
        pytest.param(_without("quarter"), {"quarter": "Choose one of"}, id="no-quarter-block"),
        pytest.param(_without("kr1_target"), {"kr1_target": "Enter a target"}, id="no-kr-block"),
        # Nothing is published, so the form has no alignment block and the error has to
        # surface under a block that exists: the title.
        pytest.param(_aligned_to("1"), {"title": "not a published"}, id="aligned-unknown"),
        pytest.param(_aligned_to("abc"), {"title": "from the list"}, id="aligned-not-int"),
        # kr6 is not in the view either.
        pytest.param(_sixth_key_result, {"title": "At most 5 key results"}, id="sixth-kr"),
        pytest.param(
            _junk_values,
            {"title": "short title", "level": "company, team", "kr1_start": "Enter a start"},
            id="wrong-types",
        ),
    ],
)
async def test_forged_state_is_refused(
    org_box: Sandbox, edit: Any, expected: dict[str, str]
) -> None:
    view_id = await open_form(org_box, AUTHOR.id)
    state = form_state(org_box.fake.views[view_id], GOOD_FORM)
    edit(state)
    response = await org_box.slack.submit_view(AUTHOR.id, view_id, raw_state=state)
    errors = await assert_refused(org_box, response)
    assert sorted(errors) == sorted(expected)
    for block, fragment in expected.items():
        assert fragment in errors[block]


async def test_a_sixth_key_result_beside_a_blank_slot_is_five(org_box: Sandbox) -> None:
    # The parser reads one slot past the form's maximum; what counts is how many are filled.
    view_id = await open_form(org_box, AUTHOR.id)
    state = form_state(org_box.fake.views[view_id], GOOD_FORM)
    for index in (4, 5, 6):
        state.update(kr_state(index, f"Measure {index}", "0", "1"))
    response = await org_box.slack.submit_view(AUTHOR.id, view_id, raw_state=state)
    assert response.json() == {}
    await org_box.settle()
    assert await key_result_counts(org_box) == [5]


async def test_an_empty_state_is_refused(org_box: Sandbox) -> None:
    view_id = await open_form(org_box, AUTHOR.id)
    response = await org_box.slack.submit_view(AUTHOR.id, view_id, raw_state={})
    errors = await assert_refused(org_box, response)
    assert {"title", "level", "quarter", "kr1_desc"} <= set(errors)


# -- private_metadata


@pytest.mark.parametrize(
    "metadata",
    ["{not json", "", "null", "[]", '"slots"', '{"slots": "many"}', '{"edit": true}'],
)
async def test_garbage_metadata_submits_a_new_objective(org_box: Sandbox, metadata: str) -> None:
    view_id = await open_form(org_box, AUTHOR.id)
    response = await org_box.slack.submit_view(
        AUTHOR.id, view_id, GOOD_FORM, private_metadata=metadata
    )
    assert response.status == 200
    assert response.json() == {}
    await org_box.settle()
    [objective] = await objectives(org_box)
    assert (objective.title, objective.version) == ("Make onboarding delightful", 1)
    assert len(requests_to(org_box, MANAGER.id)) == 1


@pytest.mark.parametrize("metadata", ['{"slots": 1e999}', '{"edit": [Infinity, 1]}'])
async def test_metadata_with_an_infinite_number_is_still_a_new_objective(
    org_box: Sandbox, metadata: str
) -> None:
    view_id = await open_form(org_box, AUTHOR.id)
    response = await org_box.slack.submit_view(
        AUTHOR.id, view_id, GOOD_FORM, private_metadata=metadata
    )
    assert response.status == 200
    assert response.json() == {}
    await org_box.settle()
    assert len(await objectives(org_box)) == 1


async def test_metadata_naming_an_objective_that_does_not_exist(org_box: Sandbox) -> None:
    view_id = await open_form(org_box, AUTHOR.id)
    response = await org_box.slack.submit_view(
        AUTHOR.id, view_id, GOOD_FORM, private_metadata='{"slots": 3, "edit": [4242, 1]}'
    )
    errors = await assert_refused(org_box, response)
    assert list(errors) == ["title"]
    assert "gone or not yours" in errors["title"]


# -- growing the form


async def test_add_a_key_result_twice_then_submit_five(org_box: Sandbox) -> None:
    box = org_box
    view_id = await open_form(box, AUTHOR.id)
    for expected_slots in (4, 5):
        response = await box.slack.click_in_view(AUTHOR.id, view_id, ids.ADD_KR)
        assert response.status == 200
        await box.settle()
        view = box.fake.views[view_id]
        block_ids = {b.get("block_id") for b in view["blocks"]}
        assert f"kr{expected_slots}_desc" in block_ids
        assert f"kr{expected_slots + 1}_desc" not in block_ids
        assert json.loads(view["private_metadata"])["slots"] == expected_slots

    view = box.fake.views[view_id]
    assert {"kr4_desc", "kr4_start", "kr4_target", "kr4_unit", "kr5_desc", "kr5_unit"} <= {
        b.get("block_id") for b in view["blocks"]
    }
    assert "add_kr" not in {b.get("block_id") for b in view["blocks"]}
    with pytest.raises(LookupError):
        await box.slack.click_in_view(AUTHOR.id, view_id, ids.ADD_KR)
    # Growing the form stored nothing: it is still only a form.
    assert await objectives(box) == []

    five = dict(GOOD_FORM)
    for index in (3, 4, 5):
        five |= {f"kr{index}_desc": f"Measure {index}", f"kr{index}_start": "0"}
        five[f"kr{index}_target"] = str(index)
    response = await box.slack.submit_view(AUTHOR.id, view_id, five)
    assert response.json() == {}
    await box.settle()
    assert len(await objectives(box)) == 1
    assert await key_result_counts(box) == [5]
    [request] = requests_to(box, MANAGER.id)
    assert "Measure 5" in str(request.blocks)


async def test_a_grown_form_still_refuses_six(org_box: Sandbox) -> None:
    view_id = await open_form(org_box, AUTHOR.id)
    for _ in range(2):
        await org_box.slack.click_in_view(AUTHOR.id, view_id, ids.ADD_KR)
        await org_box.settle()
    state = form_state(org_box.fake.views[view_id], GOOD_FORM)
    for index in range(3, 7):
        state.update(kr_state(index, f"Measure {index}", "0", "1"))
    response = await org_box.slack.submit_view(AUTHOR.id, view_id, raw_state=state)
    errors = await assert_refused(org_box, response)
    assert list(errors) == ["title"]
    assert "At most 5" in errors["title"]


# -- submitting twice, and a trigger Slack no longer honours


async def test_the_same_form_submitted_twice_is_one_objective(org_box: Sandbox) -> None:
    box = org_box
    view_id = await open_form(box, AUTHOR.id)
    first = await box.slack.submit_view(AUTHOR.id, view_id, GOOD_FORM)
    await box.settle()
    second = await box.slack.submit_view(AUTHOR.id, view_id, GOOD_FORM)
    await box.settle()
    # The second answer closes the modal too: the person's objective did go in.
    assert (first.json(), second.json()) == ({}, {})
    assert len(await objectives(box)) == 1
    assert len(requests_to(box, MANAGER.id)) == 1


async def test_two_racing_submissions_of_one_form_are_one_objective(org_box: Sandbox) -> None:
    box = org_box
    view_id = await open_form(box, AUTHOR.id)
    answers = await asyncio.gather(
        box.slack.submit_view(AUTHOR.id, view_id, GOOD_FORM),
        box.slack.submit_view(AUTHOR.id, view_id, GOOD_FORM),
    )
    await box.settle()
    assert [a.status for a in answers] == [200, 200]
    assert {} in [a.json() for a in answers]
    assert len(await objectives(box)) == 1
    assert len(requests_to(box, MANAGER.id)) == 1


async def test_a_spent_trigger_gets_a_note_instead_of_a_form(org_box: Sandbox) -> None:
    box = org_box
    trigger = box.fake.new_trigger_id(AUTHOR.id)
    # Slack lets a trigger open one view; here something else already used it.
    await box.bot.gateway.open_view(
        trigger, {"type": "modal", "title": {"type": "plain_text", "text": "Other"}, "blocks": []}
    )
    command = {
        "team_id": box.fake.team_id,
        "channel_id": box.fake.dm_id(AUTHOR.id),
        "user_id": AUTHOR.id,
        "command": ids.COMMAND,
        "text": "new",
        "trigger_id": trigger,
        "response_url": f"{box.fake.api_url}../response/{AUTHOR.id}",
    }
    response = await box.slack.post_raw(urlencode(command))
    assert response.status == 200
    await box.settle()
    # Only the view that spent the trigger is open; the form never appeared.
    assert [v["title"]["text"] for v in box.fake.open_views_for(AUTHOR.id)] == ["Other"]
    notes = [
        m.text for m in box.fake.messages if m.user == AUTHOR.id or m.ephemeral_for == AUTHOR.id
    ]
    assert notes == ["Slack did not let me open the form in time. Please try again."]
    assert await objectives(box) == []


async def test_text_that_reads_well_in_any_script_is_accepted(org_box: Sandbox) -> None:
    # Right-to-left marks, joiners inside words and emoji are writing, not tricks.
    title = "\u05e9\u05dc\u05d5\u05dd\u200f team \U0001f469\u200d\U0001f4bb f\u00e5r det"
    view_id = await open_form(org_box, AUTHOR.id)
    response = await org_box.slack.submit_view(AUTHOR.id, view_id, {**GOOD_FORM, "title": title})
    assert response.json() == {}
    await org_box.settle()
    assert [o.title for o in await objectives(org_box)] == [title]


@pytest.mark.parametrize(
    ("reason", "fragment"),
    [
        ("Too vague\x00", "cannot be stored"),
        ("\ud83d vague", "cannot be stored"),
        ("\u202eeugav ooT", "direction controls"),
        ("\u200b\ufeff", "Tell the author why"),
    ],
    ids=["nul", "surrogate", "override", "zero-width"],
)
async def test_a_rejection_reason_no_one_can_read_is_refused(
    org_box: Sandbox, reason: str, fragment: str
) -> None:
    box = org_box
    view_id = await open_form(box, AUTHOR.id)
    assert (await box.slack.submit_view(AUTHOR.id, view_id, GOOD_FORM)).json() == {}
    await box.settle()
    [request] = requests_to(box, MANAGER.id)
    await box.slack.click(MANAGER.id, request, ids.REJECT)
    await box.settle()
    reject_view = box.fake.open_views_for(MANAGER.id)[-1]
    response = await box.slack.submit_view(MANAGER.id, reject_view["id"], {"reason": reason})
    body = response.json()
    assert body["response_action"] == "errors"
    assert fragment in body["errors"][ids.REASON]
    await box.settle()
    assert [o.status for o in await objectives(box)] == ["awaiting_manager"]
    assert [m for m in box.fake.dms_to(AUTHOR.id) if "reject" in m.text.lower()] == []
