"""Data sources of key results, through the running app: attached with signed `/okr admin`
commands, read by the weekly tick daily at 06:00 and before the check-in prompt, against a
loopback HTTP server and a SQLite (and PostgreSQL) database the test makes; failures told
once, paused after three, admins told; private addresses refused without the setting."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from okrbot import sources
from okrbot.domain.sources import SourceProblem
from okrbot.sandbox.fake_slack import Message
from okrbot.sandbox.harness import CEO, COLLEAGUE, FrozenClock
from okrbot.slack import ids
from okrbot.store import external
from okrbot.store.models import CheckIn, CheckInValue, KeyResult, KeyResultSource
from tests.slack.test_admin import text_of
from tests.slack.test_home import home
from tests.slack.test_home import text_of as home_text
from tests.slack.weekly_helpers import prompts_to, seed_company
from tests.support.sandbox import Sandbox

# Wednesday 25 November 2026 (the sandbox's start); Oslo is UTC+1.
THURSDAY_SIX = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)  # 06:00 in Oslo
FRIDAY_SIX = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
FRIDAY_NOON_UTC = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 13:00 in Oslo: the prompt
SATURDAY_SIX = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
TOKEN_VAR = "OKRBOT_TEST_SOURCE_TOKEN"
DB_VAR = "OKRBOT_TEST_SOURCE_DB"


@dataclass
class Stats:
    """A loopback JSON endpoint whose number the test changes, and what it was asked."""

    value: object = 42.5
    status: int = 200
    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
async def stats() -> AsyncIterator[Stats]:
    served = Stats()

    async def handle(request: web.Request) -> web.Response:
        served.requests.append(dict(request.headers))
        body = {"data": [{"name": "coverage", "value": served.value}]}
        return web.json_response(body, status=served.status)

    app = web.Application()
    app.router.add_get("/stats.json", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    served.url = f"http://127.0.0.1:{port}/stats.json"
    try:
        yield served
    finally:
        await runner.cleanup()


@pytest.fixture
async def open_box(database_url: str, clock: FrozenClock) -> AsyncIterator[Sandbox]:
    """The sandbox with OKRBOT_ALLOW_PRIVATE_SOURCES=true, so loopback may be read."""
    async with Sandbox(database_url, clock=clock, allow_private_sources=True) as sandbox:
        yield sandbox


async def key_results(box: Sandbox) -> list[int]:
    async with box.uow(readonly=True) as uow:
        return list((await uow.session.scalars(select(KeyResult.id).order_by(KeyResult.id))).all())


async def source_of(box: Sandbox, kr: int) -> KeyResultSource:
    async with box.uow(readonly=True) as uow:
        found = await uow.session.scalar(
            select(KeyResultSource).where(KeyResultSource.key_result_id == kr)
        )
    assert found is not None
    return found


async def values_of(box: Sandbox, kr: int) -> list[tuple[float, str]]:
    async with box.uow(readonly=True) as uow:
        rows = await uow.session.execute(
            select(CheckInValue.value, CheckIn.source)
            .join(CheckIn, CheckIn.id == CheckInValue.check_in_id)
            .where(CheckInValue.key_result_id == kr)
            .order_by(CheckInValue.id)
        )
        return [(value, source) for value, source in rows.all()]


async def tick_at(box: Sandbox, moment: datetime) -> None:
    box.clock.now = moment
    await box.bot.jobs.tick()
    await box.settle()


def dms_saying(box: Sandbox, user: str, words: str) -> list[str]:
    return [m.text for m in box.fake.dms_to(user) if words in m.text]


async def test_an_http_source_is_read_daily_once_and_recorded_as_a_check_in(
    open_box: Sandbox, stats: Stats, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = open_box
    [owner] = await seed_company(box, 1, krs=2)
    kr = (await key_results(box))[0]
    monkeypatch.setenv(TOKEN_VAR, "Bearer s3cret")
    command = f"admin source {kr} http <{stats.url}> /data/0/value header=Authorization:{TOKEN_VAR}"
    answered = text_of(await box.slack.slash(CEO.id, command))
    assert f"Key result {kr}" in answered
    assert "is now read from" in answered
    assert "s3cret" not in answered

    await tick_at(box, datetime(2026, 11, 26, 4, 59, tzinfo=UTC))  # 05:59 in Oslo
    assert stats.requests == []
    await tick_at(box, THURSDAY_SIX)
    assert len(stats.requests) == 1
    assert stats.requests[0]["Authorization"] == "Bearer s3cret"
    assert await values_of(box, kr) == [(42.5, "source:http")]
    source = await source_of(box, kr)
    assert (source.last_value, source.failures, source.last_read_on) == (42.5, 0, "2026-11-26")

    # Later that day, and after a restart: not read again.
    await tick_at(box, datetime(2026, 11, 26, 15, 0, tzinfo=UTC))
    await box.restart()
    await tick_at(box, datetime(2026, 11, 26, 22, 0, tzinfo=UTC))
    assert len(stats.requests) == 1

    # A numeric string counts too.
    stats.value = "43"
    await tick_at(box, FRIDAY_SIX)
    assert len(stats.requests) == 2
    assert await values_of(box, kr) == [(42.5, "source:http"), (43.0, "source:http")]
    async with box.uow(readonly=True) as uow:
        row = await uow.session.get(KeyResult, kr)
        assert row is not None
        assert row.current_value == 43.0

    listed = text_of(await box.slack.slash(CEO.id, "admin sources"))
    assert f"{kr}." in listed
    assert "active" in listed
    assert "43" in listed
    assert f"<@{owner}>" in listed
    assert box.fake.violations == []


async def test_read_before_the_prompt_and_the_form_says_so(open_box: Sandbox, stats: Stats) -> None:
    box = open_box
    [owner] = await seed_company(box, 1, krs=2)
    kr = (await key_results(box))[0]
    await box.slack.slash(CEO.id, f"admin source {kr} http {stats.url} /data/0/value")
    await tick_at(box, FRIDAY_SIX)
    assert len(stats.requests) == 1

    stats.value = 50
    await tick_at(box, FRIDAY_NOON_UTC)
    [prompt] = prompts_to(box, owner)
    # Read again just before the prompt, once.
    assert len(stats.requests) == 2
    assert await values_of(box, kr) == [(42.5, "source:http"), (50.0, "source:http")]
    await tick_at(box, datetime(2026, 11, 27, 12, 5, tzinfo=UTC))
    assert len(stats.requests) == 2

    await box.slack.click(owner, prompt, ids.CHECKIN)
    await box.settle()
    [view] = box.fake.open_views_for(owner)
    numbers = [b for b in view["blocks"] if b.get("element", {}).get("type") == "number_input"]
    assert numbers[0]["element"]["initial_value"] == "50"
    assert "Updated automatically from HTTP on 2026-11-27" in numbers[0]["hint"]["text"]
    assert "automatically" not in numbers[1]["hint"]["text"]
    assert box.fake.violations == []


async def test_failures_are_told_once_pause_after_three_and_tell_the_admins(
    open_box: Sandbox, stats: Stats
) -> None:
    box = open_box
    [owner] = await seed_company(box, 1, krs=1)
    [kr] = await key_results(box)
    await box.slack.slash(CEO.id, f"admin source {kr} http {stats.url} /data/0/value")
    stats.status = 503

    await tick_at(box, THURSDAY_SIX)
    source = await source_of(box, kr)
    assert (source.failures, source.status) == (1, "active")
    assert source.last_error is not None
    assert "503" in source.last_error
    assert len(dms_saying(box, owner, "could not read")) == 1
    assert "503" in home_text(home(box, owner))

    await tick_at(box, FRIDAY_SIX)
    assert (await source_of(box, kr)).failures == 2
    assert len(dms_saying(box, owner, "could not read")) == 1  # told once, not daily
    assert dms_saying(box, CEO.id, "paused") == []

    await tick_at(box, SATURDAY_SIX)
    source = await source_of(box, kr)
    assert (source.failures, source.status) == (3, "paused")
    assert len(dms_saying(box, CEO.id, "paused")) == 1
    assert "paused" in home_text(home(box, owner))

    # Paused: not read again, and the admins are not told again.
    await tick_at(box, datetime(2026, 11, 29, 5, 0, tzinfo=UTC))
    assert len(stats.requests) == 3
    assert len(dms_saying(box, CEO.id, "paused")) == 1

    stats.status = 200
    resumed = text_of(await box.slack.slash(CEO.id, f"admin source {kr} on"))
    assert "again" in resumed
    await tick_at(box, datetime(2026, 11, 29, 6, 0, tzinfo=UTC))
    source = await source_of(box, kr)
    assert (source.failures, source.status, source.last_error) == (0, "active", None)
    assert await values_of(box, kr) == [(42.5, "source:http")]
    assert "503" not in home_text(home(box, owner))

    off = text_of(await box.slack.slash(CEO.id, f"admin source {kr} off"))
    assert "no longer read" in off
    await tick_at(box, datetime(2026, 11, 30, 6, 0, tzinfo=UTC))
    assert len(stats.requests) == 4
    assert box.fake.violations == []


async def test_loopback_is_refused_without_the_setting(box: Sandbox, stats: Stats) -> None:
    [owner] = await seed_company(box, 1, krs=1)
    [kr] = await key_results(box)
    await box.slack.slash(CEO.id, f"admin source {kr} http {stats.url} /data/0/value")
    await tick_at(box, THURSDAY_SIX)
    assert stats.requests == []
    source = await source_of(box, kr)
    assert source.last_error is not None
    assert "private_refused" in source.last_error
    assert len(dms_saying(box, owner, "could not read")) == 1


async def test_private_and_metadata_addresses_are_refused_by_the_reader(stats: Stats) -> None:
    config = {"url": stats.url, "pointer": "/data/0/value"}
    with pytest.raises(SourceProblem) as refused:
        await sources.read("http", config, allow_private=False)
    assert refused.value.key == "private_refused"
    assert await sources.read("http", config, allow_private=True) == 42.5
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fd00:ec2::254]/",
    ):
        for allow in (False, True):
            with pytest.raises(SourceProblem) as refused:
                await sources.read("http", {"url": url, "pointer": ""}, allow_private=allow)
            assert refused.value.key == "metadata_refused", url
    assert len(stats.requests) == 1


async def test_http_bodies_too_large_or_not_json_or_without_a_number(stats: Stats) -> None:
    config = {"url": stats.url, "pointer": "/data/0/value"}
    stats.value = "x" * (1024 * 1024)
    with pytest.raises(SourceProblem) as refused:
        await sources.read("http", config, allow_private=True)
    assert refused.value.key == "too_large"
    stats.value = {"nested": 1}
    with pytest.raises(SourceProblem) as refused:
        await sources.read("http", config, allow_private=True)
    assert refused.value.key == "not_a_number"
    with pytest.raises(SourceProblem) as refused:
        await sources.read("http", {**config, "pointer": "/data/9"}, allow_private=True)
    assert refused.value.key == "no_value"
    with pytest.raises(SourceProblem) as refused:
        await sources.read(
            "http",
            {**config, "header": {"name": "X", "env": "OKRBOT_TEST_UNSET"}},
            allow_private=True,
            environ={},
        )
    assert refused.value.key == "env_unset"


def _sales_db(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER, active INTEGER)")
        connection.executemany(
            "INSERT INTO customers VALUES (?, ?)", [(n, n % 2) for n in range(1, 8)]
        )
    return f"sqlite:///{path}"


async def test_a_sql_source_on_a_sqlite_file(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _sales_db(tmp_path / "sales.db")
    [owner] = await seed_company(box, 1, krs=1)
    [kr] = await key_results(box)

    unset = text_of(await box.slack.slash(CEO.id, f"admin source {kr} sql {DB_VAR} SELECT 1"))
    assert f"`{DB_VAR}` is not set" in unset
    monkeypatch.setenv(DB_VAR, url)
    write = text_of(
        await box.slack.slash(CEO.id, f"admin source {kr} sql {DB_VAR} DELETE FROM customers")  # noqa: S608
    )
    assert "Only a read" in write
    two = text_of(
        await box.slack.slash(CEO.id, f"admin source {kr} sql {DB_VAR} SELECT 1; SELECT 2")
    )
    assert "One statement" in two
    # Slack escapes ">" in the command's text.
    query = "SELECT count(*) FROM customers WHERE id &gt; 2 AND active = 1"
    attached = text_of(await box.slack.slash(CEO.id, f"admin source {kr} sql {DB_VAR} {query}"))
    assert "is now read from SQL" in attached, attached
    assert (await source_of(box, kr)).config["query"] == (
        "SELECT count(*) FROM customers WHERE id > 2 AND active = 1"
    )

    await tick_at(box, THURSDAY_SIX)
    assert await values_of(box, kr) == [(3.0, "source:sql")]
    assert owner
    assert box.fake.violations == []


async def test_sqlite_sources_are_opened_read_only(tmp_path: Path) -> None:
    url = _sales_db(tmp_path / "sales.db")
    assert await external.read_number(url, "SELECT count(*) FROM customers", 10) == 7.0
    with pytest.raises(SourceProblem) as refused:
        await external.read_number(url, "SELECT id FROM customers", 10)
    assert refused.value.key == "one_row"
    with pytest.raises(SourceProblem) as refused:
        await external.read_number(url, "INSERT INTO customers VALUES (9, 1)", 10)
    assert refused.value.key == "select_only"
    # Past the query check, SQLite itself refuses: the file is open read-only.
    with pytest.raises(SourceProblem) as refused:
        await external._read_sqlite(
            f"{(tmp_path / 'sales.db').resolve().as_uri()}?mode=ro",
            "INSERT INTO customers VALUES (9, 1)",
            10,
        )
    assert refused.value.key == "database_error"
    assert "readonly" in refused.value.details["reason"].replace(" ", "").lower()
    with sqlite3.connect(tmp_path / "sales.db") as connection:
        assert connection.execute("SELECT count(*) FROM customers").fetchone() == (7,)


@pytest.mark.skipif(
    not os.environ.get("OKRBOT_TEST_POSTGRES_URL"), reason="needs OKRBOT_TEST_POSTGRES_URL"
)
async def test_postgresql_sources_run_read_only() -> None:
    url = os.environ["OKRBOT_TEST_POSTGRES_URL"]
    assert await external.read_number(url, "SELECT 41.5::numeric + 1", 10) == 42.5
    with pytest.raises(SourceProblem) as refused:
        await external._read_postgres(url, "CREATE TABLE okrbot_source_probe (n int)", 10)
    assert refused.value.key == "database_error"
    assert "read-only" in refused.value.details["reason"]
    with pytest.raises(SourceProblem) as refused:
        await external.read_number(url, "SELECT pg_sleep(5)", 0.5)
    assert refused.value.key in ("timed_out", "database_error")


async def test_only_admins_attach_sources(box: Sandbox) -> None:
    await seed_company(box, 1, krs=1)
    [kr] = await key_results(box)
    refused = text_of(
        await box.slack.slash(COLLEAGUE.id, f"admin source {kr} http https://x.example/a /v")
    )
    assert "Only the CEO and okrbot's admins" in refused
    assert text_of(await box.slack.slash(COLLEAGUE.id, "admin sources")).startswith("Only")
    async with box.uow(readonly=True) as uow:
        assert (await uow.session.scalars(select(KeyResultSource))).all() == []
    missing = text_of(
        await box.slack.slash(CEO.id, "admin source 999999 http https://x.example /v")
    )
    assert "no key result 999999" in missing
    usage = text_of(await box.slack.slash(CEO.id, "admin source"))
    assert "/okr admin source <key result id> http" in usage
    secret = text_of(
        await box.slack.slash(CEO.id, f"admin source {kr} sql postgresql://u:pw@h/db SELECT 1")
    )
    assert "is not an environment variable" in secret


def automatic_section(prompt: Message) -> str:
    """The prompt's section on values updated automatically ("" when it has none)."""
    found = [
        str(b["text"]["text"])
        for b in prompt.blocks or []
        if b.get("type") == "section" and "automatically" in str(b.get("text", {}).get("text"))
    ]
    assert len(found) <= 1
    return found[0] if found else ""


def answers_in_thread(box: Sandbox, user: str, message: Message) -> list[str]:
    return [str(m.blocks) for m in box.fake.bot_dms_to(user) if m.thread_ts == message.ts]


async def currents(box: Sandbox) -> list[float | None]:
    async with box.uow(readonly=True) as uow:
        rows = await uow.session.scalars(select(KeyResult).order_by(KeyResult.id))
        return [kr.current_value for kr in rows]


async def test_the_prompt_shows_the_values_read_automatically_with_source_and_date(
    open_box: Sandbox, stats: Stats
) -> None:
    box = open_box
    [owner] = await seed_company(box, 1, krs=2)
    kr = (await key_results(box))[0]
    await box.slack.slash(CEO.id, f"admin source {kr} http {stats.url} /data/0/value")

    # Read just before the prompt, which shows the fresh value, where it came from and
    # when (a date every reader sees in their own zone), numbered as a reply numbers it.
    await tick_at(box, FRIDAY_NOON_UTC)
    [prompt] = prompts_to(box, owner)
    shown = automatic_section(prompt)
    stamp = int(FRIDAY_NOON_UTC.timestamp())
    assert (
        f"1.1 Key result 1: *42.5%* \u2014 updated automatically from HTTP on "
        f"<!date^{stamp}^{{date_num}}|2026-11-27>"
    ) in shown
    assert "Updated automatically since your last check-in" in shown
    # The key result without a source has no such line.
    assert "Key result 2" not in shown
    assert box.fake.violations == []


async def test_a_value_checked_in_since_it_was_read_is_no_longer_called_automatic(
    open_box: Sandbox, stats: Stats
) -> None:
    box = open_box
    [owner] = await seed_company(box, 1, krs=2)
    kr = (await key_results(box))[0]
    await box.slack.slash(CEO.id, f"admin source {kr} http {stats.url} /data/0/value")
    await tick_at(box, FRIDAY_NOON_UTC)
    [prompt] = prompts_to(box, owner)
    assert "1.1 Key result 1: *42.5%*" in automatic_section(prompt)
    await box.slack.dm(owner, "45, 30 on track", thread_ts=prompt.ts)
    await box.settle()

    # Next week's read fails: the prompt has the person's own value, not called automatic.
    stats.status = 503
    await tick_at(box, datetime(2026, 12, 4, 12, 0, tzinfo=UTC))
    [_, second] = [m for m in prompts_to(box, owner) if m.thread_ts is None]
    assert automatic_section(second) == ""
    assert "automatically" not in str(second.blocks)
    assert box.fake.violations == []


async def test_a_reply_keeps_the_values_read_automatically_and_says_so(
    open_box: Sandbox, stats: Stats
) -> None:
    box = open_box
    [owner] = await seed_company(box, 1, krs=2)
    kr = (await key_results(box))[0]
    await box.slack.slash(CEO.id, f"admin source {kr} http {stats.url} /data/0/value")
    await tick_at(box, FRIDAY_NOON_UTC)
    [prompt] = prompts_to(box, owner)

    # Only the value typed by hand, a confidence and a comment: the one read stays.
    _, reply = await box.slack.dm(owner, "-, 30 on track \u2014 a good week", thread_ts=prompt.ts)
    await box.settle()
    assert await currents(box) == [42.5, 30.0]
    [answer] = answers_in_thread(box, owner, reply)
    stamp = int(FRIDAY_NOON_UTC.timestamp())
    assert (
        "1.1 Key result 1: 42.5%, updated automatically from HTTP on "
        f"<!date^{stamp}^{{date_num}}|2026-11-27> and kept"
    ) in answer
    assert "1.2 Key result 2: *30%* (first check-in)" in answer
    assert "a good week" in answer
    # Checked in since: the form no longer calls the value automatic.
    await box.slack.slash(owner, "checkin")
    await box.settle()
    [view] = box.fake.open_views_for(owner)
    assert "automatically" not in str(view["blocks"])
    assert box.fake.violations == []


async def test_a_value_given_in_a_reply_wins_over_the_one_read_until_the_next_read(
    open_box: Sandbox, stats: Stats
) -> None:
    box = open_box
    [owner] = await seed_company(box, 1, krs=2)
    kr = (await key_results(box))[0]
    await box.slack.slash(CEO.id, f"admin source {kr} http {stats.url} /data/0/value")
    await tick_at(box, FRIDAY_NOON_UTC)
    [prompt] = prompts_to(box, owner)

    _, reply = await box.slack.dm(owner, "50, 30 at risk", thread_ts=prompt.ts)
    await box.settle()
    assert await currents(box) == [50.0, 30.0]
    # Read daily and before the prompt (42.5 both times), then the person's value.
    assert (await values_of(box, kr))[-2:] == [(42.5, "source:http"), (50.0, "slack")]
    [answer] = answers_in_thread(box, owner, reply)
    assert "1.1 Key result 1: 42.5% \u2192 *50%*" in answer
    assert "your value replaces the one updated automatically from HTTP on <!date^" in answer

    # The next day's read records the source's value again.
    stats.value = 55
    await tick_at(box, SATURDAY_SIX)
    assert await currents(box) == [55.0, 30.0]
    assert box.fake.violations == []


async def check_ins_of(box: Sandbox) -> list[CheckIn]:
    async with box.uow(readonly=True) as uow:
        return list(await uow.session.scalars(select(CheckIn).order_by(CheckIn.id)))


async def test_with_every_value_read_a_confidence_and_a_comment_are_a_check_in(
    open_box: Sandbox, stats: Stats
) -> None:
    box = open_box
    [owner] = await seed_company(box, 1, krs=1)
    kr = (await key_results(box))[0]
    await box.slack.slash(CEO.id, f"admin source {kr} http {stats.url} /data/0/value")
    await tick_at(box, FRIDAY_NOON_UTC)
    [prompt] = prompts_to(box, owner)
    assert "every value is in already; reply with your confidence and a comment" in (
        automatic_section(prompt)
    )
    before = await check_ins_of(box)

    _, reply = await box.slack.dm(owner, "at risk \u2014 the vendor is late", thread_ts=prompt.ts)
    await box.settle()
    after = await check_ins_of(box)
    assert len(after) == len(before) + 1
    assert (after[-1].source, after[-1].confidence, after[-1].comment) == (
        "slack",
        "at_risk",
        "the vendor is late",
    )
    assert await currents(box) == [42.5]
    [answer] = answers_in_thread(box, owner, reply)
    assert "updated automatically from HTTP on <!date^" in answer
    assert "and kept" in answer
    assert box.fake.violations == []
