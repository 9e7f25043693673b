"""How often each token may call the API: a sliding window, in this process's memory."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

PER_MINUTE = 60
WINDOW = 60.0


class RateLimit:
    def __init__(
        self, seconds: Callable[[], float], limit: int = PER_MINUTE, window: float = WINDOW
    ) -> None:
        self._seconds = seconds
        self.limit = limit
        self.window = window
        self._calls: dict[int, deque[float]] = {}

    def take(self, key: int) -> int | None:
        """Count a call by `key`: None when it may go ahead, else the whole seconds until
        it may (at least 1)."""
        now = self._seconds()
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0] <= now - self.window:
            calls.popleft()
        if len(calls) >= self.limit:
            return max(1, math.ceil(calls[0] + self.window - now))
        calls.append(now)
        if len(self._calls) > 10 * self.limit:
            self._forget(now)
        return None

    def _forget(self, now: float) -> None:
        """Drop the keys with no call in the window (revoked tokens, mostly)."""
        for key in [
            k for k, calls in self._calls.items() if not calls or calls[-1] <= now - self.window
        ]:
            del self._calls[key]
