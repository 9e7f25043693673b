"""The HTTP API through real HTTP on the running app: tokens made and revoked with the
command's own functions, values recorded as check-ins (history, Home, digest, export),
and every refusal: no token, another workspace's ids, hostile JSON, too many requests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from okrbot import cli
from okrbot.api import server
from okrbot.api.openapi import DOCUMENT
from okrbot.api.server import PREFIX
from okrbot.domain.okr import Status
from okrbot.domain.weekly import Job
from okrbot.sandbox.fake_slack import FakeUser
from okrbot.sandbox.harness import AUTHOR, CEO, COLLEAGUE, FrozenClock
from okrbot.store.models import ApiToken, CheckIn, CheckInValue, KeyResult
from tests.slack.test_browse import ask
from tests.slack.weekly_helpers import digests, prompts_to
from tests.support import seed
from tests.support.sandbox import Sandbox

OTHER_TEAM = "T0OTHER00"
QUARTER = "2026-Q4"


@dataclass
class World:
    objective: int
    krs: list[int]  # 0 -> 100 %, then 10 -> 0 bugs
    draft_kr: int
    other_kr: int


async def _world(box: Sandbox) -> World:
    now = box.clock()
    made = {
        "mine": seed.objective(
            workspace_id=box.fake.team_id,
            owner_id=AUTHOR.id,
            title="Faster onboarding",
            quarter=QUARTER,
            now=now,
            key_results=[seed.Measure("Activation"), seed.Measure("Bugs", 10, 0, "bugs")],
        ),
        "draft": seed.objective(
            workspace_id=box.fake.team_id,
            owner_id=COLLEAGUE.id,
            title="Not yet",
            quarter=QUARTER,
            now=now,
            status=Status.DRAFT,
        ),
        "other": seed.objective(
            workspace_id=OTHER_TEAM,
            owner_id="U0OTHER01",
            title="Someone else's",
            quarter=QUARTER,
            now=now,
        ),
    }
    async with box.uow(readonly=False) as uow:
        for objective in made.values():
            uow.objectives.add(objective)
        await uow.commit()
    return World(
        made["mine"].id,
        [kr.id for kr in made["mine"].key_results],
        made["draft"].key_results[0].id,
        made["other"].key_results[0].id,
    )


@pytest.fixture
async def world(org_box: Sandbox) -> World:
    return await _world(org_box)


@pytest.fixture
async def http(org_box: Sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=org_box.base_url) as session:
        yield session


async def make_token(box: Sandbox, capsys: pytest.CaptureFixture[str], name: str = "ci") -> str:
    code = await cli.token_create(box.settings(), name, now=box.clock())
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "shown only now" in err
    token = out.strip()
    assert token.startswith("okr_")
    assert len(token) > 40
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def call(
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    token: str | None = None,
    *,
    body: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
    sent = {**(bearer(token) if token else {}), **(headers or {})}
    if body is not None:
        data = json.dumps(body).encode()
    async with http.request(method, PREFIX + path, data=data, headers=sent) as response:
        text = await response.text()
        assert response.content_type == "application/json", text[:200]
        return response.status, json.loads(text), response.headers


async def check_ins(box: Sandbox) -> list[CheckIn]:
    async with box.uow() as uow:
        return list(await uow.session.scalars(select(CheckIn).order_by(CheckIn.id)))


# -- recording a value


async def test_a_value_from_the_api_is_a_check_in_like_any_other(
    org_box: Sandbox, world: World, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    box = org_box
    token = await make_token(box, capsys)
    kr = world.krs[0]
    status, answer, _ = await call(
        http, "POST", f"/key-results/{kr}/values", token, body={"value": 42.5, "comment": "CI"}
    )
    assert status == 200, answer
    assert answer["value"] == 42.5
    assert answer["at"] == "2026-11-25T12:00:00Z"
    assert answer["comment"] == "CI"
    assert answer["source"] == "api:ci"
    assert answer["key_result"]["id"] == kr
    assert answer["key_result"]["current"] == 42.5
    assert answer["key_result"]["progress"] == 0.425
    assert answer["key_result"]["objective"] == world.objective

    # Stored as a check-in of the objective, by its owner, marked with its source.
    [stored] = await check_ins(box)
    assert (stored.author_id, stored.objective_id, stored.source) == (
        AUTHOR.id,
        world.objective,
        "api:ci",
    )
    assert (stored.confidence, stored.comment) == ("on_track", "CI")
    async with box.uow() as uow:
        values = list(await uow.session.scalars(select(CheckInValue)))
        row = await uow.session.get(KeyResult, kr)
    assert [(v.check_in_id, v.key_result_id, v.value) for v in values] == [(stored.id, kr, 42.5)]
    assert row is not None
    assert (row.current_value, row.current_at) == (42.5, box.clock())

    # Read back: the key result, and the quarter as the export has it.
    status, read, _ = await call(http, "GET", f"/key-results/{kr}", token)
    assert status == 200
    assert read == answer["key_result"]
    status, quarter, _ = await call(http, "GET", f"/objectives?quarter={QUARTER}", token)
    assert status == 200
    assert list(quarter) == ["quarter", "workspace", "exported_at", "objectives", "people"]
    [mine] = [o for o in quarter["objectives"] if o["id"] == world.objective]
    assert [k["id"] for k in mine["key_results"]] == world.krs
    assert mine["check_ins"][0]["source"] == "api:ci"
    assert mine["check_ins"][0]["values"] == [{"key_result": 1, "value": 42.5}]
    # The current quarter by default; the draft is there too, another workspace's is not.
    status, default, _ = await call(http, "GET", "/objectives", token)
    assert default["quarter"] == QUARTER
    assert {o["title"] for o in default["objectives"]} == {"Faster onboarding", "Not yet"}

    # The owner's Home is refreshed with it (HOME_REFRESH_AFTER later), and the digest
    # counts it.
    box.clock.advance(seconds=5)
    await box.settle()
    home = json.dumps(box.fake.home_view(AUTHOR.id))
    assert "42.5" in home
    await box.bot.jobs.run(Job.DIGEST)
    await box.settle()
    [digest] = digests(box)
    # The only published objective: (42.5 % + 0 %) / 2.
    assert digest.text.endswith(": 21% overall")

    # /okr show gives the ids to send values to.
    shown = await ask(box, COLLEAGUE.id, f"show {world.objective}")
    assert f"id `{world.krs[0]}`" in shown.body
    assert f"id `{world.krs[1]}`" in shown.body


async def test_a_late_value_joins_the_history_without_replacing_the_latest(
    org_box: Sandbox, world: World, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    token = await make_token(org_box, capsys)
    kr = world.krs[1]  # 10 -> 0 bugs
    path = f"/key-results/{kr}/values"
    status, first, _ = await call(http, "POST", path, token, body={"value": 4})
    assert (status, first["key_result"]["progress"]) == (200, 0.6)
    earlier = "2026-11-20T09:00:00+01:00"
    status, late, _ = await call(http, "POST", path, token, body={"value": 8, "at": earlier})
    assert status == 200
    assert late["at"] == "2026-11-20T08:00:00Z"
    assert (late["key_result"]["current"], late["key_result"]["progress"]) == (4, 0.6)
    assert [(c.created_at.isoformat(), c.source) for c in await check_ins(org_box)] == [
        ("2026-11-25T12:00:00+00:00", "api:ci"),
        ("2026-11-20T08:00:00+00:00", "api:ci"),
    ]


async def test_an_unpublished_or_removed_key_result_takes_no_value(
    org_box: Sandbox, world: World, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    token = await make_token(org_box, capsys)
    status, answer, _ = await call(
        http, "POST", f"/key-results/{world.draft_kr}/values", token, body={"value": 1}
    )
    assert (status, answer["error"]) == (409, "not_open")
    assert "not published (it is draft)" in answer["message"]
    async with org_box.uow(readonly=False) as uow:
        row = await uow.session.get(KeyResult, world.krs[1])
        assert row is not None
        row.retired_at = org_box.clock()
        await uow.commit()
    status, answer, _ = await call(
        http, "POST", f"/key-results/{world.krs[1]}/values", token, body={"value": 1}
    )
    assert (status, answer["error"]) == (409, "not_open")
    assert await check_ins(org_box) == []


# -- refusals


async def test_no_valid_token_no_access_and_a_revoked_token_stops_within_seconds(
    org_box: Sandbox, world: World, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    box = org_box
    token = await make_token(box, capsys)
    path = f"/key-results/{world.krs[0]}/values"
    wrong = "okr_" + "A" * 43
    for headers in (
        {},
        {"Authorization": token},
        {"Authorization": f"Basic {token}"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Bearer {wrong}"},
        {"Authorization": f"Bearer {token[:-1]}"},
        {"Authorization": "Bearer " + "x" * 5000},
    ):
        status, answer, sent = await call(http, "POST", path, headers=headers, body={"value": 1})
        assert (status, answer["error"]) == (401, "unauthorized"), headers
        assert sent["WWW-Authenticate"].startswith("Bearer")
        for read in (f"/key-results/{world.krs[0]}", "/objectives"):
            assert (await call(http, "GET", read, headers=headers))[0] == 401
    assert await check_ins(box) == []

    # Listed without the token; the last use is noted.
    assert (await call(http, "GET", "/objectives", token))[0] == 200
    assert await cli.token_list(box.settings()) == 0
    listing = capsys.readouterr().out
    assert token not in listing
    assert "ci" in listing
    assert box.fake.team_id in listing
    assert "2026-11-25T12:00:00Z" in listing
    async with box.uow() as uow:
        [row] = list(await uow.session.scalars(select(ApiToken)))
    assert token not in (row.token_hash, row.name)
    assert row.last_used_at == box.clock()

    assert await cli.token_revoke(box.settings(), "ci") == 0
    assert "revoked token 'ci'" in capsys.readouterr().out
    # A process takes a token it found valid as valid for TRUSTED_FOR (5 s): so long
    # after its last lookup it may still be taken, and no longer.
    box.clock.advance(seconds=4)
    status, answer, _ = await call(http, "POST", path, token, body={"value": 1})
    assert status == 200, answer
    box.clock.advance(seconds=1)
    for _ in range(2):
        status, answer, _ = await call(http, "POST", path, token, body={"value": 2})
        assert (status, answer["error"]) == (401, "unauthorized")
        assert (await call(http, "GET", "/objectives", token))[0] == 401
    assert [c.source for c in await check_ins(box)] == ["api:ci"]
    assert await cli.token_revoke(box.settings(), "ci") == cli.EXIT_CONFIG
    assert "no token named 'ci'" in capsys.readouterr().err
    # The name is free again; the new token is another.
    assert await make_token(box, capsys) != token


async def test_another_workspaces_key_results_do_not_exist(
    org_box: Sandbox, world: World, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    token = await make_token(org_box, capsys)
    for kr in (str(world.other_kr), "999999", "0", "-1", "abc", "1e3", "99999999999999999999"):
        status, answer, _ = await call(
            http, "POST", f"/key-results/{kr}/values", token, body={"value": 1}
        )
        assert (status, answer["error"]) == (404, "not_found"), kr
        status, answer, _ = await call(http, "GET", f"/key-results/{kr}", token)
        assert (status, answer["error"]) == (404, "not_found"), kr
    status, quarter, _ = await call(http, "GET", f"/objectives?quarter={QUARTER}", token)
    assert "Someone else's" not in json.dumps(quarter)
    assert await check_ins(org_box) == []


HOSTILE: list[tuple[bytes, str]] = [
    (b'{"value": NaN}', "invalid_json"),
    (b'{"value": Infinity}', "invalid_json"),
    (b'{"value": -Infinity}', "invalid_json"),
    (b'{"value": 1e999}', "invalid_value"),
    (b'{"value": "42"}', "invalid_value"),
    (b'{"value": true}', "invalid_value"),
    (b'{"value": null}', "invalid_value"),
    (b'{"value": [1]}', "invalid_value"),
    (b'{"value": {"n": 1}}', "invalid_value"),
    (b'{"comment": "no value"}', "invalid_value"),
    (b'{"value": 1, "confidence": "on_track"}', "invalid_body"),
    (b'{"value": 1, "source": "slack"}', "invalid_body"),
    (b'{"value": 1, "comment": 5}', "invalid_comment"),
    (b'{"value": 1, "comment": "' + b"x" * 1001 + b'"}', "invalid_comment"),
    (b'{"value": 1, "at": "yesterday"}', "invalid_at"),
    (b'{"value": 1, "at": "2026-11-25T12:00:00"}', "invalid_at"),  # no offset
    (b'{"value": 1, "at": 1764072000}', "invalid_at"),
    (b'{"value": 1, "at": "2026-11-25T13:00:00Z"}', "invalid_at"),  # in the future
    (b'{"value": 1, "at": "2026-09-30T12:00:00Z"}', "invalid_at"),  # before Q4
    (b'{"value": 1, "at": "0001-01-01T00:00:00+14:00"}', "invalid_at"),
    (b'{"value": 1e12}', "invalid_value"),  # absurd for 0 -> 100 %
    (b'{"value": ' + b"9" * 5000 + b"}", "invalid_json"),
    (b"[42]", "invalid_body"),
    (b"42", "invalid_body"),
    (b'"value"', "invalid_body"),
    (b"null", "invalid_body"),
    (b"", "invalid_json"),
    (b"value=42", "invalid_json"),
    (b'{"value": 1', "invalid_json"),
    (b"\xff\xfe\x00{", "invalid_json"),
    (b"[" * 5000 + b"]" * 5000, "invalid_json"),
    (b'{"a":' * 2000 + b"1" + b"}" * 2000, "invalid_json"),
]


async def test_hostile_bodies_are_refused_with_a_message_and_change_nothing(
    org_box: Sandbox, world: World, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    token = await make_token(org_box, capsys)
    path = f"/key-results/{world.krs[0]}/values"
    for number, (data, error) in enumerate(HOSTILE):
        if number and number % 50 == 0:
            org_box.clock.advance(minutes=1)
        status, answer, _ = await call(http, "POST", path, token, data=data)
        assert (status, answer["error"]) == (422, error), data[:60]
        assert set(answer) == {"error", "message"}
        assert answer["message"]
    status, answer, _ = await call(http, "POST", path, token, body={"value": 1e12})
    assert "too far from this key result's range (0 to 100)" in answer["message"]
    status, answer, _ = await call(http, "POST", path, token, data=b'{"value": NaN}')
    assert "NaN" in answer["message"]
    assert await check_ins(org_box) == []


async def test_a_huge_body_is_refused_unread(
    org_box: Sandbox, world: World, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    token = await make_token(org_box, capsys)
    path = f"/key-results/{world.krs[0]}/values"
    huge = b'{"value": 1, "comment": "' + b"x" * 5_000_000 + b'"}'
    status, answer, _ = await call(http, "POST", path, token, data=huge)
    assert (status, answer["error"]) == (413, "too_large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        yield b'{"value": 1, "comment": "'
        for _ in range(100):
            yield b"y" * 10_000
        yield b'"}'

    async with http.post(PREFIX + path, data=chunks(), headers=bearer(token)) as response:
        assert response.status == 413
        assert (await response.json())["error"] == "too_large"
    assert await check_ins(org_box) == []


async def test_sixty_requests_a_minute_per_token(
    org_box: Sandbox, world: World, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    box = org_box
    busy = await make_token(box, capsys, "busy")
    calm = await make_token(box, capsys, "calm")
    path = f"/key-results/{world.krs[0]}/values"
    for n in range(60):
        if n == 30:
            box.clock.advance(seconds=20)
        status, _, _ = await call(http, "POST", path, busy, body={"value": n})
        assert status == 200, n
    status, answer, headers = await call(http, "POST", path, busy, body={"value": 99})
    assert (status, answer["error"]) == (429, "rate_limited")
    assert headers["Retry-After"] == "40"
    assert (await call(http, "GET", "/objectives", busy))[0] == 429
    # Another token is not held back by it.
    assert (await call(http, "GET", "/objectives", calm))[0] == 200
    # The first 30 leave the window after a minute, the next 30 twenty seconds later.
    box.clock.advance(seconds=40)
    assert (await call(http, "GET", "/objectives", busy))[0] == 200
    async with box.uow() as uow:
        row = await uow.session.get(KeyResult, world.krs[0])
    assert row is not None
    assert row.current_value == 59
    assert len(await check_ins(box)) == 60


# -- the command


async def test_token_create_refuses_a_bad_name_a_taken_one_and_another_workspace(
    org_box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = org_box.settings()
    assert await cli.token_create(settings, "has space") == cli.EXIT_CONFIG
    assert "token name 'has space'" in capsys.readouterr().err
    await make_token(org_box, capsys, "ci")
    assert await cli.token_create(settings, "ci") == cli.EXIT_CONFIG
    assert "has a token named 'ci' already" in capsys.readouterr().err
    assert await cli.token_create(settings, "x", workspace=OTHER_TEAM) == cli.EXIT_CONFIG
    err = capsys.readouterr().err
    served = org_box.fake.team_id
    assert err == f"okrbot: okrbot serves workspace {served} (SLACK_BOT_TOKEN), not {OTHER_TEAM}\n"


# -- the document


async def test_openapi_describes_every_route(org_box: Sandbox, http: aiohttp.ClientSession) -> None:
    status, document, _ = await call(http, "GET", "/openapi.json")
    assert status == 200
    assert document == json.loads(json.dumps(DOCUMENT))
    assert document["openapi"].startswith("3.1.")
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "message"]

    routed: set[tuple[str, str]] = set()
    for resource in org_box.bot.web_app().router.resources():
        for route in resource:
            path = route.resource.canonical if route.resource else ""
            if path.startswith(PREFIX) and route.method != "HEAD":
                routed.add((path.removeprefix(PREFIX), route.method.lower()))
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routed == documented
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["responses"], (path, method)
            for code, response in operation["responses"].items():
                if code != "200":
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert "{" + parameter["name"] + "}" in path
    refs = {ref.rsplit("/", 1)[1] for ref in _refs(document)}
    assert refs <= set(document["components"]["schemas"])


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


async def test_paths_and_methods_the_api_lacks_answer_json(
    org_box: Sandbox, http: aiohttp.ClientSession
) -> None:
    status, answer, _ = await call(http, "GET", "/nothing-here")
    assert (status, answer["error"]) == (404, "not_found")
    status, answer, headers = await call(http, "DELETE", "/key-results/1")
    assert (status, answer["error"]) == (405, "method_not_allowed")
    assert "GET" in headers["Allow"]


async def test_with_several_installed_workspaces_a_token_names_its_workspace(
    database_url: str, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    box = Sandbox(database_url, clock=clock, oauth=True)
    async with box:
        box.fake.add_workspace(OTHER_TEAM, "Other Co")
        box.fake.add_user(
            FakeUser("U0OCEO001", "o", "Olga", "olga@other.example", team_id=OTHER_TEAM)
        )
        settings = box.settings()
        assert await cli.token_create(settings, "ci") == cli.EXIT_CONFIG
        assert capsys.readouterr().err == ("okrbot: okrbot is not installed in any workspace yet\n")
        await box.install(box.fake.team_id, CEO.id)
        await box.install(OTHER_TEAM, "U0OCEO001")
        assert await cli.token_create(settings, "ci") == cli.EXIT_CONFIG
        assert "installed in several workspaces" in capsys.readouterr().err
        assert await cli.token_create(settings, "ci", workspace="T0NOWHERE") == cli.EXIT_CONFIG
        assert "not installed in workspace T0NOWHERE" in capsys.readouterr().err
        assert await cli.token_create(settings, "ci", workspace=OTHER_TEAM, now=clock()) == 0
        theirs = capsys.readouterr().out.strip()
        assert await cli.token_create(settings, "ci", workspace=box.fake.team_id, now=clock()) == 0
        ours = capsys.readouterr().out.strip()
        # Same name, two workspaces: revoking says which.
        assert await cli.token_revoke(settings, "ci") == cli.EXIT_CONFIG
        assert "choose one with --workspace" in capsys.readouterr().err

        world = await _world(box)  # its "other" objective is OTHER_TEAM's
        async with aiohttp.ClientSession(base_url=box.base_url) as http:
            path = f"/key-results/{world.other_kr}/values"
            assert (await call(http, "POST", path, ours, body={"value": 3}))[0] == 404
            status, answer, _ = await call(http, "POST", path, theirs, body={"value": 3})
            assert (status, answer["source"]) == (200, "api:ci")
            assert (await call(http, "GET", f"/key-results/{world.krs[0]}", theirs))[0] == 404
            assert await cli.token_revoke(settings, "ci", workspace=OTHER_TEAM) == 0
            clock.advance(seconds=5)  # tokens.TRUSTED_FOR: how long a process trusts one
            assert (await call(http, "POST", path, theirs, body={"value": 3}))[0] == 401
            assert (await call(http, "GET", f"/key-results/{world.krs[0]}", ours))[0] == 200


async def test_values_sent_at_once_are_each_stored_once_and_the_latest_wins(
    org_box: Sandbox, world: World, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    """Values arriving together share a transaction; each is still its own check-in, and
    the key result keeps the one measured last, whatever the order they came in."""
    token = await make_token(org_box, capsys)
    kr = world.krs[0]
    minutes = [7, 19, 0, 13, 3, 18, 11, 1, 16, 5, 9, 14, 2, 17, 6, 10, 4, 15, 8, 12]
    answers = await asyncio.gather(
        *(
            call(
                http,
                "POST",
                f"/key-results/{kr}/values",
                token,
                body={"value": m, "comment": f"n{m}", "at": f"2026-11-25T11:{m:02d}:00Z"},
            )
            for m in minutes
        )
    )
    assert [status for status, _, _ in answers] == [200] * len(minutes)
    stored = await check_ins(org_box)
    assert sorted(c.comment or "" for c in stored) == sorted(f"n{m}" for m in minutes)
    async with org_box.uow() as uow:
        row = await uow.session.get(KeyResult, kr)
        values = list(await uow.session.scalars(select(CheckInValue.value)))
    assert row is not None
    assert row.current_value == 19
    assert sorted(values) == sorted(float(m) for m in minutes)


async def test_requests_arriving_together_look_their_token_up_once(
    org_box: Sandbox, world: World, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    """A busy caller's token, due to be looked up again, is read (and its use noted) by one
    of its requests; the others arriving meanwhile wait for that lookup."""
    token = await make_token(org_box, capsys)
    statements: list[str] = []
    path = f"/key-results/{world.krs[0]}/values"

    async def burst(n: int) -> list[int]:
        answers = await asyncio.gather(
            *(call(http, "POST", path, token, body={"value": v}) for v in range(n))
        )
        return [status for status, _, _ in answers]

    with org_box.bot.uow.watching(statements.append):
        assert await burst(30) == [200] * 30
        # Past TRUSTED_FOR and past the time the last use is noted again: due once more.
        org_box.clock.advance(minutes=10)
        assert await burst(30) == [200] * 30
    token_reads = [s for s in statements if "FROM api_token" in s and s.startswith("SELECT")]
    token_writes = [s for s in statements if s.startswith("UPDATE api_token")]
    assert len(token_reads) == 2
    assert len(token_writes) == 2
    assert len(await check_ins(org_box)) == 60


async def test_the_prompt_says_a_value_came_from_the_api(
    org_box: Sandbox, world: World, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    box = org_box
    token = await make_token(box, capsys)
    status, _, _ = await call(
        http, "POST", f"/key-results/{world.krs[1]}/values", token, body={"value": 4}
    )
    assert status == 200
    # A week on, nobody has checked in by hand since: the prompt says where it came from.
    box.clock.now = box.clock() + timedelta(days=7)
    await box.bot.jobs.run(Job.CHECKIN)
    await box.settle()
    [prompt] = prompts_to(box, AUTHOR.id)
    stamp = int((box.clock() - timedelta(days=7)).timestamp())
    assert (f"1.2 Bugs: *4 bugs* \u2014 updated automatically from API on <!date^{stamp}^") in str(
        prompt.blocks
    )
    assert "Activation" not in str(prompt.blocks).split("Updated automatically")[1]
    assert box.fake.violations == []


async def test_an_api_request_waits_while_slack_requests_are_being_answered(
    org_box: Sandbox,
    world: World,
    http: aiohttp.ClientSession,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Slack gives up on an answer after 3 s, an API caller does not: while Slack's
    requests are being answered, an API request's work waits (GIVE_WAY at most; here
    long enough that only the answers' end lets it go)."""
    token = await make_token(org_box, capsys)
    monkeypatch.setattr(server, "GIVE_WAY", 60.0)
    answers = org_box.bot.background.answers
    statements: list[str] = []
    # A connection open already (the document needs no token), so that the request is
    # received within the loop's turns below.
    assert (await call(http, "GET", "/openapi.json"))[0] == 200
    answers.begin()
    try:
        with org_box.bot.uow.watching(statements.append):
            sending = asyncio.create_task(
                call(http, "POST", f"/key-results/{world.krs[0]}/values", token, body={"value": 5})
            )
            for _ in range(500):
                await asyncio.sleep(0)
        assert not sending.done()
        # Not even its token was looked up.
        assert not [s for s in statements if "api_token" in s]
        assert await check_ins(org_box) == []
    finally:
        answers.end()
    status, answer, _ = await asyncio.wait_for(sending, timeout=10)
    assert status == 200, answer
    assert len(await check_ins(org_box)) == 1


async def test_values_sent_in_a_stream_refresh_the_owners_home_once_in_five_seconds(
    org_box: Sandbox, world: World, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    box = org_box
    token = await make_token(box, capsys)

    def publishes() -> int:
        return sum(1 for c in box.fake.calls_to("views.publish") if c.args["user_id"] == AUTHOR.id)

    before = publishes()
    for value in (10, 20, 30):
        status, _, _ = await call(
            http, "POST", f"/key-results/{world.krs[0]}/values", token, body={"value": value}
        )
        assert status == 200
        box.clock.advance(seconds=1)
        await box.settle()
    # Not yet: the refresh waits for HOME_REFRESH_AFTER, and the values after the first
    # add none of their own.
    assert publishes() == before
    async with box.uow() as uow:
        waiting = await uow.outbox.waiting_for(
            box.fake.team_id, "home_refresh", {AUTHOR.id}, box.clock()
        )
    assert waiting == {AUTHOR.id}
    box.clock.advance(seconds=2)
    await box.settle()
    assert publishes() == before + 1
    assert "30%" in json.dumps(box.fake.home_view(AUTHOR.id))
    # The next value, a new refresh, five seconds on.
    status, _, _ = await call(
        http, "POST", f"/key-results/{world.krs[0]}/values", token, body={"value": 40}
    )
    assert status == 200
    await box.settle()
    assert publishes() == before + 1
    box.clock.advance(seconds=5)
    await box.settle()
    assert publishes() == before + 2


@pytest.mark.sqlite_only
async def test_on_a_sqlite_file_values_are_written_by_the_direct_connection(
    org_box: Sandbox, world: World, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through plain sqlite3 (okrbot/store/direct.py), not SQLAlchemy's connections."""
    token = await make_token(org_box, capsys)
    through_sqlalchemy: list[str] = []
    every: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        through_sqlalchemy.append(statement)

    sync_engine = org_box.bot.engine.sync_engine
    sa_event.listen(sync_engine, "before_cursor_execute", note)
    try:
        with org_box.bot.uow.watching(every.append):
            status, _, _ = await call(
                http, "POST", f"/key-results/{world.krs[0]}/values", token, body={"value": 7}
            )
    finally:
        sa_event.remove(sync_engine, "before_cursor_execute", note)
    assert status == 200
    inserts = [s for s in every if s.startswith("INSERT INTO check_in ")]
    assert inserts
    # SQLAlchemy's insert returns the ids (RETURNING); sqlite3's cursor has them.
    assert not any("RETURNING" in s for s in inserts)
    assert not any("check_in" in s and s.startswith("INSERT") for s in through_sqlalchemy)
    assert [c.source for c in await check_ins(org_box)] == ["api:ci"]
