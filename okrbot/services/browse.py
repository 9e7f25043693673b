"""Browsing: everyone's published OKRs, one objective in full, and how they align.

Everyone can see every published objective; a person also sees all of their own, in any
state. Each use case runs a fixed handful of queries whatever the size of the company, so
that the answer makes Slack's 3 seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import TypeAlias

from okrbot.domain.checkin import Confidence
from okrbot.domain.okr import Level, Status, may_see
from okrbot.domain.pace import DEFAULT_BEHIND_PACE_POINTS
from okrbot.domain.quarters import Quarter
from okrbot.domain.workflow import Outcome, Stage, stage_of
from okrbot.services import pace
from okrbot.services.checkins import KRState, to_state
from okrbot.services.common import Actor
from okrbot.services.pace import PaceFlags
from okrbot.store.models import Approval, Objective
from okrbot.store.uow import UnitOfWork, UnitOfWorkFactory

# Published for everyone to see; "closed" ones were published before their quarter ended.
CANDIDATES_MAX = 10
_RANK = {Level.COMPANY: 0, Level.TEAM: 1, Level.PERSONAL: 2}


# -- what is asked


@dataclass(frozen=True)
class Mine:
    pass


@dataclass(frozen=True)
class OfPerson:
    """A mention carries the user id; a plain "@name" (unescaped command text) only a name."""

    user_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class OfTeam:
    name: str


@dataclass(frozen=True)
class OfCompany:
    pass


ListQuery: TypeAlias = Mine | OfPerson | OfTeam | OfCompany


@dataclass(frozen=True)
class ById:
    objective_id: int


@dataclass(frozen=True)
class ByWords:
    words: str


ShowQuery: TypeAlias = ById | ByWords


# -- what is answered


@dataclass(frozen=True)
class Owner:
    id: str
    # From Slack's directory; None until it has been read.
    name: str | None


@dataclass(frozen=True)
class Summary:
    id: int
    title: str
    owner: Owner
    level: Level
    team: str | None
    quarter: str
    status: Status
    progress: float
    confidence: Confidence | None
    last_check_in_at: datetime | None
    aligned_to_id: int | None
    # Only for the owner's own objectives on their way to approval.
    waiting_on: str | None = None
    rejection: str | None = None


class Scope(StrEnum):
    MINE = "mine"
    PERSON = "person"
    TEAM = "team"
    COMPANY = "company"


@dataclass(frozen=True)
class Listing:
    scope: Scope
    quarter: str
    items: tuple[Summary, ...]
    person: Owner | None = None
    team: str | None = None


class Unknown(StrEnum):
    PERSON = "person"
    TEAM = "team"


@dataclass(frozen=True)
class NotFound:
    """Nobody or no team by that name; the teams that exist, to pick from."""

    kind: Unknown
    asked: str
    teams: tuple[str, ...]
    # A mention's user id, so the reply can show whom the person meant.
    user_id: str | None = None


@dataclass(frozen=True)
class Ref:
    id: int
    title: str
    owner: Owner
    level: Level
    progress: float | None = None


@dataclass(frozen=True)
class Approved:
    stage: Stage
    by: Owner
    at: datetime | None


@dataclass(frozen=True)
class Detail:
    summary: Summary
    description: str
    key_results: tuple[KRState, ...]
    # None when it supports nothing (or nothing the viewer may see).
    supports: Ref | None
    supported_by: tuple[Ref, ...]
    approvals: tuple[Approved, ...]
    published_at: datetime | None
    # Behind pace or stale (a published objective of the current quarter), else None.
    pace: PaceFlags | None = None


@dataclass(frozen=True)
class Candidates:
    query: str
    items: tuple[Ref, ...]
    total: int


@dataclass(frozen=True)
class NoMatch:
    query: ShowQuery


@dataclass(frozen=True)
class TreeRow:
    objective: Summary
    depth: int
    # The top of a branch that supports nothing: flagged in the tree.
    unaligned: bool = False


@dataclass(frozen=True)
class Tree:
    """Depth-first rows: company objectives with what aligns to them, then the branches
    that align to nothing."""

    quarter: str
    aligned: tuple[TreeRow, ...]
    unaligned: tuple[TreeRow, ...]

    @property
    def total(self) -> int:
        return len(self.aligned) + len(self.unaligned)

    @property
    def unaligned_count(self) -> int:
        return sum(1 for row in self.unaligned if row.unaligned)


# -- use cases (each reads in a read-only unit of work of its own)


async def list_objectives(
    uows: UnitOfWorkFactory, actor: Actor, query: ListQuery, today: date
) -> Listing | NotFound:
    """`/okr list`: the person's objectives, or the published ones of a person or team."""
    async with uows(readonly=True) as uow:
        return await _list_objectives(uow, actor, query, today)


async def show(
    uows: UnitOfWorkFactory,
    actor: Actor,
    query: ShowQuery,
    today: date,
    *,
    points: float = DEFAULT_BEHIND_PACE_POINTS,
) -> Detail | Candidates | NoMatch:
    """`/okr show`: one objective in full, or the ones the words could mean; a published
    objective with its pace (`points` behind the even pace is behind)."""
    async with uows(readonly=True) as uow:
        found = await _show(uow, actor, query, today)
    if isinstance(found, Detail) and found.summary.status is Status.APPROVED:
        item = found.summary
        flags = pace.flags(
            item.quarter,
            item.progress,
            item.last_check_in_at,
            found.published_at,
            today,
            points=points,
        )
        found = replace(found, pace=flags)
    return found


async def tree(uows: UnitOfWorkFactory, actor: Actor, today: date) -> Tree:
    """`/okr tree`: the quarter's published objectives by what they support."""
    async with uows(readonly=True) as uow:
        return await _tree(uow, actor, today)


async def _list_objectives(
    uow: UnitOfWork, actor: Actor, query: ListQuery, today: date
) -> Listing | NotFound:
    ws = actor.workspace_id
    quarter = str(Quarter.containing(today))
    names = await uow.people.display_names(ws)
    if isinstance(query, OfPerson):
        user_id = query.user_id or person_named(names, query.name or "")
        if user_id is None:
            teams = await uow.objectives.teams(ws, quarter)
            return NotFound(Unknown.PERSON, query.name or "", tuple(teams))
        if user_id == actor.user_id:
            query = Mine()
        else:
            rows = await uow.objectives.approved_of(ws, user_id, quarter)
            if not rows and await uow.people.get(ws, user_id) is None:
                teams = await uow.objectives.teams(ws, quarter)
                return NotFound(Unknown.PERSON, query.name or "", tuple(teams), user_id)
            items = _ordered(summary(o, names) for o in rows)
            return Listing(Scope.PERSON, quarter, items, person=Owner(user_id, names.get(user_id)))
    if isinstance(query, Mine):
        return await _mine(uow, actor, quarter, names)
    if isinstance(query, OfTeam):
        teams = await uow.objectives.teams(ws, quarter)
        chosen = teams_named(teams, query.name)
        if not chosen:
            return NotFound(Unknown.TEAM, query.name, tuple(teams))
        rows = await uow.objectives.approved_where(ws, quarter, teams=chosen)
        items = _ordered(summary(o, names) for o in rows)
        return Listing(Scope.TEAM, quarter, items, team=chosen[0])
    rows = await uow.objectives.approved_where(ws, quarter, level=Level.COMPANY.value)
    return Listing(Scope.COMPANY, quarter, _ordered(summary(o, names) for o in rows))


async def _mine(uow: UnitOfWork, actor: Actor, quarter: str, names: Mapping[str, str]) -> Listing:
    rows = await uow.objectives.owned_by(actor.workspace_id, actor.user_id)
    history = await uow.approvals.for_objectives(actor.workspace_id, [o.id for o in rows])
    items = []
    for objective in rows:
        approvals = history.get(objective.id, [])
        status = Status(objective.status)
        rejection = None
        if status is Status.REJECTED:
            decided = [a for a in approvals if a.decided_at is not None]
            rejection = decided[-1].reason if decided else None
        items.append(
            summary(
                objective,
                names,
                waiting_on=_waiting_on(objective, approvals),
                rejection=rejection,
            )
        )
    return Listing(Scope.MINE, quarter, tuple(items), person=Owner(actor.user_id, None))


async def _show(
    uow: UnitOfWork, actor: Actor, query: ShowQuery, today: date
) -> Detail | Candidates | NoMatch:
    ws = actor.workspace_id
    if isinstance(query, ById):
        objective_id = query.objective_id
    else:
        quarter = str(Quarter.containing(today))
        rows = await uow.objectives.findable(ws, quarter, actor.user_id)
        found = match_titles(rows, query.words)
        if not found:
            return NoMatch(query)
        if len(found) > 1:
            names = await uow.people.display_names(ws)
            refs = tuple(
                Ref(i, title, Owner(owner, names.get(owner)), Level(level))
                for i, title, owner, level in found[:CANDIDATES_MAX]
            )
            return Candidates(query.words, refs, len(found))
        objective_id = found[0][0]
    objective = await uow.objectives.get(ws, objective_id)
    if objective is None or not visible(objective, actor.user_id):
        return NoMatch(query)
    return await _detail(uow, actor, objective)


async def _detail(uow: UnitOfWork, actor: Actor, objective: Objective) -> Detail:
    ws = actor.workspace_id
    names = await uow.people.display_names(ws)
    approvals = await uow.approvals.for_objective(ws, objective.id)
    supporters = [
        o for o in await uow.objectives.supporting(ws, objective.id) if visible(o, actor.user_id)
    ]
    parent = objective.aligned_to
    supports = (
        Ref(parent.id, parent.title, _owner(parent.owner_id, names), Level(parent.level))
        if parent is not None and visible(parent, actor.user_id)
        else None
    )
    supported_by = tuple(
        Ref(s.id, s.title, s.owner, s.level, s.progress)
        for s in _ordered(summary(o, names) for o in supporters)
    )
    approved = tuple(
        Approved(Stage(a.stage), _owner(a.decided_by or a.approver_id, names), a.decided_at)
        for a in approvals
        if a.version == objective.version and a.outcome == Outcome.APPROVED.value
    )
    return Detail(
        summary=summary(objective, names, waiting_on=_waiting_on(objective, approvals)),
        description=objective.description,
        key_results=to_state(objective).key_results,
        supports=supports,
        supported_by=supported_by,
        approvals=approved,
        published_at=objective.published_at,
    )


async def _tree(uow: UnitOfWork, actor: Actor, today: date) -> Tree:
    quarter = str(Quarter.containing(today))
    rows = await uow.objectives.approved_in(actor.workspace_id, quarter)
    names = await uow.people.display_names(actor.workspace_id)
    return alignment_tree(quarter, [summary(o, names) for o in rows])


def visible(objective: Objective, viewer: str) -> bool:
    return may_see(Status(objective.status), objective.owner_id, viewer)


def summary(
    objective: Objective,
    names: Mapping[str, str],
    *,
    waiting_on: str | None = None,
    rejection: str | None = None,
) -> Summary:
    """Needs the key results loaded."""
    state = to_state(objective)
    return Summary(
        id=objective.id,
        title=objective.title,
        owner=_owner(objective.owner_id, names),
        level=Level(objective.level),
        team=objective.team,
        quarter=objective.quarter,
        status=Status(objective.status),
        progress=state.progress,
        confidence=state.confidence,
        last_check_in_at=objective.last_check_in_at,
        aligned_to_id=objective.aligned_to_id,
        waiting_on=waiting_on,
        rejection=rejection,
    )


def _owner(user_id: str, names: Mapping[str, str]) -> Owner:
    return Owner(user_id, names.get(user_id))


def _waiting_on(objective: Objective, approvals: Sequence[Approval]) -> str | None:
    stage = stage_of(Status(objective.status))
    return next(
        (
            a.approver_id
            for a in approvals
            if a.version == objective.version
            and a.stage == (stage.value if stage else None)
            and a.outcome == Outcome.PENDING.value
        ),
        None,
    )


def _ordered(items: Iterable[Summary]) -> tuple[Summary, ...]:
    return tuple(sorted(items, key=lambda s: (_RANK[s.level], (s.team or "").casefold(), s.id)))


def person_named(names: Mapping[str, str], typed: str) -> str | None:
    """The one person whose name is what was typed after "@" (Slack left it unescaped)."""
    wanted = typed.strip().lstrip("@").strip().casefold()
    if not wanted:
        return None
    found = [user_id for user_id, name in names.items() if name.casefold() == wanted]
    return found[0] if len(found) == 1 else None


def teams_named(teams: Sequence[str], typed: str) -> list[str]:
    """Teams whose name is what was typed, ignoring case; failing that, the one team whose
    name contains it ("eng" for "Engineering"), but never a guess among several."""
    wanted = " ".join(typed.split()).casefold()
    if not wanted:
        return []
    exact = [team for team in teams if " ".join(team.split()).casefold() == wanted]
    if exact:
        return exact
    partial = {team.casefold() for team in teams if wanted in team.casefold()}
    if len(partial) == 1:
        return [team for team in teams if team.casefold() in partial]
    return []


def match_titles(
    rows: Sequence[tuple[int, str, str, str]], query: str
) -> list[tuple[int, str, str, str]]:
    """Rows whose title is the query, ignoring case; else those holding every word of it."""
    wanted = " ".join(query.split()).casefold()
    if not wanted:
        return []
    exact = [row for row in rows if " ".join(row[1].split()).casefold() == wanted]
    if exact:
        return exact
    words = wanted.split()
    found = [row for row in rows if all(word in row[1].casefold() for word in words)]
    found.sort(key=lambda row: (_RANK.get(Level(row[3]), 3), row[0]))
    return found


def alignment_tree(quarter: str, objectives: Sequence[Summary]) -> Tree:
    """Company objectives are the roots; every other objective hangs under the one it
    supports. Those that support nothing in this quarter's published set head branches
    of their own, flagged. Iterative, so a long chain of alignments cannot overflow."""
    by_id = {o.id: o for o in objectives}
    children: dict[int, list[Summary]] = {}
    for o in objectives:
        parent = o.aligned_to_id
        if o.level is not Level.COMPANY and parent in by_id and parent != o.id:
            children.setdefault(parent, []).append(o)
    for siblings in children.values():
        siblings.sort(key=lambda s: (_RANK[s.level], s.id))

    seen: set[int] = set()

    def walk(root: Summary, flagged: bool) -> list[TreeRow]:
        rows: list[TreeRow] = []
        stack = [(root, 0)]
        while stack:
            node, depth = stack.pop()
            if node.id in seen:
                continue
            seen.add(node.id)
            rows.append(TreeRow(node, depth, unaligned=flagged and depth == 0))
            stack.extend((child, depth + 1) for child in reversed(children.get(node.id, [])))
        return rows

    ordered = sorted(objectives, key=lambda s: (_RANK[s.level], s.id))
    aligned: list[TreeRow] = []
    for o in ordered:
        if o.level is Level.COMPANY:
            aligned += walk(o, flagged=False)
    unaligned: list[TreeRow] = []
    for o in ordered:
        if o.id not in seen and (o.aligned_to_id not in by_id or o.aligned_to_id == o.id):
            unaligned += walk(o, flagged=True)
    # Whatever is still unseen sits on a loop of alignments: it reaches no company
    # objective either, so it is not aligned.
    for o in ordered:
        if o.id not in seen:
            unaligned += walk(o, flagged=True)
    return Tree(quarter, tuple(aligned), tuple(unaligned))
