"""The answer to one page of a paged form (check-ins, scores): stored, then the next page."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck

from okrbot.i18n import Translator
from okrbot.services.common import PageStored
from okrbot.slack import payloads
from okrbot.slack.deps import Deps
from okrbot.slack.form_errors import field_errors, refuse, sorry
from okrbot.slack.payloads import Who

log = logging.getLogger(__name__)

P = TypeVar("P")

Store = Callable[[], Awaitable[PageStored[P]]]
Render = Callable[[P, Translator], dict[str, Any]]


async def store_page(
    deps: Deps,
    ack: AsyncAck,
    who: Who,
    body: dict[str, Any],
    store: Store[P],
    render: Render[P],
    what: str,
) -> bool:
    """Store the page (`store`, one use case), then answer: the form stays open with each
    problem under its field, moves on to the next page, or closes. True when stored."""
    present = payloads.form_field_blocks(body)
    try:
        stored = await store()
    except Exception:
        log.exception("recording %s failed for %s", what, who.user_id)
        await refuse(ack, sorry(present, await deps.words_for(who)))
        return False
    if stored.errors:
        await refuse(ack, field_errors(stored.errors, present, await deps.words_for(who)))
        return False
    if stored.next_page is not None:
        await ack(
            response_action="update", view=render(stored.next_page, await deps.words_for(who))
        )
    else:
        await ack()
    return True
