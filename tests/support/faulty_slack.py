"""The fake Slack Web API with faults a test injects: errors, rate limits, HTTP errors,
answers held back or replaced after the call was performed, and a hook after each call.

Built on the package's FakeSlack through its ``interceptors`` (the faults that answer in
place of Slack), ``observers`` (``after_call``) and ``middlewares`` (answers held back or
replaced); it registers itself as it starts, so that its violations are checked at the
end of the test (see tests/support/stand_ins.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler as WebHandler

from okrbot.sandbox.fake_slack import FakeSlack
from tests.support import stand_ins


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


class FaultySlack(FakeSlack):
    """FakeSlack, and faults on demand. Takes FakeSlack's arguments."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._faults: dict[str, deque[_Fault]] = {}
        # Answers held back by ``delay_next``.
        self._delays: dict[str, deque[_Delay]] = {}
        self._held: list[str] = []
        self._unanswered: list[str] = []
        # One event per answer being held: released together by ``release_held``.
        self._releases: list[asyncio.Event] = []
        # Answers replaced, after the call was performed, by ``perform_then``.
        self._afterwards: dict[str, deque[_Afterwards]] = {}
        # Calls performed whose caller was told something else (see ``perform_then``).
        self.performed_unanswered: list[str] = []
        # Called with each method name after it has been answered (tests use it to crash
        # the app at a chosen moment).
        self.after_call: Callable[[str], None] | None = None
        self.interceptors.append(self._take_fault)
        self.observers.append(self._observe)
        self.middlewares.append(self._hold_answers)

    async def start(self) -> None:
        await super().start()
        stand_ins.register("FakeSlack", self)

    def _observe(self, method: str) -> None:
        if self.after_call is not None:
            self.after_call(method)

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
        self._afterwards.setdefault(method, deque()).append(_Afterwards(outcome, times))

    def _take_afterwards(self, method: str) -> str | None:
        queue = self._afterwards.get(method)
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
        for release in self._releases:
            release.set()
        self._releases = []

    @property
    def held(self) -> list[str]:
        """Methods whose answers are being held back right now, in the order they came."""
        return list(self._held)

    @property
    def unanswered(self) -> list[str]:
        """Methods whose held answer found nobody waiting for it any more."""
        return list(self._unanswered)

    def _take_delay(self, method: str) -> float | None:
        queue = self._delays.get(method)
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
        self._releases.append(release)
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

    def _take_fault(self, method: str) -> web.StreamResponse | None:
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
