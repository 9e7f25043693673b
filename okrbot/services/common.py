"""Small pieces shared by the use cases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from okrbot.domain.okr import FieldError, Level, Status, kind_of
from okrbot.domain.permissions import may_administer
from okrbot.domain.views import KeyResultView, ObjectiveView
from okrbot.store.models import Objective
from okrbot.store.uow import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class Actor:
    """Who is asking, in which workspace."""

    workspace_id: str
    user_id: str


@dataclass(frozen=True)
class Organisation:
    """Per-workspace settings the process depends on."""

    ceo: str
    channel: str
    # Besides the CEO, who may change okrbot's settings and run its jobs from Slack.
    admins: frozenset[str] = frozenset()

    def is_admin(self, user_id: str) -> bool:
        return may_administer(user_id, self.ceo, self.admins)


P = TypeVar("P")


class NotFound(LookupError):
    pass


class NotSetUp(LookupError):
    """okrbot is not installed in the workspace, or its CEO and channel are not chosen yet."""


# A workspace's organisation as the tenancy knows it (single-workspace settings, or the
# workspace's row), None when it has none.
OrganisationOf = Callable[[UnitOfWork, str], Awaitable[Organisation | None]]


async def organisation_in(
    uow: UnitOfWork, organisation: OrganisationOf, workspace_id: str
) -> Organisation:
    """The workspace's organisation; NotSetUp when it has none."""
    org = await organisation(uow, workspace_id)
    if org is None:
        raise NotSetUp(workspace_id)
    return org


class InvalidForm(Exception):
    """A form refused as a whole; `errors` are catalogue keys by field, which the listener
    words in the person's language."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.key}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class PageStored(Generic[P]):
    """One page of a paged form: stored, with the next page to show (None after the last),
    or refused with each problem under its field (and nothing stored)."""

    next_page: P | None = None
    errors: tuple[FieldError, ...] = ()


async def store_then_page(
    uows: UnitOfWorkFactory,
    store: Callable[[UnitOfWork], Awaitable[object]],
    next_page: Callable[[UnitOfWork], Awaitable[P | None]] | None,
) -> PageStored[P]:
    """Store a page, then load the page after it (if any) in the same transaction."""
    async with uows() as uow:
        try:
            await store(uow)
        except InvalidForm as exc:
            return PageStored(errors=tuple(exc.errors))
        page = await next_page(uow) if next_page is not None else None
        await uow.commit()
    return PageStored(page)


def key_result_views(objective: Objective) -> tuple[KeyResultView, ...]:
    """Numbered 1, 2, 3...: stored positions keep gaps where a key result retired."""
    return tuple(
        KeyResultView(
            number,
            kr.description,
            kr.start_value,
            kr.target_value,
            kr.unit,
            kind_of(kr.kind),
            kr.owner_id,
        )
        for number, kr in enumerate(objective.key_results, start=1)
    )


def to_view(objective: Objective) -> ObjectiveView:
    """Needs key_results and aligned_to loaded (the repository's detailed queries do that)."""
    aligned = objective.aligned_to
    return ObjectiveView(
        id=objective.id,
        version=objective.version,
        owner_id=objective.owner_id,
        level=Level(objective.level),
        team=objective.team,
        quarter=objective.quarter,
        title=objective.title,
        description=objective.description,
        status=Status(objective.status),
        key_results=key_result_views(objective),
        aligned_to_id=objective.aligned_to_id,
        aligned_to_title=aligned.title if aligned else None,
        aligned_to_owner=aligned.owner_id if aligned else None,
    )
