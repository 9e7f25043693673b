"""Workspaces that installed okrbot through OAuth, and the settings each one keeps.

In single-workspace mode these come from the environment (OKRBOT_CEO, OKRBOT_CHANNEL,
OKRBOT_ADMINS); an organisation that installs okrbot in several workspaces sets them per
workspace from Slack, with `/okr admin`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from okrbot.domain.permissions import may_administer
from okrbot.services.common import Actor, Organisation
from okrbot.store.models import Workspace
from okrbot.store.uow import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class Setup:
    """What `/okr admin` shows."""

    team_id: str
    name: str
    ceo: str | None
    channel: str | None
    admins: tuple[str, ...]
    installed_by: str | None

    @property
    def complete(self) -> bool:
        return self.ceo is not None and self.channel is not None

    def organisation(self) -> Organisation | None:
        if self.ceo is None or self.channel is None:
            return None
        return Organisation(self.ceo, self.channel, frozenset(self.admins))

    def is_admin(self, user_id: str) -> bool:
        return may_administer(user_id, self.ceo, self.admins)


# A workspace's setup as the tenancy knows it (single-workspace settings, or the row).
SetupOf = Callable[[UnitOfWork, str], Awaitable[Setup | None]]


def _setup(row: Workspace) -> Setup:
    return Setup(
        team_id=row.team_id,
        name=row.name,
        ceo=row.ceo,
        channel=row.channel,
        admins=tuple(row.admins or ()),
        installed_by=row.installed_by,
    )


async def installed(
    uow: UnitOfWork, team_id: str, name: str, installer: str | None, now: datetime
) -> tuple[Setup, bool]:
    """An install, or a reinstall: settings made before an uninstall are kept. True with
    the setup when the installer was made an admin by it.

    Only the first install makes its installer an admin. Any member may be allowed to
    install an app, and a reinstall that granted admin would let any of them choose
    themselves as CEO; a reinstall only renews the token (kept by Bolt's installation
    store). The one exception is a workspace nobody can set up any more (no CEO chosen
    and no admin left): its installer takes it over as the first one would, since there
    is no one whose place they take.
    """
    row = await uow.workspaces.get(team_id)
    if row is None:
        row = Workspace(
            team_id=team_id,
            name=name,
            admins=[installer] if installer else [],
            installed_by=installer,
            installed_at=now,
        )
        uow.workspaces.add(row)
        await uow.flush()
        return _setup(row), installer is not None
    row.name = name or row.name
    row.uninstalled_at = None
    row.installed_at = now
    orphaned = row.ceo is None and not row.admins
    if installer and orphaned:
        row.admins = [installer]
    await uow.flush()
    return _setup(row), bool(installer and orphaned)


async def uninstalled(uow: UnitOfWork, team_id: str, now: datetime) -> bool:
    """The workspace removed okrbot or revoked its token: its jobs stop. Nothing is deleted."""
    row = await uow.workspaces.get(team_id)
    if row is None or row.uninstalled_at is not None:
        return False
    row.uninstalled_at = now
    return True


async def setup_of(uow: UnitOfWork, team_id: str) -> Setup | None:
    """None unless the workspace has okrbot installed now."""
    row = await uow.workspaces.get(team_id)
    if row is None or row.uninstalled_at is not None:
        return None
    return _setup(row)


async def organisation(uow: UnitOfWork, team_id: str) -> Organisation | None:
    setup = await setup_of(uow, team_id)
    return setup.organisation() if setup is not None else None


async def active(uow: UnitOfWork) -> list[str]:
    """Workspaces whose weekly jobs run: installed and set up."""
    return [row.team_id for row in await uow.workspaces.installed() if row.ceo and row.channel]


async def change(
    uow: UnitOfWork,
    team_id: str,
    *,
    ceo: str | None = None,
    channel: str | None = None,
    add_admin: str | None = None,
    remove_admin: str | None = None,
) -> Setup | None:
    row = await uow.workspaces.get(team_id)
    if row is None or row.uninstalled_at is not None:
        return None
    if ceo is not None:
        row.ceo = ceo
    if channel is not None:
        row.channel = channel
    admins = list(row.admins or [])
    if add_admin is not None and add_admin not in admins:
        admins.append(add_admin)
    if remove_admin is not None and remove_admin in admins:
        admins.remove(remove_admin)
    row.admins = admins
    return _setup(row)


# -- use cases


async def read_setup(uows: UnitOfWorkFactory, setup: SetupOf, team_id: str) -> Setup | None:
    """The workspace's setup, read in a read-only unit of work of its own."""
    async with uows(readonly=True) as uow:
        return await setup(uow, team_id)


@dataclass(frozen=True)
class AdminAccess:
    """What `/okr admin` may show the person: nothing when okrbot is not installed."""

    setup: Setup | None
    allowed: bool


async def admin_access(uows: UnitOfWorkFactory, setup: SetupOf, actor: Actor) -> AdminAccess:
    found = await read_setup(uows, setup, actor.workspace_id)
    return AdminAccess(found, found is not None and found.is_admin(actor.user_id))


@dataclass(frozen=True)
class Changed:
    """A change of settings: the setup before and after it (None: not installed), or
    refused (`allowed` false), the person being no admin (any more)."""

    before: Setup | None
    after: Setup | None
    allowed: bool = True


async def change_settings(
    uows: UnitOfWorkFactory,
    actor: Actor,
    *,
    ceo: str | None = None,
    channel: str | None = None,
    add_admin: str | None = None,
    remove_admin: str | None = None,
) -> Changed:
    """`/okr admin ceo|channel|add|remove` with OAuth installs: one setting changed."""
    async with uows() as uow:
        before = await setup_of(uow, actor.workspace_id)
        if before is not None and not before.is_admin(actor.user_id):
            return Changed(before, before, allowed=False)
        after = await change(
            uow,
            actor.workspace_id,
            ceo=ceo,
            channel=channel,
            add_admin=add_admin,
            remove_admin=remove_admin,
        )
        await uow.commit()
    return Changed(before, after)
