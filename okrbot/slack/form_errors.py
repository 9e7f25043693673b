"""A form refused: each problem under its field, as Slack's `response_action=errors`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from slack_bolt.async_app import AsyncAck

from okrbot.domain.okr import FieldError
from okrbot.i18n import Translator

# Slack's limit on one error's text.
ERROR_MAX = 2000


def field_errors(
    errors: Iterable[FieldError],
    present: Sequence[str],
    words: Translator,
    fallback: str | None = None,
) -> dict[str, str]:
    """Each problem worded under its field's block. Slack shows errors only under blocks the
    view has: the others go under `fallback` (the view's first field unless given), several
    in one block joined. Nothing when the view has no field to show them under."""
    if fallback is None:
        if not present:
            return {}
        fallback = present[0]
    shown: dict[str, str] = {}
    for error in errors:
        block = error.field if error.field in present else fallback
        message = words(error.key, **error.params)
        shown[block] = f"{shown[block]} {message}"[:ERROR_MAX] if block in shown else message
    return shown


def sorry(present: Sequence[str], words: Translator) -> dict[str, str]:
    """Nothing was kept: an apology under the form's first field."""
    return {present[0]: words("common.sorry")} if present else {}


async def refuse(ack: AsyncAck, errors: Mapping[str, str]) -> None:
    """The form stays open with these errors under its fields."""
    await ack(response_action="errors", errors=dict(errors))
