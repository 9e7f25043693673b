"""A synthetic company written straight into okrbot's database, for the benchmarks.

The rows have the shape the real services leave behind (services/objectives.py,
approvals.py, checkins.py, weekly.py, closing.py): an org chart with teams, three
published objectives per person (company level for the CEO, one team objective per
manager, the rest personal, each aligned one level up) with four key results, the approval
rows of each version (a few objectives were rejected once and resubmitted), one check-in
per objective each week someone checks in, with a value for every key result, and the
objective's and key results' latest state kept on their rows as `note_check_in` does.

With `bookkeeping` (the default) it also writes what running the app leaves along the
way: weekly job runs and their deliveries (check-in prompts, reminders, Monday digests
whose payload is the real digest of that week), and the sent outbox messages of every
approval and check-in. They matter for the database's size, not for the digest's reads.

Everything goes in with executemany-style bulk inserts of the models' tables
(`session.execute(insert(table), rows)`, in chunks: no per-row ORM work), with
ids assigned here so that no row needs to be read back.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# `python bench/x.py` finds okrbot without an install.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from okrbot.domain.checkin import Confidence
from okrbot.domain.closing import objective_score, suggested_score
from okrbot.domain.digest import DigestKR, DigestObjective, build_digest
from okrbot.domain.okr import Level
from okrbot.domain.progress import kr_progress, objective_progress
from okrbot.domain.quarters import Quarter
from okrbot.domain.schedule import iso_week
from okrbot.i18n import translator
from okrbot.slack.blocks.digest import digest_messages
from okrbot.store.models import (
    Approval,
    Base,
    CheckIn,
    CheckInValue,
    Delivery,
    JobRun,
    KeyResult,
    Objective,
    OutboxMessage,
    Person,
)

WORKSPACE = "T0BENCH01"
CHANNEL = "C0BENCH01"
TIMEZONE = "Europe/Oslo"
ZONE = ZoneInfo(TIMEZONE)
OBJECTIVES_PER_PERSON = 3
KRS_PER_OBJECTIVE = 4
WEEKS = 13
# Reports per manager, and people per team (the org chart is cut into teams in
# depth-first order, so a team is mostly one manager's subtree).
SPAN = 8
TEAM_SIZE = 25
CHUNK = 20_000
REJECTED_ONCE = 0.06


def _split(text: str, sep: str = " ") -> tuple[str, ...]:
    return tuple(text.split(sep))


_FIRST = _split(
    "Aisha Anders Åse Bjørn Camille Dag Eva Fatima Geir Hanne Ingrid Jonas Kari Lars Maja "
    "Nils Oda Per Ragnhild Sofie Tariq Ulrik Vilde Wenche Yusuf Zainab Øystein Mei Carlos"
)
_LAST = _split(
    "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen "
    "Ødegård Sæther Berg Haugen Hagen Bakke Solberg Nguyen Khan García O'Brien Lie Moen"
)
_TEAMS = _split(
    "Payments, Growth, Platform, Mobile, Data & Insights, Design, Security, Support, "
    "Kundeservice, Infrastructure, Search, Onboarding, Billing, Partnerships, Marketing, "
    "Sales Nordics, Sales Europe, People, Finance, Legal, Identity, Messaging, Reliability, "
    "Developer Experience",
    ", ",
)
_VERBS = (
    "Make",
    "Turn",
    "Build",
    "Win back",
    "Delight",
    "Double down on",
    "Make <everyone> love",
    "Become the go-to place for",
)
_THINGS = (
    "onboarding for new customers",
    "our checkout into the fastest in the Nordics",
    "a reliable platform teams can build on without waiting",
    "self-service answers & fewer support tickets",
    "the mobile app everyone opens every morning",
    "data people trust when they decide",
    "hiring that keeps up with our growth",
    "billing nobody has to think about",
)
_COMMENTS = (
    "Good week: the migration is done and the numbers moved.",
    "Blocked on the vendor contract; escalated to legal.",
    "Two people out sick, so a slow week. Back on track next week.",
    "Shipped the beta to 10 % of users & watching the metrics.",
    "Scope cut agreed with <the team>: we drop the admin view.",
)


@dataclass(frozen=True)
class Member:
    user_id: str
    manager_id: str | None
    team: str
    role: str
    name: str
    tz: str | None
    locale: str
    manages: bool


@dataclass(frozen=True)
class Company:
    workspace_id: str
    channel: str
    members: tuple[Member, ...]

    @property
    def ceo(self) -> str:
        return self.members[0].user_id

    def __len__(self) -> int:
        return len(self.members)

    def manager_of_a_team(self) -> str:
        """Someone with reports in a team of ordinary size: a typical App Home to open."""
        managers = [m for m in self.members[1:] if m.manages and m.team != "Leadership"]
        return (managers or list(self.members))[len(managers) // 2].user_id

    def individual(self) -> str:
        ics = [m for m in self.members if not m.manages]
        return (ics or list(self.members))[len(ics) // 2].user_id


def user_id(number: int) -> str:
    return f"U{number:08d}"


def company(people: int, seed: int = 7) -> Company:
    """The org chart: the CEO, then everyone under a manager with up to SPAN reports."""
    rng = random.Random(seed)
    parent = [-1] + [(i - 1) // SPAN for i in range(1, people)]
    children: list[list[int]] = [[] for _ in range(people)]
    for i in range(1, people):
        children[parent[i]].append(i)
    depth = [0] * people
    for i in range(1, people):
        depth[i] = depth[parent[i]] + 1
    # Depth first, so that a run of TEAM_SIZE people is mostly one subtree.
    order: list[int] = []
    stack = [0]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(reversed(children[node]))
    team_of = ["Leadership"] * people
    rest = [i for i in order if depth[i] > 1]
    for index, person in enumerate(rest):
        number = index // TEAM_SIZE
        base = _TEAMS[number % len(_TEAMS)]
        team_of[person] = base if number < len(_TEAMS) else f"{base} {number // len(_TEAMS) + 1}"
    members = []
    for i in range(people):
        manages = bool(children[i])
        role = (
            "CEO"
            if i == 0
            else f"Head of {team_of[children[i][0]]}"
            if depth[i] == 1 and manages
            else "Engineering Manager"
            if manages
            else rng.choice(("Engineer", "Designer", "Analyst", "Product Manager"))
        )
        zone = rng.random()
        members.append(
            Member(
                user_id=user_id(i + 1),
                manager_id=user_id(parent[i] + 1) if i else None,
                team=team_of[i],
                role=role,
                name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                tz=(
                    TIMEZONE
                    if zone < 0.8
                    else "America/New_York"
                    if zone < 0.9
                    else "Asia/Kolkata"
                    if zone < 0.95
                    else None
                ),
                locale="nb-NO" if rng.random() < 0.3 else "en-US",
                manages=manages,
            )
        )
    return Company(WORKSPACE, CHANNEL, tuple(members))


@dataclass(frozen=True)
class Calendar:
    """A quarter as the benchmarks see it: 13 Friday check-ins, then the last Monday's
    digest (at 10:00 in the company's zone), which is `now`."""

    quarter: Quarter
    fridays: tuple[date, ...]
    now: datetime

    @classmethod
    def of(cls, quarter: Quarter) -> Calendar:
        days = [
            quarter.first_day + timedelta(days=n)
            for n in range((quarter.last_day - quarter.first_day).days + 1)
        ]
        monday = max(d for d in days if d.weekday() == 0)
        fridays = [d for d in days if d.weekday() == 4 and d < monday][-WEEKS:]
        now = datetime.combine(monday, time(10, 0), ZONE).astimezone(UTC)
        return cls(quarter, tuple(fridays), now)

    def monday_after(self, week: int) -> datetime:
        friday = self.fridays[week - 1]
        return datetime.combine(friday + timedelta(days=3), time(10, 0), ZONE).astimezone(UTC)


@dataclass
class _KR:
    id: int
    start: float
    target: float
    milestone: bool
    # The value checked in at each week (None: no check-in that week).
    values: list[float | None] = field(default_factory=list)


@dataclass
class _Objective:
    id: int
    owner: Member
    level: Level
    published_at: datetime
    krs: list[_KR]
    pace: float
    title: str
    confidence: list[Confidence | None] = field(default_factory=list)
    checked_at: list[datetime | None] = field(default_factory=list)


@dataclass
class QuarterStats:
    quarter: str
    objectives: int = 0
    key_results: int = 0
    approvals: int = 0
    check_ins: int = 0
    check_in_values: int = 0
    bookkeeping_rows: int = 0


_ID_TABLES: tuple[type[Base], ...] = (
    Person,
    Objective,
    KeyResult,
    Approval,
    CheckIn,
    CheckInValue,
    JobRun,
    Delivery,
    OutboxMessage,
)


class Generator:
    """Writes a company and its quarters into a migrated database."""

    def __init__(
        self, engine: AsyncEngine, org: Company, *, seed: int = 7, bookkeeping: bool = True
    ) -> None:
        self.engine = engine
        self.org = org
        self.rng = random.Random(seed)
        self.bookkeeping = bookkeeping
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._next: dict[str, int] = {}
        self._series: list[float] = []

    # -- ids

    async def _load_ids(self, session: AsyncSession) -> None:
        for model in _ID_TABLES:
            table = Base.metadata.tables[model.__tablename__]
            highest = await session.scalar(select(func.max(table.c.id)))
            self._next[model.__tablename__] = int(highest or 0) + 1

    def _ids(self, model: type[Base], count: int) -> range:
        name = model.__tablename__
        first = self._next[name]
        self._next[name] = first + count
        return range(first, first + count)

    def _id(self, model: type[Base]) -> int:
        return self._ids(model, 1)[0]

    async def _finish_ids(self, session: AsyncSession) -> None:
        """PostgreSQL's sequences know nothing of ids given explicitly: move them on, so
        that rows the app inserts later get fresh ones."""
        if self.engine.dialect.name != "postgresql":
            return
        for model in _ID_TABLES:
            name = model.__tablename__
            await session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
                )
            )

    async def _insert(
        self, session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]]
    ) -> None:
        for start in range(0, len(rows), CHUNK):
            table = Base.metadata.tables[model.__tablename__]
            await session.execute(insert(table), rows[start : start + CHUNK])

    # -- people

    async def add_people(self, at: datetime) -> int:
        rows: list[dict[str, Any]] = [
            {
                "workspace_id": self.org.workspace_id,
                "user_id": m.user_id,
                "manager_id": m.manager_id,
                "team": m.team,
                "role": m.role,
                "email": f"{m.user_id.lower()}@example.com",
                "source": "org_chart",
                "tz": m.tz,
                "display_name": m.name,
                "locale": m.locale,
                "directory_synced_at": at,
                "last_nudged_at": None,
                "created_at": at,
                "updated_at": at,
            }
            for m in self.org.members
        ]
        async with self._sessions() as session:
            await self._load_ids(session)
            rows = [
                {**row, "id": i} for row, i in zip(rows, self._ids(Person, len(rows)), strict=True)
            ]
            await self._insert(session, Person, rows)
            await self._finish_ids(session)
            await session.commit()
        return len(rows)

    # -- a quarter

    async def add_quarter(self, calendar: Calendar, *, digests: int = WEEKS - 1) -> QuarterStats:
        """The quarter's objectives, approvals and 13 weeks of check-ins; with bookkeeping,
        the job runs of its weeks and the Monday digests of the first `digests` weeks (the
        last Monday's is what the benchmark itself builds)."""
        async with self._sessions() as session:
            await self._load_ids(session)
            stats = QuarterStats(str(calendar.quarter))
            self._series = []
            objectives, approvals, objective_rows, kr_rows = self._plan(calendar)
            self._simulate(calendar, objectives)
            self._final_state(objectives, objective_rows, kr_rows)
            await self._insert(session, Objective, objective_rows)
            await self._insert(session, KeyResult, kr_rows)
            await self._insert(session, Approval, approvals)
            stats.objectives, stats.key_results = len(objective_rows), len(kr_rows)
            stats.approvals = len(approvals)
            outbox = self._approval_outbox(approvals, objective_rows) if self.bookkeeping else []
            for week in range(1, WEEKS + 1):
                check_ins, values, submitted = self._week_rows(calendar, objectives, week)
                await self._insert(session, CheckIn, check_ins)
                await self._insert(session, CheckInValue, values)
                stats.check_ins += len(check_ins)
                stats.check_in_values += len(values)
                if self.bookkeeping:
                    stats.bookkeeping_rows += await self._week_bookkeeping(
                        session, calendar, objectives, week, submitted, outbox, digests
                    )
            if outbox:
                for row, i in zip(outbox, self._ids(OutboxMessage, len(outbox)), strict=True):
                    row["id"] = i
                await self._insert(session, OutboxMessage, outbox)
                stats.bookkeeping_rows += len(outbox)
            await self._finish_ids(session)
            await session.commit()
        return stats

    def _plan(
        self, calendar: Calendar
    ) -> tuple[list[_Objective], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        rng, org = self.rng, self.org
        quarter = str(calendar.quarter)
        first_day = datetime.combine(calendar.quarter.first_day, time(9, 0), UTC)
        objectives: list[_Objective] = []
        objective_rows: list[dict[str, Any]] = []
        kr_rows: list[dict[str, Any]] = []
        approvals: list[dict[str, Any]] = []
        company_ids: list[int] = []
        team_objective: dict[str, int] = {}
        # The CEO first, then managers before their reports: what an objective aligns
        # to is already published.
        for member in org.members:
            for slot in range(OBJECTIVES_PER_PERSON):
                objective_id = self._id(Objective)
                if member.user_id == org.ceo:
                    level, aligned = Level.COMPANY, None
                    company_ids.append(objective_id)
                elif member.manages and slot == 0:
                    level = Level.TEAM
                    aligned = team_objective.get(member.manager_id or "") or rng.choice(company_ids)
                    team_objective[member.user_id] = objective_id
                else:
                    level = Level.PERSONAL
                    aligned = team_objective.get(member.manager_id or "") or rng.choice(company_ids)
                written = first_day - timedelta(days=20) + timedelta(minutes=rng.randint(0, 14_400))
                chain = self._chain(member)
                rejected = bool(chain) and rng.random() < REJECTED_ONCE
                version = 2 if rejected else 1
                moment = written
                if rejected:
                    moment += timedelta(minutes=rng.randint(60, 2_000))
                    approvals.append(
                        self._approval(
                            objective_id, 1, "manager", chain[0], written, moment, "rejected"
                        )
                    )
                    moment += timedelta(minutes=rng.randint(30, 1_500))
                for stage, approver in zip(("manager", "ceo"), chain, strict=False):
                    asked = moment
                    moment += timedelta(minutes=rng.randint(60, 2_000))
                    approvals.append(
                        self._approval(
                            objective_id, version, stage, approver, asked, moment, "approved"
                        )
                    )
                title = f"{rng.choice(_VERBS)} {rng.choice(_THINGS)}"
                if rng.random() < 0.3:
                    title += f" ({member.team}, {quarter})"
                objective_rows.append(
                    {
                        "id": objective_id,
                        "workspace_id": org.workspace_id,
                        "owner_id": member.user_id,
                        "level": level.value,
                        "team": member.team,
                        "quarter": quarter,
                        "title": title[:150],
                        "description": (
                            "Why it matters: customers told us in the last survey that this "
                            "is where we lose them. What good looks like: they do not notice."
                        ),
                        "aligned_to_id": aligned,
                        "status": "approved",
                        "version": version,
                        "submission_key": f"V{objective_id:010d}",
                        "created_at": written,
                        "updated_at": moment,
                        "published_at": moment,
                        "score": None,
                        "scored_at": None,
                        "withdrawn_at": None,
                    }
                )
                krs = []
                for position in range(1, KRS_PER_OBJECTIVE + 1):
                    kr_id = self._id(KeyResult)
                    kind = rng.randrange(5)
                    description, start, target, unit = _kr_shape(kind, rng)
                    krs.append(_KR(kr_id, start, target, kind == 2))
                    kr_rows.append(
                        {
                            "id": kr_id,
                            "objective_id": objective_id,
                            "position": position,
                            "description": description,
                            "start_value": start,
                            "target_value": target,
                            "unit": unit,
                            "score": None,
                            "retired_at": None,
                        }
                    )
                objectives.append(
                    _Objective(
                        objective_id,
                        member,
                        level,
                        moment,
                        krs,
                        pace=rng.uniform(0.35, 1.2),
                        title=title,
                    )
                )
        for row in approvals:
            row["id"] = self._id(Approval)
        return objectives, approvals, objective_rows, kr_rows

    def _chain(self, member: Member) -> list[str]:
        """Approvers of the member's objectives, as domain.workflow.approval_chain has
        them: nobody for the CEO, only the CEO for the CEO's reports."""
        if member.user_id == self.org.ceo:
            return []
        if member.manager_id == self.org.ceo:
            return [self.org.ceo]
        return [member.manager_id or self.org.ceo, self.org.ceo]

    def _approval(
        self,
        objective_id: int,
        version: int,
        stage: str,
        approver: str,
        asked: datetime,
        decided: datetime,
        outcome: str,
    ) -> dict[str, Any]:
        return {
            "workspace_id": self.org.workspace_id,
            "objective_id": objective_id,
            "version": version,
            "stage": stage,
            "approver_id": approver,
            "outcome": outcome,
            "reason": (
                "The key results measure activity, not outcomes. Can we talk on Thursday?"
                if outcome == "rejected"
                else None
            ),
            "decided_by": approver,
            "decided_at": decided,
            "created_at": asked,
            "message_channel": f"D{approver[1:]}",
            "message_ts": f"{asked.timestamp():.6f}",
            "nudged_at": None,
        }

    def _simulate(self, calendar: Calendar, objectives: list[_Objective]) -> None:
        """Who checks in which week, with what values and confidence."""
        rng = self.rng
        habits: dict[str, tuple[float, int]] = {}
        for member in self.org.members:
            kind = rng.random()
            # Most people check in nearly every week; some skip often; a few give up.
            habits[member.user_id] = (
                (0.95, WEEKS + 1)
                if kind < 0.75
                else (0.7, WEEKS + 1)
                if kind < 0.92
                else (0.9, rng.randint(3, 11))
            )
        checks: dict[tuple[str, int], datetime | None] = {}
        for member in self.org.members:
            rate, stop = habits[member.user_id]
            for week in range(1, WEEKS + 1):
                friday = datetime.combine(calendar.fridays[week - 1], time(11, 0), UTC)
                checks[member.user_id, week] = (
                    friday + timedelta(minutes=rng.randint(0, 1_800))
                    if week < stop and rng.random() < rate
                    else None
                )
        for objective in objectives:
            for week in range(1, WEEKS + 1):
                at = checks[objective.owner.user_id, week]
                objective.checked_at.append(at)
                if at is None:
                    objective.confidence.append(None)
                    for kr in objective.krs:
                        kr.values.append(None)
                    continue
                expected = objective.pace * week / WEEKS
                shares = []
                for kr in objective.krs:
                    share = min(1.15, max(-0.05, expected + rng.gauss(0, 0.05)))
                    if kr.milestone:
                        value = 1.0 if share >= 0.9 else 0.0
                    else:
                        value = round(kr.start + (kr.target - kr.start) * share, 1)
                    kr.values.append(value)
                    shares.append(kr_progress(kr.start, kr.target, value))
                ratio = objective_progress(shares) / (week / WEEKS)
                confidence = (
                    Confidence.ON_TRACK
                    if ratio >= 0.85
                    else Confidence.AT_RISK
                    if ratio >= 0.6
                    else Confidence.OFF_TRACK
                )
                if rng.random() < 0.1:
                    confidence = rng.choice(list(Confidence))
                objective.confidence.append(confidence)

    @staticmethod
    def _final_state(
        objectives: list[_Objective],
        objective_rows: list[dict[str, Any]],
        kr_rows: list[dict[str, Any]],
    ) -> None:
        """What note_check_in leaves on the rows: the latest check-in's values."""
        by_kr = {row["id"]: row for row in kr_rows}
        for objective, row in zip(objectives, objective_rows, strict=True):
            last = _last_week(objective.checked_at, WEEKS)
            confidence = objective.confidence[last - 1] if last else None
            row["confidence"] = confidence.value if confidence else None
            row["last_check_in_at"] = objective.checked_at[last - 1] if last else None
            for kr in objective.krs:
                by_kr[kr.id]["current_value"] = kr.values[last - 1] if last else None
                by_kr[kr.id]["current_at"] = objective.checked_at[last - 1] if last else None

    def _week_rows(
        self, calendar: Calendar, objectives: list[_Objective], week: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, datetime]]:
        rng = self.rng
        check_ins: list[dict[str, Any]] = []
        values: list[dict[str, Any]] = []
        submitted: dict[str, datetime] = {}
        for objective in objectives:
            at = objective.checked_at[week - 1]
            if at is None:
                continue
            check_in_id = self._id(CheckIn)
            submitted[objective.owner.user_id] = at
            check_ins.append(
                {
                    "id": check_in_id,
                    "workspace_id": self.org.workspace_id,
                    "objective_id": objective.id,
                    "author_id": objective.owner.user_id,
                    "confidence": _value(objective.confidence[week - 1]),
                    "comment": rng.choice(_COMMENTS) if rng.random() < 0.3 else None,
                    "created_at": at,
                }
            )
            for kr in objective.krs:
                values.append(
                    {
                        "check_in_id": check_in_id,
                        "key_result_id": kr.id,
                        "value": kr.values[week - 1],
                        "created_at": at,
                    }
                )
        for row, i in zip(values, self._ids(CheckInValue, len(values)), strict=True):
            row["id"] = i
        return check_ins, values, submitted

    # -- what running the app leaves behind

    def _approval_outbox(
        self, approvals: list[dict[str, Any]], objective_rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        owners = {row["id"]: row["owner_id"] for row in objective_rows}
        for approval in approvals:
            owner = owners[approval["objective_id"]]
            asked, decided = approval["created_at"], approval["decided_at"]
            for kind, at, recipient, payload in (
                ("approval_request", asked, approval["approver_id"], {}),
                ("author_update", asked, owner, {"event": "submitted"}),
                ("home_refresh", asked, approval["approver_id"], {}),
                ("approval_outcome", decided, None, {}),
                ("author_update", decided, owner, {"event": approval["outcome"]}),
                ("home_refresh", decided, owner, {}),
            ):
                rows.append(
                    _outbox(
                        self.org.workspace_id,
                        kind,
                        at,
                        recipient,
                        payload,
                        objective_id=approval["objective_id"],
                        approval_id=approval["id"],
                    )
                )
        for row in objective_rows:
            rows.append(
                _outbox(
                    self.org.workspace_id,
                    "publication",
                    row["published_at"],
                    None,
                    {},
                    objective_id=row["id"],
                )
            )
        return rows

    async def _week_bookkeeping(
        self,
        session: AsyncSession,
        calendar: Calendar,
        objectives: list[_Objective],
        week: int,
        submitted: dict[str, datetime],
        outbox: list[dict[str, Any]],
        digests: int,
    ) -> int:
        friday = calendar.fridays[week - 1]
        prompt_at = datetime.combine(friday, time(12, 0), UTC)
        monday = calendar.monday_after(week)
        owners = sorted({o.owner.user_id for o in objectives})
        runs: list[dict[str, Any]] = []
        deliveries: list[dict[str, Any]] = []

        def run(job: str, period: str, at: datetime, payload: dict[str, Any]) -> int:
            run_id = self._id(JobRun)
            runs.append(
                {
                    "id": run_id,
                    "workspace_id": self.org.workspace_id,
                    "job": job,
                    "period": period,
                    "attempt": 0,
                    "started_at": at,
                    "finished_at": at + timedelta(minutes=10),
                    "payload": payload,
                }
            )
            return run_id

        def deliver(run_id: int, recipient: str, at: datetime, channel: str) -> None:
            deliveries.append(
                {
                    "id": self._id(Delivery),
                    "job_run_id": run_id,
                    "recipient": recipient,
                    "claimed_at": at,
                    "sent_at": at,
                    "failed_at": None,
                    "error": None,
                    "channel": channel,
                    "ts": f"{at.timestamp():.6f}",
                }
            )

        prompts = run("checkin", iso_week(friday), prompt_at, {})
        for owner in owners:
            deliver(prompts, owner, prompt_at, f"D{owner[1:]}")
        late = [owner for owner in owners if owner not in submitted]
        reminder_at = monday - timedelta(hours=1)
        reminders = run("reminder", iso_week(monday.date()), reminder_at, {})
        for owner in late:
            deliver(reminders, owner, reminder_at, f"D{owner[1:]}")
        for owner, at in submitted.items():
            outbox.append(_outbox(self.org.workspace_id, "home_refresh", at, owner, {}))
            outbox.append(
                _outbox(
                    self.org.workspace_id,
                    "prompt_answered",
                    at,
                    owner,
                    {"channel": f"D{owner[1:]}", "ts": f"{prompt_at.timestamp():.6f}"},
                )
            )
        if week <= digests:
            parts, chart = self._digest_payload(calendar, objectives, week)
            digest = run(
                "digest", iso_week(monday.date()), monday, {"parts": parts, "chart": chart}
            )
            for index in range(len(parts)):
                deliver(digest, f"part-{index}", monday, self.org.channel)
            deliver(digest, "chart", monday, self.org.channel)
        await self._insert(session, JobRun, runs)
        await self._insert(session, Delivery, deliveries)
        return len(runs) + len(deliveries)

    def _digest_payload(
        self, calendar: Calendar, objectives: list[_Objective], week: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The Monday digest after `week`'s check-ins, built by the app's own builders."""
        names = {m.user_id: m.name for m in self.org.members}
        now = calendar.monday_after(week)
        rows = []
        for objective in objectives:
            last = _last_week(objective.checked_at, week)
            before = _last_week(objective.checked_at, week - 1)
            rows.append(
                DigestObjective(
                    id=objective.id,
                    title=objective.title,
                    owner_id=objective.owner.user_id,
                    owner_name=names.get(objective.owner.user_id),
                    team=objective.owner.team,
                    level=objective.level,
                    confidence=objective.confidence[last - 1] if last else None,
                    krs=tuple(
                        DigestKR(
                            kr.start,
                            kr.target,
                            kr.values[last - 1] if last else None,
                            kr.values[before - 1] if before else None,
                        )
                        for kr in objective.krs
                    ),
                    last_check_in=objective.checked_at[last - 1] if last else None,
                    published_at=objective.published_at,
                )
            )
        digest = build_digest(calendar.quarter, now.astimezone(ZONE).date(), now, rows)
        parts = [
            {"text": text_, "blocks": blocks}
            for text_, blocks in digest_messages(digest, translator("en"))
        ]
        # The chart's series: the overall progress of each Monday so far, this one's last.
        self._series.append(digest.progress)
        chart = {
            "quarter": str(calendar.quarter),
            "weeks": calendar.quarter.weeks,
            "series": list(self._series),
        }
        return parts, chart

    # -- the quarter's end

    async def close_quarter(self, calendar: Calendar, *, scored: float = 0.85) -> int:
        """Owners score most objectives (closing.record_scores), then the quarter closes
        (ScoringRepository.close_quarter): status closed, history kept."""
        rng = self.rng
        quarter = str(calendar.quarter)
        end = datetime.combine(calendar.quarter.last_day + timedelta(days=1), time(9, 0), ZONE)
        async with self._sessions() as session:
            objectives = (
                await session.execute(
                    select(Objective.id, Objective.owner_id).where(
                        Objective.workspace_id == self.org.workspace_id,
                        Objective.quarter == quarter,
                        Objective.status == "approved",
                    )
                )
            ).all()
            krs = (
                await session.execute(
                    select(
                        KeyResult.id,
                        KeyResult.objective_id,
                        KeyResult.start_value,
                        KeyResult.target_value,
                        KeyResult.current_value,
                    )
                    .join(Objective, Objective.id == KeyResult.objective_id)
                    .where(Objective.quarter == quarter, Objective.status == "approved")
                )
            ).all()
            by_objective: dict[int, list[tuple[int, float]]] = {}
            for kr_id, objective_id, start, target, current in krs:
                score = suggested_score(kr_progress(start, target, current))
                by_objective.setdefault(objective_id, []).append((kr_id, score))
            kr_updates: list[dict[str, Any]] = []
            objective_updates: list[dict[str, Any]] = []
            scored_at = end - timedelta(days=rng.randint(2, 10))
            for objective_id, _owner in objectives:
                values = by_objective.get(objective_id, [])
                if rng.random() < scored and values:
                    kr_updates += [{"id": kr_id, "score": score} for kr_id, score in values]
                    objective_updates.append(
                        {
                            "id": objective_id,
                            "score": objective_score([s for _, s in values]),
                            "scored_at": scored_at,
                            "status": "closed",
                            "updated_at": end,
                        }
                    )
                else:
                    objective_updates.append(
                        {
                            "id": objective_id,
                            "score": None,
                            "scored_at": None,
                            "status": "closed",
                            "updated_at": end,
                        }
                    )
            for chunk in _chunks(kr_updates):
                await session.execute(update(KeyResult), chunk)
            for chunk in _chunks(objective_updates):
                await session.execute(update(Objective), chunk)
            await session.commit()
        return len(objectives)


def _value(confidence: Confidence | None) -> str | None:
    return confidence.value if confidence else None


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _last_week(checked: list[datetime | None], upto: int) -> int:
    """The last week up to `upto` with a check-in (1-based), 0 for none."""
    for week in range(upto, 0, -1):
        if checked[week - 1] is not None:
            return week
    return 0


def _kr_shape(kind: int, rng: random.Random) -> tuple[str, float, float, str]:
    if kind == 0:
        start = float(rng.randint(10, 40))
        return (f"Raise NPS from {start:.0f} to {start + 20:.0f}", start, start + 20, "points")
    if kind == 1:
        start = float(rng.choice((400, 800, 1200)))
        return (
            "Cut the p95 latency of the checkout API & the search page",
            start,
            start / 2,
            "ms",
        )
    if kind == 2:
        return ("Ship the new onboarding flow to every market", 0.0, 1.0, "")
    if kind == 3:
        target = float(rng.randint(150, 600))
        return ("Grow weekly active teams using <the app>", 100.0, target, "teams")
    return ("Reach test coverage of the core services", 55.0, 80.0, "%")


def _outbox(
    workspace_id: str,
    kind: str,
    at: datetime,
    recipient: str | None,
    payload: dict[str, Any],
    *,
    objective_id: int | None = None,
    approval_id: int | None = None,
) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "kind": kind,
        "objective_id": objective_id,
        "approval_id": approval_id,
        "recipient": recipient,
        "payload": payload,
        "created_at": at,
        "next_attempt_at": at,
        "claimed_until": None,
        "attempts": 1,
        "sent_at": at + timedelta(seconds=1),
        "failed_at": None,
        "last_error": None,
    }
