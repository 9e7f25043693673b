"""What Slack refuses in a message or a view: Block Kit's documented limits, checked the
way Slack checks them, with a readable line per broken limit naming the offending field,
e.g. ``blocks[3].text.text is 3012 chars (max 3000)``.

``message_problems`` and ``view_problems`` check without sending anything (for pure tests);
the fake Web API (``okrbot.sandbox.fake_slack``) refuses with the same checks.

Stricter than Slack in one place on purpose: a message with blocks must carry a non-empty
top-level ``text`` fallback (for notifications and screen readers).
"""

from __future__ import annotations

import re
from typing import Any

from okrbot.slack import limits as L
from okrbot.slack.limits import MESSAGE_BLOCKS_MAX as MAX_MESSAGE_BLOCKS
from okrbot.slack.limits import MESSAGE_BLOCKS_TEXT_MAX as MAX_BLOCKS_TEXT
from okrbot.slack.limits import MESSAGE_TEXT_MAX as MAX_MESSAGE_TEXT
from okrbot.slack.limits import VIEW_BLOCKS_MAX as MAX_VIEW_BLOCKS

Json = dict[str, Any]


BLOCK_TYPES = frozenset(
    {
        "section",
        "divider",
        "header",
        "context",
        "actions",
        "input",
        "image",
        "rich_text",
        "markdown",
    }
)
INPUT_ONLY_ELEMENTS = frozenset(
    {
        "plain_text_input",
        "number_input",
        "email_text_input",
        "url_text_input",
        "rich_text_input",
        "file_input",
    }
)
CHOICE_ELEMENTS = frozenset(
    {
        "checkboxes",
        "radio_buttons",
        "static_select",
        "multi_static_select",
        "external_select",
        "multi_external_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
        "datepicker",
        "timepicker",
        "datetimepicker",
    }
)
ACTION_ELEMENTS = CHOICE_ELEMENTS | {"button", "overflow", "workflow_button"}
ACCESSORY_ELEMENTS = ACTION_ELEMENTS | {"image"}
INPUT_ELEMENTS = CHOICE_ELEMENTS | INPUT_ONLY_ELEMENTS

_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")


class Refusal(Exception):
    """Ends a request with ``{"ok": false, "error": error}``."""

    def __init__(
        self, error: str, problems: list[str] | None = None, extra: Json | None = None
    ) -> None:
        super().__init__(error)
        self.error = error
        self.problems = problems or []
        # More fields of the answer, e.g. missing_scope's ``needed`` and ``provided``.
        self.extra = extra or {}


def _text_chars(node: Any) -> int:
    """Characters of every ``text`` string anywhere in a block tree."""
    if isinstance(node, dict):
        return sum(
            len(value) if key == "text" and isinstance(value, str) else _text_chars(value)
            for key, value in node.items()
        )
    if isinstance(node, list):
        return sum(_text_chars(item) for item in node)
    return 0


def _option_key(option: Any) -> tuple[str, str] | None:
    if not isinstance(option, dict):
        return None
    text = option.get("text")
    label = text.get("text") if isinstance(text, dict) else None
    return (str(label), str(option.get("value")))


class _Checker:
    """Collects every broken limit of a block list, as ``path problem`` lines."""

    def __init__(self, *, in_view: bool) -> None:
        self.in_view = in_view
        self.problems: list[str] = []

    def add(self, path: str, problem: str) -> None:
        self.problems.append(f"{path} {problem}")

    def length(self, path: str, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, f"is {len(value)} chars (max {limit})")

    def string(self, path: str, value: Any, limit: int, *, required: bool = False) -> None:
        if value is None:
            if required:
                self.add(path, "is required")
        elif not isinstance(value, str) or (required and not value):
            self.add(path, "must be a non-empty string")
        else:
            self.length(path, value, limit)

    def items(
        self, path: str, value: Any, limit: int, *, required: bool = False, non_empty: bool = True
    ) -> list[Any]:
        if value is None and not required:
            return []
        if not isinstance(value, list) or (required and non_empty and not value):
            self.add(path, "must be a non-empty array" if non_empty else "must be an array")
            return []
        if len(value) > limit:
            self.add(path, f"has {len(value)} items (max {limit})")
        return value

    def text(
        self,
        path: str,
        obj: Any,
        limit: int | None,
        *,
        plain: bool = False,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.add(path, "is required")
            return
        if not isinstance(obj, dict):
            self.add(path, "must be a text object")
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn"):
            self.add(f"{path}.type", f"must be plain_text or mrkdwn, not {kind!r}")
            return
        if plain and kind != "plain_text":
            self.add(f"{path}.type", "must be plain_text")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.add(f"{path}.text", "must be a non-empty string")
        elif limit is not None:
            self.length(f"{path}.text", text, limit)

    # -- blocks

    def blocks(self, path: str, blocks: Any, limit: int) -> None:
        seen: set[str] = set()
        blocks = self.items(path, blocks, limit, required=self.in_view, non_empty=False)
        for index, block in enumerate(blocks):
            here = f"{path}[{index}]"
            if not isinstance(block, dict):
                self.add(here, "must be an object")
                continue
            block_id = block.get("block_id")
            if block_id is not None:
                self.string(f"{here}.block_id", block_id, L.ID_MAX, required=True)
                if block_id in seen:
                    self.add(f"{here}.block_id", f"{block_id!r} is used twice")
                if isinstance(block_id, str):
                    seen.add(block_id)
            kind = block.get("type")
            if kind not in BLOCK_TYPES:
                self.add(f"{here}.type", f"unknown block type {kind!r}")
            elif kind == "input" and not self.in_view:
                self.add(here, "is an input block; those are only allowed in views")
            else:
                getattr(self, f"_block_{kind}")(here, block, set())

    def _block_divider(self, path: str, block: Json, action_ids: set[str]) -> None:
        return

    def _block_section(self, path: str, block: Json, action_ids: set[str]) -> None:
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            self.add(path, "needs text or fields")
        self.text(f"{path}.text", text, L.SECTION_TEXT_MAX, required=False)
        for index, item in enumerate(self.items(f"{path}.fields", fields, L.SECTION_FIELDS_MAX)):
            self.text(f"{path}.fields[{index}]", item, L.SECTION_FIELD_TEXT_MAX)
        accessory = block.get("accessory")
        if accessory is not None:
            self.element(f"{path}.accessory", accessory, action_ids, ACCESSORY_ELEMENTS)

    def _block_header(self, path: str, block: Json, action_ids: set[str]) -> None:
        self.text(f"{path}.text", block.get("text"), L.HEADER_MAX, plain=True)

    def _block_context(self, path: str, block: Json, action_ids: set[str]) -> None:
        elements = self.items(
            f"{path}.elements", block.get("elements"), L.CONTEXT_ELEMENTS_MAX, required=True
        )
        for index, element in enumerate(elements):
            here = f"{path}.elements[{index}]"
            if isinstance(element, dict) and element.get("type") == "image":
                self._image(here, element)
            else:
                self.text(here, element, None)

    def _block_actions(self, path: str, block: Json, action_ids: set[str]) -> None:
        elements = self.items(
            f"{path}.elements", block.get("elements"), L.ACTIONS_ELEMENTS_MAX, required=True
        )
        for index, element in enumerate(elements):
            self.element(f"{path}.elements[{index}]", element, action_ids, ACTION_ELEMENTS)

    def _block_input(self, path: str, block: Json, action_ids: set[str]) -> None:
        self.text(f"{path}.label", block.get("label"), L.LABEL_MAX, plain=True)
        self.text(f"{path}.hint", block.get("hint"), L.LABEL_MAX, plain=True, required=False)
        element = block.get("element")
        if element is None:
            self.add(f"{path}.element", "is required")
        else:
            self.element(f"{path}.element", element, action_ids, INPUT_ELEMENTS)

    def _block_image(self, path: str, block: Json, action_ids: set[str]) -> None:
        self._image(path, block)
        self.text(f"{path}.title", block.get("title"), L.LABEL_MAX, plain=True, required=False)

    def _block_rich_text(self, path: str, block: Json, action_ids: set[str]) -> None:
        self.items(f"{path}.elements", block.get("elements"), 10_000, required=True)

    def _block_markdown(self, path: str, block: Json, action_ids: set[str]) -> None:
        self.string(f"{path}.text", block.get("text"), MAX_BLOCKS_TEXT, required=True)

    def _image(self, path: str, image: Json) -> None:
        if image.get("image_url") is None and image.get("slack_file") is None:
            self.add(path, "needs image_url or slack_file")
        self.string(f"{path}.image_url", image.get("image_url"), L.URL_MAX)
        self.string(f"{path}.alt_text", image.get("alt_text"), L.LABEL_MAX, required=True)

    # -- elements

    def element(
        self, path: str, element: Any, action_ids: set[str], allowed: frozenset[str]
    ) -> None:
        if not isinstance(element, dict):
            self.add(path, "must be an object")
            return
        kind = element.get("type")
        if kind not in allowed:
            self.add(f"{path}.type", f"element type {kind!r} is not allowed here")
            return
        if kind == "image":
            self._image(path, element)
            return
        action_id = element.get("action_id")
        if action_id is not None:
            self.string(f"{path}.action_id", action_id, L.ID_MAX, required=True)
            if action_id in action_ids:
                self.add(f"{path}.action_id", f"{action_id!r} is used twice in this block")
            if isinstance(action_id, str):
                action_ids.add(action_id)
        placeholder = element.get("placeholder")
        self.text(f"{path}.placeholder", placeholder, L.PLACEHOLDER_MAX, plain=True, required=False)
        if kind == "button":
            self.text(f"{path}.text", element.get("text"), L.BUTTON_TEXT_MAX, plain=True)
            self.string(f"{path}.value", element.get("value"), L.BUTTON_VALUE_MAX)
            self.string(f"{path}.url", element.get("url"), L.URL_MAX)
            if element.get("style") not in (None, "primary", "danger"):
                self.add(f"{path}.style", "must be primary or danger")
        elif kind in ("static_select", "multi_static_select"):
            self._choices(path, element, L.SELECT_OPTIONS_MAX, plain=True, groups=True)
        elif kind in ("radio_buttons", "checkboxes"):
            self._choices(path, element, L.CHOICES_MAX, plain=False, groups=False)
        elif kind == "overflow":
            self._choices(path, element, 5, plain=True, groups=False)
        elif kind == "plain_text_input":
            self._plain_text_input(path, element)
        elif kind == "number_input":
            self._number_input(path, element)

    def _option(self, path: str, option: Any, *, plain: bool) -> tuple[str, str] | None:
        if not isinstance(option, dict):
            self.add(path, "must be an option object")
            return None
        self.text(f"{path}.text", option.get("text"), L.OPTION_TEXT_MAX, plain=plain)
        self.string(f"{path}.value", option.get("value"), L.OPTION_VALUE_MAX, required=True)
        self.text(
            f"{path}.description", option.get("description"), L.OPTION_TEXT_MAX, required=False
        )
        self.string(f"{path}.url", option.get("url"), L.URL_MAX)
        return _option_key(option)

    def _choices(self, path: str, element: Json, limit: int, *, plain: bool, groups: bool) -> None:
        options, option_groups = element.get("options"), element.get("option_groups")
        keys: list[tuple[str, str] | None] = []
        if groups and option_groups is not None:
            if options is not None:
                self.add(path, "cannot have both options and option_groups")
            for g_index, group in enumerate(
                self.items(
                    f"{path}.option_groups", option_groups, L.SELECT_OPTIONS_MAX, required=True
                )
            ):
                here = f"{path}.option_groups[{g_index}]"
                if not isinstance(group, dict):
                    self.add(here, "must be an object")
                    continue
                self.text(f"{here}.label", group.get("label"), L.OPTION_TEXT_MAX, plain=True)
                for index, option in enumerate(
                    self.items(
                        f"{here}.options", group.get("options"), L.SELECT_OPTIONS_MAX, required=True
                    )
                ):
                    keys.append(self._option(f"{here}.options[{index}]", option, plain=plain))
        else:
            for index, option in enumerate(
                self.items(f"{path}.options", options, limit, required=True)
            ):
                keys.append(self._option(f"{path}.options[{index}]", option, plain=plain))
        initial = element.get("initial_option")
        if initial is not None and _option_key(initial) not in keys:
            self.add(f"{path}.initial_option", "does not match any of the options")
        for index, option in enumerate(
            self.items(f"{path}.initial_options", element.get("initial_options"), limit)
        ):
            if _option_key(option) not in keys:
                self.add(f"{path}.initial_options[{index}]", "does not match any of the options")

    def _plain_text_input(self, path: str, element: Json) -> None:
        max_length = element.get("max_length", L.INPUT_LENGTH_MAX)
        for key in ("min_length", "max_length"):
            value = element.get(key)
            if value is None:
                continue
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not 0 <= value <= L.INPUT_LENGTH_MAX
            ):
                self.add(
                    f"{path}.{key}",
                    f"must be an integer from 0 to {L.INPUT_LENGTH_MAX}, not {value!r}",
                )
        if isinstance(max_length, int):
            self.string(f"{path}.initial_value", element.get("initial_value"), max_length)

    def _number_input(self, path: str, element: Json) -> None:
        decimal = element.get("is_decimal_allowed")
        if not isinstance(decimal, bool):
            self.add(f"{path}.is_decimal_allowed", "is required (true or false)")
        pattern = _DECIMAL if decimal else _INTEGER
        for key in ("initial_value", "min_value", "max_value"):
            value = element.get(key)
            if value is not None and not (isinstance(value, str) and pattern.fullmatch(value)):
                kind = "a decimal" if decimal else "an integer"
                self.add(f"{path}.{key}", f"must be {kind} number as a string, not {value!r}")


# --------------------------------------------------------------------------- messages and views


def check_message(args: Json) -> tuple[str, list[Json]]:
    """Validate the text and blocks of a message; return them or refuse."""
    text = "" if args.get("text") is None else str(args["text"])
    blocks = args.get("blocks")
    if blocks is not None and not (
        isinstance(blocks, list) and all(isinstance(b, dict) for b in blocks)
    ):
        raise Refusal("invalid_blocks_format", ["blocks must be a JSON array of objects"])
    blocks = blocks or []
    if len(text) > MAX_MESSAGE_TEXT:
        raise Refusal("msg_too_long", [f"text is {len(text)} chars (max {MAX_MESSAGE_TEXT})"])
    if (blocks or args.get("attachments")) and not text.strip():
        raise Refusal("no_text", ["blocks without a plain-text fallback"])
    if not text:
        raise Refusal("no_text")
    checker = _Checker(in_view=False)
    checker.blocks("blocks", blocks, MAX_MESSAGE_BLOCKS)
    if checker.problems:
        raise Refusal("invalid_blocks", checker.problems)
    chars = _text_chars(blocks)
    if chars > MAX_BLOCKS_TEXT:
        problem = f"blocks hold {chars} chars of text (max {MAX_BLOCKS_TEXT})"
        raise Refusal("msg_blocks_too_long", [problem])
    return text, blocks


def check_view(view: Any, *, kind: str) -> Json:
    """Validate a view of `kind` ("modal" or "home"); return it or refuse."""
    if not isinstance(view, dict):
        raise Refusal("invalid_arguments", ["view is required and must be a JSON object"])
    checker = _Checker(in_view=True)
    if view.get("type") != kind:
        checker.add("view.type", f"must be {kind!r}, not {view.get('type')!r}")
    blocks = view.get("blocks")
    checker.blocks("view.blocks", blocks, MAX_VIEW_BLOCKS)
    if kind == "modal":
        checker.text("view.title", view.get("title"), L.VIEW_TITLE_MAX, plain=True)
        checker.text(
            "view.submit", view.get("submit"), L.VIEW_TITLE_MAX, plain=True, required=False
        )
        checker.text("view.close", view.get("close"), L.VIEW_TITLE_MAX, plain=True, required=False)
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and view.get("submit") is None:
            checker.add("view.submit", "is required when the view has input blocks")
    checker.string("view.private_metadata", view.get("private_metadata"), L.PRIVATE_METADATA_MAX)
    checker.string("view.callback_id", view.get("callback_id"), L.ID_MAX)
    checker.string("view.external_id", view.get("external_id"), L.ID_MAX)
    if checker.problems:
        raise Refusal("invalid_arguments", checker.problems)
    return view


def message_problems(text: str, blocks: list[Json]) -> list[str]:
    """What Slack would refuse in a message, without sending it (for pure tests)."""
    try:
        check_message({"text": text, "blocks": blocks})
    except Refusal as refusal:
        return [refusal.error, *refusal.problems]
    return []


def view_problems(view: Json, *, kind: str = "modal") -> list[str]:
    """What Slack would refuse in a view, without opening it (for pure tests)."""
    try:
        check_view(view, kind=kind)
    except Refusal as refusal:
        return [refusal.error, *refusal.problems]
    return []
