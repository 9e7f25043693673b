"""Block Kit as terminal text, for the demo."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

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


def render(blocks: list[dict[str, Any]], names: Mapping[str, str], indent: str = "  ") -> str:
    lines: list[str] = []
    for block in blocks:
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
