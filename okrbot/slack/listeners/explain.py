"""Words for a decision that could not be taken."""

from __future__ import annotations

from okrbot.services.approvals import DecisionResult, RequestRef, Verdict
from okrbot.slack.blocks.common import user, when


def refusal(result: DecisionResult, ref: RequestRef) -> str:
    objective = result.objective
    title = f"\u201c{objective.title}\u201d" if objective else "this objective"
    if result.verdict is Verdict.NOT_ALLOWED:
        return (
            f"Only {user(result.approver)} can decide on {title} at the "
            f"{ref.stage.label} stage. Nothing was changed."
        )
    if result.verdict is Verdict.ALREADY_DECIDED and result.outcome is not None:
        return (
            f"{title} was already {result.outcome.value} by {user(result.decided_by)} "
            f"{when(result.decided_at)}. Nothing was changed."
        )
    if result.verdict is Verdict.OUT_OF_DATE and objective is not None:
        return (
            f"This request is out of date: {title} is now at version {objective.version} "
            f"({objective.status.label}). Nothing was changed."
        )
    if result.verdict is Verdict.INVALID_REASON and result.error:
        return result.error
    return "I can't find that request any more. Nothing was changed."
