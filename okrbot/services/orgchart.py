"""Importing the org chart: all rows or none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from okrbot.domain.orgchart import (
    LineError,
    OrgChartError,
    OrgRow,
    ResolvedRow,
    check_hierarchy,
    parse_org_csv,
)
from okrbot.services.ports import UserDirectory
from okrbot.store.models import Person
from okrbot.store.uow import UnitOfWork


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int


def _is_email(identifier: str) -> bool:
    return "@" in identifier


async def resolve(
    rows: list[OrgRow], directory: UserDirectory
) -> tuple[list[ResolvedRow], dict[str, str]]:
    """Turn e-mail addresses into Slack user ids; every unknown address is an error.

    Also returns the e-mail address each user was given by, to keep on their record.
    """
    cache: dict[str, str | None] = {}
    errors: list[LineError] = []

    async def lookup(identifier: str, line: int, what: str) -> str | None:
        if not _is_email(identifier):
            return identifier
        if identifier not in cache:
            cache[identifier] = await directory.user_id_for_email(identifier)
        found = cache[identifier]
        if found is None:
            errors.append(LineError(line, f"unknown {what}: no Slack user has {identifier}"))
        return found

    resolved: list[ResolvedRow] = []
    emails: dict[str, str] = {}
    for row in rows:
        user_id = await lookup(row.user, row.line, "user")
        if user_id is not None and _is_email(row.user):
            emails[user_id] = row.user
        manager_id = await lookup(row.manager, row.line, "manager") if row.manager else None
        if user_id is not None:
            resolved.append(ResolvedRow(row.line, user_id, manager_id, row.team, row.role))
    if errors:
        raise OrgChartError(errors)
    return resolved, emails


async def import_org(
    uow: UnitOfWork,
    directory: UserDirectory,
    workspace_id: str,
    text: str,
    *,
    now: datetime,
) -> ImportSummary:
    """Parse, resolve, check and store the org chart; any problem imports nothing."""
    rows = parse_org_csv(text)
    resolved, emails = await resolve(rows, directory)
    return await apply(uow, workspace_id, resolved, emails=emails, now=now)


async def apply(
    uow: UnitOfWork,
    workspace_id: str,
    rows: list[ResolvedRow],
    *,
    emails: dict[str, str],
    now: datetime,
) -> ImportSummary:
    existing = {p.user_id: p for p in await uow.people.all(workspace_id)}
    problems = check_hierarchy(rows, {uid: p.manager_id for uid, p in existing.items()})
    if problems:
        raise OrgChartError(problems)
    created = updated = unchanged = 0
    for row in rows:
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
            continue
        new = (row.manager_id, row.team, row.role, email or person.email, "org_chart")
        old = (person.manager_id, person.team, person.role, person.email, person.source)
        if new == old:
            unchanged += 1
            continue
        person.manager_id, person.team, person.role, person.email, person.source = new
        person.updated_at = now
        updated += 1
    await uow.commit()
    return ImportSummary(created, updated, unchanged)
