"""A loopback stand-in for Slack's side of Socket Mode.

Attach it to a FakeSlack (``fake.socket_mode = server``): ``apps.connections.open`` then
answers, for the app-level token, with a ``ws://127.0.0.1:PORT/link/?ticket=…`` URL of this
server, good for one connection. On every connection the server sends Slack's ``hello``. A
test pushes envelopes (``slash_commands``, ``interactive``, ``events_api``) shaped as Slack
sends them, awaits the app's ack by envelope id, and can ask the app to reconnect with a
``disconnect`` message.

What Slack would hold against the app is a readable line in ``violations``: an ack for an
envelope nobody sent, a second ack, an ack later than Slack's three seconds, a payload in
an ack where none is accepted, a message that is not an ack, a URL used twice.

``SocketDriver`` is the person at the keyboard over Socket Mode: SlackDriver's payloads, as
envelopes on this server instead of signed HTTP requests.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qsl

from aiohttp import WSCloseCode, WSMsgType, web

from okrbot.sandbox.driver import Response, SlackDriver
from okrbot.sandbox.fake_slack import FakeSlack, loopback_host
from tests.support import stand_ins

Json = dict[str, Any]

ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")
# Slack waits this long for an ack before it treats the delivery as failed.
ACK_DEADLINE = 3.0
# What a test waits for the app at most: only ever reached when something is broken.
WAIT_SECONDS = 10.0


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: Json
    accepts_response_payload: bool
    connection: int
    sent_at: float


@dataclass
class Ack:
    envelope_id: str
    payload: Json | None
    connection: int
    at: float


@dataclass
class Connection:
    """One WebSocket the app opened; numbered from 1 in the order they were opened."""

    number: int
    ticket: str
    opened_at: float
    ws: web.WebSocketResponse = field(repr=False)
    closed_at: float | None = None
    # The WebSocket close code: 1000 when the app said goodbye, 1006 when it just vanished.
    close_code: int | None = None
    sent: list[Json] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.closed_at is None


class FakeSocketMode:
    """Slack's Socket Mode server on a loopback port. Use as ``async with FakeSocketMode()``."""

    def __init__(
        self,
        *,
        app_id: str = "A0OKRBOT",
        host: str = "127.0.0.1",
        clock: Callable[[], float] = time.monotonic,
        connection_seconds: int = 3600,
    ) -> None:
        host = loopback_host(host, "FakeSocketMode")
        self.app_id = app_id
        self.host = host
        self.connection_seconds = connection_seconds
        self._clock = clock
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._tickets: set[str] = set()
        self._used: set[str] = set()
        self._changed = asyncio.Condition()

        self.connections: list[Connection] = []
        self.envelopes: dict[str, Envelope] = {}
        self.acks: list[Ack] = []
        self.violations: list[str] = []

    # -- lifecycle

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeSocketMode is already running")
        app = web.Application()
        app.router.add_get("/link/", self._connect)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.host, 0).start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        stand_ins.register("FakeSocketMode", self)

    async def stop(self) -> None:
        # The server closes what is still open (aiohttp's cleanup would wait for it).
        for connection in self.connections:
            if connection.open:
                await connection.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self._port = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def issue_url(self) -> str:
        """A new WebSocket URL, as ``apps.connections.open`` hands out: one connection each."""
        if self._port is None:
            raise RuntimeError("FakeSocketMode is not running; call start() first")
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self._port}/link/?ticket={ticket}&app_id={self.app_id}"

    # -- what Slack sends

    @property
    def current(self) -> Connection | None:
        """The newest open connection: where envelopes go."""
        return next((c for c in reversed(self.connections) if c.open), None)

    async def push(
        self,
        kind: str,
        payload: Json,
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> Envelope:
        """Send an envelope on the newest open connection, as Slack does."""
        if kind not in ENVELOPE_TYPES:
            raise ValueError(f"Slack sends no {kind!r} envelopes")
        connection = self.current
        if connection is None:
            raise RuntimeError("no open Socket Mode connection to push to")
        if accepts_response_payload is None:
            # Commands and interactions may be answered in the ack; events may not.
            accepts_response_payload = kind != "events_api"
        envelope = Envelope(
            envelope_id or str(uuid.uuid4()),
            kind,
            payload,
            accepts_response_payload,
            connection.number,
            self._clock(),
        )
        message: Json = {
            "envelope_id": envelope.envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            message |= {"retry_attempt": retry_attempt, "retry_reason": retry_reason}
        self.envelopes[envelope.envelope_id] = envelope
        await self._send(connection, message)
        return envelope

    async def disconnect(self, reason: str = "refresh_requested") -> Connection:
        """Ask the app to move to a new connection (``warning`` comes ten seconds before)."""
        connection = self.current
        if connection is None:
            raise RuntimeError("no open Socket Mode connection to disconnect")
        await self._send(
            connection,
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}},
        )
        return connection

    # -- waiting for the app

    async def wait_for_connection(
        self, number: int = 1, within: float = WAIT_SECONDS
    ) -> Connection:
        """The app's `number`-th connection, once it is open and greeted."""
        await self._wait(lambda: len(self.connections) >= number, within, f"connection {number}")
        return self.connections[number - 1]

    async def wait_for_ack(self, envelope_id: str, within: float = WAIT_SECONDS) -> Ack:
        def found() -> Ack | None:
            return next((a for a in self.acks if a.envelope_id == envelope_id), None)

        await self._wait(lambda: found() is not None, within, f"the ack of {envelope_id}")
        ack = found()
        assert ack is not None
        return ack

    async def wait_closed(self, connection: Connection, within: float = WAIT_SECONDS) -> None:
        await self._wait(
            lambda: not connection.open, within, f"connection {connection.number} to close"
        )

    def unacked(self) -> list[Envelope]:
        acked = {a.envelope_id for a in self.acks}
        return [e for e in self.envelopes.values() if e.envelope_id not in acked]

    async def _wait(self, ready: Callable[[], bool], within: float, what: str) -> None:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(ready), within)
            except TimeoutError:
                raise AssertionError(f"waited {within:g} s for {what} in vain") from None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- the WebSocket

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            used = "used before" if ticket in self._used else "not issued"
            self.violations.append(f"connect: the URL's ticket was {used}")
            return web.Response(status=401, text="invalid ticket")
        self._tickets.discard(ticket)
        self._used.add(ticket)
        ws = web.WebSocketResponse()  # answers the client's pings itself
        await ws.prepare(request)
        connection = Connection(len(self.connections) + 1, ticket, self._clock(), ws)
        await self._send(connection, self._hello())
        self.connections.append(connection)
        await self._notify()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._receive(connection, str(message.data))
                    await self._notify()
                elif message.type == WSMsgType.BINARY:
                    self.violations.append(f"connection {connection.number}: a binary frame")
        finally:
            connection.closed_at = self._clock()
            connection.close_code = ws.close_code
            await self._notify()
        return ws

    def _hello(self) -> Json:
        return {
            "type": "hello",
            "num_connections": sum(1 for c in self.connections if c.open) + 1,
            "debug_info": {
                "host": "applink-fake",
                "build_number": 1,
                "approximate_connection_time": self.connection_seconds,
            },
            "connection_info": {"app_id": self.app_id},
        }

    async def _send(self, connection: Connection, message: Json) -> None:
        connection.sent.append(message)
        await connection.ws.send_str(json.dumps(message))

    def _receive(self, connection: Connection, data: str) -> None:
        where = f"connection {connection.number}"
        try:
            message = json.loads(data)
        except ValueError:
            self.violations.append(f"{where}: not JSON: {data[:200]!r}")
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not isinstance(envelope_id, str):
            self.violations.append(f"{where}: not an ack: {data[:200]!r}")
            return
        payload = message.get("payload")
        now = self._clock()
        envelope = self.envelopes.get(envelope_id)
        if envelope is None:
            self.violations.append(f"{where}: an ack for unknown envelope {envelope_id}")
        elif any(a.envelope_id == envelope_id for a in self.acks):
            self.violations.append(f"{where}: envelope {envelope_id} acked twice")
        else:
            late = now - envelope.sent_at
            if late > ACK_DEADLINE:
                self.violations.append(
                    f"{where}: {envelope.type} envelope {envelope_id} acked after {late:.1f} s "
                    f"(Slack waits {ACK_DEADLINE:g} s)"
                )
            if payload is not None and not envelope.accepts_response_payload:
                self.violations.append(
                    f"{where}: {envelope.type} envelope {envelope_id} accepts no response payload"
                )
        if payload is not None and not isinstance(payload, dict):
            self.violations.append(f"{where}: the ack's payload is not an object")
            payload = None
        self.acks.append(Ack(envelope_id, payload, connection.number, now))


# --------------------------------------------------------------------------- the person


class SocketDriver(SlackDriver):
    """SlackDriver over Socket Mode: the payloads it would sign and POST go out as envelopes
    on `server`, and the app's ack is the answer (status 200, the ack's payload as body).

    Nothing is signed: over a socket Slack authenticates the connection, not each message.
    """

    def __init__(
        self,
        server: FakeSocketMode,
        fake: FakeSlack,
        *,
        team_id: str | None = None,
        wall_clock: Callable[[], float] = time.time,
        ack_within: float = WAIT_SECONDS,
    ) -> None:
        super().__init__("", "", fake, team_id=team_id or fake.team_id, wall_clock=wall_clock)
        self.server = server
        self.ack_within = ack_within
        self.sent: list[Envelope] = []

    async def __aenter__(self) -> SocketDriver:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    @property
    def last(self) -> Envelope:
        """The envelope most recently pushed."""
        return self.sent[-1]

    async def post_raw(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        kind, payload = envelope_of(body, content_type)
        retry = {k.lower(): v for k, v in (headers or {}).items()}
        envelope = await self.server.push(
            kind,
            payload,
            retry_attempt=int(retry.get("x-slack-retry-num", "0")),
            retry_reason=retry.get("x-slack-retry-reason", ""),
        )
        self.sent.append(envelope)
        ack = await self.server.wait_for_ack(envelope.envelope_id, self.ack_within)
        return Response(200, "" if ack.payload is None else json.dumps(ack.payload))


def envelope_of(body: str, content_type: str) -> tuple[str, Json]:
    """The envelope type and payload Slack sends over a socket for what it would POST."""
    if content_type.startswith("application/json"):
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise ValueError("an Events API body is a JSON object")
        return "events_api", payload
    form = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in form:
        interaction = json.loads(form["payload"])
        if not isinstance(interaction, dict):
            raise ValueError("an interaction payload is a JSON object")
        return "interactive", interaction
    return "slash_commands", form
