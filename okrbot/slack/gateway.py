"""The one typed wrapper over Slack's Web API client."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import ClientConnectorError, ClientError, ClientSession, ClientTimeout
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from okrbot.domain.orgchart import DirectoryMember
from okrbot.pacing import yield_to_answers
from okrbot.services.ports import DeliveryError, MessageRef

log = logging.getLogger(__name__)

# Errors that go away by themselves; everything else needs a person to act.
TRANSIENT = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "service_unavailable",
        "fatal_error",
        "request_timeout",
    }
)
# Errors after which the call may have taken effect: Slack documents `fatal_error` as "some
# aspect of the operation may have succeeded", and the other two come from a server that
# had the request in hand.
AMBIGUOUS = frozenset({"fatal_error", "internal_error", "request_timeout"})


MARKER_EVENT = "okrbot_delivery"


TIMEOUT = 10.0  # seconds for a Web API call, unless OKRBOT_SLACK_TIMEOUT says otherwise

# A message's own look-up window: from a little before it was claimed (clocks of two
# machines are never quite equal) to a little after now; a page of 15 is all that apps
# distributed outside the Marketplace get from conversations.history.
CLOCK_SLACK = 60.0
LOOKUP_PAGE = 15


def make_client(token: str | None, base_url: str, timeout: float = TIMEOUT) -> AsyncWebClient:
    # No rate-limit retry handler here: it would sleep inside a request. Deferred messages
    # wait in the outbox until Retry-After has passed, and interactive calls cannot wait.
    # Nor slack_sdk's default one for connection errors: it posts again after a connection
    # reset that came after Slack had the message, which is how one intent became two.
    return AsyncWebClient(
        token=token, base_url=base_url, timeout=int(max(1, timeout)), retry_handlers=[]
    )


class Connections:
    """One HTTP session, and with it a pool of kept-alive connections, for the app's Web API
    calls: given none, slack_sdk opens a session and a connection for every call, which
    was a fifth of the CPU of opening a form. Opened on first use, closed with the app.

    Its timeout is every call's: a call that outlives it is taken as ambiguous."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self.timeout = timeout
        self._session: ClientSession | None = None

    def session(self) -> ClientSession:
        if self._session is None or self._session.closed:
            self._session = ClientSession(timeout=ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _error(exc: SlackApiError) -> DeliveryError:
    status = exc.response.status_code
    code = str(exc.response.get("error") or f"http_{status}")
    retry_after: float | None = None
    if status == 429:
        header = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
        retry_after = float(header) if header else 30.0
    retryable = status == 429 or status >= 500 or code in TRANSIENT
    ambiguous = status >= 500 or code in AMBIGUOUS
    return DeliveryError(code, retryable=retryable, retry_after=retry_after, ambiguous=ambiguous)


def _unreachable(exc: BaseException) -> DeliveryError:
    """A connection that could not be opened carried nothing; any other failure of the
    transport (a timeout, a connection reset while waiting for the answer) came after the
    request may have been read."""
    if isinstance(exc, ClientConnectorError):
        return DeliveryError("unreachable", retryable=True)
    code = "timeout" if isinstance(exc, TimeoutError) else "connection_lost"
    return DeliveryError(code, retryable=True, ambiguous=True)


def _carries(message: dict[str, Any], marker: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return bool(metadata.get("event_type") == MARKER_EVENT and payload.get("marker") == marker)


def _member(member: dict[str, Any]) -> DirectoryMember | None:
    user_id = member.get("id")
    if not isinstance(user_id, str):
        return None
    email = (member.get("profile") or {}).get("email")
    return DirectoryMember(
        user_id,
        email if isinstance(email, str) and email else None,
        deleted=bool(member.get("deleted")),
        # Slackbot is no bot by is_bot, but nobody's manager either.
        is_bot=bool(member.get("is_bot")) or user_id == "USLACKBOT",
    )


class SlackGateway:
    def __init__(self, client: AsyncWebClient, connections: Connections | None = None) -> None:
        self.client = client
        self._connections = connections

    async def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        # slack_sdk's own method wrappers pick the encoding each method accepts.
        call = getattr(self.client, method.replace(".", "_"))
        await yield_to_answers()
        if self._connections is not None:
            self.client.session = self._connections.session()
        try:
            response = await call(**kwargs)
        except SlackApiError as exc:
            error = _error(exc)
            log.warning("slack %s failed: %s", method, error.code)
            raise error from None
        except (ClientError, TimeoutError) as exc:
            error = _unreachable(exc)
            log.warning("slack %s: %s (%s)", method, error.code, type(exc).__name__)
            raise error from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def post_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
        marker: str | None = None,
    ) -> MessageRef:
        args: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
        if blocks is not None:
            args["blocks"] = blocks
        if thread_ts:
            args["thread_ts"] = thread_ts
        if marker:
            # Lets a resumed fan-out find out whether this message already went out.
            args["metadata"] = {"event_type": MARKER_EVENT, "event_payload": {"marker": marker}}
        data = await self._call("chat.postMessage", **args)
        return MessageRef(str(data["channel"]), str(data["ts"]))

    async def update_message(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> None:
        await self._call("chat.update", channel=channel, ts=ts, text=text, blocks=blocks)

    async def post_ephemeral(
        self, channel: str, user: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        args: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if blocks is not None:
            args["blocks"] = blocks
        await self._call("chat.postEphemeral", **args)

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        data = await self._call("views.open", trigger_id=trigger_id, view=view)
        return str(data["view"]["id"])

    async def update_view(self, view_id: str, view: dict[str, Any], view_hash: str | None) -> None:
        args: dict[str, Any] = {"view_id": view_id, "view": view}
        if view_hash:
            args["hash"] = view_hash
        await self._call("views.update", **args)

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        # No hash: the newest state always wins, and a lost race is repaired by the next one.
        await self._call("views.publish", user_id=user_id, view=view)

    async def find_marked(
        self, channel: str, marker: str, since: float, until: float
    ) -> MessageRef | None:
        """The top-level message carrying `marker` posted to `channel` (a user id means the
        DM) between `since` and `until`. A narrow window and small pages: the look-up
        works within conversations.history's tightest limits."""
        if channel.startswith(("U", "W")):
            opened = await self._call("conversations.open", users=channel)
            channel = str(opened["channel"]["id"])
        args: dict[str, Any] = {
            "channel": channel,
            "oldest": f"{since - CLOCK_SLACK:.6f}",
            "latest": f"{until + CLOCK_SLACK:.6f}",
            "limit": LOOKUP_PAGE,
            "include_all_metadata": True,
        }
        return await self._look(channel, "conversations.history", args, marker)

    async def find_reply(
        self, channel: str, thread_ts: str, marker: str, since: float
    ) -> MessageRef | None:
        """The reply carrying `marker` in the thread under `thread_ts`: history never
        lists replies."""
        args: dict[str, Any] = {
            "channel": channel,
            "ts": thread_ts,
            "oldest": f"{since - CLOCK_SLACK:.6f}",
            "limit": LOOKUP_PAGE,
            "include_all_metadata": True,
        }
        return await self._look(channel, "conversations.replies", args, marker)

    async def _look(
        self, channel: str, method: str, args: dict[str, Any], marker: str
    ) -> MessageRef | None:
        while True:
            data = await self._call(method, **args)
            for message in data.get("messages", []):
                if _carries(message, marker):
                    return MessageRef(channel, str(message["ts"]))
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor or not data.get("has_more", True):
                return None
            args = {**args, "cursor": cursor}

    async def users_page(self, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        args: dict[str, Any] = {"limit": 200, "include_locale": True}
        if cursor:
            args["cursor"] = cursor
        data = await self._call("users.list", **args)
        following = (data.get("response_metadata") or {}).get("next_cursor") or None
        return list(data.get("members", [])), following

    async def members_page(self, cursor: str | None) -> tuple[list[DirectoryMember], str | None]:
        """The org chart's view of users.list: IDs, e-mail addresses (which Slack includes
        only with the users:read.email scope) and who cannot have OKRs. Deactivated
        people are listed too, and so are bots."""
        members, following = await self.users_page(cursor)
        return [m for m in map(_member, members) if m is not None], following

    async def upload_file(
        self,
        channel: str,
        content: bytes,
        *,
        filename: str,
        title: str,
        comment: str,
        alt_text: str,
        thread_ts: str | None = None,
    ) -> None:
        """files.getUploadURLExternal, the upload, files.completeUploadExternal."""
        try:
            await self.client.files_upload_v2(
                channel=channel,
                content=content,
                filename=filename,
                title=title,
                initial_comment=comment,
                alt_txt=alt_text,
                thread_ts=thread_ts,
            )
        except SlackApiError as exc:
            error = _error(exc)
            log.warning("slack file upload failed: %s", error.code)
            raise error from None
        except SlackRequestError as exc:
            log.warning("slack file upload failed: %s", type(exc).__name__)
            raise DeliveryError("upload_failed", retryable=True, ambiguous=True) from None
        except (ClientError, TimeoutError) as exc:
            error = _unreachable(exc)
            log.warning("slack file upload failed: %s", error.code)
            raise error from None

    async def team_id(self) -> str:
        data = await self._call("auth.test")
        return str(data["team_id"])
