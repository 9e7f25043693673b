"""The check-in form and the weekly prompt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from okrbot.domain.checkin import COMMENT_MAX, Bounds, Confidence
from okrbot.domain.okr import MILESTONE_TARGET, Kind, format_number
from okrbot.domain.progress import progress_bar
from okrbot.domain.reply import position_label
from okrbot.i18n import Translator
from okrbot.services import nochange
from okrbot.services.checkins import (
    CheckInPage,
    KRState,
    ObjectiveState,
    comment_field,
    confidence_field,
    value_field,
)
from okrbot.services.replies import numbered, reply_krs
from okrbot.slack import ids
from okrbot.slack.blocks.common import (
    Block,
    PageState,
    button,
    clip,
    context,
    escape,
    header,
    notice_modal,
    option,
    plain,
    section,
)
from okrbot.slack.blocks.objective import kind_note, kr_value
from okrbot.slack.blocks.replies import automatic_params, how_to, kr_amount
from okrbot.slack.limits import SECTION_TEXT_MAX

# Objectives listed in a prompt; a person with more sees a count and the form has them all.
PROMPT_MAX = 10
# Values updated automatically that a prompt lists; the form has them all.
AUTOMATIC_MAX = 15


def _kr_label(kr: KRState, words: Translator) -> str:
    unit = f" ({kr.unit})" if kr.unit else ""
    note = kind_note(kr.kind, kr.start, kr.target, words)
    if note:
        return clip(f"{kr.position}. {kr.description}{unit} \u00b7 {note}", 2000)
    return clip(
        f"{kr.position}. {kr.description}{unit} \u00b7 "
        f"{format_number(kr.start)} \u2192 {format_number(kr.target)}",
        2000,
    )


def _milestone_input(kr: KRState, words: Translator) -> Block:
    """Done or not done, as 1 or 0: what the value check and the progress read."""
    options = [
        option(words("checkin.milestone.done"), "1"),
        option(words("checkin.milestone.not_done"), "0"),
    ]
    done = kr.current is not None and kr.current >= MILESTONE_TARGET
    hint = (
        words("checkin.last", value=kr_value(kr.current, kr.kind, words))
        if kr.current is not None
        else words("checkin.milestone.never")
    )
    return {
        "type": "input",
        "block_id": value_field(kr.id),
        "label": plain(_kr_label(kr, words), 2000),
        "hint": plain(hint, 2000),
        "element": {
            "type": "radio_buttons",
            "action_id": ids.VALUE,
            "options": options,
            "initial_option": options[0 if done else 1],
        },
    }


def _kr_input(kr: KRState, words: Translator) -> Block:
    if kr.kind == Kind.MILESTONE:
        return _milestone_input(kr, words)
    element: dict[str, Any] = {
        "type": "number_input",
        "is_decimal_allowed": True,
        "action_id": ids.VALUE,
    }
    shown = kr.current if kr.current is not None else kr.start
    element["initial_value"] = repr(shown) if shown != int(shown) else str(int(shown))
    hint = (
        words("checkin.last", value=format_number(kr.current))
        if kr.current is not None
        else words("checkin.never")
    )
    if kr.automatic is not None:
        kind, at = kr.automatic
        automatic = words("checkin.automatic", kind=kind.upper(), date=at.date().isoformat())
        hint = f"{automatic} \u00b7 {hint}"
    return {
        "type": "input",
        "block_id": value_field(kr.id),
        "label": plain(_kr_label(kr, words), 2000),
        "hint": plain(hint, 2000),
        "element": element,
    }


def _confidence_input(objective: ObjectiveState, words: Translator) -> Block:
    options = [option(words(f"confidence.{c.value}"), c.value) for c in Confidence]
    chosen = objective.confidence or Confidence.ON_TRACK
    return {
        "type": "input",
        "block_id": confidence_field(objective.id),
        "label": plain(words("checkin.confidence"), 2000),
        "element": {
            "type": "static_select",
            "action_id": ids.VALUE,
            "options": options,
            "initial_option": option(words(f"confidence.{chosen.value}"), chosen.value),
        },
    }


def _comment_input(objective: ObjectiveState, words: Translator) -> Block:
    return {
        "type": "input",
        "block_id": comment_field(objective.id),
        "optional": True,
        "label": plain(words("checkin.comment"), 2000),
        "element": {
            "type": "plain_text_input",
            "action_id": ids.VALUE,
            "multiline": True,
            "max_length": COMMENT_MAX,
            "placeholder": plain(words("checkin.comment.placeholder"), 150),
        },
    }


def checkin_modal(page: CheckInPage, words: Translator) -> dict[str, Any]:
    blocks: list[Block] = []
    shown = len(page.objectives)
    if page.remaining:
        blocks.append(context(words("checkin.more_pages", shown=shown, total=page.total)))
    for objective in page.objectives:
        blocks.append(
            section(
                f"*{escape(clip(objective.title, 150))}*\n"
                f"`{progress_bar(objective.progress)}` {objective.progress:.0%}"
            )
        )
        blocks += [_kr_input(kr, words) for kr in objective.key_results]
        if objective.owned:
            # Someone else's objective: the person checks in the key results they own,
            # its confidence and comment stay its owner's.
            blocks += [_confidence_input(objective, words), _comment_input(objective, words)]
    # The last page carries its key results' bounds: its answer checks the values without
    # the database and stores them after answering (pages before it are stored at once).
    bounds = (
        {}
        if page.remaining
        else {
            o.id: tuple(Bounds(kr.id, kr.start, kr.target, kr.kind) for kr in o.key_results)
            for o in page.objectives
        }
    )
    state = PageState(
        tuple(o.id for o in page.objectives),
        page.remaining,
        bounds,
        tuple(o.id for o in page.objectives if not o.owned),
    )
    return {
        "type": "modal",
        "callback_id": ids.CHECKIN_VIEW,
        "title": plain(words("checkin.title"), 24),
        "submit": plain(words("checkin.next" if page.remaining else "checkin.submit"), 24),
        "close": plain(words("common.cancel"), 24),
        "private_metadata": state.encode(),
        "blocks": blocks,
    }


def nothing_to_check_in(words: Translator) -> dict[str, Any]:
    return notice_modal(words("checkin.title"), words("checkin.nothing"), words("common.close"))


def _objective_line(objective: ObjectiveState, words: Translator) -> str:
    confidence = (
        f" \u00b7 {words(f'confidence.{objective.confidence.value}')}"
        if objective.confidence
        else ""
    )
    return (
        f"\u2022 *{escape(clip(objective.title, 100))}*  "
        f"`{progress_bar(objective.progress)}` {objective.progress:.0%}{confidence}"
    )


def checkin_prompt(
    objectives: Sequence[ObjectiveState],
    words: Translator,
    *,
    week: str,
    reminder: bool = False,
) -> tuple[str, list[Block]]:
    lead = words("checkin.reminder" if reminder else "checkin.prompt")
    lines = [_objective_line(o, words) for o in objectives[:PROMPT_MAX]]
    if len(objectives) > PROMPT_MAX:
        lines.append(words("checkin.prompt_more", count=len(objectives) - PROMPT_MAX))
    blocks: list[Block] = [
        header(words("checkin.reminder_title" if reminder else "checkin.title")),
        section(lead),
        section("\n".join(lines)),
        *filter(None, [_automatic_values(objectives, words), how_to(reply_krs(objectives), words)]),
        {
            "type": "actions",
            "block_id": "checkin_actions",
            "elements": [
                button(words("checkin.button"), ids.CHECKIN, week, style="primary"),
                *_no_change_button(objectives, words, week),
            ],
        },
    ]
    return lead, blocks


def _automatic_values(objectives: Sequence[ObjectiveState], words: Translator) -> Block | None:
    """The values updated automatically (by a data source or the API) since the last
    check-in, numbered as a reply numbers them, or None when there are none. As many as
    one section holds; the form has the rest."""
    found = [
        (position_label(n, k), kr, kr.current, kr.automatic)
        for n, objective in enumerate(numbered(objectives), start=1)
        for k, kr in enumerate(objective.key_results, start=1)
        if kr.automatic is not None and kr.current is not None
    ]
    if not found:
        return None
    # Someone who owns only key results of others' objectives adds no confidence.
    owned = any(o.owned for o in objectives)
    every = len(found) == sum(len(o.key_results) for o in numbered(objectives))
    lead = "checkin.prompt.automatic.values"
    if owned:
        # Every value in: a reply of a confidence and a comment keeps them (domain.reply).
        lead = "checkin.prompt.automatic.all" if every else "checkin.prompt.automatic.lead"
    lines = [words(lead)]
    for shown, (position, kr, current, automatic) in enumerate(found):
        if current is None or automatic is None:
            continue
        line = words(
            "checkin.prompt.automatic",
            position=position,
            description=escape(clip(kr.description, 100)),
            value=kr_amount(current, kr.unit, kr.kind, words),
            **automatic_params(*automatic),
        )
        more = words("checkin.prompt_more", count=len(found) - shown)
        if shown >= AUTOMATIC_MAX or len("\n".join([*lines, line, more])) > SECTION_TEXT_MAX:
            lines.append(more)
            break
        lines.append(line)
    return section(clip("\n".join(lines), SECTION_TEXT_MAX))


def _no_change_button(
    objectives: Sequence[ObjectiveState], words: Translator, week: str
) -> list[Block]:
    """The button for no change this week, when everything the prompt is about has
    values and a confidence to keep (services.nochange)."""
    if not nochange.offered(objectives):
        return []
    return [
        button(words("nochange.button"), ids.NO_CHANGE, nochange.button_value(week, objectives))
    ]


def prompt_answered(
    reminder: bool, at: str, words: Translator, *, no_change: bool = False
) -> tuple[str, list[Block]]:
    """What a prompt turns into once the person has checked in."""
    what = words("checkin.reminder_title" if reminder else "checkin.title")
    text = words("nochange.done" if no_change else "checkin.answered", what=what, at=at)
    return text, [section(f":white_check_mark: {text}")]
