"""Plays the Slack client: signed HTTP requests to the app, as Slack sends them.

Used by `okrbot demo` and by the tests. It finds buttons and forms in what the app sent to
the fake Web API, so a click is only possible on a button the app really showed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from okrbot.sandbox.fake_slack import FakeSlack, Message


def sign(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str,
    body: str,
    *,
    timestamp: str,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """The headers Slack sends with `body`, for callers that send the request themselves."""
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(secret, timestamp, body),
    }


@dataclass
class Response:
    status: int
    body: str

    def json(self) -> dict[str, Any]:
        data = json.loads(self.body) if self.body else {}
        return data if isinstance(data, dict) else {}


class SlackDriver:
    def __init__(
        self,
        events_url: str,
        signing_secret: str,
        fake: FakeSlack,
        *,
        team_id: str,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.events_url = events_url
        self.secret = signing_secret
        self.fake = fake
        self.team_id = team_id
        self.wall_clock = wall_clock
        self._session: aiohttp.ClientSession | None = None
        # The last request as sent (body, its headers), for `replay`.
        self._last: tuple[str, dict[str, str]] | None = None

    async def __aenter__(self) -> SlackDriver:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def post_raw(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        assert self._session is not None, "use the driver as an async context manager"
        ts = timestamp or str(int(self.wall_clock()))
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or sign(self.secret, ts, body),
            **(headers or {}),
        }
        self._last = (body, all_headers)
        async with self._session.post(self.events_url, data=body, headers=all_headers) as resp:
            return Response(resp.status, await resp.text())

    @property
    def last_request(self) -> tuple[str, dict[str, str]]:
        """The last request sent: its body and headers."""
        assert self._last is not None, "nothing sent yet"
        return self._last

    async def replay(self, request: tuple[str, dict[str, str]] | None = None) -> Response:
        """The last request again (or `request`, from `last_request`), byte for byte with
        its signature: what a retry or a replayed capture sends."""
        assert self._session is not None, "use the driver as an async context manager"
        body, headers = request or self.last_request
        async with self._session.post(self.events_url, data=body, headers=headers) as resp:
            return Response(resp.status, await resp.text())

    async def post_payload(self, payload: dict[str, Any], **kwargs: Any) -> Response:
        return await self.post_raw(urlencode({"payload": json.dumps(payload)}), **kwargs)

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> Response:
        """An Events API delivery; `retry` is Slack's X-Slack-Retry-Num on a redelivery."""
        now = self.wall_clock()
        envelope = {
            "token": "unused",
            "team_id": self.team_id,
            "api_app_id": "A0OKRBOT",
            "event": {"event_ts": f"{now:.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": int(now),
            "authorizations": [
                {
                    "team_id": self.team_id,
                    "user_id": self.fake.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        headers: dict[str, str] = {}
        if retry is not None:
            headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post_raw(
            json.dumps(envelope), content_type="application/json", headers=headers
        )

    async def redeliver(self, retry: int = 1, reason: str = "http_timeout") -> Response:
        """Slack delivering the last event again: the same body (the same `event_id`),
        signed anew, with X-Slack-Retry-Num and X-Slack-Retry-Reason."""
        body, headers = self.last_request
        return await self.post_raw(
            body,
            content_type=headers.get("Content-Type", "application/json"),
            headers={"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": reason},
        )

    async def dm(
        self,
        user: str,
        text: str,
        *,
        thread_ts: str | None = None,
        event_id: str | None = None,
    ) -> tuple[Response, Message]:
        """A person writes to the app in their DM (its Messages tab): the fake Slack keeps
        the message in the DM's history, and the app gets the `message.im` event as Slack
        sends it. Returns the answer and the message."""
        message = self.fake.person_writes(user, text, thread_ts=thread_ts)
        event: dict[str, Any] = {
            "type": "message",
            "channel": message.channel,
            "user": user,
            "text": text,
            "ts": message.ts,
            "event_ts": message.ts,
            "channel_type": "im",
            "team": self.team_id,
            "client_msg_id": str(uuid.uuid4()),
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        return await self.event(event, event_id=event_id), message

    async def edit_dm(self, message: Message, text: str) -> Response:
        """The person edits a message of theirs in the DM: a `message_changed` event, with
        the message as it is now and as it was."""
        assert message.author is not None, "only a person's own message can be edited"
        before = {
            "type": "message",
            "user": message.author,
            "text": message.text,
            "ts": message.ts,
            **({"thread_ts": message.thread_ts} if message.thread_ts else {}),
        }
        edited_ts = self.fake.person_edits(message, text)
        event = {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "channel": message.channel,
            "channel_type": "im",
            "ts": edited_ts,
            "event_ts": edited_ts,
            "message": {
                **before,
                "text": text,
                "edited": {"user": message.author, "ts": edited_ts},
            },
            "previous_message": before,
        }
        return await self.event(event)

    async def bot_message_in_dm(self, user: str, text: str, *, bot_id: str) -> Response:
        """Another app's (or okrbot's own) message in a DM, as Slack sends it to okrbot."""
        ts = self.fake.person_writes(user, text).ts
        event = {
            "type": "message",
            "subtype": "bot_message",
            "channel": self.fake.dm_id(user),
            "channel_type": "im",
            "bot_id": bot_id,
            "text": text,
            "ts": ts,
            "event_ts": ts,
        }
        return await self.event(event)

    async def open_home(self, user: str, *, retry: int | None = None) -> Response:
        return await self.event(
            {
                "type": "app_home_opened",
                "user": user,
                "channel": self.fake.dm_id(user),
                "tab": "home",
            },
            retry=retry,
        )

    # What a person does

    async def slash(self, user: str, text: str, *, channel: str = "C0GENERAL") -> Response:
        form = {
            "token": "unused",
            "team_id": self.team_id,
            "team_domain": "demo",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/okr",
            "text": text,
            "api_app_id": "A0OKRBOT",
            "response_url": f"{self.fake.api_url}../response/{user}",
            "trigger_id": self.fake.new_trigger_id(user),
        }
        return await self.post_raw(urlencode(form))

    async def click(self, user: str, message: Message, action_id: str) -> Response:
        """Click the button `action_id` on a message the app sent."""
        for block in message.blocks:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("action_id") == action_id:
                    return await self.click_value(
                        user, action_id, element.get("value", ""), message, block["block_id"]
                    )
        raise LookupError(f"no {action_id} button on message {message.ts}")

    async def click_value(
        self,
        user: str,
        action_id: str,
        value: str,
        message: Message | None = None,
        block_id: str = "decision",
        channel: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Click with any value: what a forged or replayed payload can carry."""
        channel_id = channel or (message.channel if message else "D0NOWHERE")
        payload = {
            "type": "block_actions",
            "team": {"id": self.team_id, "domain": "demo"},
            "user": {"id": user, "team_id": self.team_id, "username": user.lower()},
            "api_app_id": "A0OKRBOT",
            "trigger_id": self.fake.new_trigger_id(user),
            "container": {
                "type": "message",
                "message_ts": message.ts if message else "1.0",
                "channel_id": channel_id,
            },
            "channel": {"id": channel_id},
            "message": {"ts": message.ts if message else "1.0", "blocks": message.blocks}
            if message
            else {},
            "response_url": f"{self.fake.api_url}../response/{user}",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "action_ts": str(self.wall_clock()),
                }
            ],
        }
        return await self.post_payload(payload, headers=headers)

    async def click_in_view(self, user: str, view_id: str, action_id: str) -> Response:
        view = self.fake.views[view_id]
        for block in view.get("blocks", []):
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("action_id") == action_id:
                    payload = {
                        "type": "block_actions",
                        "team": {"id": self.team_id},
                        "user": {"id": user, "team_id": self.team_id},
                        "api_app_id": "A0OKRBOT",
                        "trigger_id": self.fake.new_trigger_id(user),
                        "container": {"type": "view", "view_id": view_id},
                        "view": {**view, "id": view_id, "state": {"values": {}}},
                        "actions": [
                            {
                                "type": "button",
                                "action_id": action_id,
                                "block_id": block["block_id"],
                                "value": element.get("value", ""),
                            }
                        ],
                    }
                    return await self.post_payload(payload)
        raise LookupError(f"no {action_id} button in view {view_id}")

    async def submit_view(
        self,
        user: str,
        view_id: str,
        values: Mapping[str, Any] | None = None,
        *,
        raw_state: dict[str, Any] | None = None,
        private_metadata: str | None = None,
    ) -> Response:
        """Submit a modal the app opened. `values` maps block ids to what the person typed
        or chose (option values for selects); fields not given keep their initial value."""
        view = self.fake.views[view_id]
        state = raw_state if raw_state is not None else form_state(view, values or {})
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "demo"},
            "user": {"id": user, "team_id": self.team_id},
            "api_app_id": "A0OKRBOT",
            "trigger_id": self.fake.new_trigger_id(user),
            "view": {
                **{k: v for k, v in view.items() if k not in ("state",)},
                "id": view_id,
                "hash": view.get("hash", "h"),
                "private_metadata": private_metadata
                if private_metadata is not None
                else view.get("private_metadata", ""),
                "state": {"values": state},
            },
        }
        return await self.post_payload(payload)


def form_state(view: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The `state.values` Slack would send for `view` after the person typed `values`."""
    state: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        block_id = block["block_id"]
        element = block["element"]
        kind = element["type"]
        given = values.get(block_id, _initial(element))
        entry: dict[str, Any] = {"type": kind}
        if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
            entry["value"] = None if given is None else str(given)
        elif kind == "users_select":
            entry["selected_user"] = given
        elif kind in ("static_select", "external_select"):
            entry["selected_option"] = _find_option(element, given)
        else:
            entry["value"] = given
        state[block_id] = {element["action_id"]: entry}
    return state


def _initial(element: dict[str, Any]) -> Any:
    if "initial_value" in element:
        return element["initial_value"]
    if "initial_option" in element:
        return element["initial_option"]["value"]
    if "initial_user" in element:
        return element["initial_user"]
    return None


def _find_option(element: dict[str, Any], value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options += group.get("options", [])
    for candidate in options:
        if candidate["value"] == str(value):
            return dict(candidate)
    # Not one of the options: what only a forged payload can send.
    return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}
