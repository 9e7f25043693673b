"""Routing the command, the buttons and the forms: through a real Bolt app, with its own
signature check, as Slack's requests arrive."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from okrbot.sandbox.driver import signed_headers
from okrbot.slack.routes import Router, Routes
from tests.support.faulty_slack import FaultySlack

SECRET = "routes-test-secret"
# The fake Slack's own workspace (its default).
TEAM = "T0DEMO000"


def request(body: str) -> AsyncBoltRequest:
    headers = signed_headers(SECRET, body, timestamp=str(int(time.time())))
    return AsyncBoltRequest(body=body, headers={k.lower(): [v] for k, v in headers.items()})


def interaction(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def command(text: str) -> str:
    return urlencode({"command": "/okr", "text": text, "team_id": TEAM, "user_id": "U1"})


def click(*action_ids: str) -> str:
    return interaction(
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": "U1"},
            "actions": [{"action_id": a, "block_id": "b", "value": "v"} for a in action_ids],
        }
    )


def submission(callback_id: str) -> str:
    return interaction(
        {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": {"id": "U1"},
            "view": {"id": "V1", "type": "modal", "callback_id": callback_id, "state": {}},
        }
    )


class App:
    """A Bolt app as okrbot builds it: its routes behind one middleware, an event listener
    on Bolt itself."""

    def __init__(self, slack: FaultySlack, refuse: BoltResponse | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.gated: list[dict[str, Any]] = []
        self.routes = Routes()

        async def gate(_context: AsyncBoltContext, body: dict[str, Any]) -> BoltResponse | None:
            self.gated.append(body)
            return refuse

        self.bolt = AsyncApp(
            # Bolt's authorization asks the fake's auth.test once.
            client=AsyncWebClient(token=slack.bot_token, base_url=slack.api_url),
            signing_secret=SECRET,
            process_before_response=True,
        )
        self.bolt.middleware(Router(self.routes, gate))

        @self.bolt.event("app_home_opened")
        async def home(body: dict[str, Any]) -> None:
            self.calls.append(("event", body))

    def handler(self, name: str, **answer: Any) -> Any:
        async def handle(ack: AsyncAck, body: dict[str, Any]) -> None:
            self.calls.append((name, body))
            await ack(**answer)

        return handle

    async def send(self, body: str) -> BoltResponse:
        response: BoltResponse = await self.bolt.async_dispatch(request(body))
        return response


@pytest.fixture
async def slack() -> AsyncIterator[FaultySlack]:
    fake = FaultySlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def app(slack: FaultySlack) -> App:
    app = App(slack)
    app.routes.command("/okr")(app.handler("okr", text="hello"))
    app.routes.action("approve")(app.handler("approve"))
    app.routes.action("reject")(app.handler("reject"))
    app.routes.view("checkin_view")(app.handler("checkin", response_action="clear"))
    return app


async def test_each_kind_reaches_its_handler_and_answers_with_its_ack(app: App) -> None:
    answered = await app.send(command("help"))
    assert (answered.status, answered.body) == (200, "hello")
    assert (await app.send(click("reject"))).status == 200
    submitted = await app.send(submission("checkin_view"))
    assert json.loads(submitted.body) == {"response_action": "clear"}
    assert [name for name, _ in app.calls] == ["okr", "reject", "checkin"]
    # The handlers get the body Bolt parsed.
    assert app.calls[0][1]["text"] == "help"


async def test_a_button_routes_on_its_first_action_as_bolt_does(app: App) -> None:
    await app.send(click("approve", "reject"))
    assert [name for name, _ in app.calls] == ["approve"]


@pytest.mark.parametrize(
    "body",
    [click("nobody_knows"), submission("nobody_knows"), command("x").replace("%2Fokr", "%2Fother")],
)
async def test_anything_not_routed_is_bolts_unhandled_request(app: App, body: str) -> None:
    response = await app.send(body)
    assert response.status == 404
    assert app.calls == []


async def test_events_go_on_to_bolts_listeners_after_the_gate(app: App) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM,
            "event_id": "Ev1",
            "event": {"type": "app_home_opened", "user": "U1", "tab": "home"},
        }
    )
    response = await app.send(body)
    assert response.status == 200
    assert [name for name, _ in app.calls] == ["event"]
    assert len(app.gated) == 1


async def test_the_gate_answers_instead_of_any_handler(slack: FaultySlack) -> None:
    app = App(slack, refuse=BoltResponse(status=200, body="not installed here"))
    app.routes.command("/okr")(app.handler("okr"))
    response = await app.send(command("new"))
    assert (response.status, response.body) == (200, "not installed here")
    assert app.calls == []


async def test_a_bad_signature_never_reaches_the_gate(app: App) -> None:
    forged = request(command("new"))
    forged.headers["x-slack-signature"] = ["v0=" + "0" * 64]
    response = await app.bolt.async_dispatch(forged)
    assert response.status == 401
    assert app.gated == []
    assert app.calls == []


async def test_a_failing_handler_answers_500_with_nothing_in_it_and_is_logged(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(ack: AsyncAck, body: dict[str, Any]) -> None:
        raise RuntimeError("the database went away")

    app.routes.view("broken_view")(broken)
    with caplog.at_level(logging.ERROR, logger="okrbot.slack.routes"):
        response = await app.send(submission("broken_view"))
    assert (response.status, response.body) == (500, "")
    assert "RuntimeError" in caplog.text


async def test_a_handler_that_never_acks_is_an_error_not_a_silent_answer(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async def forgetful(ack: AsyncAck, body: dict[str, Any]) -> None:
        return None

    app.routes.action("forgetful")(forgetful)
    with caplog.at_level(logging.ERROR, logger="okrbot.slack.routes"):
        response = await app.send(click("forgetful"))
    assert response.status == 500
    assert "without answering" in caplog.text


def test_an_id_is_routed_once(app: App) -> None:
    routes = Routes()
    routes.action("approve")(app.handler("a"))
    with pytest.raises(ValueError, match="routed twice"):
        routes.action("approve")


@pytest.mark.parametrize(
    "body",
    [
        {"type": "block_actions", "actions": []},
        {"type": "block_actions", "actions": ["approve"]},
        {"type": "block_actions", "actions": {"action_id": "approve"}},
        {"type": "view_submission", "view": "checkin_view"},
        {"type": "view_submission", "view": {"callback_id": 7}},
        {"type": "view_closed", "view": {"callback_id": "checkin_view"}},
        {"command": ["/okr"]},
    ],
)
def test_shapes_slack_never_sends_route_nowhere(app: App, body: dict[str, Any]) -> None:
    assert app.routes.handler_for(body) is None
