"""The weekly check-in: `/okr checkin`, the prompt's button, and the form."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck

from okrbot.domain.checkin import Bounds
from okrbot.services import checkins, inbox, nochange
from okrbot.services.checkins import CheckInPage
from okrbot.services.common import PageStored
from okrbot.slack import ids, payloads
from okrbot.slack.blocks import checkin as blocks
from okrbot.slack.blocks.common import PageState
from okrbot.slack.deps import Deps
from okrbot.slack.form_errors import field_errors, refuse, sorry
from okrbot.slack.listeners.actions import Click, Listener, on_click
from okrbot.slack.listeners.opening import open_checkin
from okrbot.slack.listeners.paging import store_page
from okrbot.slack.payloads import Who
from okrbot.slack.routes import Routes

log = logging.getLogger(__name__)


async def _from_button(deps: Deps, click: Click) -> None:
    await open_checkin(deps, click.who, click.trigger, click.channel)


async def _answer_then_store(
    deps: Deps,
    ack: AsyncAck,
    who: Who,
    page: list[tuple[int, tuple[Bounds, ...]]],
    body: dict[str, Any],
    values_only: tuple[int, ...] = (),
) -> None:
    """The last page of the form: checked against what it carries, put in the inbox (one
    row, committed with the other answers' rows), answered, then stored."""
    fields = payloads.values_of(body, checkins.form_fields(page, values_only))
    errors = checkins.validate(page, checkins.RawCheckIn(fields), values_only)
    if errors:
        words = await deps.words_for(who)
        await refuse(ack, field_errors(errors, payloads.form_field_blocks(body), words))
        return
    submission = inbox.Submission(
        who.workspace_id,
        who.user_id,
        tuple((i, tuple(kr.kr_id for kr in krs)) for i, krs in page),
        fields,
        deps.clock(),
        key=submission_key(body),
    )
    try:
        item_id = await deps.inbox.put(submission)
    except Exception:
        log.exception("queuing a check-in failed for %s", who.user_id)
        # Nothing was kept: the form stays open with an apology on its first field.
        words = await deps.words_for(who)
        await refuse(ack, sorry(payloads.form_field_blocks(body), words))
        return
    await ack()
    # Stored after the answer, and what that changed delivered.
    deps.storing.soon(item_id)


def submission_key(body: dict[str, Any]) -> str | None:
    """The view's id and hash: Slack gives every state of a view a new hash, so the same
    key is the same submission delivered again."""
    view_id, view_hash = payloads.view_field(body, "id"), payloads.view_field(body, "hash")
    if not view_id or not view_hash:
        return None
    return f"{view_id}:{view_hash}"[:128]


def on_no_change(deps: Deps) -> Listener:
    """No change this week: answered once its check-in is in the inbox (as the form's
    last page is), stored right after; a click that has nothing to keep opens the form."""

    async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            click = Click.parse(body)
        except payloads.PayloadError:
            await ack()
            return
        who = click.who
        week, objective_ids = nochange.parse_value(click.value)
        container = body.get("container")
        message_ts = container.get("message_ts") if isinstance(container, dict) else None
        key = nochange.submission_key(
            deps.actor(who),
            click.channel,
            message_ts if isinstance(message_ts, str) else None,
            week,
        )
        try:
            prepared = await nochange.prepare(
                deps.uow,
                deps.actor(who),
                objective_ids,
                today=deps.today(),
                now=deps.clock(),
                key=key,
            )
            if prepared.submission is None:
                await ack()
                deps.background.spawn(
                    open_checkin(deps, who, click.trigger, click.channel),
                    on_error=deps.sorry_to(who, click.channel),
                )
                return
            item_id = await deps.inbox.put(prepared.submission)
        except Exception:
            log.exception("queuing a no-change check-in failed for %s", who.user_id)
            await ack()
            # Nothing was kept: the prompt keeps its buttons, and the person hears so.
            deps.background.spawn(_sorry(deps, who, click.channel))
            return
        await ack()
        deps.storing.soon(item_id)

    return listener


async def _sorry(deps: Deps, who: Who, channel: str | None) -> None:
    words = await deps.words_for(who)
    await deps.tell(who, words("common.sorry"), channel)


def register(app: Routes, deps: Deps) -> None:
    async def submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            who = payloads.who(body)
        except payloads.PayloadError:
            await ack()
            return
        state = PageState.decode(payloads.view_field(body, "private_metadata"))
        page = state.page
        if page and not state.rest:
            await _answer_then_store(deps, ack, who, page, body, state.values_only)
            return
        # A page with more after it, or a form without the bounds (opened before they
        # were carried): stored before the answer, which may be the next page.

        def store() -> Awaitable[PageStored[CheckInPage]]:
            return checkins.submit_page(
                deps.uow,
                deps.actor(who),
                state.ids,
                checkins.RawCheckIn(payloads.all_values(body)),
                state.rest,
                today=deps.today(),
                now=deps.clock(),
            )

        if await store_page(deps, ack, who, body, store, blocks.checkin_modal, "a check-in"):
            deps.deliver_soon()

    app.action(ids.CHECKIN)(on_click(deps, _from_button))
    app.action(ids.NO_CHANGE)(on_no_change(deps))
    app.view(ids.CHECKIN_VIEW)(submit)
