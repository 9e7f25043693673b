"""Malformed and hostile payloads at every listener, through signed HTTP requests.

Hypothesis draws the payloads as each test starts: the sandbox fixtures are function-scoped
and async, which `@given` cannot share, so each test replays a bounded, derandomized list of
examples against one sandbox. Whatever arrives, the app must answer below 500, change no OKR data,
send nothing Slack would refuse and post nothing to a channel.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update

from okrbot.sandbox.harness import AUTHOR, CEO, COLLEAGUE, MANAGER, NEWCOMER
from okrbot.slack import ids
from okrbot.store.models import Approval
from tests.slack.helpers import GOOD_FORM, objectives, open_form, submit_objective
from tests.support.sandbox import Sandbox

T = TypeVar("T")

# Everything a hostile request could change; person, delivery and job_run rows are
# bookkeeping (a looked-up locale, a lease) that a harmless request may touch.
GUARDED_TABLES = (
    "objective",
    "key_result",
    "approval",
    "revision",
    "check_in",
    "check_in_value",
    "outbox",
)

OTHER_TEAM = "T0OTHER00"
HUGE = "x" * 100_000


def examples(strategy: st.SearchStrategy[T], count: int) -> list[T]:
    """A fixed list drawn by Hypothesis: the same on every run, so a failure reproduces."""
    drawn: list[T] = []

    @settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(example: T) -> None:
        drawn.append(example)

    collect()
    return drawn


# Building blocks

junk_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(["", " ", "<!channel>", "<!here>", "\u202e\u0000", "💥" * 50, HUGE]),
)
junk = st.recursive(
    junk_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)

ref_like = st.one_of(
    st.sampled_from(
        [
            "1:1:manager",
            "1:1:ceo",
            "1:2:manager",
            "2:1:manager",
            "99:1:manager",
            "0:1:manager",
            "-1:1:manager",
            "1:0:manager",
            "1:1:nobody",
            "1:1",
            "1:1:manager:extra",
            "99999999999999999999:1:manager",
            "1:99999999999999999999:manager",
            "abc",
            "１:１:manager",  # full-width digits: int() takes them
            "²:1:manager",  # isdigit() says yes, int() says no
        ]
    ),
    st.builds(
        lambda a, b, s: f"{a}:{b}:{s}",
        st.integers(min_value=-5, max_value=2**64),
        st.integers(min_value=-5, max_value=2**64),
        st.sampled_from(["manager", "ceo", "x"]),
    ),
)
action_value = st.one_of(ref_like, junk)

# None of these may decide objective 1: only the manager in the home workspace may.
Sender = tuple[Any, Any]
hostile_sender: st.SearchStrategy[Sender] = st.one_of(
    st.sampled_from(
        [
            (COLLEAGUE.id, None),
            (NEWCOMER.id, None),
            ("UNOTREAL00", None),
            (MANAGER.id, OTHER_TEAM),
            (AUTHOR.id, OTHER_TEAM),
            ("W0ENTERPRISE", None),
        ]
    ),
    st.tuples(junk, st.one_of(st.none(), junk)),
)
# The author may click: opening a form or being told no changes nothing.
clicker = st.one_of(hostile_sender, st.just((AUTHOR.id, None)))

action_ids = st.one_of(
    st.sampled_from(
        [
            ids.APPROVE,
            ids.REJECT,
            ids.RESUBMIT,
            ids.ADD_KR,
            ids.CHECKIN,
            ids.SCORE,
            ids.NEXT_QUARTER,
            "okr_unknown",
            "",
        ]
    ),
    junk,
)
callback_ids = st.one_of(
    st.sampled_from(
        [
            ids.NEW_OBJECTIVE_VIEW,
            ids.REJECT_VIEW,
            ids.CHECKIN_VIEW,
            ids.SCORE_VIEW,
            "okr_unknown_view",
            "",
        ]
    ),
    junk,
)

metadata = st.one_of(
    junk,
    st.sampled_from(
        [
            "1:1:manager",
            '{"ids": [1], "rest": [1, 2]}',
            '{"ids": ["a"], "rest": null}',
            '{"ids": [99999999999999999999]}',
            '{"ids": 5}',
            '{"slots": 99, "edit": [1, 1]}',
            '{"slots": "x", "edit": [99999999999999999999, 1]}',
            '{"edit": "1"}',
            '{"edit": [1]}',
            "[]",
            "null",
            "{",
            HUGE,
        ]
    ),
    st.dictionaries(st.sampled_from(["ids", "rest", "slots", "edit"]), junk).map(json.dumps),
)

# Never a string where the form wants one, so no example can be a valid form by luck.
non_string = st.one_of(
    st.none(),
    st.integers(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), junk_scalar, max_size=2),
)
element = st.one_of(
    junk,
    st.fixed_dictionaries({"type": junk, "value": non_string}),
    st.fixed_dictionaries({"type": st.just("static_select"), "selected_option": st.text()}),
    st.fixed_dictionaries({"selected_option": st.fixed_dictionaries({"value": non_string})}),
    st.fixed_dictionaries({"selected_user": non_string}),
)
block_names = st.sampled_from(
    [
        ids.TITLE,
        ids.DESCRIPTION,
        ids.LEVEL,
        ids.QUARTER,
        ids.ALIGNED_TO,
        ids.MANAGER,
        ids.REASON,
        ids.kr_block(1, "desc"),
        ids.kr_block(1, "target"),
        "ci_1",
        "score_1",
        "kr_1",
    ]
)
state_values = st.one_of(
    junk,
    st.dictionaries(
        block_names, st.one_of(junk, st.dictionaries(st.just(ids.VALUE), element)), max_size=6
    ),
)


def with_sender(payload: dict[str, Any], sender: Sender) -> dict[str, Any]:
    user, team = sender
    if team is None:
        team = "T0DEMO000"
    payload["user"] = {"id": user, "team_id": team} if isinstance(user, str | type(None)) else user
    payload["team"] = {"id": team} if isinstance(team, str) else team
    return payload


def action_payload(
    sender: Sender, action_id: Any, value: Any, shape: str, channel: Any
) -> dict[str, Any]:
    action = {"type": "button", "action_id": action_id, "block_id": "decision", "value": value}
    actions: Any = {
        "list": [action],
        "empty": [],
        "missing": None,
        "dict": action,
        "strings": [str(action_id)],
        "two": [action, action],
    }[shape]
    payload: dict[str, Any] = {
        "type": "block_actions",
        "api_app_id": "A0OKRBOT",
        "trigger_id": "1.2.fake",
        "container": {"type": "message", "message_ts": "1.0", "channel_id": channel},
        "channel": {"id": channel},
    }
    if actions is not None:
        payload["actions"] = actions
    return with_sender(payload, sender)


click_examples = st.builds(
    action_payload,
    clicker,
    action_ids,
    action_value,
    st.sampled_from(["list", "list", "list", "empty", "missing", "dict", "strings", "two"]),
    st.one_of(st.sampled_from(["C0GENERAL", "C0OKRS001", "D0NOWHERE"]), junk),
)


def view_payload(
    sender: Sender, callback_id: Any, values: Any, private_metadata: Any, blocks: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "view_submission",
        "api_app_id": "A0OKRBOT",
        "trigger_id": "1.2.fake",
        "view": {
            "id": "V0FORGED",
            "callback_id": callback_id,
            "hash": "h",
            "private_metadata": private_metadata,
            "blocks": blocks,
            "state": {"values": values},
        },
    }
    return with_sender(payload, sender)


view_examples = st.builds(
    view_payload,
    hostile_sender,
    callback_ids,
    state_values,
    metadata,
    st.one_of(
        junk,
        st.lists(st.fixed_dictionaries({"type": st.just("input"), "block_id": junk}), max_size=3),
    ),
)

# Forms, as Slack sends a slash command; None leaves the field out.
command_text = st.one_of(
    st.sampled_from(
        [
            "",
            "help",
            "new",
            "checkin",
            "score",
            "tree",
            "list",
            "list <@UNOTREAL>",
            "list <@UNOTREAL|ghost>",
            "list <#C0NOPE|>",
            "list &lt;@U0CEO0001&gt;",
            "list company",
            "show",
            "show 99999999999999999999",
            "show #0",
            "show 1",
            "show <!channel>",
            "edit",
            "edit -1",
            "edit 1",
            "edit 99999999999999999999",
            "edit ²",
            "edit １",
            "withdraw",
            "withdraw abc",
            "withdraw -1",
            "withdraw 1",
            "withdraw 99999999999999999999",
            "withdraw ²",
            "withdraw #１",
            "<!channel> new",
            "NEW",
            "Withdraw 1",
            HUGE,
            "show " + HUGE,
            "list " + HUGE,
        ]
    ),
    st.builds(
        lambda word, rest: f"{word} {rest}",
        st.sampled_from(["new", "edit", "withdraw", "list", "show", "tree", "checkin", "x"]),
        st.text(max_size=60),
    ),
    st.text(max_size=80),
)
optional_text = st.one_of(st.none(), st.text(max_size=20))


def command_body(sender: Sender, command: Any, text_: Any, channel: Any, trigger: Any) -> str:
    user, team = sender
    fields = {
        "command": command,
        "text": text_,
        "user_id": user if isinstance(user, str) else None,
        "team_id": "T0DEMO000" if team is None else team if isinstance(team, str) else None,
        "channel_id": channel,
        "trigger_id": trigger,
        "response_url": "http://127.0.0.1:1/nowhere",
    }
    return urlencode({k: v for k, v in fields.items() if v is not None})


# Not the author: `withdraw 1` from them is a real change, not an attack.
command_examples = st.builds(
    command_body,
    hostile_sender,
    st.sampled_from([ids.COMMAND, ids.COMMAND, ids.COMMAND, "/other", ""]),
    st.one_of(st.none(), command_text),
    st.one_of(st.none(), st.sampled_from(["C0GENERAL", "D0NOWHERE", ""]), optional_text),
    st.one_of(st.none(), optional_text),
)


def event_envelope(event_type: Any, user: Any, tab: Any, team: Any, extra: Any) -> str:
    event: dict[str, Any] = {"type": event_type, "tab": tab, "channel": "D0NOWHERE"}
    if user is not None:
        event["user"] = user
    if isinstance(extra, dict):
        event.update(extra)
    envelope: dict[str, Any] = {
        "type": "event_callback",
        "event": event,
        "event_id": "Ev0HOSTILE",
        "event_time": 1,
    }
    if team is not None:
        envelope["team_id"] = team
    return json.dumps(envelope)


event_examples = st.builds(
    event_envelope,
    st.one_of(
        st.sampled_from(["app_home_opened", "app_home_opened", "message", "reaction_added"]),
        junk,
    ),
    st.one_of(st.sampled_from([AUTHOR.id, "UNOTREAL00"]), junk),
    st.one_of(st.sampled_from(["home", "messages"]), junk),
    st.one_of(st.sampled_from(["T0DEMO000", OTHER_TEAM]), junk),
    junk,
)

raw_forms = st.one_of(
    st.sampled_from(
        [
            "payload=",
            "payload=%7B",
            "payload=null",
            "payload=%5B%5D",
            "payload=1",
            "payload=%22block_actions%22",
            'payload={"type":"block_actions"}',
            "payload=%7B%22type%22%3A%22view_submission%22%7D",
            "payload=%7B%22type%22%3A%22shortcut%22%2C%22callback_id%22%3A%22x%22%7D",
            "payload=%7B%22type%22%3A%22block_suggestion%22%7D",
            "payload=%7B%22type%22%3A%22view_closed%22%7D",
            "payload=" + "%7B" * 2000,
            "",
            "=",
            "&&&",
            "command=%2Fokr",
            "ssl_check=1",
        ]
    ),
    st.text(max_size=60).map(lambda t: urlencode({"payload": t})),
    junk.map(lambda j: urlencode({"payload": json.dumps(j)})),
)

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


# The sandbox and what may not change


async def guarded(box: Sandbox) -> dict[str, list[tuple[Any, ...]]]:
    async with box.uow() as uow:
        return {
            table: [
                tuple(row)
                for row in (await uow.session.execute(text(f"SELECT * FROM {table}"))).all()  # noqa: S608 - fixed table names
            ]
            for table in GUARDED_TABLES
        }


@pytest.fixture
async def armed(org_box: Sandbox) -> Sandbox:
    """Something worth attacking: objective 1, waiting for the manager's approval."""
    await submit_objective(org_box, AUTHOR.id)
    org_box.fake.reset_calls()
    return org_box


async def attack(
    box: Sandbox,
    caplog: pytest.LogCaptureFixture,
    cases: list[T],
    send: Callable[[Sandbox, T, dict[str, str] | None], Any],
) -> None:
    before = await guarded(box)
    caplog.set_level(logging.ERROR)
    for n, case in enumerate(cases):
        # Every fifth one is a redelivery: Slack's retry must not make it do more.
        headers = RETRY if n % 5 == 4 else None
        response = await send(box, case, headers)
        assert response.status < 500, (response.status, repr(case)[:500], response.body[:300])
    await box.settle()
    assert await guarded(box) == before
    assert box.fake.violations == []
    to_channels = [
        c.args.get("channel")
        for c in box.fake.calls_to("chat.postMessage")
        if str(c.args.get("channel", "")).startswith("C")
    ]
    assert to_channels == []
    # A crash the app caught still logs; none of these inputs deserves one.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


# How many examples of each kind a test replays; drawn as the test runs, not on import.
COMMANDS = 150
CLICKS = 150
VIEWS = 150
EVENTS = 60
RAW = 80


def test_examples_are_varied() -> None:
    # A strategy that collapsed to a handful of cases would make the tests below toothless.
    for strategy, count in (
        (command_examples, COMMANDS),
        (click_examples, CLICKS),
        (view_examples, VIEWS),
        (event_examples, EVENTS),
        (raw_forms, RAW),
    ):
        drawn = examples(strategy, count)
        assert len(drawn) == count
        assert len({repr(d) for d in drawn}) >= count // 2


async def test_hostile_slash_commands(armed: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    async def send(box: Sandbox, body: str, headers: dict[str, str] | None) -> Any:
        return await box.slack.post_raw(body, headers=headers)

    await attack(armed, caplog, examples(command_examples, COMMANDS), send)


async def test_hostile_button_clicks(armed: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    async def send(box: Sandbox, payload: dict[str, Any], headers: dict[str, str] | None) -> Any:
        return await box.slack.post_payload(payload, headers=headers)

    await attack(armed, caplog, examples(click_examples, CLICKS), send)


async def test_hostile_view_submissions(armed: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    async def send(box: Sandbox, payload: dict[str, Any], headers: dict[str, str] | None) -> Any:
        return await box.slack.post_payload(payload, headers=headers)

    await attack(armed, caplog, examples(view_examples, VIEWS), send)


async def test_hostile_events(armed: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    async def send(box: Sandbox, body: str, headers: dict[str, str] | None) -> Any:
        return await box.slack.post_raw(body, content_type="application/json", headers=headers)

    await attack(armed, caplog, examples(event_examples, EVENTS), send)


async def test_hostile_raw_bodies(armed: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    async def send(box: Sandbox, body: str, headers: dict[str, str] | None) -> Any:
        return await box.slack.post_raw(body, headers=headers)

    await attack(armed, caplog, examples(raw_forms, RAW), send)

    async def send_json(box: Sandbox, body: str, headers: dict[str, str] | None) -> Any:
        return await box.slack.post_raw(body, content_type="application/json", headers=headers)

    await attack(armed, caplog, ["", "{", "[]", "null", '"x"', '{"type": 1}'], send_json)


@pytest.mark.parametrize(
    "timestamp",
    ["abc", "1e3", "12.5", "0x10", "\u0661\u0662\u0663", "9" * 5000, "-1", " 1"],
    ids=["letters", "exponent", "fraction", "hex", "arabic-digits", "huge", "negative", "space"],
)
async def test_a_malformed_timestamp_is_unsigned_not_an_error(
    armed: Sandbox, caplog: pytest.LogCaptureFixture, timestamp: str
) -> None:
    box = armed
    before = await guarded(box)
    caplog.set_level(logging.WARNING)
    body = urlencode({"command": ids.COMMAND, "text": "new", "user_id": AUTHOR.id})
    response = await box.slack.post_raw(body, timestamp=timestamp, signature="v0=" + "0" * 64)
    await box.settle()
    # What Bolt answers any request it cannot verify, and nothing more to tell anyone.
    assert (response.status, response.json()) == (401, {"error": "invalid request"})
    assert box.fake.calls_to("views.open") == []
    assert await guarded(box) == before
    assert [r.getMessage() for r in caplog.records] == []


FORGED_USER = "U0MGR> <!channel> <https://evil.example|x"


@pytest.mark.parametrize(
    "choice",
    [FORGED_USER, "u0mgr0001", "C0GENERAL", "U" + "0" * 40, "<@U0MGR0001>", "U0MGR\u200b0001"],
    ids=["mrkdwn", "lowercase", "a-channel", "too-long", "a-mention", "zero-width"],
)
async def test_a_forged_manager_choice_is_refused_under_its_field(
    org_box: Sandbox, choice: str
) -> None:
    box = org_box
    view_id = await open_form(box, NEWCOMER.id)
    response = await box.slack.submit_view(NEWCOMER.id, view_id, {**GOOD_FORM, "manager": choice})
    assert response.json() == {
        "response_action": "errors",
        "errors": {ids.MANAGER: "Pick your manager from the list of people."},
    }
    await box.settle()
    assert await objectives(box) == []
    async with box.uow() as uow:
        newcomer = await uow.people.get(box.fake.team_id, NEWCOMER.id)
    assert newcomer is None or newcomer.manager_id is None
    assert box.fake.calls_to("chat.postMessage") == []


async def test_an_id_that_is_not_one_is_rendered_as_text(armed: Sandbox) -> None:
    box = armed
    # Stored before ids were checked at the edge (the column holds 32 characters): shown,
    # it must not ping or link.
    stored = "U1> <!channel> <https://evil|x"
    async with box.uow() as uow:
        await uow.session.execute(
            update(Approval).where(Approval.outcome == "pending").values(approver_id=stored)
        )
        await uow.commit()
    shown = (await box.slack.slash(AUTHOR.id, "list")).body
    assert "<!channel>" not in shown
    assert "<https://evil" not in shown
    assert "&lt;!channel&gt;" in shown


async def test_an_unknown_admin_word_is_echoed_escaped(org_box: Sandbox) -> None:
    response = await org_box.slack.slash(CEO.id, "admin <!channel>&<https://evil.example|x>")
    # Bolt answers a bare text ack as the text itself.
    shown = response.body
    assert "I don't know `&lt;!channel&gt;&amp;&lt;https://evil.example|x&gt;`" in shown
    assert "<!channel>" not in shown
    await org_box.settle()
    assert org_box.fake.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    ("user", "team"),
    [
        (FORGED_USER, "T0DEMO000"),
        ("u0aut0001", "T0DEMO000"),
        (AUTHOR.id, "T0DEMO000> <!channel"),
        (AUTHOR.id, "C0GENERAL"),
    ],
    ids=["user-mrkdwn", "user-lowercase", "team-mrkdwn", "team-a-channel"],
)
async def test_a_sender_whose_ids_are_not_slacks_is_refused(
    org_box: Sandbox, user: str, team: str
) -> None:
    org_box.fake.reset_calls()
    body = urlencode(
        {"command": ids.COMMAND, "text": "new", "user_id": user, "team_id": team, "trigger_id": "t"}
    )
    response = await org_box.slack.post_raw(body)
    await org_box.settle()
    assert response.status == 200
    assert "<!channel>" not in response.body
    # Bolt may check its token (auth.test); the app itself does nothing for such a sender.
    assert [c.method for c in org_box.fake.calls if c.method != "auth.test"] == []
