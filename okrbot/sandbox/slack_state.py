"""What the fake Slack knows: workspaces and tokens, people, channels, messages, views and
files, and every call made to it; set up by a test or the demo, inspected afterwards.

``okrbot.sandbox.fake_slack`` serves this state as Slack's Web API.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from okrbot.slack.oauth import SCOPES as MANIFEST_SCOPES

Json = dict[str, Any]


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
    # Who wrote it, when a person did (in their DM with the app); None: the app.
    author: str | None = None
    # Set when its author edited it: the edit's ts.
    edited_ts: str | None = None


@dataclass
class _Trigger:
    issued_at: float
    user_id: str | None
    used: bool = False


class SlackState:
    """Slack's side of things, as the fake Web API keeps it."""

    def __init__(
        self,
        *,
        team_id: str = "T0DEMO000",
        bot_user_id: str = "U0BOT0000",
        bot_token: str = "xoxb-fake-bot-token",  # noqa: S107 - a fake's token
        clock: Callable[[], float] = time.monotonic,
        scopes: Iterable[str] | None = None,
    ) -> None:
        # The bot token's scopes: by default those manifest.yml asks for (okrbot.slack.oauth
        # keeps the same list, and a test keeps the two the same), so a method the app
        # calls without asking for its scope fails here as it would in a workspace.
        self.scopes: list[str] = list(MANIFEST_SCOPES if scopes is None else scopes)
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
        # The workspace of the call being handled.
        self._caller = team_id
        self._clock = clock

        self.users: dict[str, FakeUser] = {}
        self.channels: dict[str, FakeChannel] = {}
        self.calls: list[ApiCall] = []
        self.messages: list[Message] = []
        self.views: dict[str, Json] = {}
        # Every request refused for breaking one of Slack's documented limits, as a
        # readable line naming the offending field (see okrbot.sandbox.blockkit).
        self.violations: list[str] = []

        self._dm_users: dict[str, str] = {}
        self._posted: dict[tuple[str, str], Message] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._external_ids: dict[str, str] = {}
        self._home_views: dict[str, str] = {}
        self._serial = 0
        self._last_ts_micros = 0
        # Uploaded files by id: filename, bytes, and where they were shared.
        self.files: dict[str, Json] = {}

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

    # -- inspection

    def person_writes(self, user_id: str, text: str, *, thread_ts: str | None = None) -> Message:
        """A person writes in their DM with the app (its Messages tab), as Slack keeps it:
        in the DM's history (or the thread under `thread_ts`), with a ts of Slack's."""
        channel = self.dm_id(user_id)
        message = Message(channel, self._next_ts(), user_id, text, thread_ts=thread_ts)
        message.author = user_id
        self.messages.append(message)
        self._posted[(channel, message.ts)] = message
        return message

    def person_edits(self, message: Message, text: str) -> str:
        """The author edits their message: the text changes, and the edit has a ts of its
        own (Slack's `edited.ts`), which is returned."""
        message.text = text
        message.edited_ts = self._next_ts()
        message.updated += 1
        return message.edited_ts

    def bot_dms_to(self, user_id: str) -> list[Message]:
        """What the app sent to the DM with a user (the person's own messages left out)."""
        return [m for m in self.dms_to(user_id) if m.author is None]

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
