"""Behind pace and stale, as words beside the confidence its owner chose."""

from __future__ import annotations

from okrbot.i18n import Translator
from okrbot.services.pace import PaceFlags

BEHIND_EMOJI = ":snail:"
STALE_EMOJI = ":hourglass:"


def pace_badges(flags: PaceFlags | None, words: Translator, *, sep: str = " \u00b7 ") -> str:
    """ " · :snail: Behind pace · :hourglass: Stale", or "" when neither applies."""
    if flags is None:
        return ""
    parts = []
    if flags.behind_pace:
        parts.append(f"{BEHIND_EMOJI} {words('pace.behind')}")
    if flags.stale:
        parts.append(f"{STALE_EMOJI} {words('pace.stale')}")
    return "".join(sep + part for part in parts)


def pace_details(flags: PaceFlags | None, words: Translator) -> list[str]:
    """One line each, with the numbers behind the flag (for `/okr show`)."""
    if flags is None:
        return []
    lines = []
    if flags.behind_pace:
        detail = words(
            "pace.behind.detail",
            progress=f"{round(flags.progress * 100)}%",
            expected=f"{round(flags.expected * 100)}%",
        )
        lines.append(f"{BEHIND_EMOJI} {detail[:1].upper()}{detail[1:]}")
    if flags.stale:
        detail = words("pace.stale.detail", days=flags.stale_days)
        lines.append(f"{STALE_EMOJI} {detail[:1].upper()}{detail[1:]}")
    return lines
