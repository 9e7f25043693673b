"""The quarter's close: owners score their objectives, and a report is posted at the end."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from okrbot.domain.checkin import pages
from okrbot.domain.closing import (
    objective_score,
    parse_score,
    report_due,
    scoring_due,
    suggested_score,
)
from okrbot.domain.okr import FieldError, Kind
from okrbot.domain.progress import kr_progress, objective_progress, share_inside
from okrbot.domain.quarters import Quarter
from okrbot.services import runs
from okrbot.services.common import Actor, InvalidForm, Organisation, PageStored, store_then_page
from okrbot.services.fanout import FanOut, FanOutReport
from okrbot.services.nudges import zone_of
from okrbot.services.ports import Clock, MessageRef
from okrbot.services.threads import Part, ThreadPoster
from okrbot.store.models import JobRun, KeyResult, Objective
from okrbot.store.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

SCORING_JOB = "scoring"
REPORT_JOB = "report"
PAGE_BLOCKS = 95
PER_OBJECTIVE_BLOCKS = 1


def score_field(kr_id: int) -> str:
    return f"score_{kr_id}"


@dataclass(frozen=True)
class ScoringKR:
    id: int
    position: int
    description: str
    progress: float
    score: float | None

    @property
    def suggested(self) -> float:
        return self.score if self.score is not None else suggested_score(self.progress)


@dataclass(frozen=True)
class ScoringObjective:
    id: int
    title: str
    progress: float
    score: float | None
    key_results: tuple[ScoringKR, ...]


@dataclass(frozen=True)
class ScoringPage:
    quarter: str
    objectives: tuple[ScoringObjective, ...]
    remaining: tuple[int, ...]
    total: int


class InvalidScores(InvalidForm):
    pass


def quarter_to_score(today: date) -> Quarter:
    """The current quarter: the report on its first day after closes it for good."""
    return Quarter.containing(today)


def _kr_score_base(kr: KeyResult, history: Mapping[int, Sequence[float]]) -> float:
    """Where a key result's score starts from: its progress, and for a range the share
    of its check-ins that were inside."""
    if kr.kind == Kind.RANGE:
        return share_inside(kr.start_value, kr.target_value, history.get(kr.id, ()))
    return kr_progress(kr.start_value, kr.target_value, kr.current_value, kr.kind)


async def _range_history(
    uow: UnitOfWork, objectives: Sequence[Objective]
) -> dict[int, list[float]]:
    ranges = [kr.id for o in objectives for kr in o.key_results if kr.kind == Kind.RANGE]
    return await uow.check_ins.values_of(ranges)


def _scoring_objective(
    objective: Objective, history: Mapping[int, Sequence[float]] | None = None
) -> ScoringObjective:
    krs = tuple(
        ScoringKR(
            kr.id,
            kr.position,
            kr.description,
            _kr_score_base(kr, history or {}),
            kr.score,
        )
        for kr in objective.key_results
    )
    return ScoringObjective(
        objective.id,
        objective.title,
        objective_progress([kr.progress for kr in krs]),
        objective.score,
        krs,
    )


async def _scorable(uow: UnitOfWork, actor: Actor, quarter: Quarter) -> list[ScoringObjective]:
    rows = await uow.objectives.approved_of(actor.workspace_id, actor.user_id, str(quarter))
    history = await _range_history(uow, rows)
    return [_scoring_objective(o, history) for o in rows]


async def scoring_page(uows: UnitOfWorkFactory, actor: Actor, today: date) -> ScoringPage:
    """The first page of the person's scoring form."""
    async with uows(readonly=True) as uow:
        return await _scoring_page(uow, actor, today)


async def submit_scores(
    uows: UnitOfWorkFactory,
    actor: Actor,
    objective_ids: Sequence[int],
    values: Mapping[str, str | None],
    rest: Sequence[int],
    *,
    today: date,
    now: datetime,
) -> PageStored[ScoringPage]:
    """A page of the scoring form: its scores stored, and the page of `rest` after it (if
    that has anything to score), or what is wrong with it."""

    async def store(uow: UnitOfWork) -> None:
        await record_scores(uow, actor, objective_ids, values, today=today, now=now)

    async def next_page(uow: UnitOfWork) -> ScoringPage | None:
        page = await _scoring_page(uow, actor, today, only=rest)
        return page if page.objectives else None

    return await store_then_page(uows, store, next_page if rest else None)


async def _scoring_page(
    uow: UnitOfWork, actor: Actor, today: date, *, only: Sequence[int] | None = None
) -> ScoringPage:
    quarter = quarter_to_score(today)
    objectives = await _scorable(uow, actor, quarter)
    if only is not None:
        wanted = set(only)
        objectives = [o for o in objectives if o.id in wanted]
    split = pages([len(o.key_results) for o in objectives], PAGE_BLOCKS, PER_OBJECTIVE_BLOCKS)
    first = tuple(objectives[i] for i in split[0]) if split else ()
    rest = tuple(objectives[i].id for page in split[1:] for i in page)
    return ScoringPage(str(quarter), first, rest, len(objectives))


async def record_scores(
    uow: UnitOfWork,
    actor: Actor,
    objective_ids: Sequence[int],
    values: Mapping[str, str | None],
    *,
    today: date,
    now: datetime,
) -> int:
    """Every key result's score (0.0-1.0); an objective's is their mean. All or nothing:
    InvalidScores when any is wrong. The caller commits."""
    wanted = set(objective_ids)
    objectives = [o for o in await _scorable(uow, actor, quarter_to_score(today)) if o.id in wanted]
    errors: list[FieldError] = []
    scores: dict[int, dict[int, float]] = {}
    for objective in objectives:
        mine: dict[int, float] = {}
        for kr in objective.key_results:
            score, problem = parse_score(values.get(score_field(kr.id)))
            if problem:
                errors.append(FieldError(score_field(kr.id), problem))
            elif score is not None:
                mine[kr.id] = score
        scores[objective.id] = mine
    if errors:
        raise InvalidScores(errors)
    for objective_id, by_kr in scores.items():
        await uow.scores.record(objective_id, by_kr, objective_score(list(by_kr.values())), now)
    return len(scores)


# -- the jobs


@dataclass(frozen=True)
class ScoringAsk:
    user_id: str
    quarter: str
    next_quarter: str
    objectives: int
    locale: str | None


@dataclass(frozen=True)
class ReportLine:
    title: str
    owner_id: str
    owner_name: str | None
    score: float | None
    progress: float


@dataclass(frozen=True)
class QuarterReport:
    quarter: str
    objectives: int
    scored: int
    average: float | None
    teams: tuple[tuple[str, tuple[ReportLine, ...]], ...]


class ClosingMessenger(Protocol):
    async def send_scoring_ask(self, ask: ScoringAsk, marker: str) -> MessageRef: ...

    def report_parts(self, report: QuarterReport) -> list[Part]: ...

    async def post_part(
        self, channel: str, part: Part, thread_ts: str | None, marker: str
    ) -> MessageRef: ...

    async def find_marked(
        self, recipient: str, marker: str, since: datetime, until: datetime
    ) -> MessageRef | None: ...

    async def find_reply(
        self, channel: str, thread_ts: str, marker: str, since: datetime
    ) -> MessageRef | None: ...


class Closing:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        messenger: ClosingMessenger,
        fanout: FanOut,
        org: Organisation,
        zone: ZoneInfo,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._messenger = messenger
        self._fanout = fanout
        self._org = org
        self._zone = zone
        self._clock = clock
        self._threads = ThreadPoster(
            uow, fanout, clock, messenger.post_part, messenger.find_marked, messenger.find_reply
        )

    async def tick(self, workspace_id: str) -> FanOutReport:
        report = await self.ask_for_scores(workspace_id)
        report.add(await self.post_report(workspace_id))
        return report

    async def ask_for_scores(self, workspace_id: str) -> FanOutReport:
        """Owners of the quarter's published objectives, in its last two weeks, their time."""
        now = self._clock()
        company = Quarter.containing(now.astimezone(self._zone).date())
        async with self._uow(readonly=True) as uow:
            owners = await uow.scores.unscored_owners(workspace_id, str(company))
            zones = await uow.people.zones(workspace_id)
            locales = await uow.people.locales(workspace_id)
        due = [
            (owner, count)
            for owner, count in owners
            if scoring_due(now, zone_of(zones.get(owner), self._zone)) == company
        ]
        report = FanOutReport()
        if not due:
            return report
        run = await runs.current(self._uow, self._clock, workspace_id, SCORING_JOB, str(company))
        counts = dict(due)

        async def send(recipient: str, marker: str) -> MessageRef:
            ask = ScoringAsk(
                recipient,
                str(company),
                str(company.next()),
                counts.get(recipient, 0),
                locales.get(recipient),
            )
            return await self._messenger.send_scoring_ask(ask, marker)

        report.add(await self._fanout.recover(run.id, send, self._messenger.find_marked))
        async with self._uow(readonly=True) as uow:
            reached = {d.recipient for d in await uow.deliveries.for_run(run.id)}
        todo = sorted(owner for owner, _ in due if owner not in reached)
        report.add(await self._fanout.to_each(run.id, todo, send, self._messenger.find_marked))
        return report

    async def post_report(self, workspace_id: str) -> FanOutReport:
        """The ended quarter's report, once, and its objectives closed."""
        now = self._clock()
        quarter = report_due(now, self._zone)
        if quarter is None:
            return FanOutReport()
        async with self._uow(readonly=True) as uow:
            latest = await uow.job_runs.latest(workspace_id, REPORT_JOB, str(quarter))
        if latest is None:
            report = await self.build_report(workspace_id, quarter)
            if report.objectives == 0:
                return FanOutReport()
            parts = self._messenger.report_parts(report)
            latest = await runs.claim(
                self._uow,
                self._clock,
                workspace_id,
                REPORT_JOB,
                str(quarter),
                0,
                {"parts": parts},
            ) or await self._latest(workspace_id, str(quarter))
        if latest is None or latest.finished_at is not None:
            return FanOutReport()
        posted = await self._threads.post(
            latest, self._org.channel, list(latest.payload.get("parts", []))
        )
        async with self._uow() as uow:
            closed = await uow.scores.close_quarter(workspace_id, str(quarter), now)
            await uow.commit()
        log.info("quarter %s closed in %s: %s objectives", quarter, workspace_id, closed)
        return posted

    async def _latest(self, workspace_id: str, quarter: str) -> JobRun | None:
        async with self._uow(readonly=True) as uow:
            return await uow.job_runs.latest(workspace_id, REPORT_JOB, quarter)

    async def build_report(self, workspace_id: str, quarter: Quarter) -> QuarterReport:
        async with self._uow(readonly=True) as uow:
            objectives = await uow.objectives.approved_in(workspace_id, str(quarter))
            history = await _range_history(uow, objectives)
            people = {p.user_id: p for p in await uow.people.all(workspace_id)}
        teams: dict[str, list[ReportLine]] = defaultdict(list)
        for objective in objectives:
            state = _scoring_objective(objective, history)
            person = people.get(objective.owner_id)
            teams[objective.team or ""].append(
                ReportLine(
                    objective.title,
                    objective.owner_id,
                    person.display_name if person else None,
                    objective.score,
                    state.progress,
                )
            )
        scored = [
            line.score for lines in teams.values() for line in lines if line.score is not None
        ]
        ordered = tuple(
            (team, tuple(sorted(lines, key=lambda line: (-(line.score or 0.0), line.title))))
            for team, lines in sorted(
                teams.items(), key=lambda item: (item[0] == "", item[0].lower())
            )
        )
        return QuarterReport(
            str(quarter),
            len(objectives),
            len(scored),
            round(sum(scored) / len(scored), 2) if scored else None,
            ordered,
        )
