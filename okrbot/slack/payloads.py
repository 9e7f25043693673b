"""Turning Slack's payloads into typed values. Anything malformed becomes None or a
PayloadError, never a KeyError somewhere deeper."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from okrbot.domain.okr import MAX_KEY_RESULTS, RawKeyResult, RawObjective
from okrbot.slack import ids


class PayloadError(ValueError):
    pass


# Slack's ids: a letter for the kind, then uppercase letters and digits. They have grown
# from 9 to 11 characters over the years, so the bound is generous; anything else in a
# place meant for an id is forged, and would be stored, then rendered as mrkdwn (where
# "U0MGR> <!channel>" pings a whole channel).
ID_BODY = "[A-Z0-9]{2,31}"
USER_ID = re.compile(f"[UW]{ID_BODY}")
CHANNEL_ID = re.compile(f"[CGD]{ID_BODY}")
TEAM_ID = re.compile(f"[TE]{ID_BODY}")


def user_id(value: Any) -> str | None:
    """`value` if it has the shape of a user id (U or W), else None."""
    return value if isinstance(value, str) and USER_ID.fullmatch(value) else None


def channel_id(value: Any) -> str | None:
    """`value` if it has the shape of a channel, private channel or DM id, else None."""
    return value if isinstance(value, str) and CHANNEL_ID.fullmatch(value) else None


def team_id(value: Any) -> str | None:
    """`value` if it has the shape of a workspace (T) or organisation (E) id, else None."""
    return value if isinstance(value, str) and TEAM_ID.fullmatch(value) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Who:
    workspace_id: str
    user_id: str


def who(body: dict[str, Any]) -> Who:
    """The workspace and user of a command, an interaction or a view submission."""
    user = body.get("user")
    person = _str(body.get("user_id")) or (_str(user.get("id")) if isinstance(user, dict) else None)
    team = body.get("team")
    workspace = (
        _str(body.get("team_id"))
        or (_str(team.get("id")) if isinstance(team, dict) else None)
        or (_str(user.get("team_id")) if isinstance(user, dict) else None)
    )
    if not person or not workspace:
        raise PayloadError("no user or workspace in payload")
    if user_id(person) is None or team_id(workspace) is None:
        raise PayloadError("a user or workspace id that is not Slack's")
    return Who(workspace, person)


def first_action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise PayloadError("no action")
    return actions[0]


def well_formed(body: Any) -> bool:
    """False for an interaction Bolt itself would trip over while matching listeners: it
    reads every action's action_id (and a view's callback_id) without checking the type."""
    if not isinstance(body, dict):
        return False
    actions = body.get("actions")
    if actions is not None and (
        not isinstance(actions, list)
        or not all(isinstance(a, dict) and isinstance(a.get("action_id", ""), str) for a in actions)
    ):
        return False
    view = body.get("view")
    return view is None or (isinstance(view, dict) and isinstance(view.get("callback_id", ""), str))


def object_id(text: str) -> int | None:
    """An id typed after a command word (`#12` or `12`), or None. ASCII digits only and at
    most 18 of them: str.isdigit() also takes "²", which int() refuses, and a longer number
    overflows the database's integer column."""
    argument = text.strip().lstrip("#")
    if not (argument.isascii() and argument.isdigit()) or len(argument) > 18:
        return None
    return int(argument)


def channel_of(body: dict[str, Any]) -> str | None:
    """Where an interaction happened; None when the payload names no channel id."""
    return channel_id(_dict(body.get("channel")).get("id")) or channel_id(
        _dict(body.get("container")).get("channel_id")
    )


class ForgedManager(PayloadError):
    """The form's manager is not a user id: Slack's user select sends nothing else."""


def _state_value(values: dict[str, Any], block_id: str) -> str | None:
    """The value of the VALUE element in `block_id`, whatever kind of element it is."""
    element = _dict(_dict(values.get(block_id)).get(ids.VALUE))
    if not element:
        return None
    for key in ("value", "selected_user"):
        if key in element:
            return _str(element[key])
    selected = element.get("selected_option")
    if isinstance(selected, dict):
        return _str(selected.get("value"))
    return None


def view_values(body: dict[str, Any]) -> dict[str, Any]:
    return _dict(_dict(_dict(body.get("view")).get("state")).get("values"))


def objective_form(body: dict[str, Any]) -> tuple[RawObjective, str | None]:
    """The objective form's contents and the manager picked (when the form asked).
    ForgedManager when the manager chosen is not a user id."""
    values = view_values(body)
    krs = [
        RawKeyResult(
            description=_state_value(values, ids.kr_block(i, "desc")),
            start=_state_value(values, ids.kr_block(i, "start")),
            target=_state_value(values, ids.kr_block(i, "target")),
            unit=_state_value(values, ids.kr_block(i, "unit")),
            kind=_state_value(values, ids.kr_block(i, "kind")),
            owner=_state_value(values, ids.kr_block(i, "owner")),
        )
        # A forged payload may carry more slots than the form has; they still count.
        for i in range(MAX_KEY_RESULTS + 1)
    ]
    raw = RawObjective(
        title=_state_value(values, ids.TITLE),
        description=_state_value(values, ids.DESCRIPTION),
        level=_state_value(values, ids.LEVEL),
        quarter=_state_value(values, ids.QUARTER),
        aligned_to=_state_value(values, ids.ALIGNED_TO),
        key_results=krs,
    )
    manager = _state_value(values, ids.MANAGER)
    if manager is not None and manager.strip() and user_id(manager.strip()) is None:
        raise ForgedManager(manager)
    for kr in krs:
        if kr.owner is not None and kr.owner.strip() and user_id(kr.owner.strip()) is None:
            # Slack's user select sends user ids only.
            raise ForgedManager(kr.owner)
    return raw, manager


def reason(body: dict[str, Any]) -> str | None:
    return _state_value(view_values(body), ids.REASON)


def view_field(body: dict[str, Any], name: str) -> str | None:
    return _str(_dict(body.get("view")).get(name))


def form_field_blocks(body: dict[str, Any]) -> list[str]:
    """Input block ids of the submitted view, in order: errors can only go under these."""
    blocks = _dict(body.get("view")).get("blocks")
    if not isinstance(blocks, list):
        return []
    return [
        b["block_id"]
        for b in blocks
        if isinstance(b, dict) and b.get("type") == "input" and _str(b.get("block_id"))
    ]


def values_of(body: dict[str, Any], block_ids: Iterable[str]) -> dict[str, str | None]:
    """The values of the inputs `block_ids` (None for any the form does not have)."""
    values = view_values(body)
    return {block_id: _state_value(values, block_id) for block_id in block_ids}


def all_values(body: dict[str, Any]) -> dict[str, str | None]:
    """Every input's value by block id (the action id inside is always ids.VALUE)."""
    values = view_values(body)
    return {
        block_id: _state_value(values, block_id) for block_id in values if isinstance(block_id, str)
    }
