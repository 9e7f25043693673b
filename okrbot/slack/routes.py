"""The command, the buttons and the forms, routed to their handlers by one Bolt middleware.

Bolt checks each request's signature and authorizes it in its own middleware, which runs
before this one. Its listeners, though, are tried one after the other, and before every
try, and again before the call, Bolt prepares every argument a listener could ask for
(about 11 microseconds each time): a check-in form tried the command's listener, then the
forms', then was called, on top of the middleware's own preparation. Here a request finds
its handler with one dictionary lookup on its id and is answered with Bolt's own `ack`.
Everything else (events, and ids nobody registered) goes on to Bolt's listeners, and so to
Bolt's answer to an unhandled request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

Handler = Callable[[AsyncAck, dict[str, Any]], Awaitable[None]]
# Looks at every request before it is routed: a response to answer it with instead, or None.
Gate = Callable[[AsyncBoltContext, dict[str, Any]], Awaitable[BoltResponse | None]]


def _id(value: object) -> str:
    return value if isinstance(value, str) else ""


class Routes:
    def __init__(self) -> None:
        self.commands: dict[str, Handler] = {}
        self.actions: dict[str, Handler] = {}
        self.views: dict[str, Handler] = {}

    def command(self, name: str) -> Callable[[Handler], Handler]:
        return self._adder(self.commands, name)

    def action(self, action_id: str) -> Callable[[Handler], Handler]:
        return self._adder(self.actions, action_id)

    def view(self, callback_id: str) -> Callable[[Handler], Handler]:
        return self._adder(self.views, callback_id)

    @staticmethod
    def _adder(table: dict[str, Handler], key: str) -> Callable[[Handler], Handler]:
        if key in table:
            raise ValueError(f"{key!r} is routed twice")

        def add(handler: Handler) -> Handler:
            table[key] = handler
            return handler

        return add

    def handler_for(self, body: dict[str, Any]) -> Handler | None:
        """The handler of a slash command, a button's first action or a submitted form, in
        the order Bolt would have tried them; None for anything else."""
        if "command" in body:
            return self.commands.get(_id(body["command"]))
        kind = body.get("type")
        if kind == "view_submission":
            view = body.get("view")
            return self.views.get(_id(view.get("callback_id"))) if isinstance(view, dict) else None
        if kind == "block_actions":
            actions = body.get("actions")
            if isinstance(actions, list) and actions and isinstance(actions[0], dict):
                return self.actions.get(_id(actions[0].get("action_id")))
        return None


class Router(AsyncMiddleware):
    """The app's one middleware of its own: `gate`, then the routes."""

    def __init__(self, routes: Routes, gate: Gate) -> None:
        self.routes = routes
        self.gate = gate

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        body = req.body
        refused = await self.gate(req.context, body)
        if refused is not None:
            return refused
        handler = self.routes.handler_for(body)
        if handler is None:
            return await next()
        ack: AsyncAck = req.context.ack
        try:
            await handler(ack, body)
        except Exception as error:
            # As Bolt answers a listener's error: a 500 with nothing in it for the user.
            log.error("unhandled error in a listener: %s", type(error).__name__, exc_info=error)
            return BoltResponse(status=500, body="")
        if ack.response is None:
            log.error("a handler returned without answering Slack")
            return BoltResponse(status=500, body="")
        response: BoltResponse = ack.response
        return response
