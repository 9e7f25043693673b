"""The objective form's alignment choices in a company with more published objectives than
a select can hold: which hundred, in which order, and that the form accepts only those."""

from __future__ import annotations

from okrbot.domain.okr import Level, Status
from okrbot.sandbox.harness import AUTHOR, CEO
from okrbot.store.models import KeyResult, Objective
from tests.slack.helpers import GOOD_FORM, objectives, open_form
from tests.support.sandbox import Sandbox

LEVELS = (Level.PERSONAL, Level.TEAM, Level.COMPANY)
RANK = {Level.COMPANY: 0, Level.TEAM: 1, Level.PERSONAL: 2}


async def publish(box: Sandbox, count: int, quarter: str, status: Status = Status.APPROVED) -> None:
    """Objectives of every level, straight into the database (the approval path has tests
    of its own), levels interleaved so that ids and levels disagree."""
    now = box.clock()
    async with box.uow(readonly=False) as uow:
        for n in range(count):
            uow.objectives.add(
                Objective(
                    workspace_id=box.fake.team_id,
                    owner_id=CEO.id,
                    level=LEVELS[n % 3].value,
                    team="Leadership",
                    quarter=quarter,
                    title=f"{quarter} objective {n:03d}",
                    description="",
                    status=status.value,
                    version=1,
                    created_at=now,
                    updated_at=now,
                    published_at=now if status is Status.APPROVED else None,
                    key_results=[
                        KeyResult(
                            position=k,
                            description=f"Key result {k}",
                            start_value=0.0,
                            target_value=10.0,
                            unit="",
                        )
                        for k in (1, 2)
                    ],
                )
            )
        await uow.commit()


def choices(box: Sandbox, view_id: str) -> list[str]:
    align = next(b for b in box.fake.views[view_id]["blocks"] if b.get("block_id") == "aligned_to")
    return [o["value"] for g in align["element"]["option_groups"] for o in g["options"]]


async def test_a_hundred_choices_company_first_then_team_then_personal(org_box: Sandbox) -> None:
    box = org_box
    await publish(box, 6, "2027-Q1")  # next quarter: after all of this one's
    await publish(box, 130, "2026-Q4")
    await publish(box, 3, "2026-Q4", Status.AWAITING_CEO)  # not published: never a choice
    published = [o for o in await objectives(box) if o.status == Status.APPROVED.value]
    expected = sorted(published, key=lambda o: (o.quarter, RANK[Level(o.level)], o.id))[:100]

    view_id = await open_form(box, AUTHOR.id)
    assert choices(box, view_id) == [str(o.id) for o in expected]
    assert {o.quarter for o in expected} == {"2026-Q4"}

    # What the form did not offer is refused, as a forged payload would send it.
    left_out = next(o for o in published if o not in expected)
    refused = await box.slack.submit_view(
        AUTHOR.id, view_id, {**GOOD_FORM, "aligned_to": str(left_out.id)}
    )
    assert refused.json()["response_action"] == "errors"
    accepted = await box.slack.submit_view(
        AUTHOR.id, view_id, {**GOOD_FORM, "aligned_to": str(expected[-1].id)}
    )
    assert accepted.status == 200
    assert accepted.body == ""
    await box.settle()
    mine = [o for o in await objectives(box) if o.owner_id == AUTHOR.id]
    assert [o.aligned_to_id for o in mine] == [expected[-1].id]
