"""Logs: JSON for collectors, with who and where; never a token or a secret."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator

import pytest

from okrbot import logs
from okrbot.sandbox.harness import AUTHOR, SIGNING_SECRET
from tests.slack.helpers import submit_objective
from tests.support.sandbox import Sandbox


@pytest.fixture
def json_logs(org_box: Sandbox) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure("DEBUG", "json", [org_box.fake.bot_token, SIGNING_SECRET], stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


async def test_json_lines_say_which_workspace_user_and_request(
    org_box: Sandbox, json_logs: io.StringIO
) -> None:
    await submit_objective(org_box, AUTHOR.id)
    entries = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    assert entries
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    about_the_request = [e for e in entries if e.get("user") == AUTHOR.id]
    assert about_the_request
    assert all(e["workspace"] == org_box.fake.team_id for e in about_the_request)
    assert all(len(e["request"]) == 12 for e in about_the_request)
    # Work done after the answer (the form opened, the DMs) is about the same request.
    assert {e["logger"] for e in about_the_request} & {"slack_sdk.web.async_base_client"}


async def test_no_token_or_secret_in_any_line(org_box: Sandbox, json_logs: io.StringIO) -> None:
    await submit_objective(org_box, AUTHOR.id)
    logging.getLogger("okrbot.test").warning("leak? %s", org_box.fake.bot_token)
    output = json_logs.getvalue()
    assert org_box.fake.bot_token not in output
    assert SIGNING_SECRET not in output
    assert "xoxb-" not in output
    assert "leak? [redacted]" in output


def test_plain_lines_carry_the_context() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    logs.configure("INFO", "plain", stream=stream)
    try:
        with logs.context(workspace="T1", user="U1"):
            logging.getLogger("okrbot").info("hello")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    assert stream.getvalue().rstrip().endswith("okrbot: hello [workspace=T1 user=U1]")


async def test_oauth_installs_leak_neither_the_client_secret_nor_the_new_token(
    database_url: str,
) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = io.StringIO()
    async with Sandbox(database_url, oauth=True) as box:
        secret = box.fake.client_secret
        logs.configure("DEBUG", "json", [secret, SIGNING_SECRET], stream=stream)
        try:
            await box.install(box.fake.team_id, AUTHOR.id)
        finally:
            root.handlers[:] = saved_handlers
            root.setLevel(saved_level)
        token = box.fake.token_of(box.fake.team_id)
    output = stream.getvalue()
    assert "oauth.v2.access" in output  # the exchange was logged, at DEBUG
    assert token is not None
    assert token not in output
    assert secret not in output
    assert base64.b64encode(f"{box.fake.client_id}:{secret}".encode()).decode() not in output
