"""okrbot's answers to a check-in by reply, and the line the prompt shows about replying."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from okrbot.domain.progress import kr_progress
from okrbot.domain.reply import ReplyKR, display_number, reply_example
from okrbot.i18n import Translator
from okrbot.services.notices import ReplyAnswer, ReplyUndone
from okrbot.slack import ids
from okrbot.slack.blocks.common import (
    Block,
    button,
    clip,
    context,
    day,
    escape,
    plain,
    section,
    when,
)
from okrbot.slack.blocks.objective import kr_value

log = logging.getLogger(__name__)


def how_to(objectives: Sequence[Sequence[ReplyKR]], words: Translator) -> Block | None:
    """The prompt's line on replying with the numbers, or None with nothing to check in."""
    if not objectives:
        return None
    example = reply_example(objectives, words.language)
    return context(
        clip(f"{words('reply.how_to', example=example)} {words('reply.how_to.more')}", 3000)
    )


def _amount(value: float, unit: str, language: str) -> str:
    number = display_number(value, language)
    if not unit:
        return number
    return f"{number}{unit}" if unit == "%" else f"{number} {escape(unit)}"


def kr_amount(value: float, unit: str, kind: str, words: Translator) -> str:
    """A key result's value as people read it: with its unit, or done / not done."""
    if kind == "milestone":
        return kr_value(value, kind, words)
    return _amount(value, unit, words.language)


def automatic_params(kind: str, at: datetime) -> dict[str, str]:
    """Where a value updated automatically came from (HTTP, SQL, API) and on what day."""
    return {"kind": escape(kind.upper()), "date": day(at)}


def _automatic(kr: Mapping[str, Any]) -> dict[str, str] | None:
    found = kr.get("automatic")
    if not isinstance(found, Mapping):
        return None
    try:
        return automatic_params(str(found["kind"]), datetime.fromisoformat(str(found["at"])))
    except (KeyError, ValueError):
        return None


def _kr_line(kr: Mapping[str, Any], words: Translator) -> str:
    unit = str(kr.get("unit") or "")
    kind = str(kr.get("kind") or "numeric")
    new = float(kr["new"])
    progress = kr_progress(float(kr["start"]), float(kr["target"]), new, kind)

    def amount(value: float) -> str:
        return kr_amount(value, unit, kind, words)

    params = {
        "position": kr["position"],
        "description": escape(clip(str(kr["description"]), 150)),
        "new": amount(new),
        "progress": f"{progress:.0%}",
    }
    old = kr.get("old")
    automatic = _automatic(kr)
    if automatic is not None and old is not None:
        # The value before the reply came from a data source or the API: kept when the
        # reply gave none (or the same), else the person's value wins for this check-in.
        if not kr.get("given") or float(old) == new:
            return words("reply.recorded.kr.automatic", **params, **automatic)
        return words("reply.recorded.kr.replaced", old=amount(float(old)), **params, **automatic)
    if not kr.get("given"):
        return words("reply.recorded.kr.kept", **params)
    if old is None:
        return words("reply.recorded.kr.first", **params)
    return words("reply.recorded.kr", old=amount(float(old)), **params)


def _recorded(content: Mapping[str, Any], words: Translator) -> tuple[str, list[Block]]:
    lines = [words("reply.recorded.lead")]
    for objective in content.get("objectives", []):
        confidence = words(f"confidence.{objective['confidence']}")
        title = escape(clip(str(objective["title"]), 150))
        key = (
            "reply.recorded.objective.kept" if objective.get("kept") else "reply.recorded.objective"
        )
        lines.append("")
        lines.append(words(key, title=title, confidence=confidence))
        lines += [_kr_line(kr, words) for kr in objective.get("key_results", [])]
    comment = content.get("comment")
    if comment:
        lines += ["", words("reply.recorded.comment", comment=clip(str(comment), 1000))]
    until = datetime.fromisoformat(str(content["until"]))
    confirm = {
        "title": plain(words("reply.undo.confirm.title"), 100),
        "text": plain(words("reply.undo.confirm.text"), 300),
        "confirm": plain(words("reply.undo.confirm.yes"), 30),
        "deny": plain(words("reply.undo.confirm.no"), 30),
    }
    undo = {
        **button(words("reply.undo.button"), ids.REPLY_UNDO, str(content["reply"])),
        "confirm": confirm,
    }
    blocks: list[Block] = [
        section(clip("\n".join(lines), 3000)),
        context(words("reply.recorded.undo_until", until=when(until))),
        {"type": "actions", "block_id": "reply_actions", "elements": [undo]},
    ]
    return words("reply.recorded.text"), blocks


def _reason(content: Mapping[str, Any], words: Translator) -> str | None:
    reason = str(content.get("reason") or "")
    params = content.get("params") or {}
    if not reason.startswith("reply.unclear."):
        return None
    try:
        return words(reason, **{str(k): escape(str(v)) for k, v in params.items()})
    except (KeyError, IndexError, ValueError):
        log.warning("unclear reply with a reason the catalogue cannot fill: %s", reason)
        return None


def _read_value(item: Sequence[Any], words: Translator) -> str:
    position, value, text = item[0], item[1], escape(clip(str(item[2]), 50))
    if value is not None:
        shown = display_number(float(value), words.language)
    elif text.strip() in ("-", "\u2013", "\u2014"):
        shown = words("reply.unclear.kept")
    else:
        shown = words("reply.unclear.unreadable", text=text)
    if not position:
        return words("reply.unclear.value.extra", value=shown)
    return words("reply.unclear.value", position=f"{position[0]}.{position[1]}", value=shown)


def _unclear(content: Mapping[str, Any], words: Translator) -> tuple[str, list[Block]]:
    lines = [words("reply.unclear.lead")]
    reason = _reason(content, words)
    if reason:
        lines.append(reason)
    read = content.get("read") or []
    values = ", ".join(_read_value(item, words) for item in read)
    lines.append(
        words("reply.unclear.read", values=values) if read else words("reply.unclear.read.nothing")
    )
    lines.append(words("reply.unclear.again"))
    week = str(content.get("week") or "")
    blocks: list[Block] = [
        section(clip("\n".join(lines), 3000)),
        {
            "type": "actions",
            "block_id": "checkin_actions",
            "elements": [button(words("checkin.button"), ids.CHECKIN, week, style="primary")],
        },
    ]
    return words("reply.unclear.text"), blocks


def _help(content: Mapping[str, Any], words: Translator) -> tuple[str, list[Block]]:
    text = words("reply.help")
    example = [
        [ReplyKR(float(v), float(v)) for v in values] for values in content.get("example") or []
    ]
    if example and all(example):
        text += "\n" + words("reply.help.yours", example=reply_example(example, words.language))
    return words("reply.help.text"), [section(clip(text, 3000))]


def reply_answer(notice: ReplyAnswer, words: Translator) -> tuple[str, list[Block]]:
    content = notice.content
    kind = content.get("kind")
    if kind == "recorded":
        return _recorded(content, words)
    if kind == "unclear":
        return _unclear(content, words)
    return _help(content, words)


def reply_undone(notice: ReplyUndone, words: Translator) -> tuple[str, list[Block]]:
    text = words("reply.undo.done", at=when(notice.at))
    return text, [section(text)]
