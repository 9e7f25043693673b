"""A loopback fake of the Slack Web API that refuses what real Slack would refuse.

Point slack_sdk at it with ``AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)``.
Every request is recorded in ``calls``; everything posted is kept in ``messages`` and
``views``; every request refused for breaking one of Slack's documented limits adds a
readable line to ``violations`` naming the offending field, e.g.
``chat.postMessage: blocks[3].text.text is 3012 chars (max 3000)``.

As Slack does, it refuses a method whose bot scope the token lacks (``missing_scope``; the
token has manifest.yml's scopes unless given others), rate-limits every method by its
tier per workspace (``ratelimited``, HTTP 429 with ``Retry-After``; see ``TIER_BURST``),
sends an ephemeral message only to someone in the conversation, pages history and
replies with cursors, and checks message metadata. ``distributed=True`` is an app
distributed outside the Marketplace: history and replies at one call a minute and 15
messages a call.

The fake is stricter than Slack in one place on purpose: a message with blocks must
carry a non-empty top-level ``text`` fallback (for notifications and screen readers).
"""

from __future__ import annotations

import asyncio
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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from aiohttp import web
from aiohttp.typedefs import Handler as WebHandler

from okrbot.slack.limits import MESSAGE_BLOCKS_MAX as MAX_MESSAGE_BLOCKS
from okrbot.slack.limits import MESSAGE_BLOCKS_TEXT_MAX as MAX_BLOCKS_TEXT
from okrbot.slack.limits import MESSAGE_TEXT_MAX as MAX_MESSAGE_TEXT
from okrbot.slack.limits import VIEW_BLOCKS_MAX as MAX_VIEW_BLOCKS
from okrbot.slack.oauth import SCOPES as MANIFEST_SCOPES

if TYPE_CHECKING:
    from okrbot.sandbox.fake_socket import FakeSocketMode

log = logging.getLogger(__name__)

Json = dict[str, Any]

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

BLOCK_TYPES = frozenset(
    {
        "section",
        "divider",
        "header",
        "context",
        "actions",
        "input",
        "image",
        "rich_text",
        "markdown",
    }
)
INPUT_ONLY_ELEMENTS = frozenset(
    {
        "plain_text_input",
        "number_input",
        "email_text_input",
        "url_text_input",
        "rich_text_input",
        "file_input",
    }
)
CHOICE_ELEMENTS = frozenset(
    {
        "checkboxes",
        "radio_buttons",
        "static_select",
        "multi_static_select",
        "external_select",
        "multi_external_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
        "datepicker",
        "timepicker",
        "datetimepicker",
    }
)
ACTION_ELEMENTS = CHOICE_ELEMENTS | {"button", "overflow", "workflow_button"}
ACCESSORY_ELEMENTS = ACTION_ELEMENTS | {"image"}
INPUT_ELEMENTS = CHOICE_ELEMENTS | INPUT_ONLY_ELEMENTS

_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")


@dataclass
class FakeUser:
    id: str
    name: str
    real_name: str
    email: str | None = None
    tz: str = "Europe/Oslo"
    locale: str = "en-US"
    deleted: bool = False
    is_bot: bool = False
    # The workspace the person belongs to; None is the fake's first workspace.
    team_id: str | None = None


@dataclass
class FakeChannel:
    id: str
    name: str
    bot_is_member: bool = True
    archived: bool = False
    team_id: str | None = None
    # A private channel: its history needs groups:history rather than channels:history.
    private: bool = False
    # The people in the channel (the bot aside, see ``bot_is_member``): only they can be
    # sent an ephemeral message in it.
    members: set[str] = field(default_factory=set)


@dataclass
class ApiCall:
    method: str
    args: Json
    at: float
    # The workspace whose token made the call (None: no valid token).
    team: str | None = None


@dataclass
class Message:
    channel: str
    ts: str
    user: str | None  # the recipient, for messages in the app's DM with a user
    text: str
    blocks: list[Json] = field(default_factory=list)
    thread_ts: str | None = None
    ephemeral_for: str | None = None
    updated: int = 0
    metadata: Json | None = None
    files: list[str] = field(default_factory=list)


@dataclass
class _Fault:
    kind: str  # "error" | "ratelimit" | "http"
    times: int
    error: str = ""
    status: int = 200
    retry_after: int = 1


@dataclass
class _Delay:
    seconds: float
    times: int


# What Slack may do after it has performed a call: answer with an error that Slack
# documents as "some aspect of the operation may have succeeded", answer 5xx, or drop the
# connection without answering. The caller cannot tell whether the call took effect.
AMBIGUOUS_ERRORS = frozenset({"fatal_error", "internal_error", "request_timeout"})
AMBIGUOUS_OUTCOMES = AMBIGUOUS_ERRORS | {"http_500", "http_503", "drop"}


@dataclass
class _Afterwards:
    outcome: str
    times: int


@dataclass
class _Trigger:
    issued_at: float
    user_id: str | None
    used: bool = False


class _Refusal(Exception):
    """Ends a request with ``{"ok": false, "error": error}``."""

    def __init__(
        self, error: str, problems: list[str] | None = None, extra: Json | None = None
    ) -> None:
        super().__init__(error)
        self.error = error
        self.problems = problems or []
        # More fields of the answer, e.g. missing_scope's ``needed`` and ``provided``.
        self.extra = extra or {}


class _Throttled(Exception):
    """Ends a request with HTTP 429 and ``Retry-After``, as Slack's rate limits do."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("ratelimited")
        self.retry_after = retry_after


# --------------------------------------------------------------------------- limits


def _text_chars(node: Any) -> int:
    """Characters of every ``text`` string anywhere in a block tree."""
    if isinstance(node, dict):
        return sum(
            len(value) if key == "text" and isinstance(value, str) else _text_chars(value)
            for key, value in node.items()
        )
    if isinstance(node, list):
        return sum(_text_chars(item) for item in node)
    return 0


def _option_key(option: Any) -> tuple[str, str] | None:
    if not isinstance(option, dict):
        return None
    text = option.get("text")
    label = text.get("text") if isinstance(text, dict) else None
    return (str(label), str(option.get("value")))


class _Checker:
    """Collects every broken limit of a block list, as ``path problem`` lines."""

    def __init__(self, *, in_view: bool) -> None:
        self.in_view = in_view
        self.problems: list[str] = []

    def add(self, path: str, problem: str) -> None:
        self.problems.append(f"{path} {problem}")

    def length(self, path: str, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, f"is {len(value)} chars (max {limit})")

    def string(self, path: str, value: Any, limit: int, *, required: bool = False) -> None:
        if value is None:
            if required:
                self.add(path, "is required")
        elif not isinstance(value, str) or (required and not value):
            self.add(path, "must be a non-empty string")
        else:
            self.length(path, value, limit)

    def items(
        self, path: str, value: Any, limit: int, *, required: bool = False, non_empty: bool = True
    ) -> list[Any]:
        if value is None and not required:
            return []
        if not isinstance(value, list) or (required and non_empty and not value):
            self.add(path, "must be a non-empty array" if non_empty else "must be an array")
            return []
        if len(value) > limit:
            self.add(path, f"has {len(value)} items (max {limit})")
        return value

    def text(
        self,
        path: str,
        obj: Any,
        limit: int | None,
        *,
        plain: bool = False,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.add(path, "is required")
            return
        if not isinstance(obj, dict):
            self.add(path, "must be a text object")
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn"):
            self.add(f"{path}.type", f"must be plain_text or mrkdwn, not {kind!r}")
            return
        if plain and kind != "plain_text":
            self.add(f"{path}.type", "must be plain_text")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.add(f"{path}.text", "must be a non-empty string")
        elif limit is not None:
            self.length(f"{path}.text", text, limit)

    # -- blocks

    def blocks(self, path: str, blocks: Any, limit: int) -> None:
        seen: set[str] = set()
        blocks = self.items(path, blocks, limit, required=self.in_view, non_empty=False)
        for index, block in enumerate(blocks):
            here = f"{path}[{index}]"
            if not isinstance(block, dict):
                self.add(here, "must be an object")
                continue
            block_id = block.get("block_id")
            if block_id is not None:
                self.string(f"{here}.block_id", block_id, 255, required=True)
                if block_id in seen:
                    self.add(f"{here}.block_id", f"{block_id!r} is used twice")
                if isinstance(block_id, str):
                    seen.add(block_id)
            kind = block.get("type")
            if kind not in BLOCK_TYPES:
                self.add(f"{here}.type", f"unknown block type {kind!r}")
            elif kind == "input" and not self.in_view:
                self.add(here, "is an input block; those are only allowed in views")
            else:
                getattr(self, f"_block_{kind}")(here, block, set())

    def _block_divider(self, path: str, block: Json, action_ids: set[str]) -> None:
        return

    def _block_section(self, path: str, block: Json, action_ids: set[str]) -> None:
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            self.add(path, "needs text or fields")
        self.text(f"{path}.text", text, 3000, required=False)
        for index, item in enumerate(self.items(f"{path}.fields", fields, 10)):
            self.text(f"{path}.fields[{index}]", item, 2000)
        accessory = block.get("accessory")
        if accessory is not None:
            self.element(f"{path}.accessory", accessory, action_ids, ACCESSORY_ELEMENTS)

    def _block_header(self, path: str, block: Json, action_ids: set[str]) -> None:
        self.text(f"{path}.text", block.get("text"), 150, plain=True)

    def _block_context(self, path: str, block: Json, action_ids: set[str]) -> None:
        elements = self.items(f"{path}.elements", block.get("elements"), 10, required=True)
        for index, element in enumerate(elements):
            here = f"{path}.elements[{index}]"
            if isinstance(element, dict) and element.get("type") == "image":
                self._image(here, element)
            else:
                self.text(here, element, None)

    def _block_actions(self, path: str, block: Json, action_ids: set[str]) -> None:
        elements = self.items(f"{path}.elements", block.get("elements"), 25, required=True)
        for index, element in enumerate(elements):
            self.element(f"{path}.elements[{index}]", element, action_ids, ACTION_ELEMENTS)

    def _block_input(self, path: str, block: Json, action_ids: set[str]) -> None:
        self.text(f"{path}.label", block.get("label"), 2000, plain=True)
        self.text(f"{path}.hint", block.get("hint"), 2000, plain=True, required=False)
        element = block.get("element")
        if element is None:
            self.add(f"{path}.element", "is required")
        else:
            self.element(f"{path}.element", element, action_ids, INPUT_ELEMENTS)

    def _block_image(self, path: str, block: Json, action_ids: set[str]) -> None:
        self._image(path, block)
        self.text(f"{path}.title", block.get("title"), 2000, plain=True, required=False)

    def _block_rich_text(self, path: str, block: Json, action_ids: set[str]) -> None:
        self.items(f"{path}.elements", block.get("elements"), 10_000, required=True)

    def _block_markdown(self, path: str, block: Json, action_ids: set[str]) -> None:
        self.string(f"{path}.text", block.get("text"), MAX_BLOCKS_TEXT, required=True)

    def _image(self, path: str, image: Json) -> None:
        if image.get("image_url") is None and image.get("slack_file") is None:
            self.add(path, "needs image_url or slack_file")
        self.string(f"{path}.image_url", image.get("image_url"), 3000)
        self.string(f"{path}.alt_text", image.get("alt_text"), 2000, required=True)

    # -- elements

    def element(
        self, path: str, element: Any, action_ids: set[str], allowed: frozenset[str]
    ) -> None:
        if not isinstance(element, dict):
            self.add(path, "must be an object")
            return
        kind = element.get("type")
        if kind not in allowed:
            self.add(f"{path}.type", f"element type {kind!r} is not allowed here")
            return
        if kind == "image":
            self._image(path, element)
            return
        action_id = element.get("action_id")
        if action_id is not None:
            self.string(f"{path}.action_id", action_id, 255, required=True)
            if action_id in action_ids:
                self.add(f"{path}.action_id", f"{action_id!r} is used twice in this block")
            if isinstance(action_id, str):
                action_ids.add(action_id)
        placeholder = element.get("placeholder")
        self.text(f"{path}.placeholder", placeholder, 150, plain=True, required=False)
        if kind == "button":
            self.text(f"{path}.text", element.get("text"), 75, plain=True)
            self.string(f"{path}.value", element.get("value"), 2000)
            self.string(f"{path}.url", element.get("url"), 3000)
            if element.get("style") not in (None, "primary", "danger"):
                self.add(f"{path}.style", "must be primary or danger")
        elif kind in ("static_select", "multi_static_select"):
            self._choices(path, element, 100, plain=True, groups=True)
        elif kind in ("radio_buttons", "checkboxes"):
            self._choices(path, element, 10, plain=False, groups=False)
        elif kind == "overflow":
            self._choices(path, element, 5, plain=True, groups=False)
        elif kind == "plain_text_input":
            self._plain_text_input(path, element)
        elif kind == "number_input":
            self._number_input(path, element)

    def _option(self, path: str, option: Any, *, plain: bool) -> tuple[str, str] | None:
        if not isinstance(option, dict):
            self.add(path, "must be an option object")
            return None
        self.text(f"{path}.text", option.get("text"), 75, plain=plain)
        self.string(f"{path}.value", option.get("value"), 150, required=True)
        self.text(f"{path}.description", option.get("description"), 75, required=False)
        self.string(f"{path}.url", option.get("url"), 3000)
        return _option_key(option)

    def _choices(self, path: str, element: Json, limit: int, *, plain: bool, groups: bool) -> None:
        options, option_groups = element.get("options"), element.get("option_groups")
        keys: list[tuple[str, str] | None] = []
        if groups and option_groups is not None:
            if options is not None:
                self.add(path, "cannot have both options and option_groups")
            for g_index, group in enumerate(
                self.items(f"{path}.option_groups", option_groups, 100, required=True)
            ):
                here = f"{path}.option_groups[{g_index}]"
                if not isinstance(group, dict):
                    self.add(here, "must be an object")
                    continue
                self.text(f"{here}.label", group.get("label"), 75, plain=True)
                for index, option in enumerate(
                    self.items(f"{here}.options", group.get("options"), 100, required=True)
                ):
                    keys.append(self._option(f"{here}.options[{index}]", option, plain=plain))
        else:
            for index, option in enumerate(
                self.items(f"{path}.options", options, limit, required=True)
            ):
                keys.append(self._option(f"{path}.options[{index}]", option, plain=plain))
        initial = element.get("initial_option")
        if initial is not None and _option_key(initial) not in keys:
            self.add(f"{path}.initial_option", "does not match any of the options")
        for index, option in enumerate(
            self.items(f"{path}.initial_options", element.get("initial_options"), limit)
        ):
            if _option_key(option) not in keys:
                self.add(f"{path}.initial_options[{index}]", "does not match any of the options")

    def _plain_text_input(self, path: str, element: Json) -> None:
        max_length = element.get("max_length", 3000)
        for key in ("min_length", "max_length"):
            value = element.get(key)
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3000:
                self.add(f"{path}.{key}", f"must be an integer from 0 to 3000, not {value!r}")
        if isinstance(max_length, int):
            self.string(f"{path}.initial_value", element.get("initial_value"), max_length)

    def _number_input(self, path: str, element: Json) -> None:
        decimal = element.get("is_decimal_allowed")
        if not isinstance(decimal, bool):
            self.add(f"{path}.is_decimal_allowed", "is required (true or false)")
        pattern = _DECIMAL if decimal else _INTEGER
        for key in ("initial_value", "min_value", "max_value"):
            value = element.get(key)
            if value is not None and not (isinstance(value, str) and pattern.fullmatch(value)):
                kind = "a decimal" if decimal else "an integer"
                self.add(f"{path}.{key}", f"must be {kind} number as a string, not {value!r}")


# --------------------------------------------------------------------------- the fake


def message_problems(text: str, blocks: list[Json]) -> list[str]:
    """What Slack would refuse in a message, without sending it (for pure tests)."""
    try:
        FakeSlack._check_message_static({"text": text, "blocks": blocks})
    except _Refusal as refusal:
        return [refusal.error, *refusal.problems]
    return []


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


class FakeSlack:
    """An in-process Slack Web API on a loopback port. Use as ``async with FakeSlack() as f``."""

    # Socket Mode: apps.connections.open, called with this app-level token, answers with a
    # URL of `socket_mode` (a FakeSocketMode the test attaches).
    app_token: str = "xapp-fake-app-token"  # noqa: S105 - a fake's token
    socket_mode: FakeSocketMode | None = None

    # Slack's pace per channel for chat.postMessage: about one message a second in any one
    # channel (a DM too), checked over a sliding second on the fake's clock; None: not
    # enforced. A 429 with Retry-After past it.
    post_limit_per_channel_second: int | None = None
    _channel_post_times: dict[str, deque[float]] | None = None
    # Answers held back by ``delay_next`` (set up on first use).
    _delays: dict[str, deque[_Delay]] | None = None
    _held: list[str] | None = None
    _unanswered: list[str] | None = None
    # One event per answer being held: released together by ``release_held``.
    _releases: list[asyncio.Event] | None = None
    # Answers replaced, after the call was performed, by ``perform_then``.
    _afterwards: dict[str, deque[_Afterwards]] | None = None
    # Calls performed whose caller was told something else (see ``perform_then``).
    performed_unanswered: list[str]

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
        # The bot token's scopes: by default those manifest.yml asks for (okrbot.slack.oauth
        # keeps the same list, and a test keeps the two the same), so a method the app
        # calls without asking for its scope fails here as it would in a workspace.
        self.scopes: list[str] = list(MANIFEST_SCOPES if scopes is None else scopes)
        # How far above its tier a method may go in a minute (see TIER_BURST); None: no
        # tier is enforced. ``method_limits`` sets one method's calls a minute instead
        # (None there: that method unlimited).
        self.tier_burst = tier_burst
        self.method_limits: dict[str, int | None] = {}
        self.tier_window = TIER_WINDOW
        self._tier_times: dict[tuple[str, str], deque[float]] = {}
        # An app distributed outside the Marketplace (see DISTRIBUTED_METHODS).
        self.distributed = distributed
        # Requests Slack carried out but answered with a warning, e.g. metadata dropped for
        # an event_type Slack does not accept: ``chat.postMessage: ...`` lines.
        self.warnings: list[str] = []
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = "B" + bot_user_id[1:]
        self.bot_token = bot_token
        # Every workspace the app is installed in, by bot token (OAuth installs add more).
        self.tokens: dict[str, str] = {bot_token: team_id}
        self.team_names: dict[str, str] = {team_id: "Demo"}
        # The OAuth app: oauth.v2.access exchanges a code for a workspace's bot token.
        self.client_id = "0000000000.fakeclient"
        self.client_secret = "fake-client-secret"  # noqa: S105 - a fake's secret
        self._codes: dict[str, tuple[str, str]] = {}
        self._caller = team_id
        self.host = host
        self._clock = clock
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        self.users: dict[str, FakeUser] = {}
        self.channels: dict[str, FakeChannel] = {}
        self.calls: list[ApiCall] = []
        self.messages: list[Message] = []
        self.views: dict[str, Json] = {}
        self.violations: list[str] = []
        self.performed_unanswered = []

        self._dm_users: dict[str, str] = {}
        self._posted: dict[tuple[str, str], Message] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._external_ids: dict[str, str] = {}
        self._home_views: dict[str, str] = {}
        self._serial = 0
        self._last_ts_micros = 0
        # Slack's posting limit, as a sliding minute on the fake's clock (None: no limit).
        self.post_limit_per_minute: int | None = None
        self._post_times: deque[float] = deque()
        # Called with each method name after it has been answered (tests use it to crash
        # the app at a chosen moment).
        self.after_call: Callable[[str], None] | None = None
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
        # Uploaded files by id: filename, bytes, and where they were shared.
        self.files: dict[str, Json] = {}

    # -- lifecycle

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeSlack is already running")
        app = web.Application(client_max_size=16 * 1024 * 1024, middlewares=[self._hold_answers])
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

    # -- setup

    def add_user(self, user: FakeUser) -> FakeUser:
        self.users[user.id] = user
        self._dm_users[self.dm_id(user.id)] = user.id
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        bot_is_member: bool = True,
        archived: bool = False,
        team_id: str | None = None,
        private: bool = False,
        members: Iterable[str] = (),
    ) -> None:
        self.channels[channel_id] = FakeChannel(
            channel_id, name, bot_is_member, archived, team_id, private, set(members)
        )

    def join(self, channel_id: str, *user_ids: str) -> None:
        """People join a channel (the bot's membership is ``bot_is_member``)."""
        self.channels[channel_id].members.update(user_ids)

    def revoke_scope(self, scope: str) -> None:
        """The workspace installed the app without `scope` (or an admin removed it)."""
        self.scopes = [s for s in self.scopes if s != scope]

    # -- workspaces

    def add_workspace(self, team_id: str, name: str) -> None:
        """Another workspace, where the app is not installed yet (see ``install_code``)."""
        self.team_names[team_id] = name

    def install_code(self, team_id: str, user_id: str) -> str:
        """What Slack hands the redirect URL once ``user_id`` approves the install."""
        code = f"code-{team_id}-{self._next_serial()}"
        self._codes[code] = (team_id, user_id)
        return code

    def token_of(self, team_id: str) -> str | None:
        return next((t for t, team in self.tokens.items() if team == team_id), None)

    def uninstall(self, team_id: str) -> None:
        """The workspace removed the app: its tokens stop working at once."""
        self.tokens = {t: team for t, team in self.tokens.items() if team != team_id}

    def team_of(self, user_id: str) -> str:
        user = self.users.get(user_id)
        return (user.team_id if user is not None else None) or self.team_id

    def _in_caller_team(self, team_id: str | None) -> bool:
        return (team_id or self.team_id) == self._caller

    def new_trigger_id(self, user_id: str | None = None) -> str:
        """A trigger id issued now, usable once within three seconds (by the clock)."""
        serial = self._next_serial()
        trigger_id = f"{1_000_000_000 + serial}.{serial:09d}.fake"
        self._triggers[trigger_id] = _Trigger(self._clock(), user_id)
        return trigger_id

    @staticmethod
    def dm_id(user_id: str) -> str:
        """The id of the app's DM with a user."""
        return "D" + user_id[1:]

    # -- faults

    def fail_next(self, method: str, error: str, *, times: int = 1) -> None:
        self._faults.setdefault(method, deque()).append(_Fault("error", times, error=error))

    def rate_limit_next(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        fault = _Fault("ratelimit", times, error="ratelimited", status=429, retry_after=retry_after)
        self._faults.setdefault(method, deque()).append(fault)

    def http_error_next(self, method: str, *, status: int = 500, times: int = 1) -> None:
        self._faults.setdefault(method, deque()).append(_Fault("http", times, status=status))

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Slack is slow: the next `times` calls to `method` are handled (and recorded) at
        once, but answered only after `seconds` of real time, or at ``release_held()``.
        While one waits its method is in ``held``; an answer whose caller hung up before
        it came goes to ``unanswered``."""
        if self._delays is None:
            self._delays = {}
        self._delays.setdefault(method, deque()).append(_Delay(seconds, times))

    def perform_then(self, method: str, outcome: str, *, times: int = 1) -> None:
        """An ambiguous outcome: the next `times` calls to `method` are performed (a message
        is posted, a view opened) and then the caller is told `outcome` instead of the
        answer: one of Slack's errors that may follow a success (``fatal_error``,
        ``internal_error``, ``request_timeout``), an HTTP 500 or 503 (``http_500``,
        ``http_503``), or nothing at all: the connection is dropped (``drop``). For "answers
        late" or "never answers" use ``delay_next``. Each such call is recorded in
        ``performed_unanswered``."""
        if outcome not in AMBIGUOUS_OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; one of {sorted(AMBIGUOUS_OUTCOMES)}")
        if self._afterwards is None:
            self._afterwards = {}
        self._afterwards.setdefault(method, deque()).append(_Afterwards(outcome, times))

    def _take_afterwards(self, method: str) -> str | None:
        queue = (self._afterwards or {}).get(method)
        if not queue:
            return None
        afterwards = queue[0]
        afterwards.times -= 1
        if afterwards.times <= 0:
            queue.popleft()
        return afterwards.outcome

    def release_held(self) -> None:
        """Send every answer held back by ``delay_next`` now."""
        # Each held answer has its own event, set here once and for all: one shared event
        # set and cleared again at once was missed by an answer that had been held but
        # had not started waiting yet. Answers held after this wait again.
        for release in self._releases or []:
            release.set()
        self._releases = []

    @property
    def held(self) -> list[str]:
        """Methods whose answers are being held back right now, in the order they came."""
        return list(self._held or [])

    @property
    def unanswered(self) -> list[str]:
        """Methods whose held answer found nobody waiting for it any more."""
        return list(self._unanswered or [])

    def _take_delay(self, method: str) -> float | None:
        queue = (self._delays or {}).get(method)
        if not queue:
            return None
        delay = queue[0]
        delay.times -= 1
        if delay.times <= 0:
            queue.popleft()
        return delay.seconds

    @web.middleware
    async def _hold_answers(self, request: web.Request, handler: WebHandler) -> web.StreamResponse:
        response = await handler(request)
        method = request.match_info.get("method", "")
        outcome = self._take_afterwards(method)
        if outcome is not None:
            self.performed_unanswered.append(method)
            if outcome == "drop":
                if request.transport is not None:
                    request.transport.abort()
                raise ConnectionResetError(f"FakeSlack dropped the connection after {method}")
            if outcome.startswith("http_"):
                status = int(outcome.removeprefix("http_"))
                return web.Response(
                    status=status,
                    text=f"<html><body>{status} from FakeSlack</body></html>",
                    content_type="text/html",
                )
            return self._reply({"ok": False, "error": outcome})
        seconds = self._take_delay(method)
        if seconds is None:
            return response
        release = asyncio.Event()
        if self._releases is None:
            self._releases = []
        self._releases.append(release)
        if self._held is None:
            self._held = []
        if self._unanswered is None:
            self._unanswered = []
        self._held.append(method)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(release.wait(), seconds)
        finally:
            self._held.remove(method)
            if release in self._releases:
                self._releases.remove(release)
        if request.transport is None or request.transport.is_closing():
            self._unanswered.append(method)
        return response

    # -- inspection

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def reset_calls(self) -> None:
        self.calls.clear()

    def dms_to(self, user_id: str) -> list[Message]:
        return self.channel_messages(self.dm_id(user_id))

    def channel_messages(self, channel_id: str) -> list[Message]:
        return [m for m in self.messages if m.channel == channel_id and m.ephemeral_for is None]

    def ephemerals_to(self, user_id: str) -> list[Message]:
        return [m for m in self.messages if m.ephemeral_for == user_id]

    def open_views_for(self, user_id: str) -> list[Json]:
        """Modals opened (or pushed) for a user, oldest first."""
        return [
            v for v in self.views.values() if v["user_id"] == user_id and v.get("type") == "modal"
        ]

    def home_view(self, user_id: str) -> Json | None:
        view_id = self._home_views.get(user_id)
        return None if view_id is None else self.views[view_id]

    # -- HTTP

    async def _handle(self, request: web.Request) -> web.Response:
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
        fault = self._take_fault(method)
        if fault is not None:
            return fault
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
            if self.after_call is not None:
                self.after_call(method)

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

    def _take_fault(self, method: str) -> web.Response | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.popleft()
        if fault.kind == "http":
            return web.Response(
                status=fault.status,
                text=f"<html><body>{fault.status} from FakeSlack</body></html>",
                content_type="text/html",
            )
        headers = {"Retry-After": str(fault.retry_after)} if fault.kind == "ratelimit" else None
        return self._reply({"ok": False, "error": fault.error}, fault.status, headers)

    # -- helpers

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def _next_ts(self) -> str:
        """Message timestamps follow the fake's clock, strictly increasing, as Slack's do."""
        self._next_serial()
        micros = max(int(self._clock() * 1_000_000), self._last_ts_micros + 1)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

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
        return self._check_message_static(args)

    @staticmethod
    def _check_message_static(args: Json) -> tuple[str, list[Json]]:
        """Validate text/blocks of a message; return them or refuse."""
        text = _arg(args, "text")
        blocks = args.get("blocks")
        if blocks is not None and not (
            isinstance(blocks, list) and all(isinstance(b, dict) for b in blocks)
        ):
            raise _Refusal("invalid_blocks_format", ["blocks must be a JSON array of objects"])
        blocks = blocks or []
        if len(text) > MAX_MESSAGE_TEXT:
            raise _Refusal("msg_too_long", [f"text is {len(text)} chars (max {MAX_MESSAGE_TEXT})"])
        if (blocks or args.get("attachments")) and not text.strip():
            raise _Refusal("no_text", ["blocks without a plain-text fallback"])
        if not text:
            raise _Refusal("no_text")
        checker = _Checker(in_view=False)
        checker.blocks("blocks", blocks, MAX_MESSAGE_BLOCKS)
        if checker.problems:
            raise _Refusal("invalid_blocks", checker.problems)
        chars = _text_chars(blocks)
        if chars > MAX_BLOCKS_TEXT:
            problem = f"blocks hold {chars} chars of text (max {MAX_BLOCKS_TEXT})"
            raise _Refusal("msg_blocks_too_long", [problem])
        return text, blocks

    def _check_view(self, view: Any, *, kind: str) -> Json:
        if not isinstance(view, dict):
            raise _Refusal("invalid_arguments", ["view is required and must be a JSON object"])
        checker = _Checker(in_view=True)
        if view.get("type") != kind:
            checker.add("view.type", f"must be {kind!r}, not {view.get('type')!r}")
        blocks = view.get("blocks")
        checker.blocks("view.blocks", blocks, MAX_VIEW_BLOCKS)
        if kind == "modal":
            checker.text("view.title", view.get("title"), 24, plain=True)
            checker.text("view.submit", view.get("submit"), 24, plain=True, required=False)
            checker.text("view.close", view.get("close"), 24, plain=True, required=False)
            has_input = isinstance(blocks, list) and any(
                isinstance(b, dict) and b.get("type") == "input" for b in blocks
            )
            if has_input and view.get("submit") is None:
                checker.add("view.submit", "is required when the view has input blocks")
        checker.string("view.private_metadata", view.get("private_metadata"), 3000)
        checker.string("view.callback_id", view.get("callback_id"), 255)
        checker.string("view.external_id", view.get("external_id"), 255)
        if checker.problems:
            raise _Refusal("invalid_arguments", checker.problems)
        return view

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

    def _app_level(self, method: str, args: Json, token: str) -> web.Response:
        """The app-level token opens sockets and does nothing else; a workspace's token
        cannot open one."""
        if token != self.app_token:
            known = token.startswith(("xoxb-", "xoxp-"))
            return self._reply(
                {"ok": False, "error": "not_allowed_token_type" if known else "invalid_auth"}
            )
        if method not in APP_LEVEL_METHODS:
            return self._reply({"ok": False, "error": "not_allowed_token_type"})
        return self._take_fault(method) or self._answer(method, args)

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
