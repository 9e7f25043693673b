"""Modals: the objective form and the rejection reason."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from okrbot.domain.okr import (
    DESCRIPTION_MAX,
    KR_DESCRIPTION_MAX,
    MAX_KEY_RESULTS,
    MIN_KEY_RESULTS,
    TITLE_MAX,
    UNIT_MAX,
    Level,
)
from okrbot.domain.views import AlignOption, KeyResultView
from okrbot.domain.workflow import REASON_MAX
from okrbot.services.objectives import FormContext
from okrbot.slack import ids
from okrbot.slack.blocks.common import (
    Block,
    button,
    clip,
    context,
    escape,
    option,
    plain,
    section,
)

DEFAULT_SLOTS = 3


@dataclass(frozen=True)
class FormState:
    """What the objective form carries in private_metadata (3,000 characters at most)."""

    slots: int = DEFAULT_SLOTS
    edit_of: tuple[int, int] | None = None

    def encode(self) -> str:
        return json.dumps(
            {"slots": self.slots, "edit": list(self.edit_of) if self.edit_of else None}
        )

    @classmethod
    def decode(cls, raw: str | None) -> FormState:
        """Lenient: a forged or missing value gives the defaults, never an exception."""
        try:
            data = json.loads(raw or "{}")
            slots = int(data.get("slots", DEFAULT_SLOTS))
            edit = data.get("edit")
            edit_of = (int(edit[0]), int(edit[1])) if edit else None
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
            return cls()
        return cls(max(MIN_KEY_RESULTS, min(MAX_KEY_RESULTS, slots)), edit_of)


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": {"action_id": ids.VALUE, **element},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _text(
    initial: str | None, max_length: int, placeholder: str, *, multiline: bool = False
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "max_length": max_length,
        "multiline": multiline,
        "placeholder": plain(placeholder, 150),
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    return element


def _number(initial: float | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "number_input", "is_decimal_allowed": True}
    if initial is not None:
        element["initial_value"] = repr(initial) if initial != int(initial) else str(int(initial))
    return element


def _select(options: list[dict[str, Any]], initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "options": options}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def _align_element(alignable: tuple[AlignOption, ...], initial: int | None) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in alignable:
        groups.setdefault(item.quarter, []).append(
            option(f"{item.level.label}: {item.title}", str(item.id))
        )
    element: dict[str, Any] = {
        "type": "static_select",
        "placeholder": plain("A published objective", 150),
        "option_groups": [
            {"label": plain(quarter, 75), "options": opts} for quarter, opts in groups.items()
        ],
    }
    chosen = next((o for opts in groups.values() for o in opts if o["value"] == str(initial)), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def _kr_blocks(index: int, kr: KeyResultView | None) -> list[Block]:
    required = index < MIN_KEY_RESULTS
    return [
        section(f"*Key result {index + 1}*" + ("" if required else " _(optional)_")),
        _input(
            ids.kr_block(index, "desc"),
            "What will you measure?",
            _text(kr.description if kr else None, KR_DESCRIPTION_MAX, "e.g. Weekly active teams"),
            optional=not required,
        ),
        _input(
            ids.kr_block(index, "start"),
            "Start value",
            _number(kr.start if kr else None),
            optional=not required,
        ),
        _input(
            ids.kr_block(index, "target"),
            "Target value",
            _number(kr.target if kr else None),
            optional=not required,
            hint="Below the start is fine: a key result may go down (e.g. churn).",
        ),
        _input(
            ids.kr_block(index, "unit"),
            "Unit",
            _text(kr.unit if kr else None, UNIT_MAX, "e.g. %, teams, NOK"),
            optional=True,
        ),
    ]


def objective_modal(ctx: FormContext, state: FormState) -> dict[str, Any]:
    editing = ctx.editing
    krs = editing.key_results if editing else ()
    slots = max(state.slots, len(krs))
    levels = [option(level.label, level.value) for level in Level]
    quarters = [option(q, q) for q in ctx.quarters]
    blocks: list[Block] = []
    if editing:
        blocks.append(
            context(f"Editing version {editing.version} of \u201c{escape(editing.title)}\u201d.")
        )
    blocks += [
        _input(
            ids.TITLE,
            "Objective",
            _text(editing.title if editing else None, TITLE_MAX, "Short, qualitative, inspiring"),
        ),
        _input(
            ids.DESCRIPTION,
            "Why it matters",
            _text(
                editing.description if editing else None,
                DESCRIPTION_MAX,
                "Context for your manager and the company",
                multiline=True,
            ),
            optional=True,
        ),
        _input(
            ids.LEVEL,
            "Level",
            _select(levels, editing.level.value if editing else Level.PERSONAL.value),
        ),
        _input(ids.QUARTER, "Quarter", _select(quarters, ctx.default_quarter)),
    ]
    if ctx.alignable:
        blocks.append(
            _input(
                ids.ALIGNED_TO,
                "Supports which published objective?",
                _align_element(ctx.alignable, editing.aligned_to_id if editing else None),
                optional=True,
                hint="Alignment shows how your work adds up to the company's goals.",
            )
        )
    else:
        blocks.append(context("No published objectives to align to yet."))
    if ctx.needs_manager:
        blocks.append(
            _input(
                ids.MANAGER,
                "Your manager",
                {"type": "users_select", "placeholder": plain("Who approves first?", 150)},
                hint="You are not in the org chart yet; I will remember your choice.",
            )
        )
    for index in range(slots):
        blocks += _kr_blocks(index, krs[index] if index < len(krs) else None)
    if slots < MAX_KEY_RESULTS:
        blocks.append(
            {
                "type": "actions",
                "block_id": "add_kr",
                "elements": [button("Add a key result", ids.ADD_KR, str(slots + 1))],
            }
        )
    return {
        "type": "modal",
        "callback_id": ids.NEW_OBJECTIVE_VIEW,
        "title": plain("Edit OKR" if editing else "New OKR", 24),
        "submit": plain("Resubmit" if editing else "Submit", 24),
        "close": plain("Cancel", 24),
        "private_metadata": FormState(
            slots, (editing.id, editing.version) if editing else None
        ).encode(),
        "blocks": blocks,
    }


def reject_modal(request_value: str, title: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.REJECT_VIEW,
        "title": plain("Reject OKR", 24),
        "submit": plain("Reject", 24),
        "close": plain("Cancel", 24),
        "private_metadata": request_value,
        "blocks": [
            section(f"Rejecting *{escape(clip(title, 150))}*. The author sees your reason."),
            _input(
                ids.REASON,
                "Why? What should change?",
                _text(None, REASON_MAX, "Be specific: what would you approve?", multiline=True),
            ),
        ],
    }


def notice_modal(title: str, text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain("Close", 24),
        "blocks": [section(text)],
    }
