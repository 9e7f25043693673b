"""Modal submissions: the objective form and the rejection reason."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck

from okrbot.domain.okr import FieldError
from okrbot.i18n import ENGLISH
from okrbot.services import approvals, objectives
from okrbot.services.approvals import RequestRef, Verdict
from okrbot.slack import ids, payloads
from okrbot.slack.blocks import forms
from okrbot.slack.deps import Deps
from okrbot.slack.form_errors import field_errors, refuse
from okrbot.slack.listeners.explain import refusal
from okrbot.slack.routes import Routes

log = logging.getLogger(__name__)


def register(app: Routes, deps: Deps) -> None:
    async def submit_objective(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            who = payloads.who(body)
        except payloads.PayloadError:
            await refuse(ack, {ids.TITLE: ENGLISH("form.who")})
            return
        words = await deps.words_for(who)
        present = payloads.form_field_blocks(body) or [ids.TITLE]
        try:
            raw, manager = payloads.objective_form(body)
        except payloads.ForgedManager:
            # Slack's user select sends only user ids; stored, this would be rendered.
            forged = [FieldError(ids.MANAGER, "form.manager.pick_listed")]
            await refuse(ack, field_errors(forged, present, words, ids.TITLE))
            return
        state = forms.FormState.decode(payloads.view_field(body, "private_metadata"))
        try:
            await objectives.submit(
                deps.uow,
                deps.actor(who),
                deps.tenancy.organisation,
                raw,
                today=deps.today(),
                now=deps.clock(),
                manager_choice=manager,
                submission_key=None if state.edit_of else payloads.view_field(body, "id"),
                edit_of=state.edit_of,
            )
        except objectives.InvalidSubmission as exc:
            await refuse(ack, field_errors(exc.errors, present, words, ids.TITLE))
            return
        except LookupError:
            await refuse(ack, {ids.TITLE: words("form.gone_close")})
            return
        except Exception:
            log.exception("submitting an objective failed for %s", who.user_id)
            await refuse(ack, {ids.TITLE: words("common.sorry")})
            return
        await ack()
        deps.deliver_soon()

    async def submit_rejection(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            who = payloads.who(body)
            ref = RequestRef.decode(payloads.view_field(body, "private_metadata") or "")
        except (payloads.PayloadError, ValueError):
            await refuse(ack, {ids.REASON: ENGLISH("form.broken_reject")})
            return
        words = await deps.words_for(who)
        try:
            result = await approvals.reject(
                deps.uow,
                deps.actor(who),
                deps.tenancy.organisation,
                ref,
                now=deps.clock(),
                reason=payloads.reason(body),
            )
        except Exception:
            log.exception("rejecting failed for %s", who.user_id)
            await refuse(ack, {ids.REASON: words("common.sorry")})
            return
        if result.verdict is Verdict.APPLIED:
            await ack()
            deps.deliver_soon()
        else:
            await refuse(ack, {ids.REASON: refusal(result, ref, words)})

    app.view(ids.NEW_OBJECTIVE_VIEW)(submit_objective)
    app.view(ids.REJECT_VIEW)(submit_rejection)
