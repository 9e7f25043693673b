"""Status from pace through the app: behind pace and stale, beside the owner's confidence,
in the digest, on Home and in `/okr show`, in each reader's language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from okrbot.domain.weekly import Job
from okrbot.sandbox.harness import FrozenClock
from okrbot.slack import chart
from okrbot.store.models import JobRun, KeyResult, Objective
from tests.slack.test_home import open_home, text_of
from tests.slack.weekly_helpers import digests, seed_company
from tests.support.sandbox import Sandbox

# 2026-Q4 began on 1 October; on 25 November 56 of its 92 days are gone (61 %).
EARLY = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def set_progress(box: Sandbox, owner: str, value: float, checked: datetime) -> None:
    """Key results at `value` of 0..100, checked in on `checked`, confidence on track."""
    async with box.uow(readonly=False) as uow:
        objective = await uow.session.scalar(select(Objective).where(Objective.owner_id == owner))
        assert objective is not None
        objective.confidence = "on_track"
        objective.last_check_in_at = checked
        for kr in (
            await uow.session.scalars(
                select(KeyResult).where(KeyResult.objective_id == objective.id)
            )
        ).all():
            kr.current_value = kr.start_value + (kr.target_value - kr.start_value) * value / 100
            kr.current_at = checked
        await uow.commit()


async def norwegian(box: Sandbox, user: str) -> None:
    async with box.uow(readonly=False) as uow:
        person = await uow.people.get(box.fake.team_id, user)
        assert person is not None
        person.locale = "nb-NO"
        await uow.commit()


async def show(box: Sandbox, user: str, objective_id: int) -> str:
    data = (await box.slack.slash(user, f"show {objective_id}")).json()
    return str(data["blocks"])


async def objective_of(box: Sandbox, owner: str) -> int:
    async with box.uow() as uow:
        found = await uow.session.scalar(select(Objective.id).where(Objective.owner_id == owner))
    assert found is not None
    return found


async def pace_company(box: Sandbox, first: int = 0) -> tuple[str, str, str]:
    """Three owners on three teams: one behind pace (20 % done, checked in yesterday),
    one on pace (70 %), and one stale (70 %, last checked in 20 days ago)."""
    behind, on_pace, stale = await seed_company(
        box, 3, krs=1, teams=3, published=EARLY, first=first
    )
    await set_progress(box, behind, 20, datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    await set_progress(box, on_pace, 70, datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    await set_progress(box, stale, 70, datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    return behind, on_pace, stale


async def test_flags_on_home_and_show_beside_the_confidence(box: Sandbox) -> None:
    box.clock.now = NOW
    behind, on_pace, stale = await pace_company(box)

    home = text_of(await open_home(box, behind))
    assert "On track \u00b7 :snail: Behind pace" in home
    assert ":hourglass:" not in home
    assert "Behind pace" not in text_of(await open_home(box, on_pace))
    stale_home = text_of(await open_home(box, stale))
    assert ":hourglass: Stale" in stale_home
    assert "Behind pace" not in stale_home

    shown = await show(box, on_pace, await objective_of(box, behind))
    assert "Behind pace: 20% done, 61% of the quarter gone" in shown
    assert "On track" in shown
    assert "Stale: no check-in for 14+ days" in await show(
        box, on_pace, await objective_of(box, stale)
    )
    assert "Behind pace" not in await show(box, behind, await objective_of(box, on_pace))

    # In Norwegian, and the owner's confidence is untouched.
    await norwegian(box, behind)
    home = text_of(await open_home(box, behind))
    assert ":snail: Henger etter" in home
    shown = await show(box, behind, await objective_of(box, stale))
    assert "Ikke oppdatert: ingen innsjekk på 14+ dager" in shown
    async with box.uow() as uow:
        confidences = (await uow.session.scalars(select(Objective.confidence))).all()
    assert set(confidences) == {"on_track"}


async def test_the_digest_flags_and_counts_per_team(box: Sandbox) -> None:
    box.clock.now = NOW
    await pace_company(box)
    await box.bot.jobs.run(Job.DIGEST)
    await box.settle()
    [digest] = digests(box)
    text = str(digest.blocks)
    attention = next(
        b["text"]["text"] for b in digest.blocks if "Needs attention" in str(b.get("text"))
    )
    assert "Objective 0 of person 0000" in attention
    assert ":large_green_circle: Objective 0 of person 0000" in attention
    assert ":snail: Behind pace" in attention
    assert "Objective 0 of person 0002 \u00b7 Person 0002 \u00b7 70% \u00b7 :hourglass: Stale" in (
        attention
    )
    assert "Objective 0 of person 0001" not in attention
    assert "Team 00: 0 stale objectives \u00b7 1 behind pace" in text
    assert "Team 02: 1 stale objective \u00b7 0 behind pace" in text
    assert "Team 01:" not in text


async def test_the_setting_moves_the_threshold(database_url: str) -> None:
    # 20 % done with 61 % gone is 41 points behind: not behind with a threshold of 45.
    async with Sandbox(
        database_url, clock=FrozenClock(NOW), behind_pace_points="45", language="nb"
    ) as box:
        behind, _, _ = await pace_company(box)
        assert "Behind pace" not in text_of(await open_home(box, behind))
        await box.bot.jobs.run(Job.DIGEST)
        await box.settle()
        [digest] = [
            m
            for m in box.fake.channel_messages(box.settings().channel or "")
            if m.thread_ts is None
        ]
        assert "Henger etter" not in str(digest.blocks)
        assert "Team 02: 1 mål ikke oppdatert \u00b7 0 henger etter" in str(digest.blocks)
    async with Sandbox(database_url, clock=FrozenClock(NOW), behind_pace_points="40") as box:
        behind, _, _ = await pace_company(box, first=3)
        assert ":snail: Behind pace" in text_of(await open_home(box, behind))


async def test_the_digests_chart_has_a_line_per_team_in_the_companys_language(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten teams: the eight with the most objectives get a line each, the others one
    "other" line; the picture, its title and its alt text in the channel's language."""
    legends: list[list[str]] = []
    draw = chart.draw

    def drawn(*args: Any, **kwargs: Any) -> bytes:
        def inspect(figure: Any) -> None:
            legends.append([text.get_text() for text in figure.legends[0].get_texts()])

        return draw(*args, **{**kwargs, "inspect": inspect})

    monkeypatch.setattr(chart, "draw", drawn)
    async with Sandbox(database_url, clock=FrozenClock(NOW), language="nb") as box:
        # Team 00 has one objective, Teams 01 to 09 two each.
        await seed_company(box, 19, krs=1, teams=10, published=EARLY, first=1)
        await box.bot.jobs.run(Job.DIGEST)
        await box.settle()
        await box.bot.jobs.run(Job.DIGEST)  # done already: nothing again
        await box.settle()

        [parent] = [
            m
            for m in box.fake.channel_messages(box.settings().channel or "")
            if m.thread_ts is None
        ]
        [upload] = box.fake.calls_to("files.getUploadURLExternal")
        assert upload.args["alt_txt"] == (
            "Et linjediagram over hvert teams fremdrift per uke i 2026-Q4, mot et jevnt tempo."
        )
        [picture] = box.fake.files.values()
        assert picture["thread_ts"] == parent.ts
        assert picture["data"][:8] == b"\x89PNG\r\n\x1a\n"
        assert picture["title"] == "Fremdrift per team, 2026-Q4"
        teams = [f"Team {n:02d}" for n in range(1, 9)]
        assert legends == [["Jevnt tempo", *teams, "Andre team"]]
        async with box.uow() as uow:
            [run] = (
                await uow.session.scalars(select(JobRun).where(JobRun.job == Job.DIGEST))
            ).all()
        lines = run.payload["chart"]["lines"]
        assert [(line["team"], line["other"], line["objectives"]) for line in lines] == [
            *((team, False, 2) for team in teams),
            (None, True, 3),
        ]
        # The end of each of the 7 weeks gone, then 25 November: nothing checked in yet.
        assert {tuple(line["progress"]) for line in lines} == {(0.0,) * 8}
