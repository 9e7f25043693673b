"""Modal submissions: the objective form and the rejection reason."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck

from okrbot.domain.okr import FieldError
from okrbot.i18n import ENGLISH, Translator
from okrbot.services import approvals, objectives
from okrbot.services.approvals import RequestRef, Verdict
from okrbot.slack import ids, payloads
from okrbot.slack.blocks import forms
from okrbot.slack.deps import Deps
from okrbot.slack.listeners.explain import refusal
from okrbot.slack.routes import Routes

log = logging.getLogger(__name__)


def field_errors(
    errors: list[FieldError], present: list[str], words: Translator, fallback: str = ids.TITLE
) -> dict[str, str]:
    """Slack shows errors only under blocks the view has; others go under `fallback`."""
    shown: dict[str, str] = {}
    for error in errors:
        block = error.field if error.field in present else fallback
        message = words(error.key, **error.params)
        shown[block] = f"{shown[block]} {message}"[:2000] if block in shown else message
    return shown


def register(app: Routes, deps: Deps) -> None:
    async def submit_objective(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            who = payloads.who(body)
        except payloads.PayloadError:
            await ack(response_action="errors", errors={ids.TITLE: ENGLISH("form.who")})
            return
        words = await deps.words_for(who)
        present = payloads.form_field_blocks(body) or [ids.TITLE]
        try:
            raw, manager = payloads.objective_form(body)
        except payloads.ForgedManager:
            # Slack's user select sends only user ids; stored, this would be rendered.
            forged = [FieldError(ids.MANAGER, "form.manager.pick_listed")]
            await ack(response_action="errors", errors=field_errors(forged, present, words))
            return
        state = forms.FormState.decode(payloads.view_field(body, "private_metadata"))
        try:
            async with deps.uow() as uow:
                await objectives.submit(
                    uow,
                    deps.actor(who),
                    await deps.organisation(uow, who),
                    raw,
                    today=deps.today(),
                    now=deps.clock(),
                    manager_choice=manager,
                    submission_key=None if state.edit_of else payloads.view_field(body, "id"),
                    edit_of=state.edit_of,
                )
        except objectives.InvalidSubmission as exc:
            await ack(response_action="errors", errors=field_errors(exc.errors, present, words))
            return
        except LookupError:
            await ack(
                response_action="errors",
                errors={ids.TITLE: words("form.gone_close")},
            )
            return
        except Exception:
            log.exception("submitting an objective failed for %s", who.user_id)
            await ack(response_action="errors", errors={ids.TITLE: words("common.sorry")})
            return
        await ack()
        deps.deliver_soon()

    async def submit_rejection(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            who = payloads.who(body)
            ref = RequestRef.decode(payloads.view_field(body, "private_metadata") or "")
        except (payloads.PayloadError, ValueError):
            await ack(
                response_action="errors",
                errors={ids.REASON: ENGLISH("form.broken_reject")},
            )
            return
        words = await deps.words_for(who)
        try:
            async with deps.uow() as uow:
                result = await approvals.decide(
                    uow,
                    deps.actor(who),
                    await deps.organisation(uow, who),
                    ref,
                    approve=False,
                    now=deps.clock(),
                    reason=payloads.reason(body),
                )
        except Exception:
            log.exception("rejecting failed for %s", who.user_id)
            await ack(response_action="errors", errors={ids.REASON: words("common.sorry")})
            return
        if result.verdict is Verdict.APPLIED:
            await ack()
            deps.deliver_soon()
        else:
            await ack(response_action="errors", errors={ids.REASON: refusal(result, ref, words)})

    app.view(ids.NEW_OBJECTIVE_VIEW)(submit_objective)
    app.view(ids.REJECT_VIEW)(submit_rejection)
