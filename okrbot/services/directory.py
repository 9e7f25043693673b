"""Time zones and names from Slack's directory, kept on the people okrbot knows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from okrbot.store.uow import UnitOfWork

REFRESH_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class DirectoryEntry:
    user_id: str
    tz: str | None
    name: str | None
    locale: str | None = None


class Directory(Protocol):
    def entries(self) -> AsyncIterator[DirectoryEntry]: ...


async def stale(uow: UnitOfWork, workspace_id: str, now: datetime) -> bool:
    return await uow.people.directory_stale(workspace_id, now - REFRESH_EVERY)


async def read(directory: Directory) -> list[DirectoryEntry]:
    """One pass over users.list (paged, ~10 calls for 2,000 people) instead of a
    users.info per person; outside any unit of work (see `sync`)."""
    return [entry async for entry in directory.entries()]


async def sync(
    uow: UnitOfWork, workspace_id: str, entries: Iterable[DirectoryEntry], now: datetime
) -> int:
    """Keep what the directory says (`read` first: a write transaction held open while
    Slack is paged through kept every other writer waiting, SQLite's answers to
    check-ins included, for as long as Slack took). Returns how many people changed."""
    people = {p.user_id: p for p in await uow.people.all(workspace_id)}
    changed = 0
    for entry in entries:
        person = people.get(entry.user_id)
        if person is None:
            continue
        known = (entry.tz, entry.name, entry.locale)
        if (person.tz, person.display_name, person.locale) != known:
            person.tz, person.display_name, person.locale = known
            changed += 1
    # Everyone counts as looked up, also those Slack no longer lists (deactivated): they
    # keep what was known, and the next look is tomorrow, not next minute.
    for person in people.values():
        person.directory_synced_at = now
    await uow.commit()
    return changed
