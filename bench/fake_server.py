"""The loopback fake Slack in a process of its own, for the benchmarks.

A benchmark starts it with `python bench/fake_server.py`, writes one JSON line on its stdin
(users, channels, limits) and reads one JSON line back: the Web API URL, the bot token and a
control URL. It runs until its stdin closes, so it never outlives the benchmark. The
workspace cap counts over a sliding `minute` of 60 s, or less in a benchmark's
accelerated mode.

Its own process keeps the fake's work (checking every view and message the app sends) off
the CPU of the process that measures.

Control endpoints (JSON):
  GET  /stats     outcomes by method ("views.open ok", "chat.postMessage 429", ...),
                  calls by method, violations, messages
  GET  /messages  ?channel=D...: the messages in a conversation, with their blocks
  GET  /views     ?user=U...: the modals opened for a person, oldest first
  GET  /marked    check-in prompts and other fan-out messages (those carrying okrbot's
                  delivery marker) per recipient, and when the first and last went out
  POST /reset     forget calls and outcomes (between phases)

Trigger ids: the benchmark makes them itself as `bench-<user>-<unix time>-<n>`; the fake
accepts each once within three seconds of that time, like the ones it issues, which saves a
round trip per request.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import threading
import time
from collections import Counter
from typing import Any

import support  # noqa: F401 - puts the repository on sys.path
from aiohttp import web

from okrbot.sandbox.fake_slack import (
    FakeSlack,
    FakeUser,
    Handler,
    Json,
    _Refusal,
    _Throttled,
    _Trigger,
)

MARKER_EVENT = "okrbot_delivery"


class BenchFake(FakeSlack):
    """FakeSlack on the real clock, counting how each call ended."""

    def __init__(self) -> None:
        super().__init__(clock=time.time)
        self.minute = 60.0
        self.outcomes: Counter[str] = Counter()
        for name, handler in list(self._handlers.items()):
            self._handlers[name] = self._counted(handler)

    def _counted(self, handler: Handler) -> Handler:
        def counted(method: str, args: Json) -> Json:
            try:
                result = handler(method, args)
            except _Throttled:
                self.outcomes[f"{method} 429"] += 1
                raise
            except _Refusal as refusal:
                self.outcomes[f"{method} {refusal.error}"] += 1
                raise
            self.outcomes[f"{method} ok"] += 1
            return result

        return counted

    def _post_wait(self) -> float | None:  # type: ignore[override]
        """The workspace cap, as FakeSlack has it, over a `minute` that may be shorter
        than 60 s: a benchmark's accelerated mode keeps the cap's shape (a burst of the
        cap, then the pace) at a multiple of its speed. Retry-After is whole seconds, as
        Slack sends it, of the same accelerated time (0.1 s at ten times the speed)."""
        if self.post_limit_per_minute is None:
            return None
        now = self._clock()
        while self._post_times and self._post_times[0] <= now - self.minute:
            self._post_times.popleft()
        if len(self._post_times) >= self.post_limit_per_minute:
            self.outcomes["chat.postMessage 429"] += 1
            speedup = 60.0 / self.minute
            wait = max(1, math.ceil((self._post_times[0] + self.minute - now) * speedup))
            return wait if speedup == 1 else wait / speedup
        self._post_times.append(now)
        return None

    def _tier_wait(self, method: str) -> int | None:
        wait = super()._tier_wait(method)
        if wait is not None:
            self.outcomes[f"{method} 429"] += 1
        return wait

    def _trigger(self, args: Json) -> _Trigger:
        trigger_id = str(args.get("trigger_id") or "")
        parts = trigger_id.split("-")
        if len(parts) == 4 and parts[0] == "bench" and trigger_id not in self._triggers:
            self._triggers[trigger_id] = _Trigger(float(parts[2]), parts[1])
        return super()._trigger(args)


def _message(message: Any) -> Json:
    return {
        "channel": message.channel,
        "ts": message.ts,
        "user": message.user,
        "text": message.text,
        "blocks": message.blocks,
        "thread_ts": message.thread_ts,
        "metadata": message.metadata,
        "updated": message.updated,
    }


def control_app(fake: BenchFake) -> web.Application:
    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(
            {
                "outcomes": dict(fake.outcomes),
                "calls": dict(Counter(call.method for call in fake.calls)),
                "violations": fake.violations[:20],
                "violation_count": len(fake.violations),
                "messages": len(fake.messages),
            }
        )

    async def messages(request: web.Request) -> web.Response:
        channel = request.query.get("channel", "")
        return web.json_response(
            [_message(m) for m in fake.messages if m.channel == channel and not m.ephemeral_for]
        )

    async def views(request: web.Request) -> web.Response:
        return web.json_response(fake.open_views_for(request.query.get("user", "")))

    async def marked(_request: web.Request) -> web.Response:
        counts: Counter[str] = Counter()
        times: list[float] = []
        for message in fake.messages:
            metadata = message.metadata or {}
            if message.user and metadata.get("event_type") == MARKER_EVENT:
                counts[message.user] += 1
                times.append(float(message.ts))
        return web.json_response(
            {
                "counts": dict(counts),
                "first": min(times, default=None),
                "last": max(times, default=None),
            }
        )

    async def reset(_request: web.Request) -> web.Response:
        fake.reset_calls()
        fake.outcomes.clear()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/stats", stats)
    app.router.add_get("/messages", messages)
    app.router.add_get("/views", views)
    app.router.add_get("/marked", marked)
    app.router.add_post("/reset", reset)
    return app


def configure(fake: BenchFake, spec: Json) -> None:
    for user in spec.get("users", []):
        fake.add_user(
            FakeUser(
                id=user["id"],
                name=user["name"],
                real_name=user["real_name"],
                tz=user.get("tz", "UTC"),
                locale=user.get("locale", "en-US"),
            )
        )
    everyone = [user["id"] for user in spec.get("users", [])]
    for channel in spec.get("channels", []):
        # The benchmarks' channels are company-wide: everyone is in them (and so can be
        # shown an ephemeral note there), unless a benchmark names the members.
        members = channel.get("members", everyone)
        fake.add_channel(channel["id"], channel["name"], members=members)
    fake.post_limit_per_minute = spec.get("post_limit_per_minute")
    fake.minute = float(spec.get("minute", 60.0))
    fake.post_limit_per_channel_second = spec.get("post_limit_per_channel_second")
    # The method tiers are off unless a benchmark asks for them: a benchmark measures the
    # app's answers under a load one workspace would rarely see (hundreds of people opening
    # forms in a minute), and the posting limits above are the ones it paces itself by.
    fake.tier_burst = spec.get("tier_burst")
    fake.tier_window = fake.minute


async def main() -> None:
    spec = json.loads(sys.stdin.readline())
    fake = BenchFake()
    configure(fake, spec)
    await fake.start()
    runner = web.AppRunner(control_app(fake), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    control_port = runner.addresses[0][1]

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def watch_stdin() -> None:
        # EOF on stdin: the benchmark has finished (or died).
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    ready = {
        "api_url": fake.api_url,
        "bot_token": fake.bot_token,
        "team_id": fake.team_id,
        "control_url": f"http://127.0.0.1:{control_port}",
    }
    print(json.dumps(ready), flush=True)
    await stop.wait()
    await runner.cleanup()
    await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
