"""How an objective looks wherever it is shown."""

from __future__ import annotations

from okrbot.domain.okr import format_number
from okrbot.domain.views import KeyResultView, ObjectiveView
from okrbot.slack.blocks.common import Block, clip, context, escape, section, user


def kr_line(kr: KeyResultView) -> str:
    unit = f" {escape(kr.unit)}" if kr.unit else ""
    arrow = "\u2198" if kr.target < kr.start else "\u2197"
    return (
        f"{kr.position}. {escape(kr.description)} \u2014 "
        f"{format_number(kr.start)} \u2192 {format_number(kr.target)}{unit} {arrow}"
    )


def alignment_line(objective: ObjectiveView) -> str:
    if objective.aligned_to_title is None:
        return "Aligns to: _nothing chosen_"
    owner = f" ({user(objective.aligned_to_owner)})" if objective.aligned_to_owner else ""
    return f"Aligns to: *{escape(objective.aligned_to_title)}*{owner}"


def meta_line(objective: ObjectiveView) -> str:
    team = f" \u00b7 team {escape(objective.team)}" if objective.team else ""
    return (
        f"{objective.level.label} objective by {user(objective.owner_id)}{team} "
        f"\u00b7 {objective.quarter} \u00b7 v{objective.version}"
    )


def objective_blocks(objective: ObjectiveView) -> list[Block]:
    """Title, description, key results, alignment and owner: 3 or 4 blocks."""
    title = f"*{escape(clip(objective.title, 150))}*"
    if objective.description:
        title += "\n" + escape(clip(objective.description, 2000))
    krs = "\n".join(kr_line(kr) for kr in objective.key_results)
    return [
        section(title),
        section(f"*Key results*\n{krs}"),
        context(meta_line(objective), alignment_line(objective)),
    ]


def objective_fallback(objective: ObjectiveView) -> str:
    return f"\u201c{clip(objective.title, 150)}\u201d ({objective.quarter})"
