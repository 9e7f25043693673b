"""The App Home tab: one person's objectives, the approvals waiting for them, and their
team's and the company's published OKRs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from okrbot.domain.checkin import Confidence, parse_confidence
from okrbot.domain.okr import Level, Status
from okrbot.domain.pace import DEFAULT_BEHIND_PACE_POINTS
from okrbot.domain.progress import kr_progress, objective_progress
from okrbot.domain.quarters import Quarter
from okrbot.domain.views import KeyResultView
from okrbot.domain.workflow import Outcome, Stage, stage_of
from okrbot.services import pace, revisions
from okrbot.services.common import key_result_views
from okrbot.services.notices import OutboxKind
from okrbot.services.pace import PaceFlags
from okrbot.store.home import HomeQueries
from okrbot.store.models import Approval, KeyResult, Objective, Revision
from okrbot.store.uow import UnitOfWork, UnitOfWorkFactory

# Items per section: with a few blocks each, the whole tab stays well under Slack's 100.
SECTION_MAX = 10

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """The first few of a section, and how many there are in all."""

    items: tuple[T, ...]
    total: int

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.items))


@dataclass(frozen=True)
class KRLine:
    position: int
    description: str
    unit: str
    start: float
    target: float
    current: float | None
    progress: float
    kind: str = "numeric"
    # Its own owner, when not the objective's owner.
    owner: str | None = None


@dataclass(frozen=True)
class Tracked:
    """A published objective and where it stands."""

    id: int
    owner_id: str
    level: Level
    title: str
    progress: float
    confidence: Confidence | None
    last_check_in_at: datetime | None
    key_results: tuple[KRLine, ...]
    # Behind pace or stale, beside the confidence (None: not of the current quarter).
    pace: PaceFlags | None = None


@dataclass(frozen=True)
class Theirs:
    """Someone else's published objective in which the person owns key results: those
    alone, which the person checks in (its confidence stays its owner's)."""

    id: int
    owner_id: str
    title: str
    key_results: tuple[KRLine, ...]


@dataclass(frozen=True)
class InFlight:
    """One of the person's own objectives on its way through approval, or back with them."""

    id: int
    version: int
    title: str
    quarter: str
    status: Status
    waiting_on: str | None
    reason: str | None


@dataclass(frozen=True)
class Request:
    """A decision waiting for the person; the Home shows the DM's own buttons for it."""

    objective_id: int
    version: int
    stage: Stage
    owner_id: str
    title: str
    quarter: str
    level: Level
    key_results: tuple[KeyResultView, ...]
    requested_at: datetime


@dataclass(frozen=True)
class SourceTrouble:
    """One of the person's key results whose data source failed last time, or is paused."""

    description: str
    kind: str
    error: str
    paused: bool
    failures: int


@dataclass(frozen=True)
class HomeView:
    user_id: str
    # The person's Slack locale: the Home speaks their language.
    locale: str | None
    quarter: str
    team: str | None
    mine: Page[Tracked]
    in_flight: Page[InFlight]
    requests: Page[Request]
    team_okrs: Page[Tracked]
    company: Page[Tracked]
    # Data sources of the person's key results that failed (services.sources).
    sources: tuple[SourceTrouble, ...] = ()
    # The others' objectives in which the person owns key results, with those alone.
    theirs: Page[Theirs] = Page((), 0)


def _kr_line(kr: KeyResult) -> KRLine:
    return KRLine(
        kr.position,
        kr.description,
        kr.unit,
        kr.start_value,
        kr.target_value,
        kr.current_value,
        kr_progress(kr.start_value, kr.target_value, kr.current_value, kr.kind),
        kr.kind,
        kr.owner_id,
    )


def _theirs(objective: Objective, user_id: str) -> Theirs:
    return Theirs(
        objective.id,
        objective.owner_id,
        objective.title,
        tuple(_kr_line(kr) for kr in objective.key_results if kr.owner_id == user_id),
    )


def _tracked(objective: Objective, today: date, points: float) -> Tracked:
    lines = tuple(_kr_line(kr) for kr in objective.key_results)
    progress = objective_progress([line.progress for line in lines])
    return Tracked(
        id=objective.id,
        owner_id=objective.owner_id,
        level=Level(objective.level),
        title=objective.title,
        progress=progress,
        confidence=parse_confidence(objective.confidence),
        last_check_in_at=objective.last_check_in_at,
        key_results=lines,
        pace=pace.flags(
            objective.quarter,
            progress,
            objective.last_check_in_at,
            objective.published_at,
            today,
            points=points,
        ),
    )


def _in_flight(objective: Objective, history: list[Approval]) -> InFlight:
    status = Status(objective.status)
    current = [a for a in history if a.version == objective.version]
    stage = stage_of(status)
    waiting = next(
        (
            a.approver_id
            for a in current
            if a.outcome == Outcome.PENDING.value and stage is not None and a.stage == stage.value
        ),
        None,
    )
    rejected = [a for a in current if a.outcome == Outcome.REJECTED.value]
    return InFlight(
        objective.id,
        objective.version,
        objective.title,
        objective.quarter,
        status,
        waiting,
        rejected[-1].reason if status is Status.REJECTED and rejected else None,
    )


def _request(approval: Approval, objective: Objective, proposed: Revision | None) -> Request:
    if proposed is not None:
        # A change to a published objective: the approver decides on what it proposes.
        change = revisions.draft_of(proposed.content)
        return Request(
            objective_id=objective.id,
            version=approval.version,
            stage=Stage(approval.stage),
            owner_id=objective.owner_id,
            title=change.title,
            quarter=change.quarter,
            level=change.level,
            key_results=tuple(
                KeyResultView(
                    number, kr.description, kr.start, kr.target, kr.unit, kr.kind, kr.owner
                )
                for number, kr in enumerate(change.key_results, start=1)
            ),
            requested_at=approval.created_at,
        )
    return Request(
        objective_id=objective.id,
        version=approval.version,
        stage=Stage(approval.stage),
        owner_id=objective.owner_id,
        title=objective.title,
        quarter=objective.quarter,
        level=Level(objective.level),
        key_results=key_result_views(objective),
        requested_at=approval.created_at,
    )


def _page(items: list[T], total: int | None = None) -> Page[T]:
    return Page(tuple(items[:SECTION_MAX]), len(items) if total is None else total)


async def home_of(
    uows: UnitOfWorkFactory,
    workspace_id: str,
    user_id: str,
    today: date,
    *,
    points: float = DEFAULT_BEHIND_PACE_POINTS,
) -> HomeView:
    """The person's Home tab, read in a read-only unit of work of its own."""
    async with uows(readonly=True) as uow:
        return await load_home(uow, workspace_id, user_id, today, points=points)


async def load_home(
    uow: UnitOfWork,
    workspace_id: str,
    user_id: str,
    today: date,
    *,
    points: float = DEFAULT_BEHIND_PACE_POINTS,
) -> HomeView:
    """Everything the Home shows, in a fixed number of queries whatever the company's size."""
    queries = HomeQueries(uow.session)
    quarter = str(Quarter.containing(today))
    person = await uow.people.get(workspace_id, user_id)
    team = person.team if person else None

    own = await queries.mine(workspace_id, user_id, quarter)
    published = [o for o in own if o.status == Status.APPROVED.value]
    pending = [o for o in own if o.status != Status.APPROVED.value]
    history = (
        await uow.approvals.for_objectives(workspace_id, [o.id for o in pending]) if pending else {}
    )
    waiting, waiting_total = await queries.waiting_for(workspace_id, user_id, SECTION_MAX)
    proposed = await uow.revisions.for_requests(
        [(a.objective_id, a.version) for a, o in waiting if a.version > o.version]
    )
    theirs, theirs_total = await queries.key_results_of(workspace_id, user_id, quarter, SECTION_MAX)
    if team is not None:
        team_rows, team_total = await queries.published(
            workspace_id, quarter, SECTION_MAX, team=team, not_owner=user_id
        )
    else:
        team_rows, team_total = [], 0
    company_rows, company_total = await queries.published(
        workspace_id, quarter, SECTION_MAX, level=Level.COMPANY
    )
    troubles = tuple(
        SourceTrouble(
            row.description,
            row.source.kind,
            row.source.last_error or "",
            row.source.status == "paused",
            row.source.failures,
        )
        for row in (
            (await uow.sources.failing_for(workspace_id, user_id))[:SECTION_MAX]
            if published
            else []
        )
    )
    return HomeView(
        user_id=user_id,
        locale=person.locale if person else None,
        quarter=quarter,
        team=team,
        mine=_page([_tracked(o, today, points) for o in published]),
        in_flight=_page([_in_flight(o, history.get(o.id, [])) for o in pending]),
        requests=_page(
            [_request(a, o, proposed.get((a.objective_id, a.version))) for a, o in waiting],
            waiting_total,
        ),
        team_okrs=_page([_tracked(o, today, points) for o in team_rows], team_total),
        company=_page([_tracked(o, today, points) for o in company_rows], company_total),
        sources=troubles,
        theirs=_page([_theirs(o, user_id) for o in theirs], theirs_total),
    )


class Outbox(Protocol):
    def add(
        self,
        *,
        workspace_id: str,
        kind: str,
        now: datetime,
        objective_id: int | None = None,
        approval_id: int | None = None,
        recipient: str | None = None,
        payload: dict[str, Any] | None = None,
        not_before: datetime | None = None,
    ) -> None: ...


class WithOutbox(Protocol):
    """A unit of work, or a direct one (okrbot/store/direct.py): what queues messages."""

    @property
    def outbox(self) -> Outbox: ...


def queue_home_refresh(
    uow: WithOutbox,
    workspace_id: str,
    user_ids: Iterable[str | None],
    now: datetime,
    *,
    after: timedelta | None = None,
) -> None:
    """Republish these people's Home after the commit (`after` it, when given). Cheap
    enough for everyone involved in a change (a handful of people), so nobody's Home is
    left showing stale buttons."""
    seen: set[str] = set()
    for user_id in user_ids:
        if not user_id or user_id in seen:
            continue
        seen.add(user_id)
        uow.outbox.add(
            workspace_id=workspace_id,
            kind=OutboxKind.HOME_REFRESH,
            now=now,
            recipient=user_id,
            not_before=None if after is None else now + after,
        )
