"""The API's routes, as an aiohttp application mounted at /api/v1 beside /slack/events.

Every answer is JSON; every refusal is `{"error": code, "message": words}` with its status
(see openapi.py). A caller presents `Authorization: Bearer <token>`; each token may make
`per_minute` requests a minute (OKRBOT_API_RATE_PER_MINUTE, in each process)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import tzinfo
from typing import Any

from aiohttp import web

from okrbot import export_formats
from okrbot.api import openapi
from okrbot.api.bodies import BODY_MAX_BYTES, BadBody, value_body
from okrbot.api.ratelimit import PER_MINUTE, RateLimit
from okrbot.background import Answers
from okrbot.domain.quarters import Quarter
from okrbot.services import tokens, values
from okrbot.services.ports import Clock
from okrbot.services.tokens import Caller
from okrbot.store.uow import DirectRunner, UnitOfWorkFactory

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
# Ids are 32-bit integers in every database okrbot runs on.
ID_MAX = 2**31 - 1
# The longest an API request waits for the Slack requests being answered (seconds).
GIVE_WAY = 0.05

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MESSAGES = {
    "checkin.error.number": "value must be a finite number",
    "checkin.error.absurd": (
        "value {value} is too far from this key result's range ({start} to {target}) "
        "to be a measurement"
    ),
    "checkin.error.comment_long": "comment is too long",
    "checkin.error.milestone": (
        "this key result is a milestone: value must be 1 or true (done), 0 or false (not done)"
    ),
    "checkin.error.boolean": "true and false are for milestones: this key result takes a number",
    "future": "at is in the future",
    "before_quarter": "at is before the key result's quarter ({quarter}) began",
    "objective": "the key result's objective is not published (it is {status})",
    "retired": "the key result was removed from its objective",
}

CODES = {
    "checkin.error.comment_long": "invalid_comment",
    "future": "invalid_at",
    "before_quarter": "invalid_at",
}


def error(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class Api:
    def __init__(
        self,
        uows: UnitOfWorkFactory,
        clock: Clock,
        zone: tzinfo,
        *,
        per_minute: int = PER_MINUTE,
        answers: Answers | None = None,
        deliver: Callable[[], None] | None = None,
        direct: DirectRunner | None = None,
    ) -> None:
        self.uows = uows
        self.clock = clock
        self.zone = zone
        self.limit = RateLimit(lambda: clock().timestamp(), per_minute)
        self.authenticate = tokens.Authenticator(uows)
        self._answers = answers
        # Values from every caller, written many to a transaction; Slack's answers first.
        self.values = values.ValueWriter(
            uows, zone, answers=answers, deliver=deliver, direct=direct
        )

    def close(self) -> None:
        """At shutdown: no delivery pass starts for the values' Homes (the sweeper of the
        next process sends what is due)."""
        self.values.close()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._errors], client_max_size=BODY_MAX_BYTES)
        app.router.add_post("/key-results/{id}/values", self._authorised(self.post_value))
        app.router.add_get("/key-results/{id}", self._authorised(self.get_key_result))
        app.router.add_get("/objectives", self._authorised(self.get_objectives))
        app.router.add_get("/openapi.json", self.get_openapi)
        return app

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """aiohttp's own refusals (no such path, wrong method) as JSON, and no traceback
        for the caller."""
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status == 405:
                allowed = exc.headers.get("Allow", "")
                return error(405, "method_not_allowed", f"use {allowed}", Allow=allowed)
            if exc.status == 404:
                return error(404, "not_found", "there is no such path in the API")
            if exc.status == 413:
                return error(413, "too_large", f"the body is larger than {BODY_MAX_BYTES} bytes")
            raise
        except Exception:
            log.exception("the API failed to answer %s %s", request.method, request.path)
            return error(500, "internal", "okrbot could not answer; try again later")

    def _authorised(
        self, handler: Callable[[web.Request, Caller], Awaitable[web.Response]]
    ) -> Handler:
        async def checked(request: web.Request) -> web.Response:
            await self._give_way()
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            caller = None
            if scheme.lower() == "bearer" and token.strip():
                caller = await self.authenticate(token.strip(), self.clock())
            if caller is None:
                return error(
                    401,
                    "unauthorized",
                    "send a valid token: Authorization: Bearer okr_… (okrbot token create)",
                    **{"WWW-Authenticate": 'Bearer realm="okrbot"'},
                )
            wait = self.limit.take(caller.token_id)
            if wait is not None:
                return error(
                    429,
                    "rate_limited",
                    f"more than {self.limit.limit} requests a minute with this token; "
                    f"try again in {wait} s",
                    **{"Retry-After": str(wait)},
                )
            return await handler(request, caller)

        return checked

    async def _give_way(self) -> None:
        """Slack's requests first: while they are being answered (Slack gives up on an
        answer after 3 s), an API request waits, `GIVE_WAY` seconds at most, before its
        work (its token, its body, its value) starts."""
        if self._answers is not None and self._answers.in_flight:
            await self._answers.quiet(asyncio.get_running_loop().time() + GIVE_WAY)

    @staticmethod
    def _id(request: web.Request) -> int | None:
        text = request.match_info["id"]
        if not (text.isascii() and text.isdecimal()) or len(text) > 10:
            return None
        number = int(text)
        return number if 0 < number <= ID_MAX else None

    @staticmethod
    async def _body(request: web.Request) -> bytes:
        if (request.content_length or 0) > BODY_MAX_BYTES:
            raise BadBody(413, "too_large", f"the body is larger than {BODY_MAX_BYTES} bytes")
        data = bytearray()
        while chunk := await request.content.read(BODY_MAX_BYTES + 1 - len(data)):
            data += chunk
            if len(data) > BODY_MAX_BYTES:
                raise BadBody(413, "too_large", f"the body is larger than {BODY_MAX_BYTES} bytes")
        return bytes(data)

    async def post_value(self, request: web.Request, caller: Caller) -> web.Response:
        key_result_id = self._id(request)
        try:
            body = value_body(await self._body(request))
        except BadBody as bad:
            return error(bad.status, bad.error, bad.message)
        if key_result_id is None:
            return _no_key_result()
        try:
            recorded = await self.values.record(
                caller.workspace_id,
                key_result_id,
                body.value,
                comment=body.comment,
                at=body.at,
                source=caller.source,
                now=self.clock(),
            )
        except values.ValueRefused as refused:
            return _refusal(refused, float(body.value))
        # DEBUG: at a thousand values a second, a line each would be a tenth of the work.
        log.debug(
            "recorded a value of key result %s from API token %s",
            key_result_id,
            caller.name,
        )
        return web.json_response(
            {
                "value": recorded.value,
                "at": export_formats.timestamp(recorded.at),
                "comment": recorded.comment,
                "source": recorded.source,
                "key_result": _key_result(recorded.key_result),
            }
        )

    async def get_key_result(self, request: web.Request, caller: Caller) -> web.Response:
        key_result_id = self._id(request)
        found = None
        if key_result_id is not None:
            found = await values.key_result(self.uows, caller.workspace_id, key_result_id)
        if found is None:
            return _no_key_result()
        return web.json_response(_key_result(found))

    async def get_objectives(self, request: web.Request, caller: Caller) -> web.Response:
        now = self.clock()
        text = request.query.get("quarter")
        if text is None:
            wanted = Quarter.containing(now.astimezone(self.zone).date())
        else:
            try:
                wanted = Quarter.parse(text[:40])
            except ValueError as exc:
                return error(422, "invalid_quarter", str(exc))
        export = await values.quarter(self.uows, caller.workspace_id, wanted, now)
        return web.json_response(export_formats.export_document(export))

    async def get_openapi(self, _request: web.Request) -> web.Response:
        return web.json_response(openapi.DOCUMENT)


def _key_result(info: values.KeyResultInfo) -> dict[str, Any]:
    return {
        **export_formats.key_result_document(info.record),
        "objective": info.objective_id,
        "objective_status": info.objective_status,
        "quarter": info.quarter,
    }


def _no_key_result() -> web.Response:
    return error(404, "not_found", "there is no key result with this id in your workspace")


def _refusal(refused: values.ValueRefused, value: float) -> web.Response:
    if refused.reason == "not_found":
        return _no_key_result()
    details = {name: _number(v) for name, v in refused.details.items()}
    template = MESSAGES.get(refused.problem, refused.problem)
    message = template.format(value=_number(value), **details)
    if refused.reason == "not_open":
        return error(409, "not_open", message)
    return error(422, CODES.get(refused.problem, "invalid_value"), message)
