"""A loopback fake of the Slack Web API that refuses what real Slack would refuse.

Point slack_sdk at it with ``AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)``.
Every request is recorded in ``calls``; everything posted is kept in ``messages`` and
``views`` (the state is ``okrbot.sandbox.slack_state``); every request refused for breaking
one of Slack's documented limits (``okrbot.sandbox.blockkit``) adds a readable line to
``violations`` naming the offending field, e.g.
``chat.postMessage: blocks[3].text.text is 3012 chars (max 3000)``.

As Slack does, it refuses a method whose bot scope the token lacks (``missing_scope``; the
token has manifest.yml's scopes unless given others), rate-limits every method by its
tier per workspace (``ratelimited``, HTTP 429 with ``Retry-After``; see ``TIER_BURST``),
sends an ephemeral message only to someone in the conversation, pages history and
replies with cursors, and checks message metadata. ``distributed=True`` is an app
distributed outside the Marketplace: history and replies at one call a minute and 15
messages a call.

Tests put faults between the app and the fake through ``interceptors``, ``observers`` and
``middlewares`` (see tests/support/faulty_slack.py).
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import logging
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Protocol, Self

from aiohttp import web
from aiohttp.typedefs import Middleware

from okrbot.sandbox.blockkit import Json, check_message, check_view
from okrbot.sandbox.blockkit import Refusal as _Refusal
from okrbot.sandbox.slack_state import (
    ApiCall,
    FakeChannel,
    FakeUser,
    Message,
    SlackState,
    _Trigger,
)

__all__ = [
    "ApiCall",
    "FakeChannel",
    "FakeSlack",
    "FakeUser",
    "Json",
    "Message",
    "loopback_host",
]

log = logging.getLogger(__name__)

TRIGGER_TTL = 3.0
# Methods that take the app-level token (xapp-), and the only ones it is good for.
APP_LEVEL_METHODS = frozenset({"apps.connections.open"})

# The bot scope each method needs, as Slack's method reference lists it; a method missing
# here needs none (auth.test, chat.getPermalink, views.*). conversations.history and
# conversations.replies need the history scope of the conversation's type (see
# ``HISTORY_SCOPES``), which the handler checks once it knows the conversation.
METHOD_SCOPES = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.open": "im:write",  # the fake opens 1:1 DMs only
    "users.info": "users:read",
    "users.list": "users:read",
    "users.lookupByEmail": "users:read.email",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
HISTORY_SCOPES = {
    "channel": "channels:history",
    "private": "groups:history",
    "im": "im:history",
}

# Slack's rate-limit tiers: the documented floor of calls a minute, per method, per
# workspace. chat.postMessage has its own ("special") limits, modelled apart, and so have
# auth.test, chat.getPermalink and oauth.v2.access ("hundreds a minute"), which the fake
# does not limit; nor does it limit apps.connections.open (the app-level token's one method).
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIERS = {
    "chat.update": 3,
    "chat.postEphemeral": 4,
    "conversations.open": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "views.open": 4,
    "views.push": 4,
    "views.update": 4,
    "views.publish": 4,
}
# Each tier is a floor ("50+ per minute") and Slack tolerates bursts above it without
# saying how far; it does not tolerate an order of magnitude more. So by default the fake
# refuses a method once it has had twice its tier in a sliding minute: the bursts of a
# test on a frozen clock (a few people, a few dozen calls) pass as they would on Slack,
# while a call per row or per person for a few hundred rows (an org chart of 500 people
# looked up by e-mail one at a time: 500 calls of a Tier 3 method) is refused, as Slack
# would refuse it. ``tier_burst=1`` holds every method to its tier exactly; None turns
# the tiers off.
TIER_BURST = 2.0
TIER_WINDOW = 60.0
# Apps distributed outside the Slack Marketplace (new ones since 2025-05-29): history and
# replies at one call a minute, and at most 15 messages a call, 15 also when no limit is
# asked for. A larger limit is lowered to 15, not refused.
DISTRIBUTED_METHODS = frozenset({"conversations.history", "conversations.replies"})
DISTRIBUTED_PER_MINUTE = 1
DISTRIBUTED_MAX_LIMIT = 15
# Letters, digits, underscores and hyphens (Slack's rule for a metadata event_type).
_EVENT_TYPE = re.compile(r"[A-Za-z0-9_-]+")


class _Throttled(Exception):
    """Ends a request with HTTP 429 and ``Retry-After``, as Slack's rate limits do."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("ratelimited")
        self.retry_after = retry_after


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true"))


def _arg(args: Json, name: str) -> str:
    value = args.get(name)
    return "" if value is None else str(value)


def _cursor_for(ts: str) -> str:
    """An opaque cursor, as Slack's are: where the next page starts."""
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _cursor_ts(args: Json) -> float | None:
    cursor = _arg(args, "cursor")
    if not cursor:
        return None
    try:
        kind, _, ts = base64.b64decode(cursor, validate=True).decode().partition(":")
        if kind != "next_ts":
            raise ValueError(kind)
        return float(ts)
    except ValueError:
        raise _Refusal("invalid_cursor") from None


def loopback_host(host: str, what: str) -> str:
    """The fakes listen on loopback only: nothing of a test ever leaves the machine."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"{what} only listens on a loopback address, not {host!r}")
    return host


def _basic_auth(header: str) -> Json:
    if not header.startswith("Basic "):
        return {}
    try:
        decoded = base64.b64decode(header.removeprefix("Basic ").strip()).decode()
    except ValueError:
        return {}
    client_id, _, secret = decoded.partition(":")
    return {"client_id": client_id, "client_secret": secret}


Handler = Callable[[str, Json], Json]
# Sees an authenticated call before the fake handles it (the call is recorded): an answer
# to give in its place, or None to let the fake handle it.
Interceptor = Callable[[str], web.StreamResponse | None]
# Hears of each call the fake has handled and answered, by method.
Observer = Callable[[str], None]


class SocketModeServer(Protocol):
    """Slack's Socket Mode side: hands out a WebSocket URL for apps.connections.open."""

    def issue_url(self) -> str: ...


class FakeSlack(SlackState):
    """An in-process Slack Web API on a loopback port. Use as ``async with FakeSlack() as f``."""

    # Socket Mode: apps.connections.open, called with this app-level token, answers with a
    # URL of `socket_mode` (a Socket Mode stand-in the test attaches).
    app_token: str = "xapp-fake-app-token"  # noqa: S105 - a fake's token
    socket_mode: SocketModeServer | None = None

    # Slack's pace per channel for chat.postMessage: about one message a second in any one
    # channel (a DM too), checked over a sliding second on the fake's clock; None: not
    # enforced. A 429 with Retry-After past it.
    post_limit_per_channel_second: int | None = None
    _channel_post_times: dict[str, deque[float]] | None = None

    def __init__(
        self,
        *,
        team_id: str = "T0DEMO000",
        bot_user_id: str = "U0BOT0000",
        bot_token: str = "xoxb-fake-bot-token",  # noqa: S107 - a fake's token
        clock: Callable[[], float] = time.monotonic,
        host: str = "127.0.0.1",
        scopes: Iterable[str] | None = None,
        tier_burst: float | None = TIER_BURST,
        distributed: bool = False,
    ) -> None:
        host = loopback_host(host, "FakeSlack")
        super().__init__(
            team_id=team_id,
            bot_user_id=bot_user_id,
            bot_token=bot_token,
            clock=clock,
            scopes=scopes,
        )
        # How far above its tier a method may go in a minute (see TIER_BURST); None: no
        # tier is enforced. ``method_limits`` sets one method's calls a minute instead
        # (None there: that method unlimited).
        self.tier_burst = tier_burst
        self.method_limits: dict[str, int | None] = {}
        self.tier_window = TIER_WINDOW
        self._tier_times: dict[tuple[str, str], deque[float]] = {}
        # An app distributed outside the Marketplace (see DISTRIBUTED_METHODS).
        self.distributed = distributed
        self.host = host
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        # Slack's posting limit, as a sliding minute on the fake's clock (None: no limit).
        self.post_limit_per_minute: int | None = None
        self._post_times: deque[float] = deque()
        # What a test puts between the app and the fake: interceptors, in order, before a
        # call is handled; observers after it has been answered; aiohttp middlewares
        # around every request (set them before start()).
        self.interceptors: list[Interceptor] = []
        self.observers: list[Observer] = []
        self.middlewares: list[Middleware] = []
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.list": self._users_list,
            "oauth.v2.access": self._oauth_v2_access,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    # -- lifecycle

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeSlack is already running")
        app = web.Application(client_max_size=16 * 1024 * 1024, middlewares=self.middlewares)
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/upload/{file_id}", self._receive_upload)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.host, 0).start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self._port = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeSlack is not running; call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}/api/"

    # -- HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args: Json = dict(request.query)
        bad_body = False
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = None
                bad_body = not isinstance(body, dict)
                if isinstance(body, dict):
                    args.update(body)
            else:
                form = await request.post()
                args.update({k: v for k, v in form.items() if isinstance(v, str)})
        for key in ("blocks", "view", "attachments"):
            if isinstance(args.get(key), str):
                with contextlib.suppress(ValueError):  # a bad one stays a string and is refused
                    args[key] = json.loads(args[key])
        call = ApiCall(method, args, self._clock())
        self.calls.append(call)
        if method == "oauth.v2.access":
            # Authenticated by the app's client id and secret (HTTP Basic), not by a token.
            args.update(_basic_auth(request.headers.get("Authorization", "")))
            return self._answer(method, args)

        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header else _arg(args, "token")
        if not token:
            return self._reply({"ok": False, "error": "not_authed"})
        if method in APP_LEVEL_METHODS or token == self.app_token:
            return self._app_level(method, args, token)
        team = self.tokens.get(token)
        if team is None:
            return self._reply({"ok": False, "error": "invalid_auth"})
        call.team = self._caller = team
        if bad_body:
            return self._reply({"ok": False, "error": "invalid_json"})
        intercepted = self._intercepted(method)
        if intercepted is not None:
            return intercepted
        needed = METHOD_SCOPES.get(method)
        if needed is not None and needed not in self.scopes:
            return self._reply({"ok": False, **self._missing_scope(needed)})
        if method in self._handlers:
            tier_wait = self._tier_wait(method)
            if tier_wait is not None:
                return self._reply(
                    {"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(tier_wait)}
                )
        if method == "chat.postMessage":
            wait = self._post_wait()
            if wait is not None:
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(wait)},
                )
        try:
            return self._answer(method, args)
        finally:
            for observer in self.observers:
                observer(method)

    def _missing_scope(self, needed: str) -> Json:
        """Slack's answer to a token without the scope a method needs."""
        return {"error": "missing_scope", "needed": needed, "provided": ",".join(self.scopes)}

    def _require_scope(self, needed: str) -> None:
        if needed not in self.scopes:
            body = self._missing_scope(needed)
            raise _Refusal(body.pop("error"), extra=body)

    def limit_per_minute(self, method: str) -> int | None:
        """How many calls a minute `method` gets from one workspace (None: unlimited)."""
        if self.distributed and method in DISTRIBUTED_METHODS:
            return DISTRIBUTED_PER_MINUTE
        if method in self.method_limits:
            return self.method_limits[method]
        tier = METHOD_TIERS.get(method)
        if tier is None or self.tier_burst is None:
            return None
        return max(1, math.floor(TIER_PER_MINUTE[tier] * self.tier_burst))

    def _tier_wait(self, method: str) -> int | None:
        """Seconds until `method` may be called again by this workspace, or None if it may
        now (the call is then counted). A sliding window on the fake's clock."""
        per_minute = self.limit_per_minute(method)
        if per_minute is None:
            return None
        times = self._tier_times.setdefault((self._caller, method), deque())
        now = self._clock()
        while times and times[0] <= now - self.tier_window:
            times.popleft()
        if len(times) >= per_minute:
            return max(1, math.ceil(times[0] + self.tier_window - now))
        times.append(now)
        return None

    def _post_wait(self) -> int | None:
        """Seconds until the posting limit lets another message through, or None if it does."""
        if self.post_limit_per_minute is None:
            return None
        now = self._clock()
        while self._post_times and self._post_times[0] <= now - 60:
            self._post_times.popleft()
        if len(self._post_times) >= self.post_limit_per_minute:
            return max(1, math.ceil(self._post_times[0] + 60 - now))
        self._post_times.append(now)
        return None

    def _channel_wait(self, channel: str) -> None:
        """Refuse with a 429 when `channel` has had its share of messages this second."""
        if self.post_limit_per_channel_second is None:
            return
        if self._channel_post_times is None:
            self._channel_post_times = {}
        times = self._channel_post_times.setdefault(channel, deque())
        now = self._clock()
        while times and times[0] <= now - 1:
            times.popleft()
        if len(times) >= self.post_limit_per_channel_second:
            raise _Throttled(max(1, math.ceil(times[0] + 1 - now)))
        times.append(now)

    def _answer(self, method: str, args: Json) -> web.Response:
        handler = self._handlers.get(method)
        if handler is None:
            return self._reply({"ok": False, "error": "unknown_method"})
        try:
            return self._reply({"ok": True, **handler(method, args)})
        except _Throttled as throttled:
            return self._reply(
                {"ok": False, "error": "ratelimited"},
                429,
                {"Retry-After": str(throttled.retry_after)},
            )
        except _Refusal as refusal:
            refused: Json = {"ok": False, "error": refusal.error, **refusal.extra}
            if refusal.problems:
                self.violations.extend(f"{method}: {p}" for p in refusal.problems)
                messages = [f"[ERROR] {p}" for p in refusal.problems]
                refused["response_metadata"] = {"messages": messages}
            return self._reply(refused)
        except Exception as exc:
            log.exception("FakeSlack failed on %s", method)
            return self._reply({"ok": False, "error": "internal_error", "detail": repr(exc)}, 500)

    @staticmethod
    def _reply(
        body: Json, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        return web.json_response(body, status=status, headers=headers)

    def _intercepted(self, method: str) -> web.StreamResponse | None:
        """The first answer an interceptor gives in place of the fake's, if any."""
        for interceptor in self.interceptors:
            answer = interceptor(method)
            if answer is not None:
                return answer
        return None

    def _live_user(self, user_id: str, error: str) -> FakeUser:
        user = self.users.get(user_id)
        if user is None or user.deleted or not self._in_caller_team(user.team_id):
            raise _Refusal(error)
        return user

    def _conversation(self, value: Any) -> tuple[str, str | None]:
        """Resolve a ``channel`` argument to (conversation id, DM recipient or None)."""
        channel = "" if value is None else str(value)
        if channel[:1] in ("U", "W"):
            return self.dm_id(self._live_user(channel, "channel_not_found").id), channel
        if channel[:1] == "D":
            user_id = self._dm_users.get(channel, "")
            self._live_user(user_id, "channel_not_found")
            return channel, user_id
        if channel.startswith("#"):
            named = [c for c in self.channels.values() if c.name == channel[1:]]
            channel = named[0].id if named else ""
        found = self.channels.get(channel)
        if found is None or not self._in_caller_team(found.team_id):
            raise _Refusal("channel_not_found")
        if found.archived:
            raise _Refusal("is_archived")
        if not found.bot_is_member:
            raise _Refusal("not_in_channel")
        return found.id, None

    def _check_message(self, args: Json) -> tuple[str, list[Json]]:
        return check_message(args)

    def _check_view(self, view: Any, *, kind: str) -> Json:
        return check_view(view, kind=kind)

    def _store_view(self, view: Json, *, view_id: str | None, user_id: str | None) -> Json:
        previous = self.views.get(view_id) if view_id else None
        view_id = view_id or f"V{self._next_serial():010d}"
        stored: Json = {
            **view,
            "id": view_id,
            "team_id": self._caller,
            "bot_id": self.bot_id,
            "hash": f"{1_700_000_000 + self._next_serial()}.fake{view_id[1:]}",
            "state": {"values": {}},
            "root_view_id": previous["root_view_id"] if previous else view_id,
            "previous_view_id": previous["previous_view_id"] if previous else None,
            "user_id": previous["user_id"] if previous else user_id,
        }
        old_external_id = (previous or {}).get("external_id")
        external_id = view.get("external_id") or old_external_id
        if old_external_id != external_id:
            self._external_ids.pop(str(old_external_id), None)
        if isinstance(external_id, str):
            stored["external_id"] = external_id
            self._external_ids[external_id] = view_id
        self.views[view_id] = stored
        return stored

    # -- methods

    def _app_level(self, method: str, args: Json, token: str) -> web.StreamResponse:
        """The app-level token opens sockets and does nothing else; a workspace's token
        cannot open one."""
        if token != self.app_token:
            known = token.startswith(("xoxb-", "xoxp-"))
            return self._reply(
                {"ok": False, "error": "not_allowed_token_type" if known else "invalid_auth"}
            )
        if method not in APP_LEVEL_METHODS:
            return self._reply({"ok": False, "error": "not_allowed_token_type"})
        return self._intercepted(method) or self._answer(method, args)

    def _apps_connections_open(self, method: str, args: Json) -> Json:
        if self.socket_mode is None:
            raise _Refusal("not_supported_by_fake_slack")  # no FakeSocketMode attached
        return {"url": self.socket_mode.issue_url()}

    def _auth_test(self, method: str, args: Json) -> Json:
        return {
            "url": "https://demo.slack.com/",
            "team": self.team_names.get(self._caller, "Demo"),
            "user": "okrbot",
            "team_id": self._caller,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _thread(self, channel: str, args: Json) -> str | None:
        thread_ts = args.get("thread_ts")
        if thread_ts in (None, ""):
            return None
        if (channel, str(thread_ts)) not in self._posted:
            raise _Refusal("thread_not_found")
        return str(thread_ts)

    def _chat_post_message(self, method: str, args: Json) -> Json:
        channel, recipient = self._conversation(args.get("channel"))
        self._channel_wait(channel)
        thread_ts = self._thread(channel, args)
        text, blocks = self._check_message(args)
        metadata, warning = self._metadata(method, args)
        message = Message(channel, self._next_ts(), recipient, text, blocks, thread_ts)
        message.metadata = metadata
        self.messages.append(message)
        self._posted[(channel, message.ts)] = message
        answer = {"channel": channel, "ts": message.ts, "message": self._message_json(message)}
        return {**answer, **warning}

    def _metadata(self, method: str, args: Json) -> tuple[Json | None, Json]:
        """The message's metadata if Slack keeps it, and the warning fields of the answer.

        Metadata that is not an object with a string ``event_type`` and an object
        ``event_payload`` is refused (``invalid_metadata_format``). An ``event_type`` with
        anything but letters, digits, ``_`` and ``-`` is not refused: Slack posts the
        message, drops the metadata and answers with an ``invalid_metadata_schema`` warning,
        which a caller that never reads warnings does not notice; ``warnings`` has a line."""
        metadata = args.get("metadata")
        if metadata is None or metadata == "":
            return None, {}
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                raise _Refusal("invalid_metadata_format", ["metadata is not JSON"]) from None
        if not isinstance(metadata, dict):
            raise _Refusal("invalid_metadata_format", ["metadata must be a JSON object"])
        event_type, payload = metadata.get("event_type"), metadata.get("event_payload")
        problems = []
        if not isinstance(event_type, str) or not event_type:
            problems.append("metadata.event_type must be a non-empty string")
        if not isinstance(payload, dict):
            problems.append("metadata.event_payload must be an object")
        if problems:
            raise _Refusal("invalid_metadata_format", problems)
        if not (isinstance(event_type, str) and _EVENT_TYPE.fullmatch(event_type)):
            self.warnings.append(
                f"{method}: metadata.event_type {event_type!r} is not letters, digits, _ and -"
                " (metadata dropped)"
            )
            warning = "invalid_metadata_schema"
            return None, {"warning": warning, "response_metadata": {"warnings": [warning]}}
        return metadata, {}

    def _message_json(self, message: Message) -> Json:
        if message.author is not None:
            # A person's own message: no bot_id, and no blocks unless the client sent them.
            written: Json = {
                "type": "message",
                "user": message.author,
                "team": self._caller,
                "ts": message.ts,
                "text": message.text,
            }
            if message.thread_ts:
                written["thread_ts"] = message.thread_ts
            if message.edited_ts:
                written["edited"] = {"user": message.author, "ts": message.edited_ts}
            return written
        body: Json = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self._caller,
            "ts": message.ts,
            "text": message.text,
            "blocks": message.blocks,
        }
        if message.thread_ts:
            body["thread_ts"] = message.thread_ts
        return body

    def _chat_update(self, method: str, args: Json) -> Json:
        channel, _ = self._conversation(args.get("channel"))
        message = self._posted.get((channel, _arg(args, "ts")))
        if message is None:
            raise _Refusal("message_not_found")
        text, blocks = self._check_message(args)
        metadata, warning = self._metadata(method, args)
        message.text = text
        if args.get("blocks") is not None:
            message.blocks = blocks
        if metadata is not None:
            message.metadata = metadata
        message.updated += 1
        return {
            "channel": channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._message_json(message),
            **warning,
        }

    def _chat_post_ephemeral(self, method: str, args: Json) -> Json:
        channel, recipient = self._conversation(args.get("channel"))
        user = self._live_user(_arg(args, "user"), "user_not_found")
        # Only someone in the conversation can see an ephemeral message in it: in a DM, the
        # person the DM is with; in a channel, its members.
        found = self.channels.get(channel)
        members = {recipient} if found is None else found.members
        if user.id not in members:
            raise _Refusal("user_not_in_channel")
        thread_ts = self._thread(channel, args)
        text, blocks = self._check_message(args)
        ts = self._next_ts()
        self.messages.append(Message(channel, ts, recipient, text, blocks, thread_ts, user.id))
        return {"message_ts": ts}

    def _chat_get_permalink(self, method: str, args: Json) -> Json:
        channel, _ = self._conversation(args.get("channel"))
        ts = _arg(args, "message_ts")
        if (channel, ts) not in self._posted:
            raise _Refusal("message_not_found")
        link = f"https://demo.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _trigger(self, args: Json) -> _Trigger:
        trigger = self._triggers.get(_arg(args, "trigger_id"))
        if trigger is None:
            raise _Refusal("invalid_trigger_id")
        if trigger.used:
            raise _Refusal("exchanged_trigger_id")
        if self._clock() - trigger.issued_at > TRIGGER_TTL:
            raise _Refusal("expired_trigger_id")
        return trigger

    def _views_open(self, method: str, args: Json) -> Json:
        trigger = self._trigger(args)
        view = self._check_view(args.get("view"), kind="modal")
        trigger.used = True
        stored = self._store_view(view, view_id=None, user_id=trigger.user_id)
        if method == "views.push" and trigger.user_id is not None:
            stack = self.open_views_for(trigger.user_id)[:-1]
            if stack:
                stored["root_view_id"] = stack[0]["root_view_id"]
                stored["previous_view_id"] = stack[-1]["id"]
        return {"view": stored}

    def _views_update(self, method: str, args: Json) -> Json:
        view_id = _arg(args, "view_id") or self._external_ids.get(_arg(args, "external_id"), "")
        current = self.views.get(view_id)
        if current is None:
            raise _Refusal("not_found")
        if args.get("hash") and _arg(args, "hash") != current["hash"]:
            raise _Refusal("hash_conflict")
        view = self._check_view(args.get("view"), kind=str(current.get("type")))
        return {"view": self._store_view(view, view_id=view_id, user_id=None)}

    def _views_publish(self, method: str, args: Json) -> Json:
        user = self._live_user(_arg(args, "user_id"), "user_not_found")
        view_id = self._home_views.get(user.id)
        if view_id and args.get("hash") and _arg(args, "hash") != self.views[view_id]["hash"]:
            raise _Refusal("hash_conflict")
        view = self._check_view(args.get("view"), kind="home")
        stored = self._store_view(view, view_id=view_id, user_id=user.id)
        self._home_views[user.id] = stored["id"]
        return {"view": stored}

    def _user_json(self, user: FakeUser, *, include_locale: bool) -> Json:
        profile: Json = {"real_name": user.real_name, "display_name": user.name}
        # users.info and users.list leave the address out without users:read.email.
        if user.email is not None and "users:read.email" in self.scopes:
            profile["email"] = user.email
        body: Json = {
            "id": user.id,
            "team_id": user.team_id or self.team_id,
            "name": user.name,
            "real_name": user.real_name,
            "tz": user.tz,
            "deleted": user.deleted,
            "is_bot": user.is_bot,
            "profile": profile,
        }
        if include_locale:
            body["locale"] = user.locale
        return body

    def _users_info(self, method: str, args: Json) -> Json:
        user = self.users.get(_arg(args, "user"))
        if user is None or not self._in_caller_team(user.team_id):
            raise _Refusal("user_not_found")
        include_locale = _truthy(args.get("include_locale"))
        return {"user": self._user_json(user, include_locale=include_locale)}

    def _users_lookup_by_email(self, method: str, args: Json) -> Json:
        email = _arg(args, "email").casefold()
        for user in self.users.values():
            if not self._in_caller_team(user.team_id):
                continue
            if email and user.email is not None and user.email.casefold() == email:
                return {"user": self._user_json(user, include_locale=False)}
        raise _Refusal("users_not_found")

    def _history_scope(self, channel: str) -> str:
        found = self.channels.get(channel)
        if found is None:
            return HISTORY_SCOPES["im"]
        return HISTORY_SCOPES["private" if found.private else "channel"]

    def _page_limit(self, method: str, args: Json, default: int, maximum: int) -> int:
        if self.distributed and method in DISTRIBUTED_METHODS:
            default = maximum = DISTRIBUTED_MAX_LIMIT
        raw = _arg(args, "limit")
        if not raw:
            return default
        try:
            asked = int(raw)
        except ValueError:
            raise _Refusal("invalid_arguments", [f"limit must be a number, not {raw!r}"]) from None
        return max(1, min(maximum, asked)) if asked > 0 else default

    def _listed(self, messages: list[Message], args: Json) -> list[Json]:
        with_metadata = _truthy(args.get("include_all_metadata"))
        listed = []
        for message in messages:
            body = self._message_json(message)
            if with_metadata and message.metadata:
                body["metadata"] = message.metadata
            listed.append(body)
        return listed

    @staticmethod
    def _in_range(message: Message, args: Json) -> bool:
        """Within ``oldest`` and ``latest``, which are left out unless ``inclusive``."""
        ts = float(message.ts)
        oldest = float(_arg(args, "oldest") or 0)
        latest = float(_arg(args, "latest") or math.inf)
        if _truthy(args.get("inclusive")):
            return oldest <= ts <= latest
        return oldest < ts < latest

    def _conversations_history(self, method: str, args: Json) -> Json:
        """Top-level messages, newest first, a page at a time."""
        channel, _ = self._conversation(args.get("channel"))
        self._require_scope(self._history_scope(channel))
        limit = self._page_limit(method, args, 100, 999)
        start = _cursor_ts(args)
        found = [
            m
            for m in reversed(self.messages)
            if m.channel == channel
            and m.thread_ts is None
            and m.ephemeral_for is None
            and self._in_range(m, args)
            and (start is None or float(m.ts) <= start)
        ]
        return self._page(found, limit, args)

    def _conversations_replies(self, method: str, args: Json) -> Json:
        """A thread: its parent first, then its replies, oldest first (Slack's order)."""
        channel, _ = self._conversation(args.get("channel"))
        self._require_scope(self._history_scope(channel))
        parent_ts = _arg(args, "ts")
        if (channel, parent_ts) not in self._posted:
            raise _Refusal("thread_not_found")
        limit = self._page_limit(method, args, 1000, 1000)
        start = _cursor_ts(args)
        thread = [self._posted[(channel, parent_ts)]] + [
            m
            for m in self.messages
            if m.channel == channel
            and m.thread_ts == parent_ts
            and m.ephemeral_for is None
            and self._in_range(m, args)
        ]
        if start is not None:
            thread = [m for m in thread if float(m.ts) >= start]
        return self._page(thread, limit, args)

    def _page(self, found: list[Message], limit: int, args: Json) -> Json:
        body: Json = {"messages": self._listed(found[:limit], args), "has_more": len(found) > limit}
        if len(found) > limit:
            body["response_metadata"] = {"next_cursor": _cursor_for(found[limit].ts)}
        return body

    def _files_get_upload_url(self, method: str, args: Json) -> Json:
        filename = _arg(args, "filename")
        length = _arg(args, "length")
        if not filename or not length.isdigit():
            raise _Refusal("invalid_arguments", ["filename and a numeric length are required"])
        file_id = f"F{self._next_serial():09d}"
        self.files[file_id] = {"filename": filename, "length": int(length), "data": None}
        return {
            "upload_url": f"http://{self.host}:{self._port}/upload/{file_id}",
            "file_id": file_id,
        }

    async def _receive_upload(self, request: web.Request) -> web.Response:
        upload = self.files.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="no such upload")
        upload["data"] = await request.read()
        return web.Response(text=f"OK - {len(upload['data'])}")

    def _files_complete_upload(self, method: str, args: Json) -> Json:
        listed = args.get("files")
        if isinstance(listed, str):
            with contextlib.suppress(ValueError):
                listed = json.loads(listed)
        if not isinstance(listed, list) or not listed:
            raise _Refusal("invalid_arguments", ["files must be a non-empty array"])
        channel = _arg(args, "channel_id") or None
        thread_ts = _arg(args, "thread_ts") or None
        shared = []
        for item in listed:
            upload = self.files.get(str(item.get("id"))) if isinstance(item, dict) else None
            if upload is None or upload["data"] is None:
                raise _Refusal("file_not_found")
            upload.update(title=item.get("title"), channel=channel, thread_ts=thread_ts)
            shared.append(
                {"id": item["id"], "title": item.get("title"), "name": upload["filename"]}
            )
        if channel is not None:
            resolved, recipient = self._conversation(channel)
            if thread_ts is not None and (resolved, thread_ts) not in self._posted:
                raise _Refusal("thread_not_found")
            comment = _arg(args, "initial_comment")
            message = Message(resolved, self._next_ts(), recipient, comment, [], thread_ts)
            message.files = [f["id"] for f in shared]
            self.messages.append(message)
        return {"files": shared}

    def _users_list(self, method: str, args: Json) -> Json:
        limit = max(1, min(200, int(_arg(args, "limit") or 200)))
        start = int(_arg(args, "cursor") or 0)
        everyone = sorted(
            (u for u in self.users.values() if self._in_caller_team(u.team_id)),
            key=lambda u: u.id,
        )
        page = everyone[start : start + limit]
        following = start + limit
        cursor = str(following) if following < len(everyone) else ""
        include_locale = _truthy(args.get("include_locale"))
        return {
            "members": [self._user_json(u, include_locale=include_locale) for u in page],
            "response_metadata": {"next_cursor": cursor},
        }

    def _oauth_v2_access(self, method: str, args: Json) -> Json:
        if (_arg(args, "client_id"), _arg(args, "client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            raise _Refusal("invalid_client_id")
        grant = self._codes.pop(_arg(args, "code"), None)
        if grant is None:
            raise _Refusal("invalid_code")
        team_id, user_id = grant
        token = self.token_of(team_id) or f"xoxb-fake-{team_id.lower()}-{self._next_serial()}"
        self.tokens[token] = team_id
        return {
            "access_token": token,
            "token_type": "bot",
            "scope": ",".join(self.scopes),
            "bot_user_id": self.bot_user_id,
            "app_id": "A0FAKEAPP",
            "team": {"id": team_id, "name": self.team_names.get(team_id, team_id)},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": user_id},
        }

    def _conversations_open(self, method: str, args: Json) -> Json:
        users = [u.strip() for u in _arg(args, "users").split(",") if u.strip()]
        if not users:
            raise _Refusal("users_list_not_supplied")
        if len(users) > 1:
            raise _Refusal("not_supported_by_fake_slack")  # group DMs are not modelled
        user = self._live_user(users[0], "user_not_found")
        return {"channel": {"id": self.dm_id(user.id), "is_im": True, "user": user.id}}
