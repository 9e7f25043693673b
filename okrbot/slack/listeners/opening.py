"""Opening modals: the objective form, the check-in and the scoring form.

Shared by the slash command, the buttons and the Home tab, so it imports no listener.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from okrbot.i18n import Translator
from okrbot.services import checkins, closing, objectives
from okrbot.services.ports import DeliveryError
from okrbot.slack import payloads
from okrbot.slack.blocks import checkin as checkin_blocks
from okrbot.slack.blocks import closing as closing_blocks
from okrbot.slack.blocks import forms
from okrbot.slack.deps import Deps

log = logging.getLogger(__name__)


async def open_form(
    deps: Deps,
    who: payloads.Who,
    trigger_id: str,
    channel: str | None,
    *,
    objective_id: int | None = None,
) -> None:
    words = await deps.words_for(who)
    try:
        ctx = await objectives.form_context(
            deps.uow,
            deps.actor(who),
            deps.tenancy.organisation,
            deps.today(),
            objective_id=objective_id,
        )
    except objectives.NotEditable as exc:
        status = words(f"status.{exc.objective.status.value}").lower()
        title = f"\u201c{exc.objective.title}\u201d"
        await deps.tell(who, words("form.not_editable", title=title, status=status), channel)
        return
    except LookupError:
        await deps.tell(who, words("form.gone_or_not_yours"), channel)
        return
    try:
        slack = await deps.slack(who)
        await slack.open_view(trigger_id, forms.objective_modal(ctx, forms.FormState(), words))
    except DeliveryError as exc:
        log.warning("views.open failed for %s: %s", who.user_id, exc.code)
        await deps.tell(who, words("common.form_too_slow"), channel)


async def _open_paged(
    deps: Deps,
    who: payloads.Who,
    trigger: str,
    channel: str | None,
    view: Callable[[Translator], Awaitable[dict[str, Any]]],
) -> None:
    """Build a form from the database, then open it: the same for check-ins and scores."""
    words = await deps.words_for(who)
    built = await view(words)
    try:
        slack = await deps.slack(who)
        await slack.open_view(trigger, built)
    except DeliveryError as exc:
        log.warning("views.open failed for %s: %s", who.user_id, exc.code)
        await deps.tell(who, words("common.form_too_slow"), channel)


async def open_checkin(deps: Deps, who: payloads.Who, trigger: str, channel: str | None) -> None:
    async def view(words: Translator) -> dict[str, Any]:
        page = await checkins.form_page(deps.uow, deps.actor(who), deps.today())
        if page.objectives:
            return checkin_blocks.checkin_modal(page, words)
        return checkin_blocks.nothing_to_check_in(words)

    await _open_paged(deps, who, trigger, channel, view)


async def open_scoring(deps: Deps, who: payloads.Who, trigger: str, channel: str | None) -> None:
    async def view(words: Translator) -> dict[str, Any]:
        page = await closing.scoring_page(deps.uow, deps.actor(who), deps.today())
        if page.objectives:
            return closing_blocks.scoring_modal(page, words)
        return closing_blocks.nothing_to_score(words)

    await _open_paged(deps, who, trigger, channel, view)
