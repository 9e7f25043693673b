"""How an objective looks wherever it is shown."""

from __future__ import annotations

from okrbot.domain.okr import MILESTONE_TARGET, Kind, format_number
from okrbot.domain.views import KeyResultView, ObjectiveView
from okrbot.i18n import Translator
from okrbot.slack.blocks.common import Block, clip, context, escape, section, user


def kr_value(value: float | None, kind: str, words: Translator) -> str:
    """A key result's value as people read it: a number, or done / not done."""
    if kind == Kind.MILESTONE:
        done = value is not None and value >= MILESTONE_TARGET
        return words("milestone.done" if done else "milestone.not_done")
    return "\u2013" if value is None else format_number(value)


def kind_note(kind: str, start: float, target: float, words: Translator) -> str:
    """What a key result that is not a number from start to target asks for, or ""."""
    if kind == Kind.MILESTONE:
        return words("milestone.line")
    if kind == Kind.RANGE:
        return words("range.line", low=format_number(start), high=format_number(target))
    return ""


def kr_line(kr: KeyResultView, words: Translator) -> str:
    line = _kr_text(kr, words)
    if kr.owner:
        line += " \u00b7 " + words("home.kr_owner", owner=f"<@{kr.owner}>")
    return line


def _kr_text(kr: KeyResultView, words: Translator) -> str:
    unit = f" {escape(kr.unit)}" if kr.unit else ""
    note = kind_note(kr.kind, kr.start, kr.target, words)
    if note:
        return f"{kr.position}. {escape(kr.description)} \u2014 {note}{unit}"
    arrow = "\u2198" if kr.target < kr.start else "\u2197"
    return (
        f"{kr.position}. {escape(kr.description)} \u2014 "
        f"{format_number(kr.start)} \u2192 {format_number(kr.target)}{unit} {arrow}"
    )


def alignment_line(objective: ObjectiveView, words: Translator) -> str:
    if objective.aligned_to_title is None:
        return words("objective.aligns_to_nothing")
    title = escape(objective.aligned_to_title)
    if objective.aligned_to_owner:
        return words(
            "objective.aligns_to_owner", title=title, owner=user(objective.aligned_to_owner)
        )
    return words("objective.aligns_to", title=title)


def meta_line(objective: ObjectiveView, words: Translator) -> str:
    parts = [words(f"objective.by.{objective.level.value}", owner=user(objective.owner_id))]
    if objective.team:
        parts.append(words("objective.team", team=escape(objective.team)))
    parts += [objective.quarter, words("objective.version", version=objective.version)]
    return " \u00b7 ".join(parts)


def objective_blocks(objective: ObjectiveView, words: Translator) -> list[Block]:
    """Title, description, key results, alignment and owner: 3 blocks."""
    title = f"*{escape(clip(objective.title, 150))}*"
    if objective.description:
        title += "\n" + escape(clip(objective.description, 2000))
    krs = "\n".join(kr_line(kr, words) for kr in objective.key_results)
    return [
        section(title),
        section(f"{words('objective.key_results')}\n{krs}"),
        context(meta_line(objective, words), alignment_line(objective, words)),
    ]


def objective_fallback(objective: ObjectiveView) -> str:
    # Slack reads the fallback as markup too: a title like "<!channel>" must stay text.
    return f"\u201c{escape(clip(objective.title, 150))}\u201d ({objective.quarter})"
