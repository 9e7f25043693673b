"""What the repositories share: a session, and the conditions many queries start from."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, ScalarSelect, select
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.store.models import Objective


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session


def published_in(workspace_id: str, quarter: str) -> tuple[ColumnElement[bool], ...]:
    """A workspace's published objectives of a quarter: the set most views start from."""
    return (
        Objective.workspace_id == workspace_id,
        Objective.quarter == quarter,
        Objective.status == "approved",
    )


def in_quarter(workspace_id: str, quarter: str) -> ScalarSelect[int]:
    """The ids of a workspace's objectives of a quarter, in any status, as a subquery (not
    a list of ids, so a big quarter cannot hit a backend's limit on bound parameters)."""
    return (
        select(Objective.id)
        .where(Objective.workspace_id == workspace_id, Objective.quarter == quarter)
        .scalar_subquery()
    )


def rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def due(retry_at: Any, now: datetime) -> ColumnElement[bool]:
    """Never tried, or its next try is due."""
    return cast("ColumnElement[bool]", retry_at.is_(None) | (retry_at <= now))
