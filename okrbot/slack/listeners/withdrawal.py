"""`/okr withdraw <id>`: the owner takes an objective back."""

from __future__ import annotations

from okrbot.services import objectives
from okrbot.slack.blocks.common import Block, escape, section
from okrbot.slack.deps import Deps
from okrbot.slack.payloads import Who, object_id


async def answer(deps: Deps, who: Who, rest: str) -> tuple[str, list[Block]]:
    words = await deps.words_for(who)
    objective_id = object_id(rest)
    if objective_id is None:
        text = words("withdraw.usage")
        return text, [section(text)]
    try:
        view = await objectives.withdraw(deps.uow, deps.actor(who), objective_id, now=deps.clock())
    except objectives.NotWithdrawable as exc:
        status = words(f"status.{exc.objective.status.value}").lower()
        text = words(
            "withdraw.not_possible",
            title=f"\u201c{escape(exc.objective.title)}\u201d",
            status=status,
        )
    except LookupError:
        text = words("withdraw.not_found", id=objective_id)
    else:
        text = words("withdraw.done", title=f"\u201c{escape(view.title)}\u201d")
    return text, [section(text)]
