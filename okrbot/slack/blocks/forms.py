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
    SELECTABLE_KINDS,
    TITLE_MAX,
    UNIT_MAX,
    Kind,
    Level,
    Status,
)
from okrbot.domain.views import AlignOption, KeyResultView
from okrbot.domain.workflow import REASON_MAX
from okrbot.i18n import Translator
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


def _align_element(
    alignable: tuple[AlignOption, ...], initial: int | None, words: Translator
) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in alignable:
        label = words(
            "objective_form.aligned.option",
            level=words(f"level.{item.level.value}"),
            title=item.title,
        )
        groups.setdefault(item.quarter, []).append(option(label, str(item.id)))
    element: dict[str, Any] = {
        "type": "static_select",
        "placeholder": plain(words("objective_form.aligned.placeholder"), 150),
        "option_groups": [
            {"label": plain(quarter, 75), "options": opts} for quarter, opts in groups.items()
        ],
    }
    chosen = next((o for opts in groups.values() for o in opts if o["value"] == str(initial)), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def _kr_blocks(index: int, kr: KeyResultView | None, words: Translator) -> list[Block]:
    required = index < MIN_KEY_RESULTS
    heading = "objective_form.kr.heading" if required else "objective_form.kr.heading_optional"
    return [
        section(words(heading, number=index + 1)),
        _input(
            ids.kr_block(index, "desc"),
            words("objective_form.kr.description"),
            _text(
                kr.description if kr else None,
                KR_DESCRIPTION_MAX,
                words("objective_form.kr.description.placeholder"),
            ),
            optional=not required,
        ),
        _input(
            ids.kr_block(index, "kind"),
            words("objective_form.kr.kind"),
            _select(
                [option(words(f"kind.{kind.value}"), kind.value) for kind in SELECTABLE_KINDS],
                kr.kind.value if kr else Kind.NUMERIC.value,
            ),
            hint=words("objective_form.kr.kind.hint"),
        ),
        # Optional to Slack whatever the slot: a milestone has neither; the form's check
        # asks for them where the kind needs them.
        _input(
            ids.kr_block(index, "start"),
            words("objective_form.kr.start"),
            _number(kr.start if kr and kr.kind is not Kind.MILESTONE else None),
            optional=True,
        ),
        _input(
            ids.kr_block(index, "target"),
            words("objective_form.kr.target"),
            _number(kr.target if kr and kr.kind is not Kind.MILESTONE else None),
            optional=True,
            hint=words("objective_form.kr.target.hint"),
        ),
        _input(
            ids.kr_block(index, "unit"),
            words("objective_form.kr.unit"),
            _text(kr.unit if kr else None, UNIT_MAX, words("objective_form.kr.unit.placeholder")),
            optional=True,
        ),
        _input(
            ids.kr_block(index, "owner"),
            words("objective_form.kr.owner"),
            {"type": "users_select", **({"initial_user": kr.owner} if kr and kr.owner else {})},
            optional=True,
            hint=words("objective_form.kr.owner.hint"),
        ),
    ]


def objective_modal(ctx: FormContext, state: FormState, words: Translator) -> dict[str, Any]:
    editing = ctx.editing
    krs = editing.key_results if editing else ()
    slots = max(state.slots, len(krs))
    levels = [option(words(f"level.{level.value}"), level.value) for level in Level]
    quarters = [option(q, q) for q in ctx.quarters]
    blocks: list[Block] = []
    if editing:
        blocks.append(
            context(
                words(
                    "objective_form.editing",
                    version=editing.version,
                    title=escape(clip(editing.title, 150)),
                )
            )
        )
        if editing.status is Status.APPROVED:
            blocks.append(context(words("edit.published_note")))
    blocks += [
        _input(
            ids.TITLE,
            words("objective_form.objective"),
            _text(
                editing.title if editing else None,
                TITLE_MAX,
                words("objective_form.objective.placeholder"),
            ),
        ),
        _input(
            ids.DESCRIPTION,
            words("objective_form.description"),
            _text(
                editing.description if editing else None,
                DESCRIPTION_MAX,
                words("objective_form.description.placeholder"),
                multiline=True,
            ),
            optional=True,
        ),
        _input(
            ids.LEVEL,
            words("objective_form.level"),
            _select(levels, editing.level.value if editing else Level.PERSONAL.value),
        ),
        _input(
            ids.QUARTER, words("objective_form.quarter"), _select(quarters, ctx.default_quarter)
        ),
    ]
    if ctx.alignable:
        blocks.append(
            _input(
                ids.ALIGNED_TO,
                words("objective_form.aligned"),
                _align_element(ctx.alignable, editing.aligned_to_id if editing else None, words),
                optional=True,
                hint=words("objective_form.aligned.hint"),
            )
        )
    else:
        blocks.append(context(words("objective_form.aligned.none")))
    if ctx.needs_manager:
        blocks.append(
            _input(
                ids.MANAGER,
                words("objective_form.manager"),
                {
                    "type": "users_select",
                    "placeholder": plain(words("objective_form.manager.placeholder"), 150),
                },
                hint=words("objective_form.manager.hint"),
            )
        )
    for index in range(slots):
        blocks += _kr_blocks(index, krs[index] if index < len(krs) else None, words)
    if slots < MAX_KEY_RESULTS:
        blocks.append(
            {
                "type": "actions",
                "block_id": "add_kr",
                "elements": [button(words("objective_form.add_kr"), ids.ADD_KR, str(slots + 1))],
            }
        )
    kind = "edit" if editing else "new"
    return {
        "type": "modal",
        "callback_id": ids.NEW_OBJECTIVE_VIEW,
        "title": plain(words(f"objective_form.title.{kind}"), 24),
        "submit": plain(words(f"objective_form.submit.{kind}"), 24),
        "close": plain(words("common.cancel"), 24),
        "private_metadata": FormState(
            slots, (editing.id, editing.version) if editing else None
        ).encode(),
        "blocks": blocks,
    }


def reject_modal(request_value: str, title: str, words: Translator) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.REJECT_VIEW,
        "title": plain(words("reject_form.title"), 24),
        "submit": plain(words("reject_form.submit"), 24),
        "close": plain(words("common.cancel"), 24),
        "private_metadata": request_value,
        "blocks": [
            section(words("reject_form.lead", title=escape(clip(title, 150)))),
            _input(
                ids.REASON,
                words("reject_form.reason"),
                _text(
                    None,
                    REASON_MAX,
                    words("reject_form.reason.placeholder"),
                    multiline=True,
                ),
            ),
        ],
    }
