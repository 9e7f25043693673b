"""What okrbot knows about a person, for the words it uses with them."""

from __future__ import annotations

from okrbot.store.uow import UnitOfWork, UnitOfWorkFactory


async def locale_of(uow: UnitOfWork, workspace_id: str, user_id: str) -> str | None:
    """Their Slack locale, from the daily directory sync; None until it ran."""
    person = await uow.people.get(workspace_id, user_id)
    return person.locale if person else None


async def locale(uows: UnitOfWorkFactory, workspace_id: str, user_id: str) -> str | None:
    """`locale_of`, read in a read-only unit of work of its own."""
    async with uows(readonly=True) as uow:
        return await locale_of(uow, workspace_id, user_id)
