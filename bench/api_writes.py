"""Issue #17's benchmark: 1,000 API writes a second, and Slack's answers meanwhile.

    .venv/bin/python bench/api_writes.py                  # 1,000 a second for 20 s, SQLite
    .venv/bin/python bench/api_writes.py --rate 500 --seconds 10
    .venv/bin/python bench/api_writes.py --database-url postgresql://okrbot@127.0.0.1:5432/postgres

Set up as bench/latency.py is (its processes and helpers): the fake Slack, `okrbot serve`
(with OKRBOT_API_RATE_PER_MINUTE set high: one token sends them all), and the bare Bolt app,
on loopback; `okrbot migrate`, `okrbot org import`, objectives submitted, approved and
published through signed requests, each person's check-in form opened, and a token made
with `okrbot token create`.

Then a process of its own (this script with --drive, so that its CPU is not the measuring
process's) sends `POST /api/v1/key-results/{id}/values` open-loop: each request at its time
on a timer (`--rate` a second for `--seconds`), whether or not the ones before are answered,
over `--connections` connections; a request's latency counts from its time, so a backlog
shows. Meanwhile this process measures Slack's answers as latency.py does, in rounds: a
burst of `/okr new` to the bare app and the same to okrbot, then a burst of check-in
submissions to each.

It reports the API writes a second achieved, their latency, errors, the values stored
(every answered value exactly once, read from the database afterwards) and the Slack
answers' p50 ratio and p99; and exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from latency import (
    CEO,
    TARGET_P99_MS,
    TARGET_RATIO,
    Body,
    Phase,
    Run,
    checkin_values,
    click,
    fire,
    objective_values,
    slash,
    submission,
)
from support import Child, cpu_seconds, idle, keep_logs, percentile, table

from okrbot.domain.quarters import Quarter
from okrbot.slack import ids

TOKEN_NAME = "bench"  # noqa: S105 - a token's name, not a secret
HERE = Path(__file__).resolve()
# Of the achieved rate: what "sustained" means.
SUSTAINED = 0.97


# --------------------------------------------------------------------------- the driver


async def drive(spec: dict[str, Any]) -> dict[str, Any]:
    """Send the values open-loop; what happened to each, summed up."""
    rate, count = float(spec["rate"]), int(spec["count"])
    krs: list[list[float]] = spec["key_results"]
    headers = {"Authorization": f"Bearer {spec['token']}", "Content-Type": "application/json"}
    url = spec["url"]
    latencies: list[float] = []
    answered: list[int] = []
    errors: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    last = 0.0
    connector = aiohttp.TCPConnector(limit=int(spec["connections"]))
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(n: int, due: float) -> None:
            nonlocal last
            kr_id, start, target = krs[n % len(krs)]
            value = start + (target - start) * (n % 97) / 96
            body = json.dumps({"value": round(value, 3), "comment": f"bench {n}"})
            try:
                async with session.post(url % int(kr_id), data=body, headers=headers) as response:
                    text = await response.text()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors[type(exc).__name__] += 1
                return
            now = loop.time()
            last = max(last, now)
            if status == 200:
                latencies.append(now - due)
                answered.append(n)
            else:
                errors[f"{status} {text[:80]}"] += 1

        begin = loop.time() + 0.05
        tasks = []
        sent = 0
        while sent < count:
            now = loop.time()
            while sent < count and begin + sent / rate <= now:
                tasks.append(asyncio.create_task(one(sent, begin + sent / rate)))
                sent += 1
            if sent < count:
                await asyncio.sleep(max(0.0, min(0.002, begin + sent / rate - loop.time())))
        scheduled_end = loop.time()
        await asyncio.gather(*tasks)
    latencies.sort()
    return {
        "sent": count,
        "ok": len(answered),
        "answered": answered,
        "errors": dict(errors),
        "seconds": last - begin,
        "scheduled_seconds": scheduled_end - begin,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": latencies[-1] if latencies else float("nan"),
    }


# --------------------------------------------------------------------------- the run


class ApiRun(Run):
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        super().__init__(args, workdir)
        self.token = ""
        self.key_results: list[list[float]] = []
        self.checkin_forms: dict[str, dict[str, Any]] = {}

    def app_env(self, **extra: str) -> dict[str, str]:
        # One token sends them all: its limit far above the rate.
        return super().app_env(OKRBOT_API_RATE_PER_MINUTE="1000000", **extra)

    async def rows(self, sql: str) -> list[tuple[Any, ...]]:
        from sqlalchemy import text

        await self.db.count("SELECT 1")  # the engine, made once
        async with self.db._engine.connect() as connection:
            return [tuple(r) for r in (await connection.execute(text(sql))).all()]

    async def prepare_api(self) -> None:
        """Objectives published (approved by the manager and the CEO), each person's
        check-in form, and a token."""
        members = self.org.members
        quarter = str(Quarter.containing(datetime.now(UTC).date()))
        new_forms = await self.forms("new", ids.NEW_OBJECTIVE_VIEW)
        await self.send(
            "submitting objectives",
            [
                submission(
                    self.team, m, new_forms[m], objective_values(f"Ship part {k + 1}", quarter)
                )
                for k in range(self.args.approved_each)
                for m in members
            ],
        )
        published = len(members) * self.args.approved_each
        await self.settled("the objectives", "SELECT count(*) FROM objective", published)
        await self.send(
            "managers approving",
            [
                click(self.team, b, self.slack.api_url)
                for b in await self.buttons(self.org.managers)
            ],
        )
        await self.settled(
            "the managers' approvals",
            "SELECT count(*) FROM objective WHERE status = 'awaiting_ceo'",
            published,
        )
        await self.send(
            "the CEO approving",
            [click(self.team, b, self.slack.api_url) for b in await self.buttons([CEO])],
        )
        await self.settled(
            "the CEO's approvals",
            "SELECT count(*) FROM objective WHERE status = 'approved'",
            published,
        )
        self.checkin_forms = await self.forms("checkin", ids.CHECKIN_VIEW)
        self.key_results = [
            [float(i), float(s), float(t)]
            for i, s, t in await self.rows(
                "SELECT id, start_value, target_value FROM key_result ORDER BY id"
            )
        ]
        child = await Child.start(
            "token-create",
            self.okrbot("token", "create", "--name", TOKEN_NAME),
            env=self.app_env(),
            workdir=self.workdir,
            stdout_pipe=True,
        )
        assert child.proc.stdout is not None
        out = (await child.proc.stdout.read()).decode().strip()
        if await child.proc.wait() != 0 or not out.startswith("okr_"):
            raise RuntimeError(f"okrbot token create failed:\n{child.tail()}")
        self.token = out

    def slack_requests(self, kind: str, count: int, offset: int) -> list[Body]:
        members, api = self.org.members, self.slack.api_url
        people = [members[(offset + n) % len(members)] for n in range(count)]
        if kind == "new":
            return [slash(self.team, p, "new", api) for p in people]
        return [
            submission(
                self.team,
                p,
                self.checkin_forms[p],
                checkin_values(self.checkin_forms[p], offset + n),
            )
            for n, p in enumerate(people)
        ]

    async def driver(self, rate: float, seconds: float) -> Child:
        spec = {
            "url": self.app_url.replace("/slack/events", "/api/v1/key-results/%d/values"),
            "token": self.token,
            "key_results": self.key_results,
            "rate": rate,
            "count": int(rate * seconds),
            "connections": self.args.connections,
        }
        child = await Child.start(
            "api-driver",
            [sys.executable, str(HERE), "--drive"],
            env=self.app_env(),
            workdir=self.workdir,
            stdin=asyncio.subprocess.PIPE,
            stdout_pipe=True,
        )
        assert child.proc.stdin is not None
        child.proc.stdin.write(json.dumps(spec).encode() + b"\n")
        await child.proc.stdin.drain()
        child.proc.stdin.close()
        return child

    async def slack_rounds(
        self, running: asyncio.Task[bytes] | None, rounds_at_least: int
    ) -> dict[str, tuple[Phase, Phase]]:
        """Bursts to the bare app and to okrbot, alternating, while `running` runs (and
        `rounds_at_least` rounds in any case)."""
        burst, clients = self.args.burst, self.args.clients
        phases: dict[str, tuple[list[Phase], list[Phase]]] = {"new": ([], []), "checkin": ([], [])}
        offset = 0
        done = 0
        while done < rounds_at_least or (running is not None and not running.done()):
            for kind, (app_rounds, bare_rounds) in phases.items():
                requests = self.slack_requests(kind, burst, offset)
                bare_rounds.append(await fire(self.bare_url, requests, clients))
                app_rounds.append(await fire(self.app_url, requests, clients))
            offset += burst
            done += 1
            if running is not None and not running.done():
                # People, not a load test: okrbot's work after the answers (forms to open,
                # check-ins to store) has its time, as in latency.py's rounds.
                await asyncio.sleep(self.args.pause)
        return {
            kind: (Phase.joined(app_rounds), Phase.joined(bare_rounds))
            for kind, (app_rounds, bare_rounds) in phases.items()
        }

    async def measure_api(self) -> tuple[dict[str, Any], dict[str, tuple[Phase, Phase]]]:
        await self.prepare_api()
        assert self.app is not None
        # Both apps warmed up, okrbot's work after the warm-up done.
        await self.slack_rounds(None, 1)
        await idle(self.app)
        cpu = cpu_seconds(self.app.pid)
        driver = await self.driver(self.args.rate, self.args.seconds)
        assert driver.proc.stdout is not None
        output = asyncio.ensure_future(driver.proc.stdout.read())
        # The first second is the API's ramp: Slack is measured from then on.
        await asyncio.sleep(1.0)
        slack = await self.slack_rounds(output, 1)
        raw = await output
        if await driver.proc.wait() != 0:
            raise RuntimeError(f"the API driver failed:\n{driver.tail()}")
        api: dict[str, Any] = json.loads(raw)
        api["cpu_s"] = cpu_seconds(self.app.pid) - cpu
        await idle(self.app, quiet=2.0)
        api["cpu_all_s"] = cpu_seconds(self.app.pid) - cpu

        # Every value answered 200 stored once, and no other.
        comments = Counter(
            str(c)
            for (c,) in await self.rows(
                f"SELECT comment FROM check_in WHERE source = 'api:{TOKEN_NAME}'"  # noqa: S608
            )
        )
        values = (
            await self.rows(
                "SELECT count(*) FROM check_in_value v JOIN check_in c ON c.id = v.check_in_id "  # noqa: S608
                f"WHERE c.source = 'api:{TOKEN_NAME}'"
            )
        )[0][0]
        # A request that timed out may have been stored all the same (as with any HTTP
        # API): only answered ones must be, but none twice, and nothing never sent.
        answered = {f"bench {n}" for n in api["answered"]}
        sent = {f"bench {n}" for n in range(api["sent"])}
        api["stored"] = sum(comments.values())
        api["stored_values"] = values
        api["exactly_once"] = (
            all(comments[c] == 1 for c in answered)
            and max(comments.values(), default=0) <= 1
            and set(comments) <= sent
            and values == api["stored"]
        )
        api["home_refreshes"] = (
            await self.rows("SELECT count(*) FROM outbox WHERE kind = 'home_refresh'")
        )[0][0]
        # The check-ins sent meanwhile: stored, one per submission (a form holds the
        # author's approved objectives, a check-in each).
        sent_checkins = len(slack["checkin"][0].seconds)
        stored = (await self.rows("SELECT count(*) FROM check_in WHERE source = 'slack'"))[0][0]
        each = self.args.approved_each
        self.check(
            "checkin",
            "Slack check-ins stored",
            f"{stored // each} of {sent_checkins}",
            stored >= sent_checkins * each,
        )
        return api, slack


def report(
    args: argparse.Namespace,
    api: dict[str, Any],
    slack: dict[str, tuple[Phase, Phase]],
    checks: list[tuple[str, str, str]],
) -> bool:
    achieved = api["ok"] / api["seconds"] if api["seconds"] > 0 else 0.0
    errors = sum(api["errors"].values())
    api_met = achieved >= SUSTAINED * args.rate and errors == 0 and api["exactly_once"]
    print(
        table(
            ["API writes", "value"],
            [
                ["target rate (a second)", f"{args.rate:.0f}"],
                ["sent", f"{api['sent']}"],
                ["answered 200", f"{api['ok']}"],
                ["achieved (a second)", f"{achieved:.0f}"],
                ["latency p50 (ms)", f"{1000 * api['p50']:.1f}"],
                ["latency p99 (ms)", f"{1000 * api['p99']:.1f}"],
                ["latency max (ms)", f"{1000 * api['max']:.1f}"],
                ["errors", f"{errors}" + (f" {api['errors']}" if errors else "")],
                ["check-ins stored from the API", f"{api['stored']}"],
                ["values stored", f"{api['stored_values']}"],
                ["each answered value stored exactly once", "yes" if api["exactly_once"] else "NO"],
                ["Home refreshes queued", f"{api['home_refreshes']}"],
                ["okrbot CPU a write (ms)", f"{1000 * api['cpu_s'] / max(1, api['sent']):.2f}"],
                [
                    "okrbot CPU, with work after (ms)",
                    f"{1000 * api['cpu_all_s'] / max(1, api['sent']):.2f}",
                ],
            ],
        )
    )
    print("(latency from each request's scheduled time to its whole answer)")
    print()
    met = api_met
    rows = []
    for kind, (app, bare) in slack.items():
        ratio = app.ms(50) / bare.ms(50)
        errs = len(app.errors) + len(bare.errors)
        met = met and ratio <= TARGET_RATIO and app.ms(99) < TARGET_P99_MS and errs == 0
        rows.append(
            [kind, str(len(app.seconds))]
            + [f"{app.ms(q):.1f}" for q in (50, 95, 99)]
            + [f"{bare.ms(q):.1f}" for q in (50, 95, 99)]
            + [f"{ratio:.2f}", f"{len(app.errors)}/{len(bare.errors)}"]
        )
    print(
        table(
            [
                "Slack, during the writes",
                "n",
                "app p50",
                "app p95",
                "app p99",
                "bare p50",
                "bare p95",
                "bare p99",
                "p50 ratio",
                "errors app/bare",
            ],
            rows,
        )
    )
    print("(milliseconds from sending a request to its whole answer)")
    print()
    print(table(["kind", "check", "result"], checks))
    for kind, (app, bare) in slack.items():
        for label, phase in (("okrbot", app), ("bare", bare)):
            if phase.errors:
                print(f"{kind}, {label}: {len(phase.errors)} errors, e.g. {phase.errors[:3]}")
    met = met and not any(result.startswith("FAILED") for _, _, result in checks)
    print()
    print(
        f"targets ({SUSTAINED:.0%} of {args.rate:.0f} writes a second, no errors, each value "
        f"stored once; Slack p50 within {TARGET_RATIO}x of the bare app, p99 under "
        f"{TARGET_P99_MS:.0f} ms): {'met' if met else 'NOT met'}"
    )
    return met


async def main_async(args: argparse.Namespace) -> int:
    print(
        f"okrbot API writes: {args.rate:.0f} a second for {args.seconds:.0f} s over "
        f"{args.connections} connections; Slack bursts of {args.burst} from {args.clients} "
        f"clients; {'PostgreSQL' if args.database_url else 'SQLite'}"
    )
    with tempfile.TemporaryDirectory(prefix="okrbot-bench-api-") as tmp:
        run = ApiRun(args, Path(tmp))
        try:
            started = time.perf_counter()
            await run.start()
            api, slack = await run.measure_api()
            print(f"  (whole run {time.perf_counter() - started:.0f} s)")
        except BaseException:
            if run.app is not None and run.app.tail():
                print(f"--- {run.app.name} log, last lines:\n{run.app.tail()}", file=sys.stderr)
            raise
        finally:
            await run.stop()
            if args.logs:
                keep_logs(Path(tmp), Path(args.logs))
    print()
    return 0 if report(args, api, slack, run.checks) else 1


def main() -> int:
    if sys.argv[1:] == ["--drive"]:
        spec = json.loads(sys.stdin.readline())
        print(json.dumps(asyncio.run(drive(spec))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="API writes a second (1000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="for how long (20)")
    parser.add_argument("--connections", type=int, default=64, help="API connections (64)")
    parser.add_argument("--burst", type=int, default=50, help="Slack requests a burst (50)")
    parser.add_argument("--clients", type=int, default=10, help="Slack clients (10)")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between Slack rounds (1)")
    parser.add_argument("--managers", type=int, default=2, help="managers (default 2)")
    parser.add_argument("--reports", type=int, default=5, help="people a manager (default 5)")
    parser.add_argument(
        "--approved-each", type=int, default=1, help="published objectives a person (1)"
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="a PostgreSQL server to make a temporary database on, instead of SQLite",
    )
    parser.add_argument("--logs", metavar="DIR", help="copy the processes' logs to DIR")
    parser.add_argument("--profile", metavar="FILE", help="profile okrbot serve into FILE")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
