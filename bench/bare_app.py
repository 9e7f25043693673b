"""The yardstick for bench/latency.py: a bare slack-bolt app that only acks.

Served exactly as `okrbot serve` serves okrbot: an aiohttp web app whose POST /slack/events
hands Slack's request to Bolt (process_before_response, the same signing verification, the
same Web API client pointed at the same fake Slack) and returns Bolt's response. Its
listeners ack the same command, button and form and do nothing else.

Settings from the environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, PORT.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Any

import support  # noqa: F401 - puts the repository on sys.path
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from okrbot.slack import ids


def bolt_app() -> AsyncApp:
    client = AsyncWebClient(
        token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"], timeout=10
    )
    app = AsyncApp(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=True,
        logger=logging.getLogger("bare.bolt"),
    )

    async def just_ack(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()

    app.command(ids.COMMAND)(just_ack)
    app.action(ids.APPROVE)(just_ack)
    app.view(ids.CHECKIN_VIEW)(just_ack)
    return app


def web_app(bolt: AsyncApp) -> web.Application:
    async def events(request: web.Request) -> web.Response:
        response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", health)
    return app


async def main() -> None:
    # The same log level okrbot runs with, so both write their access log lines.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    runner = web.AppRunner(web_app(bolt_app()))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(os.environ["PORT"])).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
