"""Who may do what beyond their own objectives."""

from __future__ import annotations

from collections.abc import Collection


def may_administer(user_id: str, ceo: str | None, admins: Collection[str]) -> bool:
    """okrbot's settings and its jobs, from Slack: the CEO and the workspace's admins."""
    return user_id == ceo or user_id in admins
