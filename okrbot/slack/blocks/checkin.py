"""The check-in form and the weekly prompt."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from okrbot.domain.checkin import COMMENT_MAX, Confidence
from okrbot.domain.okr import format_number
from okrbot.domain.progress import progress_bar
from okrbot.services.checkins import (
    CheckInPage,
    KRState,
    ObjectiveState,
    comment_field,
    confidence_field,
    value_field,
)
from okrbot.slack import ids
from okrbot.slack.blocks.common import (
    Block,
    button,
    clip,
    context,
    escape,
    header,
    option,
    plain,
    section,
)

# Objectives listed in a prompt; a person with more sees a count and the form has them all.
PROMPT_MAX = 10


@dataclass(frozen=True)
class CheckInState:
    """What the check-in form carries in private_metadata."""

    ids: tuple[int, ...]
    rest: tuple[int, ...] = ()

    def encode(self) -> str:
        return json.dumps({"ids": list(self.ids), "rest": list(self.rest)})

    @classmethod
    def decode(cls, raw: str | None) -> CheckInState:
        """Lenient: anything malformed is an empty state, never an exception."""
        try:
            data = json.loads(raw or "{}")
            return cls(
                tuple(int(i) for i in data.get("ids", [])),
                tuple(int(i) for i in data.get("rest", [])),
            )
        except (ValueError, TypeError, AttributeError, OverflowError):
            return cls(())


def _kr_label(kr: KRState) -> str:
    unit = f" ({kr.unit})" if kr.unit else ""
    return clip(
        f"{kr.position}. {kr.description}{unit} \u00b7 "
        f"{format_number(kr.start)} \u2192 {format_number(kr.target)}",
        2000,
    )


def _kr_input(kr: KRState) -> Block:
    element: dict[str, Any] = {
        "type": "number_input",
        "is_decimal_allowed": True,
        "action_id": ids.VALUE,
    }
    shown = kr.current if kr.current is not None else kr.start
    element["initial_value"] = repr(shown) if shown != int(shown) else str(int(shown))
    hint = (
        f"Last check-in: {format_number(kr.current)}"
        if kr.current is not None
        else "No check-in yet: this is the start value."
    )
    return {
        "type": "input",
        "block_id": value_field(kr.id),
        "label": plain(_kr_label(kr), 2000),
        "hint": plain(hint, 2000),
        "element": element,
    }


def _confidence_input(objective: ObjectiveState) -> Block:
    options = [option(c.label, c.value) for c in Confidence]
    chosen = objective.confidence or Confidence.ON_TRACK
    return {
        "type": "input",
        "block_id": confidence_field(objective.id),
        "label": plain("How confident are you?", 2000),
        "element": {
            "type": "static_select",
            "action_id": ids.VALUE,
            "options": options,
            "initial_option": option(chosen.label, chosen.value),
        },
    }


def _comment_input(objective: ObjectiveState) -> Block:
    return {
        "type": "input",
        "block_id": comment_field(objective.id),
        "optional": True,
        "label": plain("Anything to add?", 2000),
        "element": {
            "type": "plain_text_input",
            "action_id": ids.VALUE,
            "multiline": True,
            "max_length": COMMENT_MAX,
            "placeholder": plain("What moved, what is blocking you", 150),
        },
    }


def checkin_modal(page: CheckInPage) -> dict[str, Any]:
    blocks: list[Block] = []
    shown = len(page.objectives)
    if page.remaining:
        blocks.append(
            context(f"{shown} of {page.total} objectives here; the rest come after you submit.")
        )
    for objective in page.objectives:
        blocks.append(
            section(
                f"*{escape(clip(objective.title, 150))}*\n"
                f"`{progress_bar(objective.progress)}` {objective.progress:.0%}"
            )
        )
        blocks += [_kr_input(kr) for kr in objective.key_results]
        blocks += [_confidence_input(objective), _comment_input(objective)]
    state = CheckInState(tuple(o.id for o in page.objectives), page.remaining)
    return {
        "type": "modal",
        "callback_id": ids.CHECKIN_VIEW,
        "title": plain("Weekly check-in", 24),
        "submit": plain("Next" if page.remaining else "Check in", 24),
        "close": plain("Cancel", 24),
        "private_metadata": state.encode(),
        "blocks": blocks,
    }


def nothing_to_check_in() -> dict[str, Any]:
    return {
        "type": "modal",
        "title": plain("Weekly check-in", 24),
        "close": plain("Close", 24),
        "blocks": [
            section(
                "You have no approved objectives this quarter, so there is nothing to check "
                "in on. Write one with `/okr new`."
            )
        ],
    }


def _objective_line(objective: ObjectiveState) -> str:
    confidence = f" \u00b7 {objective.confidence.label}" if objective.confidence else ""
    return (
        f"\u2022 *{escape(clip(objective.title, 100))}*  "
        f"`{progress_bar(objective.progress)}` {objective.progress:.0%}{confidence}"
    )


def checkin_prompt(
    objectives: Sequence[ObjectiveState], *, week: str, reminder: bool = False
) -> tuple[str, list[Block]]:
    lead = (
        "Reminder: your weekly check-in is still open."
        if reminder
        else "Time for your weekly check-in: one click and a few numbers."
    )
    lines = [_objective_line(o) for o in objectives[:PROMPT_MAX]]
    if len(objectives) > PROMPT_MAX:
        lines.append(f"\u2026 and {len(objectives) - PROMPT_MAX} more in the form.")
    blocks: list[Block] = [
        header("Weekly check-in" if not reminder else "Check-in reminder"),
        section(lead),
        section("\n".join(lines)),
        {
            "type": "actions",
            "block_id": "checkin_actions",
            "elements": [button("Check in", ids.CHECKIN, week, style="primary")],
        },
    ]
    return lead, blocks


def prompt_answered(reminder: bool, at: str) -> tuple[str, list[Block]]:
    """What a prompt turns into once the person has checked in."""
    what = "Check-in reminder" if reminder else "Weekly check-in"
    text = f"{what}: done, you checked in {at}. Thank you!"
    return text, [section(f":white_check_mark: {text}")]
