"""Importing the org chart: all rows or none."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from okrbot.domain.orgchart import (
    PROGRESS_EVERY,
    DirectoryMember,
    OrgChartError,
    ResolvedRow,
    check_hierarchy,
    read_org_csv,
    resolve,
    sorted_errors,
)
from okrbot.services.ports import DeliveryError, UserDirectory
from okrbot.store.models import Person
from okrbot.store.uow import UnitOfWork

Sleep = Callable[[float], Awaitable[None]]
# Told how far a big import is, one line at a time (the command prints them on stderr).
Progress = Callable[[str], None]

# How long the directory may keep okrbot waiting (rate limits, an outage) between two
# pages before the import gives up: users.list is Tier 2, 20 pages a minute, and Slack's
# Retry-After is seconds to a minute, so only a Slack that stays away runs this out.
PATIENCE = 300.0
# The pause after an outage (a 5xx, a timeout) before the same page is asked again.
OUTAGE_PAUSE = 5.0


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class Prepared:
    """A file parsed and checked against Slack, ready to store."""

    rows: list[ResolvedRow]
    emails: dict[str, str]


def _quiet(_line: str) -> None:
    pass


async def read_directory(
    directory: UserDirectory, *, sleep: Sleep, progress: Progress, patience: float = PATIENCE
) -> list[DirectoryMember]:
    """Everyone in the workspace, in one paged pass over users.list.

    A rate limit waits for its Retry-After and an outage for a few seconds, then the
    same page is asked again; DeliveryError once Slack has kept the import waiting
    longer than `patience` for one page, or refused it for good."""
    members: list[DirectoryMember] = []
    cursor: str | None = None
    reported = 0
    while True:
        waited = 0.0
        while True:
            try:
                page, cursor = await directory.members_page(cursor)
                break
            except DeliveryError as exc:
                if not exc.retryable:
                    raise
                pause = exc.retry_after if exc.retry_after is not None else OUTAGE_PAUSE
                if waited + pause > patience:
                    raise
                waited += pause
                why = "asks okrbot to wait" if exc.retry_after is not None else "did not answer"
                progress(f"Slack {why} ({exc.code}); trying again in {pause:.0f} s")
                await sleep(pause)
        members.extend(page)
        if len(members) - reported >= PROGRESS_EVERY:
            reported = len(members)
            progress(f"{reported:,} people read from Slack's directory")
        if not cursor:
            return members


async def prepare(
    text: str,
    directory: UserDirectory,
    *,
    sleep: Sleep = asyncio.sleep,
    progress: Progress = _quiet,
) -> Prepared:
    """Parse the file and check every person in it against the workspace's directory;
    OrgChartError names every problem. Reads nothing from the database, so that no
    transaction is held open while Slack is paged through."""

    def rows_read(count: int) -> None:
        progress(f"{count:,} rows read")

    rows, errors = read_org_csv(text, rows_read)
    if not rows:
        raise OrgChartError(errors)
    # One pass over the whole directory, whatever the file's size: a look-up per row
    # (users.lookupByEmail) ran into Slack's rate limits at a few hundred rows. The rows
    # that parsed are checked even when others did not, so that one run lists every
    # problem the file has.
    members = await read_directory(directory, sleep=sleep, progress=progress)
    try:
        resolved, emails = resolve(rows, members)
    except OrgChartError as exc:
        errors.extend(exc.errors)
    if errors:
        raise OrgChartError(sorted_errors(errors))
    return Prepared(resolved, emails)


async def import_org(
    uow: UnitOfWork,
    directory: UserDirectory,
    workspace_id: str,
    text: str,
    *,
    now: datetime,
    sleep: Sleep = asyncio.sleep,
    progress: Progress = _quiet,
) -> ImportSummary:
    """Parse, resolve, check and store the org chart; any problem imports nothing."""
    prepared = await prepare(text, directory, sleep=sleep, progress=progress)
    return await apply(uow, workspace_id, prepared, now=now, progress=progress)


async def apply(
    uow: UnitOfWork,
    workspace_id: str,
    prepared: Prepared,
    *,
    now: datetime,
    progress: Progress = _quiet,
) -> ImportSummary:
    rows, emails = prepared.rows, prepared.emails
    existing = {p.user_id: p for p in await uow.people.all(workspace_id)}
    problems = check_hierarchy(rows, {uid: p.manager_id for uid, p in existing.items()})
    if problems:
        raise OrgChartError(problems)
    created = updated = unchanged = 0
    for done, row in enumerate(rows, start=1):
        person = existing.get(row.user_id)
        email = emails.get(row.user_id)
        if person is None:
            uow.people.add(
                Person(
                    workspace_id=workspace_id,
                    user_id=row.user_id,
                    manager_id=row.manager_id,
                    team=row.team,
                    role=row.role,
                    email=email,
                    source="org_chart",
                    created_at=now,
                    updated_at=now,
                )
            )
            created += 1
        else:
            new = (row.manager_id, row.team, row.role, email or person.email, "org_chart")
            old = (person.manager_id, person.team, person.role, person.email, person.source)
            if new == old:
                unchanged += 1
            else:
                person.manager_id, person.team, person.role, person.email, person.source = new
                person.updated_at = now
                updated += 1
        if done % PROGRESS_EVERY == 0:
            # Written in the one transaction, which commits only at the end: the time goes
            # here, and a failure still leaves nothing behind.
            await uow.flush()
            progress(f"{done:,} of {len(rows):,} rows stored")
    await uow.commit()
    return ImportSummary(created, updated, unchanged)
