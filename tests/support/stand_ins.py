"""Every Slack stand-in a test starts, so that the test fails at its end when one of them
recorded a violation of Slack's limits (tests/conftest.py checks; a test that provokes
violations on purpose is marked ``violates_slack_limits``)."""

from __future__ import annotations

from typing import Protocol


class StandIn(Protocol):
    violations: list[str]


_started: list[tuple[str, StandIn]] = []


def register(name: str, stand_in: StandIn) -> None:
    """Called by a stand-in as it starts."""
    _started.append((name, stand_in))


def take() -> list[tuple[str, StandIn]]:
    """The stand-ins started since the last call, by name, forgetting them."""
    started = list(_started)
    _started.clear()
    return started
