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
from typing import TYPE_CHECKING, NoReturn

from okrbot.config import ConfigError, Settings, load_settings, unknown_names

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from okrbot.domain.orgchart import OrgChartError

EXIT_CONFIG = 2
EXIT_INPUT = 1

log = logging.getLogger("okrbot")


class _Parser(argparse.ArgumentParser):
    """A mistake on the command line is one line, like every other setup mistake, with
    where to look; argparse's own answer is the whole usage first."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_CONFIG, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"--port {text}: must be a number from 1 to 65535")
    return port


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("okrbot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="okrbot",
        description="Run your company's OKR process in Slack.",
    )
    parser.add_argument("--version", action="version", version=f"okrbot {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve Slack's HTTP requests (POST /slack/events)",
        description=(
            "Answer Slack's HTTP requests at POST /slack/events (and /slack/install with "
            "OAuth), report health at GET /healthz, answer the HTTP API under /api/v1 and run "
            "the weekly jobs. Checks the "
            "settings, the database schema and the bot token first."
        ),
    )
    serve.add_argument("--port", type=_port, help="port to listen on (default: $PORT or 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")  # noqa: S104
    commands.add_parser(
        "socket",
        help="connect to Slack over Socket Mode (needs SLACK_APP_TOKEN)",
        description=(
            "Connect to Slack over Socket Mode, for a server Slack cannot reach over HTTP, "
            "and run the weekly jobs. Needs SLACK_APP_TOKEN (xapp-) besides the bot token; "
            "both are checked with Slack first."
        ),
    )
    demo = commands.add_parser(
        "demo",
        help="show the whole OKR cycle with no Slack workspace",
        description=(
            "Play the whole OKR cycle (write, approve, publish, check in, digest) against a "
            "stand-in for Slack and print what each person sees. Needs no settings."
        ),
    )
    demo.add_argument(
        "--database",
        metavar="FILE",
        help="SQLite file to keep the demo in (default: a temporary one); a file a "
        "demo made is started afresh, any other is refused",
    )
    commands.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description=(
            "Bring the schema of DATABASE_URL up to date (creating it in a new database). "
            "Safe to run while okrbot runs, and from several machines at once."
        ),
    )
    org = commands.add_parser("org", help="the org chart")
    org_commands = org.add_subparsers(dest="org_command", required=True, metavar="ACTION")
    importer = org_commands.add_parser(
        "import", help="import FILE.csv with columns user,manager,team[,role]"
    )
    importer.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help="a CSV file with the header user,manager,team (role optional): Slack user IDs "
        "or e-mail addresses, one person a row; importing again updates",
    )
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
    export.add_argument(
        "--quarter", help="the quarter, like 2027-Q1 (default: the current one in OKRBOT_TIMEZONE)"
    )
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
    token = commands.add_parser(
        "token",
        help="tokens for the HTTP API (/api/v1)",
        description=(
            "Make, list and revoke the tokens that callers of the HTTP API present "
            "(Authorization: Bearer okr_...). A token belongs to one workspace; it is shown "
            "once, when it is made, and only its hash is kept."
        ),
    )
    token_commands = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="make a token and print it, once")
    create.add_argument("--name", required=True, help="what the token is for, like ci or grafana")
    create.add_argument(
        "--workspace",
        metavar="TEAM_ID",
        help="the workspace, needed when okrbot is installed in more than one",
    )
    token_commands.add_parser("list", help="the tokens: name, workspace, made, last used")
    revoke = token_commands.add_parser("revoke", help="stop a token from working (within 5 s)")
    revoke.add_argument("name", metavar="NAME")
    revoke.add_argument(
        "--workspace",
        metavar="TEAM_ID",
        help="the workspace, needed when several have a token of that name",
    )
    return parser


def _settings(mode: str | None) -> Settings:
    for warning in unknown_names():
        print(f"okrbot: warning: {warning}", file=sys.stderr)
    try:
        return load_settings(mode)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"okrbot: configuration error: {problem}", file=sys.stderr)
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
    from okrbot.slack.tenancy import TokenRefused
    from okrbot.store.engine import DatabaseUnavailable

    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except (DatabaseUnavailable, TokenRefused) as exc:
        # Setup mistakes found on the way in: the database cannot be opened, Slack refuses
        # a token. Said once, in the words of the setting to fix.
        print(f"okrbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG


def _run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from okrbot.sandbox.demo import run_demo

        return asyncio.run(run_demo(args.database))
    if args.command == "migrate":
        settings = _settings(None)
        _logging(settings)
        return asyncio.run(migrate(settings))
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
        return asyncio.run(
            export(settings, args.quarter, args.fmt, output=args.output, workspace=args.workspace)
        )
    if args.command == "token":
        settings = _settings("token")
        _logging(settings)
        if args.action == "create":
            return asyncio.run(token_create(settings, args.name, workspace=args.workspace))
        if args.action == "list":
            return asyncio.run(token_list(settings))
        return asyncio.run(token_revoke(settings, args.name, workspace=args.workspace))
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


async def migrate(settings: Settings) -> int:
    from okrbot.store import schema
    from okrbot.store.engine import create_engine

    engine = create_engine(settings.database_url)
    try:
        before = await schema.current_revision(engine)
    finally:
        await engine.dispose()
    head = schema.head_revision()
    if before != head:
        await asyncio.to_thread(schema.upgrade, settings.database_url)
        print(f"okrbot: database schema upgraded from {before or 'nothing'} to {head}")
    print(f"okrbot: database schema is at {head}")
    return 0


async def _start(  # type: ignore[no-untyped-def]
    settings: Settings, *, need_slack: bool = False, socket_mode: bool = False
):
    """The app, built and checked: its schema, and the tokens in the environment with
    Slack (the app token too for Socket Mode). An outage does not stop a server (it
    answers Slack once Slack is back), but a command that must reach Slack now
    (`need_slack`, Socket Mode) raises `DeliveryError`."""
    from okrbot.bootstrap import build
    from okrbot.services.ports import DeliveryError
    from okrbot.slack.tenancy import SingleWorkspace, check_app_token
    from okrbot.store.schema import SchemaOutOfDate

    app = build(settings)
    try:
        await app.check_schema()
        tenancy = app.tenancy
        if isinstance(tenancy, SingleWorkspace):
            try:
                await tenancy.check_token()
            except DeliveryError as exc:
                if need_slack or socket_mode:
                    raise
                log.warning(
                    "could not reach Slack at %s to check SLACK_BOT_TOKEN (%s); starting anyway",
                    settings.slack_api_url,
                    exc.code,
                )
        if socket_mode and settings.slack_app_token:
            await check_app_token(settings.slack_app_token, settings.slack_api_url)
    except SchemaOutOfDate as exc:
        await app.close()
        print(f"okrbot: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    except BaseException:
        await app.close()
        raise
    return app


def _unreachable(settings: Settings, what: str, code: str) -> int:
    from okrbot.slack.tenancy import REFUSED, TokenRefused

    if code in REFUSED:
        # Taken at start, refused since (revoked while the job ran).
        print(f"okrbot: {what}: {TokenRefused('SLACK_BOT_TOKEN', code)}", file=sys.stderr)
    else:
        print(
            f"okrbot: {what}: could not reach Slack at {settings.slack_api_url} ({code}); "
            "try again when it answers",
            file=sys.stderr,
        )
    return EXIT_CONFIG


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
    try:
        await site.start()
    except OSError as exc:
        # In use by another process, or an address this machine does not have.
        await runner.cleanup()
        await app.close()
        print(
            f"okrbot: cannot listen on {host}:{settings.port}: {exc.strerror or exc} "
            "(choose another with --port or PORT)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    app.start_sweeper()
    app.start_scheduler()
    installs = ", GET /slack/install" if settings.oauth else ""
    log.info(
        "okrbot listening on %s:%s (POST /slack/events, GET /healthz%s, /api/v1)",
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

    from okrbot.services.ports import DeliveryError

    try:
        app = await _start(settings, socket_mode=True)
    except DeliveryError as exc:
        return _unreachable(settings, "socket", exc.code)
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
        try:
            await schema.check_at_head(engine)
        except schema.SchemaOutOfDate as outdated:
            print(f"okrbot: {outdated}", file=sys.stderr)
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
    from okrbot.store.installations import installation_store

    store = installation_store(engine, settings.slack_client_id or "")
    bot = await store.async_find_bot(enterprise_id=None, team_id=workspace)
    if bot is None or not bot.bot_token:
        return None, f"okrbot is not installed in workspace {workspace}"
    return bot.bot_token, None


async def export(
    settings: Settings,
    quarter: str | None,
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
    from okrbot.store.engine import create_engine, sqlite_file
    from okrbot.store.uow import SessionFactory

    now = now or datetime.now(UTC)
    if quarter is None:
        wanted = Quarter.containing(now.astimezone(settings.timezone).date())
    else:
        try:
            wanted = Quarter.parse(quarter)
        except ValueError as exc:
            print(f"okrbot: {exc}", file=sys.stderr)
            return EXIT_CONFIG
    database = sqlite_file(settings.database_url)
    if database is not None and not database.is_file():
        # Opening it would create it: an empty file, and a quarter exported from nothing.
        print(
            f"okrbot: DATABASE_URL: there is no database at {database} (run okrbot where "
            "it runs, or point DATABASE_URL at its database)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    engine = create_engine(settings.database_url)
    try:
        try:
            await schema.check_at_head(engine, auto=False)
        except schema.SchemaOutOfDate as outdated:
            print(f"okrbot: {outdated}", file=sys.stderr)
            return EXIT_CONFIG
        # One read-only transaction: the export is one consistent moment, and it never
        # waits for (or blocks) a running okrbot's writes.
        async with SessionFactory(engine)(readonly=True) as uow:
            await exporting.snapshot(uow)
            chosen, problem = _export_workspace(await exporting.workspaces(uow), workspace)
            if problem:
                print(f"okrbot: {problem}", file=sys.stderr)
                return EXIT_CONFIG
            data = await exporting.export_quarter(uow, chosen, wanted, now=now)
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
    from okrbot.services.ports import DeliveryError, NotServed

    try:
        app = await _start(settings, need_slack=True)
    except DeliveryError as exc:
        return _unreachable(settings, name, exc.code)
    tune_collector()
    try:
        try:
            report = await app.jobs.run(
                Job(name), force=force, workspace_id=workspace, resend_in_doubt=resend_in_doubt
            )
        except NotServed as exc:
            print(f"okrbot: {name}: {exc} (choose with --workspace T…)", file=sys.stderr)
            return EXIT_CONFIG
        except DeliveryError as exc:
            return _unreachable(settings, name, exc.code)
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


async def _open_database(settings: Settings) -> AsyncEngine | None:
    """The engine of a database at the schema's head, or None once the reason it cannot be
    used is printed (a SQLite file that is not there would be made, empty)."""
    from okrbot.store import schema
    from okrbot.store.engine import create_engine, sqlite_file

    database = sqlite_file(settings.database_url)
    if database is not None and not database.is_file():
        print(
            f"okrbot: DATABASE_URL: there is no database at {database} (run okrbot where "
            "it runs, or point DATABASE_URL at its database)",
            file=sys.stderr,
        )
        return None
    engine = create_engine(settings.database_url)
    try:
        await schema.check_at_head(engine, auto=False)
    except schema.SchemaOutOfDate as outdated:
        await engine.dispose()
        print(f"okrbot: {outdated}", file=sys.stderr)
        return None
    return engine


async def _token_workspace(
    settings: Settings, engine: AsyncEngine, wanted: str | None
) -> tuple[str | None, str | None]:
    """(workspace, problem) for a new token: the one okrbot serves, or with OAuth installs
    the one installed, or `wanted` among those installed."""
    from okrbot.services import tokens
    from okrbot.services.ports import DeliveryError
    from okrbot.slack.gateway import SlackGateway, make_client
    from okrbot.store.uow import SessionFactory

    if settings.oauth:
        installed = await tokens.installed_workspaces(SessionFactory(engine))
        if wanted is not None:
            if wanted in installed:
                return wanted, None
            held = ", ".join(installed) or "none"
            return None, f"okrbot is not installed in workspace {wanted} (installed: {held})"
        if not installed:
            return None, "okrbot is not installed in any workspace yet"
        if len(installed) > 1:
            return None, (
                f"okrbot is installed in several workspaces ({', '.join(installed)}): "
                "choose one with --workspace"
            )
        return installed[0], None
    if not settings.slack_bot_token:
        # Nothing to ask which workspace the one token serves: the caller must say.
        if wanted is None:
            return None, "SLACK_BOT_TOKEN is not set: name the workspace with --workspace T…"
        return wanted, None
    try:
        team = await SlackGateway(
            make_client(settings.slack_bot_token, settings.slack_api_url)
        ).team_id()
    except DeliveryError as exc:
        if wanted is not None:
            return wanted, None
        return None, (
            f"could not ask Slack which workspace SLACK_BOT_TOKEN serves ({exc.code}): "
            "name it with --workspace T…"
        )
    if wanted is not None and wanted != team:
        return None, f"okrbot serves workspace {team} (SLACK_BOT_TOKEN), not {wanted}"
    return team, None


async def token_create(
    settings: Settings, name: str, *, workspace: str | None = None, now: datetime | None = None
) -> int:
    from okrbot.services import tokens
    from okrbot.store.uow import SessionFactory

    problem = tokens.name_problem(name)
    if problem:
        print(f"okrbot: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    engine = await _open_database(settings)
    if engine is None:
        return EXIT_CONFIG
    try:
        chosen, problem = await _token_workspace(settings, engine, workspace)
        if chosen is None:
            print(f"okrbot: {problem}", file=sys.stderr)
            return EXIT_CONFIG
        try:
            token = await tokens.create(
                SessionFactory(engine), chosen, name, now or datetime.now(UTC)
            )
        except tokens.TokenError as exc:
            print(f"okrbot: {exc}", file=sys.stderr)
            return EXIT_CONFIG
    finally:
        await engine.dispose()
    print(
        f"okrbot: made token {name!r} for workspace {chosen}; it is shown only now, keep it "
        "somewhere safe",
        file=sys.stderr,
    )
    print(token)
    return 0


async def token_list(settings: Settings) -> int:
    from okrbot.export_formats import timestamp
    from okrbot.services import tokens
    from okrbot.store.uow import SessionFactory

    engine = await _open_database(settings)
    if engine is None:
        return EXIT_CONFIG
    try:
        found = await tokens.listing(SessionFactory(engine))
    finally:
        await engine.dispose()
    if not found:
        print("okrbot: no API tokens (make one with `okrbot token create --name NAME`)")
        return 0
    rows = [("NAME", "WORKSPACE", "CREATED", "LAST USED")] + [
        (
            t.name,
            t.workspace_id,
            timestamp(t.created_at) or "",
            timestamp(t.last_used_at) or "never",
        )
        for t in found
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[3]]))
    return 0


async def token_revoke(settings: Settings, name: str, *, workspace: str | None = None) -> int:
    from okrbot.services import tokens
    from okrbot.store.uow import SessionFactory

    engine = await _open_database(settings)
    if engine is None:
        return EXIT_CONFIG
    try:
        revoked = await tokens.revoke(SessionFactory(engine), name, workspace)
    except tokens.TokenError as exc:
        print(f"okrbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    finally:
        await engine.dispose()
    print(f"okrbot: revoked token {revoked.name!r} of workspace {revoked.workspace_id}")
    return 0
