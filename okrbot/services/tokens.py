"""Tokens for the HTTP API: made, listed and revoked with `okrbot token`, presented by
whatever calls the API. A token belongs to one workspace and is kept only as its SHA-256:
who reads the database cannot call the API with what they find there."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from okrbot.store.models import ApiToken
from okrbot.store.uow import Conflict, UnitOfWorkFactory

PREFIX = "okr_"
# 32 random bytes, URL-safe base64: 43 characters after the prefix.
RANDOM_BYTES = 32
TOKEN_CHARS = len(PREFIX) + 43
NAME_MAX = 64
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# A token's last use is written at most this often.
USE_NOTED_EVERY = timedelta(minutes=1)
# How long the API takes a token it found valid as valid without looking again: a revoked
# token stops working within this time (in each process).
TRUSTED_FOR = timedelta(seconds=5)
# Valid tokens remembered at most (all forgotten at once past it).
REMEMBERED_MAX = 10_000


class TokenError(ValueError):
    """A token command that cannot be done; the message says why, in one line."""


@dataclass(frozen=True)
class TokenInfo:
    name: str
    workspace_id: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class Caller:
    """Who presented a valid token."""

    token_id: int
    name: str
    workspace_id: str

    @property
    def source(self) -> str:
        """What check-ins made with the token say they came from."""
        return f"api:{self.name}"


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def name_problem(name: str) -> str | None:
    if len(name) > NAME_MAX or not _NAME.fullmatch(name):
        return (
            f"token name {name!r}: use up to {NAME_MAX} letters, digits, dots, dashes and "
            "underscores, starting with a letter or digit"
        )
    return None


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.name, row.workspace_id, row.created_at, row.last_used_at)


async def create(uows: UnitOfWorkFactory, workspace_id: str, name: str, now: datetime) -> str:
    """A new token for the workspace, returned this once; `TokenError` for a bad name or
    one the workspace has already."""
    problem = name_problem(name)
    if problem:
        raise TokenError(problem)
    taken = TokenError(
        f"workspace {workspace_id} has a token named {name!r} already "
        "(revoke it first, or choose another name)"
    )
    token = PREFIX + secrets.token_urlsafe(RANDOM_BYTES)
    async with uows() as uow:
        if await uow.tokens.named(workspace_id, name) is not None:
            raise taken
        uow.tokens.add(
            ApiToken(
                workspace_id=workspace_id,
                name=name,
                token_hash=fingerprint(token),
                created_at=now,
            )
        )
        try:
            await uow.commit()
        except Conflict:
            raise taken from None
    return token


async def listing(uows: UnitOfWorkFactory) -> list[TokenInfo]:
    async with uows(readonly=True) as uow:
        return [_info(row) for row in await uow.tokens.all()]


async def revoke(uows: UnitOfWorkFactory, name: str, workspace_id: str | None) -> TokenInfo:
    """Revoke the token called `name` (in `workspace_id`, needed when several workspaces
    have one of that name): it stops working within `TRUSTED_FOR`. `TokenError` when
    there is none."""
    async with uows() as uow:
        found: Sequence[ApiToken] = await uow.tokens.with_name(name)
        if workspace_id is not None:
            found = [row for row in found if row.workspace_id == workspace_id]
        if not found:
            where = f" in workspace {workspace_id}" if workspace_id else ""
            raise TokenError(f"there is no token named {name!r}{where}")
        if len(found) > 1:
            held = ", ".join(row.workspace_id for row in found)
            raise TokenError(
                f"several workspaces have a token named {name!r} ({held}): "
                "choose one with --workspace"
            )
        row = found[0]
        await uow.tokens.remove(row.id)
        await uow.commit()
    return _info(row)


def well_formed(token: str) -> bool:
    """Whether `token` could be one of ours at all: anything else is refused unhashed."""
    return len(token) == TOKEN_CHARS and token.startswith(PREFIX) and token.isascii()


async def authenticate(uows: UnitOfWorkFactory, token: str, now: datetime) -> Caller | None:
    """The caller a token stands for, None for a token that is not (or no longer) valid;
    notes when the token was used."""
    if not well_formed(token):
        return None
    return await _look_up(uows, fingerprint(token), now)


class Authenticator:
    """`authenticate`, remembering for `trusted_for` (`TRUSTED_FOR`) each token it found
    valid: a caller sending a thousand requests a second costs the database one lookup
    every few seconds, not one a request. So a revoked token stops working within
    `trusted_for` of its revocation in each process, not at once. A token not found is
    looked up each time (remembering those would let anyone fill the memory).

    Requests with the same token that arrive while it is being looked up wait for that
    lookup instead of making their own: when a busy caller's token is due again, hundreds
    of its requests would otherwise each read it, and each note its use, together."""

    def __init__(self, uows: UnitOfWorkFactory, trusted_for: timedelta | None = None) -> None:
        self._uows = uows
        self._trusted_for = TRUSTED_FOR if trusted_for is None else trusted_for
        self._known: dict[str, tuple[Caller, datetime]] = {}
        self._looking: dict[str, asyncio.Future[Caller | None]] = {}

    async def __call__(self, token: str, now: datetime) -> Caller | None:
        if not well_formed(token):
            return None
        key = fingerprint(token)
        known = self._known.get(key)
        if known is not None and now < known[1]:
            return known[0]
        looking = self._looking.get(key)
        if looking is None:
            looking = asyncio.ensure_future(self._look_up(key, now))
            self._looking[key] = looking
            looking.add_done_callback(lambda done: self._done(key, done))
        # Shielded: one caller giving up does not stop the lookup the others wait for.
        return await asyncio.shield(looking)

    def _done(self, key: str, looking: asyncio.Future[Caller | None]) -> None:
        self._looking.pop(key, None)
        if not looking.cancelled():
            # Read, so that a failure nobody waited for any more is not reported as lost.
            looking.exception()

    async def _look_up(self, key: str, now: datetime) -> Caller | None:
        caller = await _look_up(self._uows, key, now)
        if caller is None:
            self._known.pop(key, None)
            return None
        if len(self._known) >= REMEMBERED_MAX:
            self._known.clear()
        self._known[key] = (caller, now + self._trusted_for)
        return caller


async def _look_up(uows: UnitOfWorkFactory, key: str, now: datetime) -> Caller | None:
    async with uows(readonly=True) as uow:
        row = await uow.tokens.by_hash(key)
        if row is None:
            return None
        caller = Caller(row.id, row.name, row.workspace_id)
        stale = row.last_used_at is None or row.last_used_at < now - USE_NOTED_EVERY
    if stale:
        async with uows() as uow:
            await uow.tokens.note_use(caller.token_id, now, now - USE_NOTED_EVERY)
            await uow.commit()
    return caller


async def installed_workspaces(uows: UnitOfWorkFactory) -> list[str]:
    """The workspaces okrbot is installed in through OAuth (and not removed since)."""
    async with uows(readonly=True) as uow:
        return [row.team_id for row in await uow.workspaces.installed()]
