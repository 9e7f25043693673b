"""The `okrbot` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from okrbot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from okrbot.domain.orgchart import OrgChartError

EXIT_CONFIG = 2
EXIT_INPUT = 1

log = logging.getLogger("okrbot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="okrbot",
        description="Run your company's OKR process in Slack.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve Slack's HTTP requests (POST /slack/events)")
    serve.add_argument("--port", type=int, help="port to listen on (default: $PORT or 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")  # noqa: S104
    commands.add_parser("socket", help="connect to Slack over Socket Mode (needs SLACK_APP_TOKEN)")
    demo = commands.add_parser("demo", help="show the whole OKR cycle with no Slack workspace")
    demo.add_argument("--database", help="SQLite file to keep (default: a temporary one)")
    commands.add_parser("migrate", help="bring the database schema up to date")
    org = commands.add_parser("org", help="the org chart")
    org_commands = org.add_subparsers(dest="org_command", required=True, metavar="ACTION")
    importer = org_commands.add_parser(
        "import", help="import FILE.csv with columns user,manager,team[,role]"
    )
    importer.add_argument("file", type=Path)
    importer.add_argument(
        "--workspace", metavar="TEAM_ID", help="the workspace (needed with OAuth installs)"
    )
    job = commands.add_parser("run-job", help="run a weekly job now")
    job.add_argument("job", choices=["checkin", "reminder", "digest"])
    job.add_argument("--force", action="store_true", help="post again in the same week")
    job.add_argument(
        "--resend-in-doubt",
        action="store_true",
        help="send the messages Slack could not tell had gone out (they may arrive twice)",
    )
    job.add_argument(
        "--workspace",
        metavar="TEAM_ID",
        help="the workspace, needed when okrbot is installed in more than one",
    )
    export = commands.add_parser(
        "export",
        help="write a quarter's OKRs, approvals and check-ins as JSON or CSV",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Write one quarter's objectives, in every status, with their key results, approval\n"
            "decisions and check-ins. Needs only DATABASE_URL.\n\n"
            "  json  the complete record, nested: objectives > key_results, approvals,\n"
            "        check_ins (each with the value it gave every key result)\n"
            "  csv   one sheet for spreadsheets: a row per key result with its objective's\n"
            "        columns repeated, the latest values and confidence, the approval trail\n"
            "        in one cell and the last rejection's reason (histories: use json)"
        ),
    )
    export.add_argument("--quarter", required=True, help="the quarter, like 2027-Q1")
    export.add_argument(
        "--format", choices=["json", "csv"], default="json", dest="fmt", help="default: json"
    )
    export.add_argument(
        "--output", type=Path, metavar="FILE", help="write to FILE instead of standard output"
    )
    export.add_argument(
        "--workspace",
        metavar="TEAM_ID",
        help="the Slack workspace, needed only when the database holds more than one",
    )
    return parser


def _settings(mode: str | None) -> Settings:
    try:
        return load_settings(mode)
    except ConfigError as exc:
        print(f"okrbot: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _logging(settings: Settings | None = None) -> None:
    from okrbot import logs

    if settings is None:
        logs.configure("INFO", "plain")
        return
    secrets = [
        s
        for s in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.slack_client_secret,
        )
        if s
    ]
    logs.configure(settings.log_level, settings.log_format, secrets)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from okrbot.sandbox.demo import run_demo

        return asyncio.run(run_demo(args.database))
    if args.command == "migrate":
        settings = _settings(None)
        _logging(settings)
        from okrbot.store import schema

        schema.upgrade(settings.database_url)
        print(f"okrbot: database schema is at {schema.head_revision()}")
        return 0
    if args.command == "org":
        settings = _settings("org")
        _logging(settings)
        text = read_org_file(args.file)
        if text is None:
            return EXIT_INPUT
        return asyncio.run(org_import(settings, args.file.name, text, workspace=args.workspace))
    if args.command == "export":
        settings = _settings("export")
        _logging(settings)
        # The schema check reads Alembic's version table; its INFO lines are no news here.
        logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
        return asyncio.run(
            export(settings, args.quarter, args.fmt, output=args.output, workspace=args.workspace)
        )
    if args.command == "run-job":
        settings = _settings("run-job")
        _logging(settings)
        return asyncio.run(
            run_job(
                settings,
                args.job,
                force=args.force,
                workspace=args.workspace,
                resend_in_doubt=args.resend_in_doubt,
            )
        )
    mode = args.command
    settings = _settings(mode)
    if mode == "serve" and args.port:
        settings = settings.model_copy(update={"port": args.port})
    _logging(settings)
    runner = _serve(settings, args.host) if mode == "serve" else _socket(settings)
    return asyncio.run(runner)


async def _start(settings: Settings):  # type: ignore[no-untyped-def]
    from okrbot.bootstrap import build
    from okrbot.store.schema import SchemaOutOfDate

    app = build(settings)
    try:
        await app.check_schema()
    except SchemaOutOfDate as exc:
        await app.close()
        print(f"okrbot: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    return app


# New objects between two young collections of the cycle collector (CPython's default is
# 700). Requests that wait for something before their answer (a check-in waits for its
# inbox commit, with the other answers of that moment) hold their parsed payloads, a few
# hundred objects each, meanwhile: at 700 the collector ran several times during every
# burst of 20 check-ins, each time moving all of them on to the older generations, and
# every few bursts it walked the whole heap. That was 0.02-0.05 ms of every answer, a
# quarter of what okrbot added to a bare app's (bench/latency.py); at 5,000 a burst's
# waiting requests fit between two collections.
YOUNG_COLLECTION_THRESHOLD = 5000


def tune_collector() -> None:
    """What is imported and built at start lives as long as the process: take it out of
    the cycle collector's sight, so that a collection during a big digest walks only what
    the digest made (100-200 ms of a 2,000-person digest; see bench/README.md). And let a
    burst of requests come and go between two young collections (above)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)


async def _wait_for_stop() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _serve(settings: Settings, host: str) -> int:
    from aiohttp import web

    app = await _start(settings)
    tune_collector()
    runner = web.AppRunner(app.web_app())
    await runner.setup()
    site = web.TCPSite(runner, host, settings.port)
    await site.start()
    app.start_sweeper()
    app.start_scheduler()
    installs = ", GET /slack/install" if settings.oauth else ""
    log.info(
        "okrbot listening on %s:%s (POST /slack/events, GET /healthz%s)",
        host,
        settings.port,
        installs,
    )
    try:
        await _wait_for_stop()
    finally:
        log.info("shutting down: finishing requests in flight")
        await runner.cleanup()
        await app.close()
    return 0


async def _socket(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    app = await _start(settings)
    tune_collector()
    handler = AsyncSocketModeHandler(app.bolt, settings.slack_app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    app.start_sweeper()
    app.start_scheduler()
    log.info("okrbot connected over Socket Mode")
    try:
        await _wait_for_stop()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
        await app.close()
    return 0


def read_org_file(path: Path) -> str | None:
    """The org chart file's text, or None once the reason it cannot be imported is
    printed. The size is checked before anything is read, and no more than the limit
    is ever read (a pipe has no size to check)."""
    from okrbot.domain.orgchart import MAX_FILE_BYTES, OrgChartError, decode_org_file, too_big

    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise too_big(size)
            data = file.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise too_big(len(data))
        text, encoding = decode_org_file(data)
    except OSError as exc:
        print(f"okrbot: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return None
    except OrgChartError as exc:
        _refused(path.name, exc)
        return None
    # A guess can be wrong without an error (a Polish Windows-1250 file reads as
    # Windows-1252, Łódź as £ódŸ): saying which it was makes garbled names explicable.
    print(f"okrbot: reading {path.name} as {encoding}", file=sys.stderr)
    return text


def _refused(name: str, exc: OrgChartError) -> None:
    # A problem with the whole file is one line; problems with rows are listed under it.
    if len(exc.errors) == 1 and exc.errors[0].line is None:
        print(f"okrbot: {name} was not imported: {exc}", file=sys.stderr)
    else:
        print(f"okrbot: {name} was not imported:\n{exc}", file=sys.stderr)


def _progress(name: str) -> Callable[[str], None]:
    def report(line: str) -> None:
        print(f"okrbot: {name}: {line}", file=sys.stderr, flush=True)

    return report


async def org_import(
    settings: Settings,
    name: str,
    text: str,
    *,
    workspace: str | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> int:
    from datetime import UTC, datetime

    from okrbot.domain.orgchart import OrgChartError
    from okrbot.services import orgchart
    from okrbot.services.ports import DeliveryError
    from okrbot.slack.gateway import SlackGateway, make_client
    from okrbot.store import schema
    from okrbot.store.engine import create_engine
    from okrbot.store.uow import SessionFactory

    engine = create_engine(settings.database_url)
    progress = _progress(name)
    try:
        current = await schema.current_revision(engine)
        if current != schema.head_revision():
            print(
                f"okrbot: {schema.SchemaOutOfDate(current, schema.head_revision())}",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        token, problem = await _token_for(settings, engine, workspace)
        if problem:
            print(f"okrbot: {problem}", file=sys.stderr)
            return EXIT_CONFIG
        gateway = SlackGateway(make_client(token, settings.slack_api_url))
        team = workspace or await gateway.team_id()
        # Slack first, the database after: no transaction waits while Slack is paged.
        prepared = await orgchart.prepare(text, gateway, sleep=sleep, progress=progress)
        async with SessionFactory(engine)() as uow:
            summary = await orgchart.apply(
                uow, team, prepared, now=datetime.now(UTC), progress=progress
            )
    except OrgChartError as exc:
        _refused(name, exc)
        return EXIT_INPUT
    except DeliveryError as exc:
        print(
            f"okrbot: could not read the workspace's people from Slack ({exc.code}); "
            "nothing was imported",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    finally:
        await engine.dispose()
    print(
        f"okrbot: imported {name}: {summary.created} added, {summary.updated} updated, "
        f"{summary.unchanged} unchanged"
    )
    return 0


async def _token_for(
    settings: Settings, engine: AsyncEngine, workspace: str | None
) -> tuple[str | None, str | None]:
    """(bot token, problem): the configured token, or with OAuth the workspace's install."""
    if not settings.oauth:
        return settings.slack_bot_token, None
    if workspace is None:
        return None, "with OAuth installs, name the workspace: --workspace T…"
    from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

    store = AsyncSQLAlchemyInstallationStore(settings.slack_client_id or "", engine)
    bot = await store.async_find_bot(enterprise_id=None, team_id=workspace)
    if bot is None or not bot.bot_token:
        return None, f"okrbot is not installed in workspace {workspace}"
    return bot.bot_token, None


async def export(
    settings: Settings,
    quarter: str,
    fmt: str,
    *,
    output: Path | None = None,
    workspace: str | None = None,
    now: datetime | None = None,
) -> int:
    from okrbot.domain.quarters import Quarter
    from okrbot.export_formats import render
    from okrbot.services import export as exporting
    from okrbot.store import schema
    from okrbot.store.engine import create_engine
    from okrbot.store.uow import SessionFactory

    try:
        wanted = Quarter.parse(quarter)
    except ValueError as exc:
        print(f"okrbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    engine = create_engine(settings.database_url)
    try:
        current = await schema.current_revision(engine)
        if current != schema.head_revision():
            print(
                f"okrbot: {schema.SchemaOutOfDate(current, schema.head_revision())}",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        # One read-only transaction: the export is one consistent moment, and it never
        # waits for (or blocks) a running okrbot's writes.
        async with SessionFactory(engine)(readonly=True) as uow:
            await exporting.snapshot(uow)
            chosen, problem = _export_workspace(await exporting.workspaces(uow), workspace)
            if problem:
                print(f"okrbot: {problem}", file=sys.stderr)
                return EXIT_CONFIG
            data = await exporting.export_quarter(uow, chosen, wanted, now=now or datetime.now(UTC))
    finally:
        await engine.dispose()
    text = render(data, fmt)
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    try:
        # The BOM is how Excel knows a CSV is UTF-8 (names like "Åse" otherwise break);
        # newline="" keeps the csv module's line ends and the ones inside fields as they are.
        await asyncio.to_thread(
            output.write_text,
            text,
            encoding="utf-8-sig" if fmt == "csv" else "utf-8",
            newline="",
        )
    except OSError as exc:
        print(f"okrbot: cannot write {output}: {exc.strerror}", file=sys.stderr)
        return EXIT_INPUT
    print(f"okrbot: exported {len(data.objectives)} objectives of {wanted} to {output}")
    return 0


def _export_workspace(known: Sequence[str], wanted: str | None) -> tuple[str | None, str | None]:
    """(workspace, problem): guessing between two workspaces would export the wrong one."""
    if wanted is not None:
        if wanted in known:
            return wanted, None
        held = ", ".join(known) or "none"
        return None, f"workspace {wanted} is not in this database (it holds: {held})"
    if len(known) > 1:
        return None, (
            f"this database holds several workspaces ({', '.join(known)}): "
            "choose one with --workspace"
        )
    # A database nobody has used yet exports an empty quarter rather than failing.
    return (known[0] if known else None), None


async def run_job(
    settings: Settings,
    name: str,
    *,
    force: bool,
    workspace: str | None = None,
    resend_in_doubt: bool = False,
) -> int:
    from okrbot.domain.weekly import Job
    from okrbot.jobs.runner import NotServed

    app = await _start(settings)
    tune_collector()
    try:
        try:
            report = await app.jobs.run(
                Job(name), force=force, workspace_id=workspace, resend_in_doubt=resend_in_doubt
            )
        except NotServed as exc:
            print(f"okrbot: {name}: {exc} (choose with --workspace T…)", file=sys.stderr)
            return EXIT_CONFIG
        # Whatever the job queued (a problem report, say) goes out before we exit.
        await app.settle()
    finally:
        await app.close()
    weeks = ", ".join(report.weeks) or "nobody due"
    fan = report.fanout
    if fan is None:
        print(f"okrbot: {name}: nothing to do")
        return 0
    if report.nothing_published:
        print(f"okrbot: {name} ({weeks}): nothing is published this quarter yet, no digest")
        return 0
    print(
        f"okrbot: {name} ({weeks}): {fan.sent + fan.recovered} sent, {fan.already} already sent "
        f"this week{' (use --force to send again)' if fan.already and not force else ''}, "
        f"{fan.failed} failed"
    )
    if fan.pending:
        until = max(p.until for p in fan.pending).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        print(
            f"okrbot: {name}: {len(fan.pending)} being sent by another process "
            f"({', '.join(sorted(p.recipient for p in fan.pending))}); if it died, any running "
            f"okrbot settles them after {until}"
        )
    doubtful = [*fan.in_doubt, *report.outbox_in_doubt]
    if doubtful:
        print(
            f"okrbot: {len(doubtful)} in doubt, Slack could not tell whether they went out "
            f"({', '.join(sorted(doubtful))}): send them with --resend-in-doubt"
        )
    return 0 if fan.failed == 0 and not doubtful else EXIT_INPUT
