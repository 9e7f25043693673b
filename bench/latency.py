"""Benchmark 1 of issue #6: how fast `okrbot serve` answers Slack, next to a bare Bolt app.

    .venv/bin/python bench/latency.py                 # 1,000 requests of each kind
    .venv/bin/python bench/latency.py --requests 200  # a quicker run

Three processes besides this one, all on loopback: the fake Slack (bench/fake_server.py),
`okrbot serve` on a temporary SQLite database (or, with --database-url, a PostgreSQL
database of its own), and a bare slack-bolt app that only acks (bench/bare_app.py). The
data is made through okrbot itself: `okrbot migrate`, `okrbot org import`, then signed
requests to `okrbot serve` as people send them: objectives submitted and approved twice
(to check in on), and one pending request for every Approve click to come.

Then, for each kind of request, 20 concurrent clients send signed requests exactly as Slack
does and time each HTTP answer (what Slack waits for, up to 3 s), in rounds: a burst to the
bare app, the same burst to okrbot, and okrbot's work after its answers done before the next
round, so that whatever else the machine does weighs on both alike:

  new      `/okr new`: okrbot acks, then builds the form and calls views.open
  approve  a manager's Approve click on a distinct pending request (a real decision)
  checkin  a check-in form submitted (okrbot answers once it is in the check-in inbox,
           and stores it right after)

After the last round the benchmark waits until okrbot's work after the answers is done
(every form opened, every message of the outbox sent) and checks it: views.open reached the
fake Slack for every `/okr new`, every click decided, every check-in stored. It also reads
each server's CPU time per request. bench/README.md explains the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from support import (
    EVENTS_PATH,
    HEALTH_PATH,
    SIGNING_SECRET,
    Child,
    FakeSlackProcess,
    TempDatabase,
    child_env,
    cpu_seconds,
    dm_id,
    free_port,
    idle,
    keep_logs,
    percentile,
    table,
    wait_for,
    wait_healthy,
)

from okrbot.domain.quarters import Quarter
from okrbot.sandbox.driver import form_state, signed_headers
from okrbot.slack import ids

CEO = "UCEO00001"
CHANNEL = "COKRS0001"
GENERAL = "CGENERAL1"
KINDS = ("new", "approve", "checkin")
TRIGGER = "__TRIGGER__"
# Nothing weekly falls due while the benchmark runs (unless it runs late on a Sunday).
QUIET_SCHEDULE = "sun 23:59"

TARGET_RATIO = 1.3
TARGET_P99_MS = 250.0


# --------------------------------------------------------------------------- the company


@dataclass
class Org:
    managers: list[str]
    reports: dict[str, list[str]]

    @property
    def members(self) -> list[str]:
        return [m for manager in self.managers for m in self.reports[manager]]

    @property
    def everyone(self) -> list[str]:
        return [CEO, *self.managers, *self.members]


def make_org(managers: int, per_manager: int) -> Org:
    bosses = [f"UMGR{m:05d}" for m in range(1, managers + 1)]
    reports = {
        boss: [f"UIC{m:03d}{n:03d}" for n in range(1, per_manager + 1)]
        for m, boss in enumerate(bosses, start=1)
    }
    return Org(bosses, reports)


def org_csv(org: Org) -> str:
    rows = ["user,manager,team,role", f"{CEO},,Leadership,CEO"]
    for number, boss in enumerate(org.managers, start=1):
        team = f"Team {number:02d}"
        rows.append(f"{boss},{CEO},{team},Manager")
        rows += [f"{person},{boss},{team},Engineer" for person in org.reports[boss]]
    return "\n".join(rows) + "\n"


def fake_spec(org: Org) -> dict[str, Any]:
    return {
        "users": [
            {"id": u, "name": u.lower(), "real_name": f"Person {u}", "tz": "UTC"}
            for u in org.everyone
        ],
        "channels": [{"id": CHANNEL, "name": "okrs"}, {"id": GENERAL, "name": "general"}],
    }


# --------------------------------------------------------------------------- requests

# A request's body is made when it is sent: with a fresh trigger id, which lives 3 s.
Body = Callable[[], bytes]
_serial = itertools.count(1)


def trigger_for(user: str) -> str:
    return f"bench-{user}-{time.time():.6f}-{next(_serial)}"


def _with_trigger(template: str, user: str) -> Body:
    def body() -> bytes:
        return template.replace(TRIGGER, trigger_for(user)).encode()

    return body


def slash(team: str, user: str, text: str, api_url: str) -> Body:
    form = {
        "token": "unused",
        "team_id": team,
        "team_domain": "bench",
        "channel_id": GENERAL,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": ids.COMMAND,
        "text": text,
        "api_app_id": "A0OKRBOT",
        "response_url": f"{api_url}../response/{user}",
        "trigger_id": TRIGGER,
    }
    return _with_trigger(urlencode(form), user)


@dataclass(frozen=True)
class Button:
    """An Approve button okrbot sent, as the approver sees it."""

    user: str
    message: dict[str, Any]
    block_id: str
    value: str


def click(team: str, button: Button, api_url: str) -> Body:
    user, message = button.user, button.message
    payload = {
        "type": "block_actions",
        "team": {"id": team, "domain": "bench"},
        "user": {"id": user, "team_id": team, "username": user.lower()},
        "api_app_id": "A0OKRBOT",
        "trigger_id": TRIGGER,
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": message["channel"],
        },
        "channel": {"id": message["channel"]},
        "message": {"ts": message["ts"], "text": message["text"], "blocks": message["blocks"]},
        "response_url": f"{api_url}../response/{user}",
        "actions": [
            {
                "type": "button",
                "action_id": ids.APPROVE,
                "block_id": button.block_id,
                "value": button.value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return _with_trigger(urlencode({"payload": json.dumps(payload)}), user)


def submission(team: str, user: str, view: dict[str, Any], values: dict[str, Any]) -> Body:
    """A modal submitted; every submission is a form of its own (its own view id)."""
    view_id = f"VBENCH{next(_serial):08d}"
    payload = {
        "type": "view_submission",
        "team": {"id": team, "domain": "bench"},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A0OKRBOT",
        "trigger_id": TRIGGER,
        "view": {
            **{k: v for k, v in view.items() if k != "state"},
            "id": view_id,
            "hash": f"1700000000.{view_id}",
            "state": {"values": form_state(view, values)},
        },
    }
    return _with_trigger(urlencode({"payload": json.dumps(payload)}), user)


def objective_values(title: str, quarter: str) -> dict[str, Any]:
    return {
        "title": title,
        "description": "Why it matters: customers notice.",
        "level": "personal",
        "quarter": quarter,
        "kr1_desc": "Weekly active teams",
        "kr1_start": "40",
        "kr1_target": "60",
        "kr1_unit": "%",
        "kr2_desc": "Median days to first OKR",
        "kr2_start": "5",
        "kr2_target": "1",
        "kr2_unit": "days",
        "kr3_desc": "Support tickets a week",
        "kr3_start": "30",
        "kr3_target": "10",
        "kr3_unit": "",
    }


def checkin_values(view: dict[str, Any], round_: int) -> dict[str, Any]:
    """A new value for every key result; the confidence stays as prefilled."""
    return {
        str(block["block_id"]): str(10 + round_ % 40)
        for block in view["blocks"]
        if str(block.get("block_id", "")).startswith("kr_")
    }


# --------------------------------------------------------------------------- firing


@dataclass
class Phase:
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    # The server's CPU time while it answered, and until its work after the answers was
    # done too (okrbot only), per request, in milliseconds.
    cpu_ms: float = math.nan
    cpu_all_ms: float = math.nan

    def ms(self, q: float) -> float:
        return 1000 * percentile(sorted(self.seconds), q)

    @classmethod
    def joined(cls, rounds: Sequence[Phase]) -> Phase:
        return cls(
            [s for r in rounds for s in r.seconds],
            [e for r in rounds for e in r.errors],
            sum(r.wall for r in rounds),
        )


def acceptable(status: int, text: str) -> bool:
    """What Slack takes as done: a 200, and no form errors (every submission is valid)."""
    return status == 200 and '"errors"' not in text


async def fire(url: str, requests: Sequence[Body], clients: int) -> Phase:
    """Send every request, `clients` at a time; time each answer as Slack would."""
    phase = Phase()
    order = iter(requests)
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def client() -> None:
            for make in order:
                body = make()
                headers = signed_headers(
                    SIGNING_SECRET, body.decode(), timestamp=str(int(time.time()))
                )
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        text = await response.text()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    phase.errors.append(type(exc).__name__)
                    continue
                phase.seconds.append(time.perf_counter() - started)
                if not acceptable(status, text):
                    phase.errors.append(f"{status} {text[:160]}")

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        phase.wall = time.perf_counter() - started
    return phase


# --------------------------------------------------------------------------- the run


class Run:
    """One benchmark run: the fake Slack, okrbot, the bare app, and the database."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.org = make_org(args.managers, args.reports)
        self.db = TempDatabase(workdir, args.database_url)
        self.database_url = self.db.url
        self.fake: FakeSlackProcess | None = None
        self.app: Child | None = None
        self.bare: Child | None = None
        self.app_url = self.bare_url = ""
        self.checks: list[tuple[str, str, str]] = []

    @property
    def slack(self) -> FakeSlackProcess:
        assert self.fake is not None
        return self.fake

    @property
    def team(self) -> str:
        return self.slack.team_id

    # -- the database, read as it is (read-only, beside the running app)

    async def count(self, sql: str) -> int:
        return await self.db.count(sql)

    async def unsent(self) -> int:
        return await self.count(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
        )

    async def settled(
        self, what: str, sql: str, expected: int, *, within: float = 600, must: bool = True
    ) -> None:
        """Wait until `sql` counts `expected` and okrbot has sent all it owes; unless it
        `must`, give up quietly after `within` seconds (the checks then say what is missing)."""

        async def done() -> bool:
            return await self.count(sql) == expected and await self.unsent() == 0

        try:
            await wait_for(done, what, within=within, child=self.app)
        except TimeoutError:
            if must:
                raise

    # -- processes

    def okrbot(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "okrbot", *args]

    def profiled(self, command: list[str]) -> list[str]:
        """Under cProfile with --profile (okrbot writes the profile when it stops)."""
        if not self.args.profile:
            return command
        target = Path(self.args.profile).resolve()
        return [command[0], "-m", "cProfile", "-o", str(target), *command[1:]]

    def app_env(self, **extra: str) -> dict[str, str]:
        return child_env(
            SLACK_BOT_TOKEN=self.slack.bot_token,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=self.slack.api_url,
            OKRBOT_CEO=CEO,
            OKRBOT_CHANNEL=CHANNEL,
            OKRBOT_TIMEZONE="UTC",
            DATABASE_URL=self.database_url,
            **extra,
        )

    async def command(self, name: str, *args: str) -> None:
        child = await Child.start(
            name, self.okrbot(*args), env=self.app_env(), workdir=self.workdir
        )
        if await child.proc.wait() != 0:
            raise RuntimeError(f"okrbot {' '.join(args)} failed:\n{child.tail()}")

    async def start(self) -> None:
        self.fake = await FakeSlackProcess.start(fake_spec(self.org), self.workdir)
        await self.db.create()
        await self.command("migrate", "migrate")
        (self.workdir / "org.csv").write_text(org_csv(self.org))
        await self.command("org-import", "org", "import", "org.csv")
        app_port, bare_port = free_port(), free_port()
        self.app = await Child.start(
            "okrbot-serve",
            self.profiled(self.okrbot("serve", "--host", "127.0.0.1")),
            env=self.app_env(
                PORT=str(app_port),
                OKRBOT_CHECKIN_AT=QUIET_SCHEDULE,
                OKRBOT_REMINDER_AT=QUIET_SCHEDULE,
                OKRBOT_DIGEST_AT=QUIET_SCHEDULE,
                OKRBOT_TICK_SECONDS="3600",
            ),
            workdir=self.workdir,
        )
        self.bare = await Child.start(
            "bare-bolt",
            [sys.executable, str(Path(__file__).with_name("bare_app.py"))],
            env=child_env(
                SLACK_BOT_TOKEN=self.slack.bot_token,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=self.slack.api_url,
                PORT=str(bare_port),
            ),
            workdir=self.workdir,
        )
        app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
        await wait_healthy(app_base + HEALTH_PATH, self.app)
        await wait_healthy(bare_base + HEALTH_PATH, self.bare)
        self.app_url, self.bare_url = app_base + EVENTS_PATH, bare_base + EVENTS_PATH

    async def stop(self) -> None:
        for child in (self.app, self.bare):
            if child is not None:
                await child.stop()
        if self.fake is not None:
            await self.fake.stop()
        await self.db.drop()

    # -- set-up, through okrbot itself

    async def send(self, what: str, requests: Sequence[Body]) -> None:
        phase = await fire(self.app_url, requests, self.args.clients)
        if phase.errors:
            raise RuntimeError(f"{what}: {len(phase.errors)} failed, e.g. {phase.errors[:3]}")

    async def forms(self, text: str, callback_id: str) -> dict[str, dict[str, Any]]:
        """Each person's form, opened with `/okr <text>` as they would."""
        members = self.org.members
        before = (await self.slack.stats())["outcomes"].get("views.open ok", 0)
        await self.send(
            f"/okr {text}", [slash(self.team, m, text, self.slack.api_url) for m in members]
        )

        async def opened() -> bool:
            outcomes = (await self.slack.stats())["outcomes"]
            return outcomes.get("views.open ok", 0) >= before + len(members)

        await wait_for(opened, f"the /okr {text} forms", within=120, child=self.app)
        forms = {}
        for member in members:
            views = [
                v for v in await self.slack.views(member) if v.get("callback_id") == callback_id
            ]
            forms[member] = views[-1]
        return forms

    async def buttons(self, approvers: Sequence[str]) -> list[Button]:
        found = []
        for user in approvers:
            for message in await self.slack.messages(dm_id(user)):
                for block in message["blocks"]:
                    for element in (
                        block.get("elements", []) if block.get("type") == "actions" else []
                    ):
                        if element.get("action_id") == ids.APPROVE:
                            found.append(Button(user, message, block["block_id"], element["value"]))
        return found

    async def prepare(self) -> tuple[list[Button], dict[str, dict[str, Any]]]:
        """Objectives to approve and to check in on, made the way people make them."""
        args, org = self.args, self.org
        members = org.members
        quarter = str(Quarter.containing(datetime.now(UTC).date()))
        pending = args.requests + args.warmup
        approved = len(members) * args.approved_each

        new_forms = await self.forms("new", ids.NEW_OBJECTIVE_VIEW)
        await self.send(
            "submitting objectives",
            [
                submission(
                    self.team, m, new_forms[m], objective_values(f"Ship part {k + 1}", quarter)
                )
                for k in range(args.approved_each)
                for m in members
            ],
        )
        await self.settled(
            "the objectives to reach the managers", "SELECT count(*) FROM objective", approved
        )
        await self.send(
            "managers approving",
            [click(self.team, b, self.slack.api_url) for b in await self.buttons(org.managers)],
        )
        await self.settled(
            "the managers' approvals",
            "SELECT count(*) FROM objective WHERE status = 'awaiting_ceo'",
            approved,
        )
        await self.send(
            "the CEO approving",
            [click(self.team, b, self.slack.api_url) for b in await self.buttons([CEO])],
        )
        await self.settled(
            "the CEO's approvals",
            "SELECT count(*) FROM objective WHERE status = 'approved'",
            approved,
        )
        await self.send(
            "submitting objectives to approve",
            [
                submission(
                    self.team,
                    members[n % len(members)],
                    new_forms[members[n % len(members)]],
                    objective_values(f"Make onboarding delightful #{n + 1}", quarter),
                )
                for n in range(pending)
            ],
        )
        await self.settled(
            "the requests to reach the managers",
            "SELECT count(*) FROM objective WHERE status = 'awaiting_manager'",
            pending,
        )
        buttons = await self.buttons(org.managers)
        if len(buttons) < pending:
            raise RuntimeError(f"{len(buttons)} Approve buttons for {pending} clicks")
        checkin_forms = await self.forms("checkin", ids.CHECKIN_VIEW)
        return buttons, checkin_forms

    # -- measuring

    def requests(
        self, kind: str, buttons: list[Button], checkin_forms: dict[str, dict[str, Any]]
    ) -> list[Body]:
        members, count = self.org.members, self.args.requests + self.args.warmup
        api = self.slack.api_url
        if kind == "new":
            return [slash(self.team, members[n % len(members)], "new", api) for n in range(count)]
        if kind == "approve":
            return [click(self.team, button, api) for button in buttons[:count]]
        return [
            submission(
                self.team,
                members[n % len(members)],
                checkin_forms[members[n % len(members)]],
                checkin_values(checkin_forms[members[n % len(members)]], n),
            )
            for n in range(count)
        ]

    async def after(
        self, kind: str, sent: int, views_before: dict[str, int], checkins_before: int
    ) -> None:
        """Wait until okrbot has done what the requests asked for after its answers; check."""
        answered = time.perf_counter()
        if kind == "new":

            async def views() -> Counter[str]:
                outcomes = (await self.slack.stats())["outcomes"]
                return Counter(
                    {
                        k.removeprefix("views.open "): v - views_before.get(k, 0)
                        for k, v in outcomes.items()
                        if k.startswith("views.open ")
                    }
                )

            async def reached() -> bool:
                return (await views()).total() >= sent

            await wait_for(reached, "every form to open", within=300, child=self.app)
            outcomes = await views()
            self.check(
                kind,
                "views.open reached the fake Slack",
                f"{outcomes.total()} of {sent}",
                outcomes.total() == sent,
            )
            late = outcomes["expired_trigger_id"]
            others = {k: v for k, v in outcomes.items() if k not in ("ok", "expired_trigger_id")}
            self.check(
                kind,
                "forms opened (views.open within the trigger id's 3 s)",
                f"{outcomes['ok']} of {sent}"
                + (f"; {late} came after the trigger id had expired" if late else ""),
                not others,
            )
        elif kind == "approve":
            await self.settled(
                "the decisions",
                "SELECT count(*) FROM objective WHERE status = 'awaiting_manager'",
                0,
                within=300,
                must=False,
            )
            left = await self.count(
                "SELECT count(*) FROM objective WHERE status = 'awaiting_manager'"
            )
            self.check(kind, "decisions applied", f"{sent - left} of {sent}", left == 0)
        else:
            # A check-in form holds every approved objective of its author: a row each.
            each = self.args.approved_each
            sql = "SELECT count(*) FROM check_in"
            await self.settled(
                "the check-ins", sql, checkins_before + sent * each, within=120, must=False
            )
            stored = (await self.count(sql) - checkins_before) // each
            self.check(kind, "check-ins stored", f"{stored} of {sent}", stored == sent)
        drained = time.perf_counter() - answered
        self.check(kind, "work after the answers done", f"{drained:.1f} s after the last", True)

    def check(self, kind: str, what: str, result: str, ok: bool) -> None:
        self.checks.append((kind, what, result if ok else f"FAILED: {result}"))

    async def measure(self) -> dict[str, tuple[Phase, Phase]]:
        buttons, checkin_forms = await self.prepare()
        clients, warm = self.args.clients, self.args.warmup
        results: dict[str, tuple[Phase, Phase]] = {}
        for kind in KINDS:
            every = self.requests(kind, buttons, checkin_forms)
            warmup, measured = every[:warm], every[warm:]
            assert self.app is not None
            assert self.bare is not None
            await fire(self.bare_url, warmup, clients)
            views_before = dict((await self.slack.stats())["outcomes"])
            checkins_before = await self.count("SELECT count(*) FROM check_in")
            await fire(self.app_url, warmup, clients)
            # The warm-up's own work after its answers is done before the measured
            # requests start: it is not theirs.
            await idle(self.app)
            # In rounds, each a burst to the bare app then the same burst to okrbot, so
            # that whatever else the machine does meanwhile weighs on both alike. okrbot
            # finishes a round's work after its answers before the next round.
            rounds = max(1, min(self.args.rounds, len(measured)))
            size = math.ceil(len(measured) / rounds)
            bare_rounds: list[Phase] = []
            app_rounds: list[Phase] = []
            app_cpu = 0.0
            cpu_first = cpu_seconds(self.app.pid)
            for start in range(0, len(measured), size):
                burst = measured[start : start + size]
                cpu = cpu_seconds(self.bare.pid)
                bare_rounds.append(await fire(self.bare_url, burst, clients))
                bare_rounds[-1].cpu_ms = 1000 * (cpu_seconds(self.bare.pid) - cpu)
                cpu = cpu_seconds(self.app.pid)
                app_rounds.append(await fire(self.app_url, burst, clients))
                app_cpu += cpu_seconds(self.app.pid) - cpu
                if start + size < len(measured):
                    await idle(self.app)
            bare = Phase.joined(bare_rounds)
            bare.cpu_ms = sum(r.cpu_ms for r in bare_rounds) / len(measured)
            app = Phase.joined(app_rounds)
            app.cpu_ms = 1000 * app_cpu / len(measured)
            results[kind] = (app, bare)
            await self.after(kind, len(every), views_before, checkins_before)
            app.cpu_all_ms = 1000 * (cpu_seconds(self.app.pid) - cpu_first) / len(measured)
            print(
                f"  {kind}: {len(measured)} requests in {app.wall:.1f} s (okrbot), "
                f"{bare.wall:.1f} s (bare)"
            )
        stats = await self.slack.stats()
        violations = int(stats.get("violation_count", 0))
        self.check(
            "all",
            "requests Slack would refuse (the fake's violations)",
            str(violations),
            violations == 0,
        )
        return results


def report(results: dict[str, tuple[Phase, Phase]], checks: list[tuple[str, str, str]]) -> bool:
    rows = []
    met = True
    for kind, (app, bare) in results.items():
        ratio = app.ms(50) / bare.ms(50)
        errors = len(app.errors) + len(bare.errors)
        met = met and ratio <= TARGET_RATIO and app.ms(99) < TARGET_P99_MS and errors == 0
        rows.append(
            [kind]
            + [f"{app.ms(q):.1f}" for q in (50, 95, 99)]
            + [f"{bare.ms(q):.1f}" for q in (50, 95, 99)]
            + [f"{ratio:.2f}", f"{len(app.errors)}/{len(bare.errors)}"]
        )
    headers = ["kind", "app p50", "app p95", "app p99", "bare p50", "bare p95", "bare p99"]
    print(table([*headers, "p50 ratio", "errors app/bare"], rows))
    print("(milliseconds from sending a request to its whole answer)")
    print()
    print(
        table(
            ["kind", "okrbot answering", "okrbot with work after", "bare"],
            [
                [kind, f"{app.cpu_ms:.1f}", f"{app.cpu_all_ms:.1f}", f"{bare.cpu_ms:.1f}"]
                for kind, (app, bare) in results.items()
            ],
        )
    )
    print("(server CPU time per request, milliseconds)")
    print()
    print(table(["kind", "check", "result"], checks))
    for kind, (app, bare) in results.items():
        for label, phase in (("okrbot", app), ("bare", bare)):
            if phase.errors:
                print(f"{kind}, {label}: {len(phase.errors)} errors, e.g. {phase.errors[:3]}")
    met = met and not any(result.startswith("FAILED") for _, _, result in checks)
    print()
    print(
        f"targets (p50 within {TARGET_RATIO}x of the bare app, p99 under "
        f"{TARGET_P99_MS:.0f} ms, no errors): {'met' if met else 'NOT met'}"
    )
    return met


async def main_async(args: argparse.Namespace) -> int:
    print(
        f"okrbot latency: {args.requests} requests of each kind from {args.clients} clients; "
        f"{len(make_org(args.managers, args.reports).everyone)} people; "
        f"{'PostgreSQL' if args.database_url else 'SQLite'}"
    )
    with tempfile.TemporaryDirectory(prefix="okrbot-bench-latency-") as tmp:
        run = Run(args, Path(tmp))
        try:
            started = time.perf_counter()
            await run.start()
            results = await run.measure()
            print(f"  (whole run {time.perf_counter() - started:.0f} s)")
        except BaseException:
            for child in (run.app, run.bare):
                if child is not None and child.tail():
                    print(f"--- {child.name} log, last lines:\n{child.tail()}", file=sys.stderr)
            raise
        finally:
            await run.stop()
            if args.logs:
                keep_logs(Path(tmp), Path(args.logs))
    print()
    return 0 if report(results, run.checks) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="of each kind (default 1000)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--warmup", type=int, default=40, help="unmeasured requests first")
    parser.add_argument(
        "--rounds", type=int, default=5, help="bursts each kind is sent in, alternating (5)"
    )
    parser.add_argument("--managers", type=int, default=20, help="managers (default 20)")
    parser.add_argument("--reports", type=int, default=10, help="people a manager (default 10)")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="a PostgreSQL server (postgresql://user@host:port/db) to make a temporary "
        "database on, instead of a SQLite file",
    )
    parser.add_argument("--logs", metavar="DIR", help="copy the processes' logs to DIR")
    parser.add_argument("--profile", metavar="FILE", help="profile okrbot serve into FILE")
    parser.add_argument(
        "--approved-each", type=int, default=2, help="approved objectives a person (default 2)"
    )
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
