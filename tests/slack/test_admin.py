"""`/okr admin` in single-workspace mode: only the CEO and OKRBOT_ADMINS, settings shown but
changed in configuration, weekly jobs run on demand."""

from __future__ import annotations

from typing import Any

from okrbot.sandbox.driver import Response
from okrbot.sandbox.harness import CEO, CHANNEL, COLLEAGUE, MANAGER, FrozenClock
from tests.slack.weekly_helpers import digests, seed_company
from tests.support.sandbox import Sandbox


def text_of(response: Response) -> str:
    assert response.status == 200
    if not response.body.startswith("{"):
        return response.body
    body: dict[str, Any] = response.json()
    return str(body.get("text", "")) + str(body.get("blocks", ""))


def told(box: Sandbox, user: str) -> list[str]:
    """What okrbot said to the person afterwards: ephemerals, else DMs."""
    return [m.text for m in box.fake.ephemerals_to(user) + box.fake.dms_to(user)]


async def test_only_the_ceo_and_admins_may_use_it(box: Sandbox) -> None:
    await seed_company(box, 3)
    refused = text_of(await box.slack.slash(COLLEAGUE.id, "admin run digest"))
    await box.settle()
    assert "Only the CEO and okrbot's admins" in refused
    assert f"<@{CEO.id}>" in refused
    assert digests(box) == []
    assert "Only the CEO" in text_of(await box.slack.slash(COLLEAGUE.id, "admin"))


async def test_the_ceo_sees_the_settings_and_where_they_are_changed(box: Sandbox) -> None:
    shown = text_of(await box.slack.slash(CEO.id, "admin"))
    assert f"CEO: <@{CEO.id}>" in shown
    assert f"<#{CHANNEL}>" in shown
    assert "OKRBOT_ADMINS" in shown
    moved = text_of(await box.slack.slash(CEO.id, f"admin ceo <@{MANAGER.id}|mads>"))
    assert "OKRBOT_CEO" in moved
    assert "configuration" in moved
    unknown = text_of(await box.slack.slash(CEO.id, "admin frobnicate"))
    assert "frobnicate" in unknown
    assert "/okr admin run" in unknown
    assert "Which job?" in text_of(await box.slack.slash(CEO.id, "admin run"))
    assert "Which job?" in text_of(await box.slack.slash(CEO.id, "admin run lunch"))


async def test_the_ceo_runs_the_digest_now_and_once_a_week(box: Sandbox) -> None:
    await seed_company(box, 3)
    started = text_of(await box.slack.slash(CEO.id, "admin run digest"))
    await box.settle()
    assert "Running digest" in started
    assert len(digests(box)) == 1  # the parent message; its thread reply is the second
    assert any("digest (2026-W48): 2 sent" in t for t in told(box, CEO.id))

    again = text_of(await box.slack.slash(CEO.id, "admin run digest"))
    await box.settle()
    assert "Running digest" in again
    assert len(digests(box)) == 1
    assert any("2 already sent" in t and "force" in t for t in told(box, CEO.id)), told(box, CEO.id)

    await box.slack.slash(CEO.id, "admin run digest force")
    await box.settle()
    assert len(digests(box)) == 2


async def test_configured_admins_may_run_jobs(database_url: str, clock: FrozenClock) -> None:
    async with Sandbox(database_url, clock=clock, admins=COLLEAGUE.id) as box:
        await seed_company(box, 2)
        await box.slack.slash(COLLEAGUE.id, "admin run checkin")
        await box.settle()
        assert any("checkin (2026-W48): 2 sent" in t for t in told(box, COLLEAGUE.id))
        assert "Only the CEO" in text_of(await box.slack.slash(MANAGER.id, "admin"))
        assert box.fake.violations == []
