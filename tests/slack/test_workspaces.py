"""OAuth installs in several workspaces: each with its own token, settings, OKRs, org chart
and digest; nothing of one ever reaches another; removing okrbot stops a workspace's jobs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from okrbot.sandbox.driver import SlackDriver
from okrbot.sandbox.fake_slack import ApiCall, FakeSlack, FakeUser
from okrbot.sandbox.harness import AUTHOR, CEO, CHANNEL, FrozenClock
from okrbot.services.orgchart import OrgChartError
from okrbot.slack import ids
from okrbot.store.models import BOTS, INSTALLATIONS, Approval, Objective, Person, Workspace
from tests.slack.helpers import GOOD_FORM, button_values
from tests.slack.weekly_helpers import prompts_to
from tests.support.sandbox import Sandbox

OTHER = "T0OTHER01"
OTHER_CEO = "U0BCEO001"
OTHER_AUTHOR = "U0BAUT001"
OTHER_CHANNEL = "C0BOKRS01"
OTHER_TITLE = "Open the Bergen office"

ORG_A = f"user,manager,team\n{CEO.id},,Leadership\n{AUTHOR.id},{CEO.id},Product\n"
ORG_B = f"user,manager,team\n{OTHER_CEO},,Board\n{OTHER_AUTHOR},{OTHER_CEO},Sales\n"


@pytest.fixture
async def oauth_box(database_url: str, clock: FrozenClock) -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(database_url, clock=clock, oauth=True)
    async with sandbox:
        fake = sandbox.fake
        fake.add_workspace(OTHER, "Other Co")
        fake.add_user(
            FakeUser(OTHER_CEO, "bea", "Bea (CEO of Other)", "bea@other.example", team_id=OTHER)
        )
        fake.add_user(FakeUser(OTHER_AUTHOR, "bo", "Bo", "bo@other.example", team_id=OTHER))
        fake.add_channel(OTHER_CHANNEL, "okrs", team_id=OTHER)
        yield sandbox
        assert fake.violations == [], "the app sent something Slack refuses"


def reply(response: Any) -> str:
    """What the person sees: an ack's plain text, or its message's text and blocks."""
    if not response.body.startswith("{"):
        return str(response.body)
    body = response.json()
    return str(body.get("text", "")) + str(body.get("blocks", ""))


async def set_up(
    box: Sandbox, slack: SlackDriver, admin: str, ceo: str, channel: str, org: str
) -> None:
    assert "CEO" in reply(await slack.slash(admin, f"admin ceo <@{ceo}|someone>"))
    assert "digest" in reply(await slack.slash(admin, f"admin channel <#{channel}|okrs>"))
    summary = await box.import_org(org, team_id=slack.team_id)
    assert summary.created == 2


async def publish(box: Sandbox, slack: SlackDriver, author: str, ceo: str, title: str) -> None:
    """The author's objective through the form and the CEO's approval, in that workspace."""
    assert (await slack.slash(author, "new")).status == 200
    await box.settle()
    view_id = str(box.fake.open_views_for(author)[-1]["id"])
    await slack.submit_view(author, view_id, {**GOOD_FORM, "title": title})
    await box.settle()
    request = next(m for m in box.fake.dms_to(ceo) if ids.APPROVE in button_values(m))
    await slack.click(ceo, request, ids.APPROVE)
    await box.settle()


async def two_workspaces(box: Sandbox, *, publishing: bool) -> tuple[SlackDriver, SlackDriver]:
    """Both workspaces installed and set up, each (if publishing) with a published objective."""
    first = await box.install(box.fake.team_id, CEO.id)
    other = await box.install(OTHER, OTHER_CEO)
    await set_up(box, first, CEO.id, CEO.id, CHANNEL, ORG_A)
    await set_up(box, other, OTHER_CEO, OTHER_CEO, OTHER_CHANNEL, ORG_B)
    if publishing:
        await publish(box, first, AUTHOR.id, CEO.id, GOOD_FORM["title"])
        await publish(box, other, OTHER_AUTHOR, OTHER_CEO, OTHER_TITLE)
    return first, other


def team_of_target(fake: FakeSlack, call: ApiCall) -> str | None:
    """The workspace a call's channel or user belongs to (None when it names neither)."""
    target = call.args.get("channel") or call.args.get("user_id") or call.args.get("user")
    if not isinstance(target, str) or not target:
        return None
    if target[0] in "CG":
        channel = fake.channels.get(target)
        return (channel.team_id or fake.team_id) if channel else None
    return fake.team_of("U" + target[1:] if target[0] == "D" else target)


async def test_install_records_the_workspace_and_welcomes_the_installer(
    oauth_box: Sandbox,
) -> None:
    box = oauth_box
    await box.install(OTHER, OTHER_AUTHOR)

    async with box.uow() as uow:
        workspace = await uow.session.get(Workspace, OTHER)
        bots = (await uow.session.execute(select(BOTS.c.team_id, BOTS.c.bot_token))).all()
        installations = (await uow.session.execute(select(INSTALLATIONS.c.user_id))).all()
    assert workspace is not None
    assert (workspace.installed_by, workspace.admins, workspace.ceo) == (
        OTHER_AUTHOR,
        [OTHER_AUTHOR],
        None,
    )
    assert [(team, token) for team, token in bots] == [(OTHER, box.fake.token_of(OTHER))]
    assert [row[0] for row in installations] == [OTHER_AUTHOR]
    welcome = box.fake.dms_to(OTHER_AUTHOR)
    assert len(welcome) == 1
    assert "/okr admin ceo" in welcome[0].text
    # The welcome went out with the new workspace's own token.
    assert {c.team for c in box.fake.calls_to("chat.postMessage")} == {OTHER}


async def test_a_reinstall_by_a_member_changes_no_role(oauth_box: Sandbox) -> None:
    box = oauth_box
    other = await box.install(OTHER, OTHER_CEO)
    box.fake.reset_calls()

    # Any member may be allowed to install apps: installing again is not a way in.
    await box.install(OTHER, OTHER_AUTHOR)
    await box.settle()
    refused = reply(await other.slash(OTHER_AUTHOR, f"admin ceo <@{OTHER_AUTHOR}|bo>"))
    assert "Only the CEO and okrbot's admins" in refused
    async with box.uow() as uow:
        workspace = await uow.session.get(Workspace, OTHER)
    assert workspace is not None
    assert (workspace.admins, workspace.ceo, workspace.installed_by) == (
        [OTHER_CEO],
        None,
        OTHER_CEO,
    )
    # Nobody is welcomed as the admin they are not.
    assert box.fake.dms_to(OTHER_AUTHOR) == []

    # Removed and installed again by the member: the new token is kept and serves, and
    # still nobody's role changes.
    box.fake.uninstall(OTHER)
    assert (await other.event({"type": "app_uninstalled"})).status == 200
    await box.settle()
    await box.install(OTHER, OTHER_AUTHOR)
    await box.settle()
    async with box.uow() as uow:
        workspace = await uow.session.get(Workspace, OTHER)
        bots = (await uow.session.execute(select(BOTS.c.team_id, BOTS.c.bot_token))).all()
    assert workspace is not None
    assert (workspace.admins, workspace.uninstalled_at) == ([OTHER_CEO], None)
    assert [(team, token) for team, token in bots][-1] == (OTHER, box.fake.token_of(OTHER))
    assert "CEO" in reply(await other.slash(OTHER_CEO, f"admin ceo <@{OTHER_CEO}|bea>"))
    assert "Only the CEO and okrbot's admins" in reply(
        await other.slash(OTHER_AUTHOR, f"admin add <@{OTHER_AUTHOR}|bo>")
    )
    assert box.fake.dms_to(OTHER_AUTHOR) == []


async def test_a_workspace_nobody_can_set_up_is_taken_over_by_its_installer(
    oauth_box: Sandbox,
) -> None:
    box = oauth_box
    other = await box.install(OTHER, OTHER_CEO)
    # Its only admin left before choosing a CEO: nobody could ever set it up.
    assert "no longer an admin" in reply(
        await other.slash(OTHER_CEO, f"admin remove <@{OTHER_CEO}|bea>")
    )

    await box.install(OTHER, OTHER_AUTHOR)
    await box.settle()
    async with box.uow() as uow:
        workspace = await uow.session.get(Workspace, OTHER)
    assert workspace is not None
    assert workspace.admins == [OTHER_AUTHOR]
    [welcome] = box.fake.dms_to(OTHER_AUTHOR)
    assert "/okr admin ceo" in welcome.text


async def test_nothing_works_until_an_admin_sets_it_up(oauth_box: Sandbox) -> None:
    box = oauth_box
    slack = await box.install(OTHER, OTHER_AUTHOR)

    waiting = await slack.slash(OTHER_CEO, "new")
    await box.settle()
    assert "not set up" in reply(waiting)
    assert f"<@{OTHER_AUTHOR}>" in reply(waiting)
    assert box.fake.calls_to("views.open") == []

    # Someone who is not an admin cannot set it up.
    refused = await slack.slash(OTHER_CEO, f"admin channel <#{OTHER_CHANNEL}|okrs>")
    assert "Only the CEO and okrbot's admins" in reply(refused)
    async with box.uow() as uow:
        workspace = await uow.session.get(Workspace, OTHER)
    assert workspace is not None
    assert workspace.channel is None

    shown = reply(await slack.slash(OTHER_AUTHOR, "admin"))
    assert "not chosen yet" in shown
    assert "/okr admin channel" in shown
    assert "Name one person" in reply(await slack.slash(OTHER_AUTHOR, "admin ceo nobody"))
    assert "Name one channel" in reply(await slack.slash(OTHER_AUTHOR, "admin channel okrs"))

    await slack.slash(OTHER_AUTHOR, "admin run digest")
    await box.settle()
    assert any("cannot run yet" in m.text for m in box.fake.dms_to(OTHER_AUTHOR))

    await set_up(box, slack, OTHER_AUTHOR, OTHER_CEO, OTHER_CHANNEL, ORG_B)
    async with box.uow() as uow:
        workspace = await uow.session.get(Workspace, OTHER)
    assert workspace is not None
    assert (workspace.ceo, workspace.channel) == (OTHER_CEO, OTHER_CHANNEL)

    # The CEO now may change settings too, and add and remove admins.
    assert "now an admin" in reply(await slack.slash(OTHER_CEO, f"admin add <@{OTHER_CEO}|b>"))
    removed = await slack.slash(OTHER_CEO, f"admin remove <@{OTHER_AUTHOR}|bo>")
    assert "no longer an admin" in reply(removed)
    assert "Only the CEO" in reply(await slack.slash(OTHER_AUTHOR, "admin"))

    assert (await slack.slash(OTHER_AUTHOR, "new")).status == 200
    await box.settle()
    assert len(box.fake.open_views_for(OTHER_AUTHOR)) == 1


async def test_workspaces_never_see_each_other(oauth_box: Sandbox) -> None:
    box = oauth_box
    first, other = await two_workspaces(box, publishing=True)

    # Each workspace's org chart holds its own people only.
    async with box.uow() as uow:
        people = (await uow.session.execute(select(Person.workspace_id, Person.user_id))).all()
        owners = (await uow.session.execute(select(Objective.workspace_id, Objective.title))).all()
    assert sorted(people) == sorted(
        [
            (box.fake.team_id, CEO.id),
            (box.fake.team_id, AUTHOR.id),
            (OTHER, OTHER_CEO),
            (OTHER, OTHER_AUTHOR),
        ]
    )
    assert sorted(owners) == sorted([(box.fake.team_id, GOOD_FORM["title"]), (OTHER, OTHER_TITLE)])
    # Another workspace's people are unknown here: an org chart naming one is refused.
    with pytest.raises(OrgChartError, match="unknown user"):
        await box.import_org(f"user,manager,team\n{AUTHOR.email},,X\n", team_id=OTHER)

    # Browsing shows one's own workspace only.
    assert OTHER_TITLE in reply(await other.slash(OTHER_AUTHOR, "list Sales"))
    for seen_from_b in (
        reply(await other.slash(OTHER_AUTHOR, "list Product")),
        reply(await other.slash(OTHER_AUTHOR, f"list <@{AUTHOR.id}|aisha>")),
        reply(await other.slash(OTHER_AUTHOR, "tree")),
    ):
        assert GOOD_FORM["title"] not in seen_from_b
    assert GOOD_FORM["title"] in reply(await first.slash(CEO.id, "list Product"))
    shown = reply(await other.slash(OTHER_AUTHOR, "show onboarding"))
    assert GOOD_FORM["title"] not in shown

    # The Monday digest: each channel has its own workspace's objectives, nothing else.
    box.clock.now = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)  # Monday 10:05 in Oslo
    await box.bot.jobs.tick()
    await box.settle()
    digest_a = " ".join(m.text + str(m.blocks) for m in box.fake.channel_messages(CHANNEL))
    digest_b = " ".join(m.text + str(m.blocks) for m in box.fake.channel_messages(OTHER_CHANNEL))
    assert GOOD_FORM["title"] in digest_a
    assert OTHER_TITLE not in digest_a
    assert OTHER_TITLE in digest_b
    assert GOOD_FORM["title"] not in digest_b
    assert "Bea" not in digest_a
    assert "Aisha" not in digest_b

    # Every call the app made went to its own workspace's people and channels, with that
    # workspace's token (the fake refuses the others' ids anyway).
    for call in box.fake.calls:
        target = team_of_target(box.fake, call)
        if target is not None and call.team is not None:
            assert target == call.team, f"{call.method} with {call.team}'s token to {target}"
    assert {c.team for c in box.fake.calls} >= {box.fake.team_id, OTHER}


async def test_another_workspaces_ids_change_nothing(oauth_box: Sandbox) -> None:
    box = oauth_box
    first, other = await two_workspaces(box, publishing=False)
    assert (await first.slash(AUTHOR.id, "new")).status == 200
    await box.settle()
    view_id = str(box.fake.open_views_for(AUTHOR.id)[-1]["id"])
    await first.submit_view(AUTHOR.id, view_id, GOOD_FORM)
    await box.settle()
    request = next(m for m in box.fake.dms_to(CEO.id) if ids.APPROVE in button_values(m))
    value = next(
        e["value"]
        for b in request.blocks
        if b.get("type") == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.APPROVE
    )

    # The other workspace's CEO replays the button's value from their own workspace.
    forged = await other.click_value(OTHER_CEO, ids.APPROVE, value)
    await box.settle()
    assert forged.status == 200
    async with box.uow() as uow:
        outcomes = (await uow.session.scalars(select(Approval.outcome))).all()
        objective = (await uow.session.scalars(select(Objective))).one()
    assert list(outcomes) == ["pending"]
    assert objective.status == "awaiting_ceo"
    # Withdrawing or showing it by id from there finds nothing.
    assert "U0AUT0001" not in reply(await other.slash(OTHER_AUTHOR, f"show {objective.id}"))
    await other.slash(OTHER_AUTHOR, f"withdraw {objective.id}")
    async with box.uow() as uow:
        status = (await uow.session.scalars(select(Objective.status))).one()
    assert status == "awaiting_ceo"


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT0000"]}},
    ],
    ids=["app_uninstalled", "tokens_revoked"],
)
async def test_removing_okrbot_stops_that_workspaces_jobs(
    oauth_box: Sandbox, event: dict[str, Any]
) -> None:
    box = oauth_box
    _first, other = await two_workspaces(box, publishing=True)

    box.fake.uninstall(OTHER)  # Slack revokes the tokens, then tells the app
    assert (await other.event(event)).status == 200
    await box.settle()
    async with box.uow() as uow:
        workspace = await uow.session.get(Workspace, OTHER)
        bots = (await uow.session.execute(select(BOTS.c.team_id))).all()
        kept = (await uow.session.scalars(select(Objective.title))).all()
    assert workspace is not None
    assert workspace.uninstalled_at is not None
    assert [row[0] for row in bots] == [box.fake.team_id]
    assert OTHER_TITLE in kept  # nothing is deleted: a reinstall finds it all again

    box.fake.reset_calls()
    box.clock.now = datetime(2026, 11, 27, 12, 5, tzinfo=UTC)  # Friday 13:05 in Oslo
    await box.bot.jobs.tick()
    await box.settle()
    assert len(prompts_to(box, AUTHOR.id)) == 1
    assert prompts_to(box, OTHER_AUTHOR) == []
    assert all(call.team == box.fake.team_id for call in box.fake.calls)

    # Installed again: settings and OKRs are back, and so are its jobs.
    await box.install(OTHER, OTHER_CEO)
    async with box.uow() as uow:
        workspace = await uow.session.get(Workspace, OTHER)
    assert workspace is not None
    assert workspace.uninstalled_at is None
    assert workspace.channel == OTHER_CHANNEL
    box.clock.advance(minutes=5)
    await box.bot.jobs.tick()
    await box.settle()
    assert len(prompts_to(box, OTHER_AUTHOR)) == 1


async def test_a_user_token_revoked_changes_nothing(oauth_box: Sandbox) -> None:
    box = oauth_box
    other = await box.install(OTHER, OTHER_CEO)
    event = {"type": "tokens_revoked", "tokens": {"oauth": [OTHER_CEO], "bot": []}}
    assert (await other.event(event)).status == 200
    await box.settle()
    async with box.uow() as uow:
        workspace = await uow.session.get(Workspace, OTHER)
    assert workspace is not None
    assert workspace.uninstalled_at is None


async def test_an_install_link_cannot_be_replayed(oauth_box: Sandbox) -> None:
    import aiohttp

    box = oauth_box
    code = box.fake.install_code(OTHER, OTHER_CEO)
    async with aiohttp.ClientSession() as browser:
        # No state from our install page: refused, nothing stored.
        url = f"{box.base_url}/slack/oauth_redirect"
        async with browser.get(url, params={"code": code, "state": "made-up"}) as page:
            assert page.status >= 400
    async with box.uow() as uow:
        assert (await uow.session.execute(select(BOTS.c.team_id))).all() == []
        assert await uow.session.get(Workspace, OTHER) is None


async def test_one_token_serves_its_own_workspace_only(org_box: Sandbox) -> None:
    box = org_box
    stranger = SlackDriver(box.slack.events_url, box.slack.secret, box.fake, team_id=OTHER)
    async with stranger:
        answer = await stranger.slash(AUTHOR.id, "new")
        await stranger.open_home(AUTHOR.id)
        await box.settle()
    assert answer.status == 200
    assert "not installed in this workspace" in answer.body
    assert box.fake.calls_to("views.open") == []
    assert box.fake.calls_to("views.publish") == []
    # The token's own workspace is served as ever.
    assert (await box.slack.slash(AUTHOR.id, "new")).status == 200
    await box.settle()
    assert len(box.fake.calls_to("views.open")) == 1


async def test_a_workspace_without_an_install_changes_nothing(oauth_box: Sandbox) -> None:
    box = oauth_box
    await box.install(box.fake.team_id, CEO.id)
    stranger = SlackDriver(box.slack.events_url, box.slack.secret, box.fake, team_id=OTHER)
    async with stranger:
        answers = [
            await stranger.slash(OTHER_AUTHOR, "new"),
            await stranger.slash(OTHER_AUTHOR, f"admin ceo <@{OTHER_AUTHOR}|bo>"),
            await stranger.open_home(OTHER_AUTHOR),
        ]
        await box.settle()
    assert [a.status for a in answers] == [200, 200, 200]
    assert all("Traceback" not in a.body for a in answers)
    assert box.fake.calls_to("views.open") == []
    assert box.fake.calls_to("views.publish") == []
    async with box.uow() as uow:
        assert await uow.session.get(Workspace, OTHER) is None
        assert (await uow.session.scalars(select(Person))).all() == []


async def test_a_token_revoked_while_okrbot_was_away_is_logged_once_and_skipped(
    oauth_box: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    box = oauth_box
    await two_workspaces(box, publishing=True)
    box.fake.uninstall(OTHER)  # revoked, and Slack's event never reached the app

    box.clock.now = datetime(2026, 11, 27, 12, 5, tzinfo=UTC)  # Friday 13:05 in Oslo
    for _ in range(3):
        await box.bot.jobs.tick()
        await box.settle()
        box.clock.advance(minutes=1)
    assert len(prompts_to(box, AUTHOR.id)) == 1
    assert prompts_to(box, OTHER_AUTHOR) == []
    said = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and OTHER in r.getMessage()
    ]
    assert said == [
        f"Slack refused workspace {OTHER}'s token (invalid_auth): its weekly jobs are "
        "skipped until okrbot is installed there again"
    ]
