"""Messages: the text fallback first (notifications and screen readers use it), then blocks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from okrbot.domain.workflow import Outcome
from okrbot.i18n import Translator
from okrbot.services.notices import (
    ApprovalOutcome,
    ApprovalRequest,
    AuthorEvent,
    AuthorUpdate,
    ProblemReport,
    Publication,
)
from okrbot.slack import ids
from okrbot.slack.blocks.common import (
    Block,
    button,
    channel,
    clip,
    context,
    escape,
    section,
    user,
    when,
)
from okrbot.slack.blocks.objective import objective_blocks, objective_fallback

Message = tuple[str, list[Block]]


def _who(user_id: str | None, words: Translator) -> str:
    return user(user_id) if user_id else words("approval.someone")


def _when(moment: datetime | None, words: Translator) -> str:
    return when(moment) if moment is not None else words("approval.just_now")


def approval_request(notice: ApprovalRequest, value: str, words: Translator) -> Message:
    objective = notice.objective
    stage = words(f"stage.{notice.stage.value}")
    author = user(objective.owner_id)
    text = words(
        "approval.request.text",
        author=author,
        stage=stage,
        objective=objective_fallback(objective),
    )
    blocks = [
        section(words("approval.request.lead", author=author, stage=stage)),
        *objective_blocks(objective, words),
        {
            "type": "actions",
            "block_id": ids.DECISION_ACTIONS,
            "elements": [
                button(words("approval.approve"), ids.APPROVE, value, style="primary"),
                button(words("approval.reject"), ids.REJECT, value, style="danger"),
            ],
        },
    ]
    return text, blocks


def _outcome_line(notice: ApprovalOutcome, words: Translator) -> str:
    if notice.newer_version is not None:
        return words(
            "approval.out_of_date",
            author=user(notice.objective.owner_id),
            version=notice.version,
            newer=notice.newer_version,
        )
    by, moment = _who(notice.decided_by, words), _when(notice.decided_at, words)
    if notice.outcome is Outcome.APPROVED:
        return words("approval.approved_by", by=by, when=moment)
    if notice.outcome is Outcome.REJECTED:
        reason = f"\n>{escape(clip(notice.reason or '', 1500))}" if notice.reason else ""
        return words("approval.rejected_by", by=by, when=moment) + reason
    return words("approval.not_needed", outcome=words(f"outcome.{notice.outcome.value}"))


def approval_outcome(notice: ApprovalOutcome, words: Translator) -> Message:
    line = _outcome_line(notice, words)
    text = f"{objective_fallback(notice.objective)}: {line}"
    # The request as it was, minus the buttons, plus what happened.
    stage = words(f"stage.{notice.stage.value}")
    blocks = [
        section(words("approval.asked.lead", author=user(notice.objective.owner_id), stage=stage)),
        *objective_blocks(notice.objective, words),
        section(line),
    ]
    return text, blocks


def author_update(notice: AuthorUpdate, words: Translator) -> Message:
    objective = notice.objective
    name = objective_fallback(objective)
    blocks: list[Block]
    if notice.event is AuthorEvent.SUBMITTED:
        text = words("author.submitted", objective=name, approver=_who(notice.next_approver, words))
        blocks = [section(f":outbox_tray: {text}"), *objective_blocks(objective, words)]
    elif notice.event is AuthorEvent.STAGE_APPROVED:
        text = words(
            "author.stage_approved",
            by=_who(notice.by, words),
            objective=name,
            approver=_who(notice.next_approver, words),
        )
        blocks = [section(f":white_check_mark: {text}")]
    elif notice.event is AuthorEvent.PUBLISHED:
        text = words("author.published", objective=name)
        blocks = [section(f":tada: {text}"), *objective_blocks(objective, words)]
    else:
        stage = words(f"stage.{notice.stage.value}") if notice.stage else words("author.approver")
        text = words("author.rejected", by=_who(notice.by, words), stage=stage, objective=name)
        reason = escape(clip(notice.reason or "", 2000))
        blocks = [
            section(f":x: {text}\n{words('author.why')}\n>{reason}"),
            *objective_blocks(objective, words),
            {
                "type": "actions",
                "block_id": f"resubmit_{objective.id}_{objective.version}",
                "elements": [
                    button(
                        words("author.resubmit"),
                        ids.RESUBMIT,
                        f"{objective.id}:{objective.version}",
                        style="primary",
                    )
                ],
            },
        ]
    return text, blocks


def publication(notice: Publication, words: Translator) -> Message:
    objective = notice.objective
    owner = user(objective.owner_id)
    approvers = ", ".join(user(a) for a in notice.approvers)
    approval = (
        words("publication.approved_by", approvers=approvers)
        if approvers
        else words("publication.ceo_own")
    )
    # A published objective whose change was approved is announced as an update.
    kind = "updated_" if notice.updated else ""
    text = words(
        f"publication.{kind}text",
        level=words(f"level.{objective.level.value}").lower(),
        owner=owner,
        objective=objective_fallback(objective),
    )
    blocks = [
        section(words(f"publication.{kind}lead", quarter=objective.quarter, owner=owner)),
        *objective_blocks(objective, words),
        context(approval),
    ]
    return text, blocks


def _problem_details(details: Mapping[str, str], words: Translator) -> dict[str, str]:
    """The services describe a problem in plain values; here they become mrkdwn."""
    shown = {name: escape(value) for name, value in details.items()}
    if "title" in details:
        shown["title"] = escape(clip(details["title"], 150))
    if "approver" in details:
        shown["approver"] = user(details["approver"])
    if "channel" in details:
        shown["channel"] = channel(details["channel"])
    if "stage" in details:
        shown["stage"] = words(f"stage.{details['stage']}")
    if "people" in details:
        shown["people"] = ", ".join(user(p) for p in details["people"].split()) or "-"
    if details.get("recipient"):
        target = details["recipient"]
        shown["recipient"] = channel(target) if target.startswith(("C", "G")) else user(target)
    return shown


def problem(notice: ProblemReport, words: Translator) -> Message:
    if notice.problem is None:
        # Queued before problems had names: the words are already in the row.
        text = notice.text
    else:
        text = words(f"problem.{notice.problem}", **_problem_details(notice.details, words))
    return text, [section(f":warning: {text}")]


def help_message(words: Translator, unknown: str | None = None) -> Message:
    lead = words("help.unknown", word=escape(clip(unknown, 50))) + "\n\n" if unknown else ""
    return lead + words("help.text"), [section(lead + words("help.body"))]
