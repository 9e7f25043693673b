"""Block Kit as terminal text, for the demo."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from okrbot.i18n import translator

_DATE = re.compile(r"<!date\^\d+\^[^|]*\|([^>]*)>")
_USER = re.compile(r"<@([A-Z0-9]+)>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|[^>]*)?>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
_EMOJI = {
    ":inbox_tray:": "\U0001f4e5",
    ":outbox_tray:": "\U0001f4e4",
    ":white_check_mark:": "\u2705",
    ":x:": "\u274c",
    ":tada:": "\U0001f389",
    ":dart:": "\U0001f3af",
    ":pencil2:": "\u270f\ufe0f",
    ":warning:": "\u26a0\ufe0f",
    ":hourglass:": "\u231b",
    ":no_entry_sign:": "\U0001f6ab",
    ":white_circle:": "\u26aa",
    ":large_green_circle:": "\U0001f7e2",
    ":large_yellow_circle:": "\U0001f7e1",
    ":red_circle:": "\U0001f534",
}


def text_of(value: str, names: Mapping[str, str]) -> str:
    value = _DATE.sub(lambda m: m.group(1), value)
    value = _USER.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), value)
    value = _CHANNEL.sub(lambda m: "#" + names.get(m.group(1), m.group(1)), value)
    value = _ITALIC.sub(r"\1", _BOLD.sub(r"\1", value)).replace("`", "")
    for code, glyph in _EMOJI.items():
        value = value.replace(code, glyph)
    return value.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# An objective's card (okrbot.slack.blocks.objective) is three blocks: the title, the key
# results under this heading, and a context line.
_KEY_RESULTS = {translator(language)("objective.key_results") for language in ("en", "nb")}
_VERSION = re.compile(r"\bv(\d+)\b")


class Cards:
    """The objective cards printed so far. The same objective is in the request, the
    request updated, the author's note and the publication: printed once, then referred
    to, the story stays readable and a card that did change stands out."""

    def __init__(self) -> None:
        self.step = ""
        self._seen: dict[str, str] = {}

    def once(self, lines: list[str]) -> list[str]:
        key = "\n".join(lines)
        if key in self._seen:
            return [self._seen[key]]
        version = _VERSION.search(lines[-1])
        which = f"v{version.group(1)} of " if version else ""
        self._seen[key] = f"[{which}\u201c{lines[0]}\u201d, as in step {self.step}]"
        return lines


def _is_card(blocks: list[dict[str, Any]], at: int) -> bool:
    card = blocks[at : at + 3]
    return [b.get("type") for b in card] == ["section", "section", "context"] and card[1]["text"][
        "text"
    ].split("\n", 1)[0] in _KEY_RESULTS


def field_labels(blocks: list[dict[str, Any]], names: Mapping[str, str]) -> dict[str, str]:
    """Each input's block id to its label as a person sees it in the form, after the
    heading it stands under ("Key result 2, Target value"): an error is shown by the
    field, and the demo says which field that is in words, not by block id."""
    labels: dict[str, str] = {}
    heading = ""
    for block in blocks:
        kind = block.get("type")
        if kind in ("header", "section"):
            heading = text_of(block["text"]["text"], names).splitlines()[0]
        elif kind == "input" and "block_id" in block:
            label = text_of(block["label"]["text"], names)
            labels[block["block_id"]] = f"{heading}, {label}" if heading else label
    return labels


def chosen(block: dict[str, Any], value: str) -> str:
    """What a person chose in an input, as the form shows it: an option's text, not its
    value."""
    element = block.get("element", {})
    options = [
        *element.get("options", []),
        *(o for group in element.get("option_groups", []) for o in group["options"]),
    ]
    for option in options:
        if option.get("value") == value:
            return str(option["text"]["text"])
    return value


def render(
    blocks: list[dict[str, Any]],
    names: Mapping[str, str],
    indent: str = "  ",
    cards: Cards | None = None,
) -> str:
    lines: list[str] = []
    at = 0
    while at < len(blocks):
        if cards is not None and _is_card(blocks, at):
            lines += cards.once(render(blocks[at : at + 3], names, indent="").splitlines())
            at += 3
            continue
        block = blocks[at]
        at += 1
        kind = block.get("type")
        if kind == "header":
            lines.append(text_of(block["text"]["text"], names).upper())
        elif kind == "section":
            lines += text_of(block["text"]["text"], names).splitlines()
        elif kind == "context":
            lines.append(
                " \u00b7 ".join(text_of(e.get("text", ""), names) for e in block["elements"])
            )
        elif kind == "divider":
            lines.append("\u2500" * 40)
        elif kind == "actions":
            lines.append("  ".join(f"[ {e['text']['text']} ]" for e in block["elements"]))
        elif kind == "input":
            element = block["element"]
            shown = element.get("initial_value") or (
                element.get("initial_option", {}).get("text", {}).get("text")
            )
            hint = f": {shown}" if shown else ""
            optional = " (optional)" if block.get("optional") else ""
            lines.append(f"\u25ad {block['label']['text']}{optional}{hint}")
    return "\n".join(indent + line for line in lines)
