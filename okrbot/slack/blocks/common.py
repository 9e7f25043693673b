"""Small Block Kit helpers that keep every string within Slack's limits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Block = dict[str, Any]

SECTION_TEXT_MAX = 3000
HEADER_MAX = 150
BUTTON_TEXT_MAX = 75
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
VIEW_TITLE_MAX = 24
PLACEHOLDER_MAX = 150
FALLBACK_MAX = 3000


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
    return {"type": "context", "elements": [mrkdwn(t, 2000) for t in texts[:10]]}


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


def user(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "someone"


@dataclass(frozen=True)
class PageState:
    """What a paged form carries in private_metadata: the objectives on this page and the
    ones for the pages after it."""

    ids: tuple[int, ...]
    rest: tuple[int, ...] = ()

    def encode(self) -> str:
        return json.dumps({"ids": list(self.ids), "rest": list(self.rest)})

    @classmethod
    def decode(cls, raw: str | None) -> PageState:
        """Lenient: anything malformed is an empty state, never an exception."""
        try:
            data = json.loads(raw or "{}")
            return cls(
                tuple(int(i) for i in data.get("ids", [])),
                tuple(int(i) for i in data.get("rest", [])),
            )
        except (ValueError, TypeError, AttributeError, OverflowError):
            return cls(())


def notice_modal(title: str, text: str, close: str) -> dict[str, Any]:
    """A modal that only says something: no inputs, no submit button."""
    return {
        "type": "modal",
        "title": plain(title, VIEW_TITLE_MAX),
        "close": plain(close, VIEW_TITLE_MAX),
        "blocks": [section(text)],
    }
