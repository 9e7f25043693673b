"""Small Block Kit helpers that keep every string within Slack's limits."""

from __future__ import annotations

import base64
import json
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from okrbot.domain.checkin import Bounds
from okrbot.slack.limits import (
    BUTTON_TEXT_MAX,
    CONTEXT_ELEMENTS_MAX,
    HEADER_MAX,
    OPTION_TEXT_MAX,
    OPTION_VALUE_MAX,
    PRIVATE_METADATA_MAX,
    SECTION_TEXT_MAX,
    VIEW_TITLE_MAX,
)
from okrbot.slack.payloads import CHANNEL_ID, USER_ID

Block = dict[str, Any]

# A message's notification text: Slack takes far more (MESSAGE_TEXT_MAX), a person reads
# far less.
FALLBACK_MAX = 3000
# Slack refuses about MESSAGE_BLOCKS_TEXT_MAX characters of block text; what it counts
# exactly is not documented, so messages packed full stay clear of it.
BLOCKS_TEXT_BUDGET = 11_000


def clip(text: str, limit: int) -> str:
    """Cut at `limit` characters, with an ellipsis, so Slack never refuses the message."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def escape(text: str) -> str:
    """User text in mrkdwn: &, < and > are control characters there."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}


def section(text: str, *, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    return block


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_MAX)}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t, 2000) for t in texts[:CONTEXT_ELEMENTS_MAX]]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_MAX),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_TEXT_MAX), "value": value[:OPTION_VALUE_MAX]}


def when(moment: datetime | None) -> str:
    """A time every reader sees in their own time zone."""
    if moment is None:
        return "\u2014"
    stamp = int(moment.timestamp())
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    # Slack words the date in the reader's own language; no English "at" between.
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{fallback}>"


def day(moment: datetime) -> str:
    """A date (2026-11-27) as every reader sees it in their own time zone."""
    stamp = int(moment.timestamp())
    fallback = moment.astimezone(UTC).date().isoformat()
    return f"<!date^{stamp}^{{date_num}}|{fallback}>"


def user(user_id: str | None) -> str:
    """A mention of a user id; anything not shaped like one (a forged value that got
    stored) is shown as the text it is, so it can never ping or link."""
    if not user_id:
        return "someone"
    return f"<@{user_id}>" if USER_ID.fullmatch(user_id) else escape(clip(user_id, 40))


def channel(channel_id: str | None) -> str:
    """A link to a channel id; anything not shaped like one is shown as its text."""
    if not channel_id:
        return "-"
    if CHANNEL_ID.fullmatch(channel_id):
        return f"<#{channel_id}>"
    return escape(clip(channel_id, 40))


# A number longer than this as text travels as its 8 bytes instead ("~" and 11 characters
# of base64), so a page of key results has a size limit whatever their values.
_NUMBER_TEXT_MAX = 12


def _pack_number(value: float) -> str:
    value = float(value)
    text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if len(text) <= _NUMBER_TEXT_MAX:
        return text
    return "~" + base64.urlsafe_b64encode(struct.pack(">d", value)).decode().rstrip("=")


def _unpack_number(text: str) -> float:
    if text.startswith("~"):
        (value,) = struct.unpack(">d", base64.urlsafe_b64decode(text[1:] + "="))
    else:
        value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return float(value)


# A key result's kind in the packed bounds: one letter after the target, none for numeric
# (what forms sent before there were kinds carry).
_KIND_LETTERS = {"milestone": "m", "range": "r"}
_LETTER_KINDS = {letter: kind for kind, letter in _KIND_LETTERS.items()}


def _pack_bounds(key_results: tuple[Bounds, ...]) -> str:
    return ";".join(
        f"{kr.kr_id},{_pack_number(kr.start)},{_pack_number(kr.target)}"
        + (f",{_KIND_LETTERS[kr.kind]}" if kr.kind in _KIND_LETTERS else "")
        for kr in key_results
    )


def _unpack_bounds(text: str) -> tuple[Bounds, ...]:
    if not text:
        return ()
    key_results = []
    for part in text.split(";"):
        kr_id, start, target, *letter = part.split(",")
        if len(letter) > 1:
            raise ValueError("too many parts")
        kind = _LETTER_KINDS[letter[0]] if letter else "numeric"
        key_results.append(Bounds(int(kr_id), _unpack_number(start), _unpack_number(target), kind))
    return tuple(key_results)


@dataclass(frozen=True)
class PageState:
    """What a paged form carries in private_metadata: the objectives on this page and the
    ones for the pages after it.

    A check-in page may also carry each objective's key results with their start and
    target (`bounds`), so that its answer can check the values without the database.
    """

    ids: tuple[int, ...]
    rest: tuple[int, ...] = ()
    bounds: Mapping[int, tuple[Bounds, ...]] = field(default_factory=dict)
    # Objectives of the page whose key results alone the person checks in (someone else's).
    values_only: tuple[int, ...] = ()

    @property
    def page(self) -> list[tuple[int, tuple[Bounds, ...]]] | None:
        """Each objective of the page with its key results' bounds; None unless the form
        carries them for every one."""
        if any(i not in self.bounds for i in self.ids):
            return None
        return [(i, self.bounds[i]) for i in self.ids]

    def encode(self) -> str:
        data: dict[str, Any] = {"ids": list(self.ids), "rest": list(self.rest)}
        if self.values_only:
            data["v"] = list(self.values_only)
        if self.bounds:
            data["b"] = {str(i): _pack_bounds(krs) for i, krs in self.bounds.items()}
        text = json.dumps(data, separators=(",", ":"))
        if len(text) > PRIVATE_METADATA_MAX and self.bounds:
            # Slack refuses more; without the bounds the answer checks against the database.
            return PageState(self.ids, self.rest, values_only=self.values_only).encode()
        return text

    @classmethod
    def decode(cls, raw: str | None) -> PageState:
        """Lenient: anything malformed is an empty state, never an exception; malformed
        bounds are no bounds."""
        try:
            data = json.loads(raw or "{}")
            ids = tuple(int(i) for i in data.get("ids", []))
            rest = tuple(int(i) for i in data.get("rest", []))
            values_only = tuple(int(i) for i in data.get("v", []))
        except (ValueError, TypeError, AttributeError, OverflowError):
            return cls(())
        try:
            bounds = {int(i): _unpack_bounds(krs) for i, krs in data.get("b", {}).items()}
        except (ValueError, TypeError, AttributeError, OverflowError, struct.error):
            bounds = {}
        return cls(ids, rest, bounds, values_only)


def notice_modal(title: str, text: str, close: str) -> dict[str, Any]:
    """A modal that only says something: no inputs, no submit button."""
    return {
        "type": "modal",
        "title": plain(title, VIEW_TITLE_MAX),
        "close": plain(close, VIEW_TITLE_MAX),
        "blocks": [section(text)],
    }
