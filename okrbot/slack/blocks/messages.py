"""Messages: the text fallback first (notifications and screen readers use it), then blocks."""

from __future__ import annotations

from okrbot.domain.okr import Status
from okrbot.domain.views import ObjectiveListing
from okrbot.domain.workflow import Outcome
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
    clip,
    context,
    divider,
    escape,
    header,
    section,
    user,
    when,
)
from okrbot.slack.blocks.objective import objective_blocks, objective_fallback

Message = tuple[str, list[Block]]

# A listing shows this many objectives, each in a few blocks, to stay under 50 blocks.
LIST_MAX = 10


def approval_request(notice: ApprovalRequest, value: str) -> Message:
    objective = notice.objective
    text = (
        f"{user(objective.owner_id)} asks for your approval ({notice.stage.label} stage): "
        f"{objective_fallback(objective)}"
    )
    blocks = [
        section(
            f":inbox_tray: {user(objective.owner_id)} asks for your approval "
            f"as *{notice.stage.label}*."
        ),
        *objective_blocks(objective),
        {
            "type": "actions",
            "block_id": ids.DECISION_ACTIONS,
            "elements": [
                button("Approve", ids.APPROVE, value, style="primary"),
                button("Reject", ids.REJECT, value, style="danger"),
            ],
        },
    ]
    return text, blocks


def _outcome_line(notice: ApprovalOutcome) -> str:
    if notice.newer_version is not None:
        return (
            f":hourglass: Out of date: {user(notice.objective.owner_id)} replaced version "
            f"{notice.version} with version {notice.newer_version}. Any new request comes "
            "in a message of its own."
        )
    if notice.outcome is Outcome.APPROVED:
        return f":white_check_mark: Approved by {user(notice.decided_by)} {when(notice.decided_at)}"
    if notice.outcome is Outcome.REJECTED:
        reason = f"\n>{escape(clip(notice.reason or '', 1500))}" if notice.reason else ""
        return f":x: Rejected by {user(notice.decided_by)} {when(notice.decided_at)}{reason}"
    return f":no_entry_sign: No longer needed ({notice.outcome.value})."


def approval_outcome(notice: ApprovalOutcome) -> Message:
    line = _outcome_line(notice)
    text = f"{objective_fallback(notice.objective)}: {line}"
    # The request as it was, minus the buttons, plus what happened.
    blocks = [
        section(
            f":inbox_tray: {user(notice.objective.owner_id)} asked for your approval "
            f"as *{notice.stage.label}*."
        ),
        *objective_blocks(notice.objective),
        section(line),
    ]
    return text, blocks


def author_update(notice: AuthorUpdate) -> Message:
    objective = notice.objective
    name = objective_fallback(objective)
    blocks: list[Block]
    if notice.event is AuthorEvent.SUBMITTED:
        text = f"Submitted {name}: waiting for {user(notice.next_approver)}."
        blocks = [section(f":outbox_tray: {text}"), *objective_blocks(objective)]
    elif notice.event is AuthorEvent.STAGE_APPROVED:
        text = (
            f"{user(notice.by)} approved {name}; it now waits for "
            f"{user(notice.next_approver)} (CEO)."
        )
        blocks = [section(f":white_check_mark: {text}")]
    elif notice.event is AuthorEvent.PUBLISHED:
        text = f"{name} is approved and published for everyone to see."
        blocks = [section(f":tada: {text}"), *objective_blocks(objective)]
    else:
        stage = notice.stage.label if notice.stage else "approver"
        text = f"{user(notice.by)} ({stage}) rejected {name}."
        reason = escape(clip(notice.reason or "", 2000))
        blocks = [
            section(f":x: {text}\n*Why:*\n>{reason}"),
            *objective_blocks(objective),
            {
                "type": "actions",
                "block_id": f"resubmit_{objective.id}_{objective.version}",
                "elements": [
                    button(
                        "Edit and resubmit",
                        ids.RESUBMIT,
                        f"{objective.id}:{objective.version}",
                        style="primary",
                    )
                ],
            },
        ]
    return text, blocks


def publication(notice: Publication) -> Message:
    objective = notice.objective
    approvers = ", ".join(user(a) for a in notice.approvers)
    approval = (
        f"Approved by {approvers}" if approvers else "The CEO's own objective: no approval needed"
    )
    text = f"New {objective.level.value} OKR from {user(objective.owner_id)}: " + (
        objective_fallback(objective)
    )
    blocks = [
        section(f":dart: *New OKR for {objective.quarter}* from {user(objective.owner_id)}"),
        *objective_blocks(objective),
        context(approval),
    ]
    return text, blocks


def problem(notice: ProblemReport) -> Message:
    return notice.text, [section(f":warning: {notice.text}")]


HELP = (
    "*okrbot* runs our OKRs: objectives with 2\u20135 measurable key results, approved by "
    "your manager and then the CEO, published for everyone.\n\n"
    "`/okr new` \u2014 write an objective (a form opens)\n"
    "`/okr list` \u2014 your objectives and where each one stands\n"
    "`/okr list @person`, `/okr list <team>`, `/okr list company` \u2014 published "
    "objectives of this quarter\n"
    "`/okr show 12` or `/okr show <words>` \u2014 one objective in full\n"
    "`/okr tree` \u2014 how this quarter's objectives align to the company's\n"
    "`/okr checkin` \u2014 update your key results and how confident you are\n"
    "`/okr help` \u2014 this help\n\n"
    "Approvers get a DM with *Approve* and *Reject*; a rejection comes back to you with the "
    "reason and an *Edit and resubmit* button. Every week I ask for a check-in (Friday "
    "afternoon, your time) and post a digest of everyone's progress on Monday."
)


def help_message(unknown: str | None = None) -> Message:
    lead = f"I don't know `{escape(clip(unknown, 50))}`.\n\n" if unknown else ""
    return lead + "okrbot help", [section(lead + HELP)]


def _status_line(listing: ObjectiveListing) -> str:
    status = listing.objective.status
    line = f"*Status:* {status.label}"
    if listing.waiting_on and status in (Status.AWAITING_MANAGER, Status.AWAITING_CEO):
        line += f" ({user(listing.waiting_on)})"
    decision = listing.last_decision
    if status is Status.REJECTED and decision and decision.reason:
        line += f"\n>{escape(clip(decision.reason, 300))}"
    return line


def listing_message(listings: list[ObjectiveListing]) -> Message:
    if not listings:
        text = "You have no objectives yet. Write one with `/okr new`."
        return text, [section(text)]
    shown = listings[:LIST_MAX]
    blocks: list[Block] = [header(f"Your objectives ({len(listings)})")]
    for listing in shown:
        objective = listing.objective
        blocks.append(
            section(
                f"*{escape(clip(objective.title, 150))}* \u00b7 {objective.quarter} \u00b7 "
                f"{objective.level.label} \u00b7 {len(objective.key_results)} key results\n"
                + _status_line(listing)
            )
        )
    if len(listings) > LIST_MAX:
        blocks.append(context(f"Showing the newest {LIST_MAX} of {len(listings)}."))
    blocks.append(divider())
    blocks.append(context("Write another with `/okr new`."))
    text = f"Your objectives: {len(listings)}"
    return text, blocks
