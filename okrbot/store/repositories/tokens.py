"""Tokens for the HTTP API, kept as hashes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, update

from okrbot.store.models import ApiToken
from okrbot.store.repositories.base import Repository, rowcount


class TokenRepository(Repository):
    def add(self, token: ApiToken) -> None:
        self.session.add(token)

    async def by_hash(self, token_hash: str) -> ApiToken | None:
        return await self.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))

    async def named(self, workspace_id: str, name: str) -> ApiToken | None:
        return await self.session.scalar(
            select(ApiToken).where(ApiToken.workspace_id == workspace_id, ApiToken.name == name)
        )

    async def all(self) -> Sequence[ApiToken]:
        """Every token, by workspace and name."""
        stmt = select(ApiToken).order_by(ApiToken.workspace_id, ApiToken.name)
        return (await self.session.scalars(stmt)).all()

    async def with_name(self, name: str) -> Sequence[ApiToken]:
        """The tokens called `name`, in any workspace."""
        stmt = select(ApiToken).where(ApiToken.name == name).order_by(ApiToken.workspace_id)
        return (await self.session.scalars(stmt)).all()

    async def remove(self, token_id: int) -> bool:
        result = await self.session.execute(delete(ApiToken).where(ApiToken.id == token_id))
        return rowcount(result) == 1

    async def note_use(self, token_id: int, now: datetime, before: datetime) -> None:
        """Note that the token was used `now`, unless it was already since `before`."""
        await self.session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < before),
            )
            .values(last_used_at=now)
        )
