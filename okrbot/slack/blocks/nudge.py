"""The approver's reminder."""

from __future__ import annotations

from okrbot.i18n import Translator
from okrbot.services.nudges import Nudge
from okrbot.slack.blocks.common import Block, clip, escape, section, user, when

NUDGE_ITEMS_MAX = 10


def nudge_message(nudge: Nudge, words: Translator) -> tuple[str, list[Block]]:
    count = len(nudge.waiting)
    lines = [
        words(
            "nudge.item",
            title=escape(clip(w.title, 120)),
            author=user(w.author_id),
            since=when(w.since),
        )
        for w in nudge.waiting[:NUDGE_ITEMS_MAX]
    ]
    if count > NUDGE_ITEMS_MAX:
        lines.append(words("nudge.more", count=count - NUDGE_ITEMS_MAX))
    blocks = [section(words("nudge.lead", count=count)), section("\n".join(lines))]
    return words("nudge.text", count=count), blocks
