"""Socket Mode, against a loopback server that plays Slack's side of it.

`apps.connections.open` on the fake Web API hands out a ws:// URL of a FakeSocketMode; the
app connects, gets Slack's `hello`, and from then on receives slash commands, clicks,
submissions and events as envelopes, and must ack each one by its envelope id. The same
payloads as over HTTP (SlackDriver's) go out as envelopes (SocketDriver).

The first tests run Bolt's AsyncSocketModeHandler in this process, on the sandbox; the
last ones run the real `okrbot socket` as a process, as an operator would, and stop it
with SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from sqlalchemy import select

from okrbot import cli
from okrbot.config import Settings
from okrbot.domain.okr import Status
from okrbot.sandbox.fake_slack import FakeUser, Message
from okrbot.sandbox.harness import (
    AUTHOR,
    CEO,
    CHANNEL,
    MANAGER,
    ORG_CSV,
    PEOPLE,
)
from okrbot.slack import ids
from okrbot.store.engine import create_engine
from okrbot.store.models import Approval, Objective
from okrbot.store.uow import SessionFactory
from tests.slack.helpers import GOOD_FORM, approvals, button_values, objectives, requests_to
from tests.support.fake_socket import FakeSocketMode, SocketDriver
from tests.support.faulty_slack import FaultySlack
from tests.support.sandbox import Sandbox

T = TypeVar("T")

# The project is run from its source tree, not installed, so the child needs it on its path.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Deadlines, only ever reached when something is broken: starting takes a second or two.
START_WITHIN = 30.0
WITHIN = 10.0


# --------------------------------------------------------------------------- in process


@pytest.fixture
async def over_socket(org_box: Sandbox) -> AsyncIterator[SocketDriver]:
    """The sandbox's app connected over Socket Mode (Bolt's handler, in this process)."""
    async with FakeSocketMode() as server:
        org_box.fake.socket_mode = server
        handler = AsyncSocketModeHandler(org_box.bot.bolt, org_box.fake.app_token)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        try:
            await server.wait_for_connection()
            yield SocketDriver(server, org_box.fake)
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
        assert server.violations == [], "the app answered as Slack would not accept"
        assert server.unacked() == []


async def test_the_app_asks_for_a_url_with_its_app_token_and_is_greeted(
    org_box: Sandbox, over_socket: SocketDriver
) -> None:
    [call] = org_box.fake.calls_to("apps.connections.open")
    assert call.args == {}  # the token goes in the Authorization header, not the form
    [connection] = over_socket.server.connections
    hello = connection.sent[0]
    assert hello["type"] == "hello"
    assert hello["connection_info"] == {"app_id": "A0OKRBOT"}
    assert connection.open


async def test_new_is_acked_on_the_socket_and_opens_the_form(
    org_box: Sandbox, over_socket: SocketDriver
) -> None:
    response = await over_socket.slash(AUTHOR.id, "new")
    envelope = over_socket.last
    assert envelope.type == "slash_commands"
    assert envelope.payload["command"] == "/okr"
    # An empty ack, on the same connection: the form is the answer.
    [ack] = [a for a in over_socket.server.acks if a.envelope_id == envelope.envelope_id]
    assert (ack.payload, ack.connection) == (None, 1)
    assert response.body == ""
    await org_box.settle()
    [opened] = org_box.fake.calls_to("views.open")
    assert opened.args["trigger_id"] == envelope.payload["trigger_id"]
    [view] = org_box.fake.open_views_for(AUTHOR.id)
    assert view["callback_id"] == ids.NEW_OBJECTIVE_VIEW


async def test_an_answer_to_a_command_travels_in_the_ack(
    org_box: Sandbox, over_socket: SocketDriver
) -> None:
    response = await over_socket.slash(AUTHOR.id, "help")
    answer = response.json()
    assert answer["text"] == "okrbot help"
    assert "/okr new" in str(answer["blocks"])
    await org_box.settle()
    # Nothing else reached Slack: over a socket the ack is the reply.
    assert org_box.fake.calls_to("chat.postMessage") == []
    assert org_box.fake.calls_to("chat.postEphemeral") == []


async def test_a_submission_and_an_approval_over_the_socket(
    org_box: Sandbox, over_socket: SocketDriver
) -> None:
    box = org_box
    await over_socket.slash(AUTHOR.id, "new")
    await box.settle()
    [view] = box.fake.open_views_for(AUTHOR.id)

    # A refused form comes back in the submission's ack, and nothing is stored.
    refused = await over_socket.submit_view(AUTHOR.id, view["id"], {**GOOD_FORM, "title": ""})
    assert over_socket.last.type == "interactive"
    assert refused.json()["response_action"] == "errors"
    assert "title" in refused.json()["errors"]
    await box.settle()
    assert await objectives(box) == []

    accepted = await over_socket.submit_view(AUTHOR.id, view["id"], GOOD_FORM)
    assert accepted.body == ""
    await box.settle()
    [request] = requests_to(box, MANAGER.id)
    assert button_values(request) == [ids.APPROVE, ids.REJECT]

    clicked = await over_socket.click(MANAGER.id, request, ids.APPROVE)
    assert clicked.body == ""
    assert over_socket.last.payload["type"] == "block_actions"
    await box.settle()
    [objective] = await objectives(box)
    assert objective.status == Status.AWAITING_CEO
    decisions = [(a.stage, a.outcome, a.decided_by) for a in await approvals(box)]
    assert decisions == [("manager", "approved", MANAGER.id), ("ceo", "pending", None)]
    assert button_values(request) == []  # the buttons gave way to the outcome
    [ceo_request] = requests_to(box, CEO.id)
    assert button_values(ceo_request) == [ids.APPROVE, ids.REJECT]


async def test_home_opened_publishes_and_a_redelivery_is_handled_once(
    org_box: Sandbox, over_socket: SocketDriver
) -> None:
    box = org_box
    event = {"type": "app_home_opened", "user": AUTHOR.id, "tab": "home"}
    first = await over_socket.event(event, event_id="Ev0SOCK0001")
    sent = over_socket.last
    assert sent.type == "events_api"
    assert not sent.accepts_response_payload
    assert sent.payload["event"]["type"] == "app_home_opened"
    assert first.body == ""
    await box.settle()
    home = box.fake.home_view(AUTHOR.id)
    assert home is not None
    assert home["type"] == "home"

    # Slack sends an event again (retry_attempt 1) when it missed the ack: answered, not
    # handled twice.
    again = await over_socket.event(event, event_id="Ev0SOCK0001", retry=1)
    assert again.body == ""
    assert over_socket.server.connections[0].sent[-1]["retry_attempt"] == 1
    await box.settle()
    assert len(box.fake.calls_to("views.publish")) == 1


async def test_a_disconnect_moves_the_app_to_a_new_connection(
    org_box: Sandbox, over_socket: SocketDriver
) -> None:
    server = over_socket.server
    old = await server.disconnect("refresh_requested")
    new = await server.wait_for_connection(2)
    await server.wait_closed(old)
    assert old.close_code == 1000  # the app closed it itself
    assert len(org_box.fake.calls_to("apps.connections.open")) == 2
    await over_socket.slash(AUTHOR.id, "new")
    assert over_socket.server.acks[-1].connection == new.number == 2


# --------------------------------------------------------------------------- the fake


@pytest.mark.violates_slack_limits
async def test_only_the_app_level_token_opens_a_socket() -> None:
    async with FaultySlack() as fake, FakeSocketMode() as server, aiohttp.ClientSession() as http:
        fake.socket_mode = server

        async def call(method: str, token: str) -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {token}"}
            async with http.post(f"{fake.api_url}{method}", headers=headers) as response:
                body: dict[str, Any] = await response.json()
                return body

        opened = await call("apps.connections.open", fake.app_token)
        assert opened["ok"] is True
        assert opened["url"].startswith("ws://127.0.0.1:")
        bot = await call("apps.connections.open", fake.bot_token)
        assert bot == {"ok": False, "error": "not_allowed_token_type"}
        app_level = await call("auth.test", fake.app_token)
        assert app_level == {"ok": False, "error": "not_allowed_token_type"}
        unknown = await call("apps.connections.open", "xapp-someone-else")
        assert unknown == {"ok": False, "error": "invalid_auth"}

        # A URL is good for one connection.
        async with http.ws_connect(opened["url"]) as ws:
            hello = await ws.receive_json()
            assert hello["type"] == "hello"
            assert hello["num_connections"] == 1
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(opened["url"])
        assert server.violations == ["connect: the URL's ticket was used before"]


@pytest.mark.violates_slack_limits
async def test_acks_slack_would_not_accept_are_violations() -> None:
    now = [100.0]
    async with (
        FakeSocketMode(clock=lambda: now[0]) as server,
        aiohttp.ClientSession() as http,
        http.ws_connect(server.issue_url()) as ws,
    ):
        await ws.receive_json()  # hello
        await server.wait_for_connection()
        event = await server.push("events_api", {"type": "event_callback", "event": {}})
        assert await ws.receive_json() == {
            "envelope_id": event.envelope_id,
            "payload": {"type": "event_callback", "event": {}},
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        now[0] += 3.5
        await ws.send_json({"envelope_id": event.envelope_id, "payload": {"text": "hi"}})
        await ws.send_json({"envelope_id": event.envelope_id})
        await ws.send_str("ok")
        # Read in order: once this last one is in, so are the others.
        await ws.send_json({"envelope_id": "nobody-sent-this"})
        await server.wait_for_ack("nobody-sent-this")
    problems = "\n".join(server.violations)
    assert "acked after 3.5 s (Slack waits 3 s)" in problems
    assert "accepts no response payload" in problems
    assert "acked twice" in problems
    assert "unknown envelope nobody-sent-this" in problems
    assert "not JSON" in problems
    assert len(server.violations) == 5


# --------------------------------------------------------------------------- `okrbot socket`


class OkrbotSocket:
    """`okrbot socket` as a process, its output collected as it comes."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.env = env
        self.lines: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def output(self) -> str:
        return "".join(self.lines)

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "okrbot",
            "socket",
            cwd=self.cwd,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            self.lines.append(line.decode(errors="replace"))

    async def terminate(self) -> int:
        """SIGTERM, as a service manager stops it; the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), WITHIN)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, WITHIN)
        return code

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)


async def eventually(check: Callable[[], Awaitable[T | None]], what: str, app: OkrbotSocket) -> T:
    """Poll until `check` has something, or fail after WITHIN seconds with the app's log."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WITHIN
    while True:
        found = await check()
        if found:
            return found
        if loop.time() > deadline or (app.process and app.process.returncode is not None):
            raise AssertionError(f"waited for {what} in vain; okrbot said:\n{app.output}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def slack() -> AsyncIterator[FaultySlack]:
    """Slack's Web API and Socket Mode server, with the sandbox's people and channel."""
    async with FaultySlack() as fake, FakeSocketMode() as server:
        fake.socket_mode = server
        for person in PEOPLE:
            fake.add_user(
                FakeUser(
                    id=person.id,
                    name=person.name.split()[0].lower(),
                    real_name=person.name,
                    email=person.email,
                )
            )
        fake.add_channel(CHANNEL, "okrs")
        yield fake
        assert fake.violations == [], "the app sent something Slack refuses"
        assert server.violations == [], "the app answered as Slack would not accept"


def server_of(fake: FaultySlack) -> FakeSocketMode:
    assert fake.socket_mode is not None
    return fake.socket_mode


@pytest.fixture
async def okrbot(
    slack: FaultySlack, database_url: str, tmp_path: Path
) -> AsyncIterator[OkrbotSocket]:
    """`okrbot socket` running against the fakes, on a database with the org chart, and
    connected. The test stops it."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=slack.bot_token,
        slack_api_url=slack.api_url,
        database_url=database_url,
    )
    assert await cli.org_import(settings, "org.csv", ORG_CSV) == 0
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_ROOT),
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "OKRBOT_CEO": CEO.id,
        "OKRBOT_CHANNEL": CHANNEL,
        "OKRBOT_TIMEZONE": "Europe/Oslo",
    }
    app = OkrbotSocket(tmp_path, env)
    await app.start()
    try:
        await server_of(slack).wait_for_connection(1, within=START_WITHIN)
        yield app
    finally:
        await app.kill()


async def stopped_cleanly(app: OkrbotSocket, server: FakeSocketMode) -> None:
    """SIGTERM: exit code 0, the socket closed by the app (1000), no reconnection."""
    connections = len(server.connections)
    code = await app.terminate()
    assert code == 0, app.output
    assert "Traceback" not in app.output, app.output
    for connection in server.connections:
        await server.wait_closed(connection)
    assert server.connections[-1].close_code == 1000, app.output
    assert len(server.connections) == connections
    assert server.unacked() == []


async def test_okrbot_socket_takes_a_request_through_approval(
    slack: FaultySlack, okrbot: OkrbotSocket, database_url: str
) -> None:
    server = server_of(slack)
    person = SocketDriver(server, slack)

    # /okr new: acked on the socket with its envelope id, then the form opens with the
    # command's trigger id.
    response = await person.slash(AUTHOR.id, "new")
    command = person.last
    assert command.type == "slash_commands"
    assert [a.envelope_id for a in server.acks] == [command.envelope_id]
    assert response.body == ""

    async def form_opened() -> list[Any]:
        return [
            call
            for call in slack.calls_to("views.open")
            if call.args.get("trigger_id") == command.payload["trigger_id"]
        ]

    await eventually(form_opened, "views.open with the command's trigger id", okrbot)
    [view] = slack.open_views_for(AUTHOR.id)
    assert view["callback_id"] == ids.NEW_OBJECTIVE_VIEW

    # The form, as filled in (the quarter is the app's own choice: today's).
    form = {key: value for key, value in GOOD_FORM.items() if key != "quarter"}
    submitted = await person.submit_view(AUTHOR.id, view["id"], form)
    assert submitted.body == "", submitted.body

    def approve_buttons(user: str) -> Callable[[], Awaitable[list[Message]]]:
        async def waiting() -> list[Message]:
            return [m for m in slack.dms_to(user) if ids.APPROVE in button_values(m)]

        return waiting

    [request] = await eventually(approve_buttons(MANAGER.id), "the manager's request", okrbot)

    # The manager approves: the database moves on and the CEO is asked.
    clicked = await person.click(MANAGER.id, request, ids.APPROVE)
    assert clicked.body == ""
    assert person.last.type == "interactive"
    [ceo_request] = await eventually(approve_buttons(CEO.id), "the CEO's request", okrbot)
    assert "Make onboarding delightful" in str(ceo_request.blocks)

    engine = create_engine(database_url)
    try:
        async with SessionFactory(engine)(readonly=True) as uow:
            [objective] = (await uow.session.scalars(select(Objective))).all()
            rows = (await uow.session.scalars(select(Approval).order_by(Approval.id))).all()
    finally:
        await engine.dispose()
    assert objective.status == Status.AWAITING_CEO
    assert objective.title == "Make onboarding delightful"
    assert [(a.stage, a.outcome, a.decided_by) for a in rows] == [
        ("manager", "approved", MANAGER.id),
        ("ceo", "pending", None),
    ]

    # The Home tab: an event in, views.publish out.
    await person.open_home(AUTHOR.id)
    assert person.last.type == "events_api"

    async def published() -> dict[str, Any] | None:
        return slack.home_view(AUTHOR.id)

    home = await eventually(published, "views.publish of the author's Home", okrbot)
    assert "Make onboarding delightful" in str(home["blocks"])

    await stopped_cleanly(okrbot, server)


async def test_okrbot_socket_reconnects_when_slack_asks(
    slack: FaultySlack, okrbot: OkrbotSocket
) -> None:
    server = server_of(slack)
    first = server.connections[0]
    # One to check SLACK_APP_TOKEN at start (its URL left unused), one to connect.
    assert len(slack.calls_to("apps.connections.open")) == 2

    await server.disconnect("refresh_requested")
    second = await server.wait_for_connection(2)
    await server.wait_closed(first)
    # A new URL for the new connection: the old one is good for one connection only.
    assert len(slack.calls_to("apps.connections.open")) == 3
    assert first.close_code == 1000, okrbot.output

    # Envelopes on the new connection are handled and acked there.
    person = SocketDriver(server, slack)
    await person.open_home(AUTHOR.id)
    assert server.acks[-1].connection == second.number

    async def published() -> dict[str, Any] | None:
        return slack.home_view(AUTHOR.id)

    await eventually(published, "views.publish after the reconnection", okrbot)
    await stopped_cleanly(okrbot, server)
