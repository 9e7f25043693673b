"""The fake Slack Web API, driven through slack_sdk's real async client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from okrbot.sandbox.fake_slack import FakeUser
from tests.support.faulty_slack import FaultySlack


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def fake(clock: FakeClock) -> AsyncIterator[FaultySlack]:
    async with FaultySlack(clock=clock) as slack:
        slack.add_user(FakeUser("U001", "ada", "Ada Lovelace", email="Ada@Example.com"))
        slack.add_user(FakeUser("U002", "gone", "Gone Person", deleted=True))
        slack.add_channel("C001", "general", members=["U001"])
        slack.add_channel("C002", "private", bot_is_member=False)
        slack.add_channel("C003", "old", archived=True)
        yield slack


@pytest.fixture
def client(fake: FaultySlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])


async def refused(call: Awaitable[Any]) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str, action_id: str = "go") -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}}


def option(n: int) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": f"Option {n}"}, "value": str(n)}


def modal(*blocks: dict[str, Any], title: str = "New objective", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": list(blocks),
        **extra,
    }


def text_input(**element: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": "title",
        "label": {"type": "plain_text", "text": "Title"},
        "element": {"type": "plain_text_input", "action_id": "value", **element},
    }


# --------------------------------------------------------------------------- auth


@pytest.mark.parametrize(("token", "error"), [(None, "not_authed"), ("xoxb-wrong", "invalid_auth")])
async def test_auth_errors(fake: FaultySlack, token: str | None, error: str) -> None:
    bad = AsyncWebClient(token=token, base_url=fake.api_url, retry_handlers=[])
    exc = await refused(bad.chat_postMessage(channel="C001", text="hi"))
    assert exc.response["error"] == error
    assert [c.method for c in fake.calls] == ["chat.postMessage"]
    assert fake.messages == []


async def test_auth_test_and_unknown_method(fake: FaultySlack, client: AsyncWebClient) -> None:
    auth = await client.auth_test()
    assert (auth["team_id"], auth["user_id"], auth["team"]) == ("T0DEMO000", "U0BOT0000", "Demo")
    exc = await refused(client.api_call("chat.frobnicate"))
    assert exc.response["error"] == "unknown_method"


def test_refuses_non_loopback_host() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultySlack(host="0.0.0.0")  # noqa: S104


# --------------------------------------------------------------------------- messages


async def test_dm_by_user_id(fake: FaultySlack, client: AsyncWebClient) -> None:
    first = await client.chat_postMessage(channel="U001", text="hello")
    second = await client.chat_postMessage(channel="D001", text="again")
    opened = await client.conversations_open(users="U001")
    assert first["channel"] == second["channel"] == opened["channel"]["id"] == "D001"
    assert float(second["ts"]) > float(first["ts"])
    assert [(m.text, m.user) for m in fake.dms_to("U001")] == [("hello", "U001"), ("again", "U001")]


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("C002", "not_in_channel"),
        ("C404", "channel_not_found"),
        ("C003", "is_archived"),
        ("U404", "channel_not_found"),
        ("U002", "channel_not_found"),
        ("D404", "channel_not_found"),
    ],
)
async def test_channel_errors(
    fake: FaultySlack, client: AsyncWebClient, channel: str, error: str
) -> None:
    exc = await refused(client.chat_postMessage(channel=channel, text="hi"))
    assert exc.response["error"] == error
    assert fake.messages == []


async def test_threads_and_channel_messages(fake: FaultySlack, client: AsyncWebClient) -> None:
    top = await client.chat_postMessage(channel="C001", text="top")
    await client.chat_postMessage(channel="C001", text="reply", thread_ts=top["ts"])
    exc = await refused(client.chat_postMessage(channel="C001", text="x", thread_ts="1.000001"))
    assert exc.response["error"] == "thread_not_found"
    assert [(m.text, m.thread_ts) for m in fake.channel_messages("C001")] == [
        ("top", None),
        ("reply", top["ts"]),
    ]
    link = await client.chat_getPermalink(channel="C001", message_ts=top["ts"])
    assert link["permalink"].endswith("/archives/C001/p" + top["ts"].replace(".", ""))


async def test_update(fake: FaultySlack, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="U001", text="v1", blocks=[section("v1")])
    await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="v2")
    [message] = fake.dms_to("U001")
    assert (message.text, message.blocks, message.updated) == ("v2", [section("v1")], 1)
    exc = await refused(client.chat_update(channel="D001", ts="1700000099.000000", text="x"))
    assert exc.response["error"] == "message_not_found"


async def test_ephemeral(fake: FaultySlack, client: AsyncWebClient) -> None:
    reply = await client.chat_postEphemeral(channel="C001", user="U001", text="only you")
    assert reply["message_ts"]
    assert [(m.channel, m.text) for m in fake.ephemerals_to("U001")] == [("C001", "only you")]
    assert fake.channel_messages("C001") == []
    exc = await refused(client.chat_postEphemeral(channel="C001", user="U404", text="x"))
    assert exc.response["error"] == "user_not_found"


async def test_form_encoded_body(fake: FaultySlack, client: AsyncWebClient) -> None:
    data = {"channel": "C001", "text": "form", "blocks": json.dumps([section("form")])}
    await client.api_call("chat.postMessage", data=data)
    assert fake.calls_to("chat.postMessage")[0].args["blocks"] == [section("form")]
    assert fake.channel_messages("C001")[0].blocks == [section("form")]


MANY_OPTIONS = {"type": "static_select", "options": [option(n) for n in range(101)]}


@pytest.mark.violates_slack_limits
@pytest.mark.parametrize(
    ("kwargs", "error", "violation"),
    [
        pytest.param(
            {"blocks": [{"type": "divider"}] * 51},
            "invalid_blocks",
            "blocks has 51 items (max 50)",
            id="51-blocks",
        ),
        pytest.param(
            {"blocks": [section("x" * 3001)]},
            "invalid_blocks",
            "blocks[0].text.text is 3001 chars (max 3000)",
            id="long-section",
        ),
        pytest.param(
            {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]},
            "invalid_blocks",
            "blocks[0].text.text is 151 chars (max 150)",
            id="long-header",
        ),
        pytest.param(
            {"blocks": [{"type": "actions", "elements": [button("b" * 76)]}]},
            "invalid_blocks",
            "blocks[0].elements[0].text.text is 76 chars (max 75)",
            id="long-button",
        ),
        pytest.param(
            {"blocks": [section("pick", accessory=MANY_OPTIONS)]},
            "invalid_blocks",
            "blocks[0].accessory.options has 101 items (max 100)",
            id="101-options",
        ),
        pytest.param(
            {"blocks": [section("y" * 2500) for _ in range(5)]},
            "msg_blocks_too_long",
            "blocks hold 12500 chars of text (max 12000)",
            id="12k-text",
        ),
        pytest.param(
            {"text": "", "blocks": [section("no fallback")]},
            "no_text",
            "blocks without a plain-text fallback",
            id="no-fallback",
            marks=pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing"),
        ),
        pytest.param(
            {"blocks": [section("a", block_id="b1"), section("b", block_id="b1")]},
            "invalid_blocks",
            "blocks[1].block_id 'b1' is used twice",
            id="duplicate-block-id",
        ),
        pytest.param(
            {"blocks": [{"type": "actions", "elements": [button("a"), button("b")]}]},
            "invalid_blocks",
            "blocks[0].elements[1].action_id 'go' is used twice in this block",
            id="duplicate-action-id",
        ),
        pytest.param(
            {"blocks": [text_input()]},
            "invalid_blocks",
            "blocks[0] is an input block; those are only allowed in views",
            id="input-in-message",
        ),
        pytest.param(
            {"blocks": [{"type": "table"}]},
            "invalid_blocks",
            "blocks[0].type unknown block type 'table'",
            id="unknown-type",
        ),
        pytest.param(
            {"blocks": [section("")]},
            "invalid_blocks",
            "blocks[0].text.text must be a non-empty string",
            id="empty-mrkdwn",
        ),
        pytest.param(
            {
                "blocks": [
                    section(
                        "p",
                        accessory={
                            "type": "static_select",
                            "options": [option(1)],
                            "initial_option": option(2),
                        },
                    )
                ]
            },
            "invalid_blocks",
            "blocks[0].accessory.initial_option does not match any of the options",
            id="initial-option",
        ),
        pytest.param(
            {"text": "t" * 40_001},
            "msg_too_long",
            "text is 40001 chars (max 40000)",
            id="long-text",
        ),
    ],
)
async def test_message_limits(
    fake: FaultySlack, client: AsyncWebClient, kwargs: dict[str, Any], error: str, violation: str
) -> None:
    args = {"channel": "C001", "text": "fallback", **kwargs}
    exc = await refused(client.chat_postMessage(**args))
    assert exc.response["error"] == error
    assert fake.violations == [f"chat.postMessage: {violation}"]
    assert fake.messages == []
    assert len(fake.calls_to("chat.postMessage")) == 1


async def test_valid_rich_message_passes(fake: FaultySlack, client: AsyncWebClient) -> None:
    select = {"type": "static_select", "action_id": "pick", "options": [option(1), option(2)]}
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Q3 objectives"}},
        section("Grow revenue", block_id="obj", accessory={**select, "initial_option": option(2)}),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "by <@U001>"}]},
        {"type": "actions", "elements": [button("Approve", "a"), button("Reject", "r")]},
        {"type": "divider"},
    ]
    posted = await client.chat_postMessage(channel="C001", text="Q3 objectives", blocks=blocks)
    assert posted["message"]["blocks"] == blocks
    assert fake.violations == []


# --------------------------------------------------------------------------- views


@pytest.mark.violates_slack_limits
@pytest.mark.parametrize(
    ("view", "violation"),
    [
        pytest.param(
            modal(title="t" * 25), "view.title.text is 25 chars (max 24)", id="long-title"
        ),
        pytest.param(
            modal(*[{"type": "divider"}] * 101), "view.blocks has 101 items (max 100)", id="101"
        ),
        pytest.param({**modal(), "title": None}, "view.title is required", id="missing-title"),
        pytest.param(
            modal(submit={"type": "mrkdwn", "text": "Go"}),
            "view.submit.type must be plain_text",
            id="mrkdwn-submit",
        ),
        pytest.param(
            modal(private_metadata="m" * 3001),
            "view.private_metadata is 3001 chars (max 3000)",
            id="metadata",
        ),
        pytest.param(
            modal({**text_input(), "label": None}),
            "view.blocks[0].label is required",
            id="input-label",
        ),
        pytest.param(
            modal(text_input(max_length=5, initial_value="toolong")),
            "view.blocks[0].element.initial_value is 7 chars (max 5)",
            id="initial-value",
        ),
        pytest.param(
            modal(text_input(placeholder={"type": "plain_text", "text": "p" * 151})),
            "view.blocks[0].element.placeholder.text is 151 chars (max 150)",
            id="placeholder",
        ),
        pytest.param(
            modal(text_input(type="number_input")),
            "view.blocks[0].element.is_decimal_allowed is required (true or false)",
            id="number-input",
        ),
        pytest.param(
            modal(text_input(type="number_input", is_decimal_allowed=True, initial_value="1,5")),
            "view.blocks[0].element.initial_value must be a decimal number as a string, not '1,5'",
            id="number-initial",
        ),
    ],
)
async def test_view_limits(
    fake: FaultySlack, client: AsyncWebClient, view: dict[str, Any], violation: str
) -> None:
    trigger_id = fake.new_trigger_id("U001")
    exc = await refused(client.views_open(trigger_id=trigger_id, view=view))
    assert exc.response["error"] == "invalid_arguments"
    assert fake.violations == [f"views.open: {violation}"]
    assert fake.views == {}


async def test_views_open_and_update(fake: FaultySlack, client: AsyncWebClient) -> None:
    view = modal(text_input(), callback_id="okr_new", external_id="ext-1")
    opened = (await client.views_open(trigger_id=fake.new_trigger_id("U001"), view=view))["view"]
    assert opened["id"].startswith("V")
    assert [v["callback_id"] for v in fake.open_views_for("U001")] == ["okr_new"]

    updated = await client.views_update(
        view_id=opened["id"], hash=opened["hash"], view=modal(title="Step 2")
    )
    assert updated["view"]["hash"] != opened["hash"]
    assert fake.views[opened["id"]]["title"]["text"] == "Step 2"
    assert fake.views[opened["id"]]["user_id"] == "U001"

    stale = await refused(
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal())
    )
    assert stale.response["error"] == "hash_conflict"
    missing = await refused(client.views_update(view_id="V404", view=modal()))
    assert missing.response["error"] == "not_found"
    by_external = await client.views_update(external_id="ext-1", view=modal(title="Step 3"))
    assert by_external["view"]["id"] == opened["id"]


async def test_views_push_and_publish(fake: FaultySlack, client: AsyncWebClient) -> None:
    root = await client.views_open(trigger_id=fake.new_trigger_id("U001"), view=modal())
    pushed = await client.views_push(trigger_id=fake.new_trigger_id("U001"), view=modal())
    assert pushed["view"]["previous_view_id"] == root["view"]["id"]
    home = {"type": "home", "blocks": [section("Your OKRs")]}
    published = await client.views_publish(user_id="U001", view=home)
    assert fake.home_view("U001") == published["view"]
    assert len(fake.open_views_for("U001")) == 2


async def test_trigger_ids(fake: FaultySlack, client: AsyncWebClient, clock: FakeClock) -> None:
    fresh = fake.new_trigger_id("U001")
    stale = fake.new_trigger_id("U001")
    clock.now += 2.9
    await client.views_open(trigger_id=fresh, view=modal())
    again = await refused(client.views_open(trigger_id=fresh, view=modal()))
    assert again.response["error"] == "exchanged_trigger_id"
    clock.now += 0.2
    expired = await refused(client.views_open(trigger_id=stale, view=modal()))
    assert expired.response["error"] == "expired_trigger_id"
    unknown = await refused(client.views_open(trigger_id="123.456.abc", view=modal()))
    assert unknown.response["error"] == "invalid_trigger_id"
    assert len(fake.views) == 1


# --------------------------------------------------------------------------- faults


async def test_fail_next(fake: FaultySlack, client: AsyncWebClient) -> None:
    fake.fail_next("chat.postMessage", "fatal_error", times=2)
    for _ in range(2):
        exc = await refused(client.chat_postMessage(channel="C001", text="hi"))
        assert exc.response["error"] == "fatal_error"
    await client.chat_postMessage(channel="C001", text="hi")
    assert [m.text for m in fake.channel_messages("C001")] == ["hi"]


async def test_rate_limit_next(fake: FaultySlack, client: AsyncWebClient) -> None:
    fake.rate_limit_next("users.info", retry_after=7)
    exc = await refused(client.users_info(user="U001"))
    assert exc.response.status_code == 429
    assert exc.response.headers["Retry-After"] == "7"
    assert exc.response["error"] == "ratelimited"
    assert (await client.users_info(user="U001"))["user"]["id"] == "U001"


async def test_post_limit_per_channel(
    fake: FaultySlack, client: AsyncWebClient, clock: FakeClock
) -> None:
    fake.post_limit_per_channel_second = 1
    await client.chat_postMessage(channel="C001", text="one")
    clock.now += 0.4
    exc = await refused(client.chat_postMessage(channel="C001", text="too soon"))
    assert exc.response.status_code == 429
    assert exc.response.headers["Retry-After"] == "1"
    assert exc.response["error"] == "ratelimited"
    # Another channel has a second of its own; the refused message was not posted.
    await client.chat_postMessage(channel="U001", text="a DM")
    clock.now += 0.6
    await client.chat_postMessage(channel="C001", text="two")
    assert [m.text for m in fake.channel_messages("C001")] == ["one", "two"]
    assert [m.text for m in fake.dms_to("U001")] == ["a DM"]


async def test_no_limit_per_channel_by_default(fake: FaultySlack, client: AsyncWebClient) -> None:
    for n in range(5):
        await client.chat_postMessage(channel="C001", text=f"burst {n}")
    assert len(fake.channel_messages("C001")) == 5


async def test_http_error_next(fake: FaultySlack, client: AsyncWebClient) -> None:
    fake.http_error_next("auth.test", status=503)
    exc = await refused(client.auth_test())
    assert exc.response.status_code == 503
    assert (await client.auth_test())["ok"] is True
    assert len(fake.calls_to("auth.test")) == 2
    fake.reset_calls()
    assert fake.calls == []


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for something the fake's server does in the background (loopback: quick)."""
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.01)


async def test_delay_next_holds_the_answer_not_the_call(
    fake: FaultySlack, client: AsyncWebClient
) -> None:
    fake.delay_next("chat.postMessage", 60)
    slow = asyncio.create_task(client.chat_postMessage(channel="C001", text="slow"))
    await until(lambda: fake.held == ["chat.postMessage"], "the answer is held")
    # Slack has it already; only its answer is late, and other calls are not held up.
    assert [m.text for m in fake.channel_messages("C001")] == ["slow"]
    await client.chat_postMessage(channel="C001", text="quick")
    assert not slow.done()

    fake.release_held()
    assert (await slow)["ok"] is True
    assert fake.held == []
    assert fake.unanswered == []
    assert [m.text for m in fake.channel_messages("C001")] == ["slow", "quick"]


async def test_delay_next_answers_by_itself_after_its_time(
    fake: FaultySlack, client: AsyncWebClient
) -> None:
    fake.delay_next("auth.test", 0.05, times=2)
    started = time.monotonic()
    for _ in range(2):
        assert (await client.auth_test())["ok"] is True
    assert time.monotonic() - started >= 0.1
    assert fake.held == []
    assert len(fake.calls_to("auth.test")) == 2


async def test_a_held_answer_nobody_waits_for_is_unanswered(
    fake: FaultySlack, client: AsyncWebClient
) -> None:
    fake.delay_next("users.info", 0.5)
    gone = asyncio.create_task(client.users_info(user="U001"))
    await until(lambda: fake.held == ["users.info"], "the answer is held")
    gone.cancel()  # the caller hangs up
    with contextlib.suppress(asyncio.CancelledError):
        await gone
    await until(lambda: not fake.held, "the held answer is let go")
    assert fake.unanswered == ["users.info"]
    assert len(fake.calls_to("users.info")) == 1


# --------------------------------------------------------------------------- users


async def test_lookup_by_email(client: AsyncWebClient) -> None:
    found = await client.users_lookupByEmail(email="ada@EXAMPLE.com")
    assert found["user"]["id"] == "U001"
    assert found["user"]["profile"]["email"] == "Ada@Example.com"
    exc = await refused(client.users_lookupByEmail(email="nobody@example.com"))
    assert exc.response["error"] == "users_not_found"


async def test_users_info(client: AsyncWebClient) -> None:
    plain = (await client.users_info(user="U001"))["user"]
    with_locale = (await client.users_info(user="U001", include_locale=True))["user"]
    assert "locale" not in plain
    assert (with_locale["locale"], with_locale["tz"], with_locale["real_name"]) == (
        "en-US",
        "Europe/Oslo",
        "Ada Lovelace",
    )
    exc = await refused(client.users_info(user="U404"))
    assert exc.response["error"] == "user_not_found"


@pytest.mark.parametrize("outcome", ["fatal_error", "internal_error", "request_timeout"])
async def test_perform_then_an_error_that_may_follow_a_success(
    fake: FaultySlack, client: AsyncWebClient, outcome: str
) -> None:
    fake.perform_then("chat.postMessage", outcome)
    exc = await refused(client.chat_postMessage(channel="C001", text="posted all the same"))
    assert exc.response["error"] == outcome
    # Slack did post it: only the answer says otherwise.
    assert [m.text for m in fake.channel_messages("C001")] == ["posted all the same"]
    assert fake.performed_unanswered == ["chat.postMessage"]
    assert (await client.chat_postMessage(channel="C001", text="next"))["ok"] is True


@pytest.mark.parametrize("status", [500, 503])
async def test_perform_then_a_server_error(
    fake: FaultySlack, client: AsyncWebClient, status: int
) -> None:
    fake.perform_then("chat.postMessage", f"http_{status}")
    exc = await refused(client.chat_postMessage(channel="C001", text="posted"))
    assert exc.response.status_code == status
    assert [m.text for m in fake.channel_messages("C001")] == ["posted"]


async def test_perform_then_drop_the_connection(fake: FaultySlack, client: AsyncWebClient) -> None:
    fake.perform_then("chat.postMessage", "drop", times=2)
    for attempt in range(2):
        with pytest.raises(aiohttp.ClientError):
            await client.chat_postMessage(channel="C001", text=f"posted {attempt}")
    assert [m.text for m in fake.channel_messages("C001")] == ["posted 0", "posted 1"]
    assert fake.performed_unanswered == ["chat.postMessage", "chat.postMessage"]
    # The next call is answered as usual.
    assert (await client.chat_postMessage(channel="C001", text="answered"))["ok"] is True


def test_perform_then_refuses_an_outcome_it_does_not_know(fake: FaultySlack) -> None:
    with pytest.raises(ValueError, match="unknown outcome"):
        fake.perform_then("chat.postMessage", "success")


async def test_thread_replies_are_in_replies_not_in_history(
    fake: FaultySlack, client: AsyncWebClient
) -> None:
    marked = {"event_type": "okrbot_delivery", "event_payload": {"marker": "m-1"}}
    parent = await client.chat_postMessage(channel="C001", text="parent")
    await client.chat_postMessage(
        channel="C001", text="reply", thread_ts=parent["ts"], metadata=marked
    )
    history = await client.conversations_history(channel="C001", include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["parent"]
    replies = await client.conversations_replies(
        channel="C001", ts=parent["ts"], include_all_metadata=True
    )
    assert [m["text"] for m in replies["messages"]] == ["parent", "reply"]
    assert replies["messages"][1]["metadata"] == marked
    exc = await refused(client.conversations_replies(channel="C001", ts="1.000001"))
    assert exc.response["error"] == "thread_not_found"


# --------------------------------------------------------------------------- scopes


def test_the_token_has_the_scopes_manifest_yml_asks_for(fake: FaultySlack) -> None:
    manifest = yaml.safe_load((Path(__file__).parents[2] / "manifest.yml").read_text())
    assert fake.scopes == manifest["oauth_config"]["scopes"]["bot"]


async def test_a_method_without_its_scope_is_refused(
    fake: FaultySlack, client: AsyncWebClient
) -> None:
    fake.revoke_scope("users:read.email")
    exc = await refused(client.users_lookupByEmail(email="ada@example.com"))
    assert exc.response["error"] == "missing_scope"
    assert exc.response["needed"] == "users:read.email"
    assert exc.response["provided"].split(",") == fake.scopes
    assert "users:read.email" not in fake.scopes
    # Other methods are unaffected.
    assert (await client.users_info(user="U001"))["user"]["id"] == "U001"


@pytest.mark.parametrize(
    ("method", "args", "needed"),
    [
        ("chat.postMessage", {"channel": "C001", "text": "hi"}, "chat:write"),
        ("chat.update", {"channel": "C001", "ts": "1.0", "text": "hi"}, "chat:write"),
        ("chat.postEphemeral", {"channel": "C001", "user": "U001", "text": "hi"}, "chat:write"),
        ("conversations.open", {"users": "U001"}, "im:write"),
        ("users.info", {"user": "U001"}, "users:read"),
        ("users.list", {}, "users:read"),
        ("files.getUploadURLExternal", {"filename": "a.png", "length": "3"}, "files:write"),
        ("files.completeUploadExternal", {"files": [{"id": "F1"}]}, "files:write"),
    ],
)
async def test_each_method_needs_its_scope(method: str, args: dict[str, Any], needed: str) -> None:
    async with FaultySlack(scopes=["commands"]) as bare:
        bare.add_user(FakeUser("U001", "ada", "Ada Lovelace"))
        bare.add_channel("C001", "general", members=["U001"])
        client = AsyncWebClient(token=bare.bot_token, base_url=bare.api_url, retry_handlers=[])
        exc = await refused(client.api_call(method, json=args))
        assert (exc.response["error"], exc.response["needed"]) == ("missing_scope", needed)
        assert exc.response["provided"] == "commands"
        assert bare.messages == []
        # Methods that need no scope work with none.
        assert (await client.auth_test())["ok"] is True


async def test_history_needs_the_scope_of_the_conversations_type(
    fake: FaultySlack, client: AsyncWebClient
) -> None:
    fake.add_channel("C009", "secret", private=True)
    parent = await client.chat_postMessage(channel="C001", text="parent")
    for scope in ("channels:history", "groups:history", "im:history"):
        fake.revoke_scope(scope)
    for channel, needed in [
        ("C001", "channels:history"),
        ("C009", "groups:history"),
        (fake.dm_id("U001"), "im:history"),
    ]:
        exc = await refused(client.conversations_history(channel=channel))
        assert exc.response["needed"] == needed
    exc = await refused(client.conversations_replies(channel="C001", ts=parent["ts"]))
    assert exc.response["needed"] == "channels:history"
    fake.scopes.append("im:history")
    assert (await client.conversations_history(channel=fake.dm_id("U001")))["messages"] == []


# --------------------------------------------------------------------------- tiers


async def refused_at(call: Callable[[], Awaitable[Any]], most: int) -> int:
    """How many calls in a row succeed before a 429 (at most `most`)."""
    throttled: SlackApiError | None = None
    done = 0
    while done < most and throttled is None:
        try:
            await call()
        except SlackApiError as exc:
            throttled = exc
        else:
            done += 1
    if throttled is not None:
        assert throttled.response.status_code == 429
        assert throttled.response["error"] == "ratelimited"
        assert int(throttled.response.headers["Retry-After"]) >= 1
    return done


async def test_every_method_has_its_tier_with_room_for_a_burst(
    fake: FaultySlack, client: AsyncWebClient, clock: FakeClock
) -> None:
    # users.list is Tier 2 (20+ a minute): twice that in a burst, and no more.
    assert await refused_at(lambda: client.users_list(), 100) == 40
    # Another method has its own count.
    assert (await client.users_info(user="U001"))["ok"] is True
    clock.now += 30
    exc = await refused(client.users_list())
    assert exc.response.headers["Retry-After"] == "30"
    clock.now += 30
    assert (await client.users_list())["ok"] is True


async def test_a_lookup_per_row_of_a_large_org_chart_is_refused(
    fake: FaultySlack, client: AsyncWebClient
) -> None:
    # users.lookupByEmail is Tier 3: a burst of 100 in a minute passes, 500 do not.
    lookups = await refused_at(lambda: client.users_lookupByEmail(email="ada@example.com"), 500)
    assert lookups == 100


async def test_tiers_can_be_exact_per_method_or_off(
    fake: FaultySlack, client: AsyncWebClient
) -> None:
    fake.tier_burst = 1.0
    assert await refused_at(lambda: client.users_list(), 100) == 20
    fake.method_limits["users.info"] = 3
    assert await refused_at(lambda: client.users_info(user="U001"), 10) == 3
    fake.method_limits["users.info"] = None
    fake.tier_burst = None
    assert await refused_at(lambda: client.users_info(user="U001"), 150) == 150
    assert await refused_at(lambda: client.users_list(), 30) == 30


async def test_tiers_count_per_workspace(fake: FaultySlack) -> None:
    fake.add_workspace("T0OTHER00", "Other")
    code = fake.install_code("T0OTHER00", "U001")
    other = AsyncWebClient(base_url=fake.api_url, retry_handlers=[])
    token = (
        await other.oauth_v2_access(
            client_id=fake.client_id, client_secret=fake.client_secret, code=code
        )
    )["access_token"]
    fake.method_limits["auth.test"] = 1
    first = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])
    second = AsyncWebClient(token=token, base_url=fake.api_url, retry_handlers=[])
    assert (await first.auth_test())["team_id"] == fake.team_id
    assert (await second.auth_test())["team_id"] == "T0OTHER00"
    assert (await refused(first.auth_test())).response.status_code == 429


async def test_oauth_grants_the_scopes_the_fake_has(fake: FaultySlack) -> None:
    code = fake.install_code(fake.team_id, "U001")
    client = AsyncWebClient(base_url=fake.api_url, retry_handlers=[])
    grant = await client.oauth_v2_access(
        client_id=fake.client_id, client_secret=fake.client_secret, code=code
    )
    assert grant["scope"].split(",") == fake.scopes


# --------------------------------------------------------------------------- pages


async def test_history_pages_newest_first_with_a_cursor(
    fake: FaultySlack, client: AsyncWebClient
) -> None:
    for n in range(5):
        await client.chat_postMessage(channel="C001", text=f"m{n}")
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = await client.conversations_history(channel="C001", limit=2, cursor=cursor)
        seen += [m["text"] for m in page["messages"]]
        if not page["has_more"]:
            assert not (page.get("response_metadata") or {}).get("next_cursor")
            break
        cursor = page["response_metadata"]["next_cursor"]
    assert seen == ["m4", "m3", "m2", "m1", "m0"]
    exc = await refused(client.conversations_history(channel="C001", cursor="bogus"))
    assert exc.response["error"] == "invalid_cursor"


async def test_history_between_oldest_and_latest(fake: FaultySlack, client: AsyncWebClient) -> None:
    ts = [(await client.chat_postMessage(channel="C001", text=f"m{n}"))["ts"] for n in range(4)]
    page = await client.conversations_history(channel="C001", oldest=ts[0], latest=ts[3])
    assert [m["text"] for m in page["messages"]] == ["m2", "m1"]
    page = await client.conversations_history(
        channel="C001", oldest=ts[0], latest=ts[3], inclusive=True
    )
    assert [m["text"] for m in page["messages"]] == ["m3", "m2", "m1", "m0"]


async def test_replies_page_oldest_first(fake: FaultySlack, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C001", text="parent")
    for n in range(4):
        await client.chat_postMessage(channel="C001", text=f"r{n}", thread_ts=parent["ts"])
    first = await client.conversations_replies(channel="C001", ts=parent["ts"], limit=3)
    assert [m["text"] for m in first["messages"]] == ["parent", "r0", "r1"]
    assert first["has_more"] is True
    rest = await client.conversations_replies(
        channel="C001", ts=parent["ts"], cursor=first["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["r2", "r3"]
    assert rest["has_more"] is False


async def test_a_distributed_app_reads_15_messages_a_minute(
    client: AsyncWebClient, clock: FakeClock
) -> None:
    async with FaultySlack(clock=clock, distributed=True, tier_burst=None) as fake:
        fake.add_channel("C001", "general")
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])
        for n in range(20):
            await client.chat_postMessage(channel="C001", text=f"m{n}")
        parent = fake.channel_messages("C001")[0].ts
        for n in range(20):
            await client.chat_postMessage(channel="C001", text=f"r{n}", thread_ts=parent)
        # A larger limit is lowered to 15, not refused; no limit means 15 as well.
        page = await client.conversations_history(channel="C001", limit=200)
        assert [m["text"] for m in page["messages"]] == [f"m{n}" for n in range(19, 4, -1)]
        assert page["has_more"] is True
        exc = await refused(client.conversations_history(channel="C001"))
        assert exc.response.status_code == 429
        assert exc.response.headers["Retry-After"] == "60"
        # replies has a minute of its own.
        thread = await client.conversations_replies(channel="C001", ts=parent)
        assert len(thread["messages"]) == 15
        assert (await refused(client.conversations_replies(channel="C001", ts=parent))).response[
            "error"
        ] == "ratelimited"
        clock.now += 60
        rest = await client.conversations_history(
            channel="C001", cursor=page["response_metadata"]["next_cursor"]
        )
        assert [m["text"] for m in rest["messages"]] == [f"m{n}" for n in range(4, -1, -1)]
        assert rest["has_more"] is False


# --------------------------------------------------------------------------- metadata


async def test_metadata_is_kept_and_listed_only_when_asked_for(
    fake: FaultySlack, client: AsyncWebClient
) -> None:
    marked = {"event_type": "okrbot_delivery", "event_payload": {"marker": "m-1"}}
    await client.chat_postMessage(channel="C001", text="marked", metadata=marked)
    plain = await client.conversations_history(channel="C001")
    assert "metadata" not in plain["messages"][0]
    full = await client.conversations_history(channel="C001", include_all_metadata=True)
    assert full["messages"][0]["metadata"] == marked


@pytest.mark.violates_slack_limits
@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ("not json", "metadata is not JSON"),
        ('["a list"]', "metadata must be a JSON object"),
        ({"event_payload": {}}, "metadata.event_type must be a non-empty string"),
        ({"event_type": 7, "event_payload": {}}, "metadata.event_type must be a non-empty string"),
        ({"event_type": "x"}, "metadata.event_payload must be an object"),
        ({"event_type": "x", "event_payload": "m-1"}, "metadata.event_payload must be an object"),
    ],
)
async def test_malformed_metadata_is_refused(
    fake: FaultySlack, client: AsyncWebClient, metadata: Any, problem: str
) -> None:
    exc = await refused(
        client.api_call(
            "chat.postMessage", json={"channel": "C001", "text": "hi", "metadata": metadata}
        )
    )
    assert exc.response["error"] == "invalid_metadata_format"
    assert fake.violations == [f"chat.postMessage: {problem}"]
    assert fake.messages == []
    posted = await client.chat_postMessage(channel="C001", text="hi")
    exc = await refused(
        client.api_call(
            "chat.update",
            json={"channel": "C001", "ts": posted["ts"], "text": "new", "metadata": metadata},
        )
    )
    assert exc.response["error"] == "invalid_metadata_format"
    assert [m.text for m in fake.messages] == ["hi"]


async def test_an_event_type_slack_does_not_accept_drops_the_metadata(
    fake: FaultySlack, client: AsyncWebClient
) -> None:
    dotted = {"event_type": "okrbot.delivery", "event_payload": {"marker": "m-1"}}
    posted = await client.chat_postMessage(channel="C001", text="posted", metadata=dotted)
    # Posted, with a warning nobody is made to read, and without its metadata.
    assert posted["warning"] == "invalid_metadata_schema"
    assert posted["response_metadata"]["warnings"] == ["invalid_metadata_schema"]
    history = await client.conversations_history(channel="C001", include_all_metadata=True)
    assert [(m["text"], m.get("metadata")) for m in history["messages"]] == [("posted", None)]
    assert fake.warnings == [
        "chat.postMessage: metadata.event_type 'okrbot.delivery' is not letters, digits,"
        " _ and - (metadata dropped)"
    ]
    assert fake.violations == []


# --------------------------------------------------------------------------- ephemerals


async def test_an_ephemeral_reaches_only_someone_in_the_conversation(
    fake: FaultySlack, client: AsyncWebClient
) -> None:
    fake.add_user(FakeUser("U003", "grace", "Grace Hopper"))
    exc = await refused(client.chat_postEphemeral(channel="C001", user="U003", text="x"))
    assert exc.response["error"] == "user_not_in_channel"
    exc = await refused(
        client.chat_postEphemeral(channel=fake.dm_id("U001"), user="U003", text="x")
    )
    assert exc.response["error"] == "user_not_in_channel"
    assert fake.ephemerals_to("U003") == []
    fake.join("C001", "U003")
    await client.chat_postEphemeral(channel="C001", user="U003", text="in the channel")
    await client.chat_postEphemeral(channel=fake.dm_id("U003"), user="U003", text="in the DM")
    assert [(m.channel, m.text) for m in fake.ephemerals_to("U003")] == [
        ("C001", "in the channel"),
        (fake.dm_id("U003"), "in the DM"),
    ]
