"""Words for a decision that could not be taken."""

from __future__ import annotations

from okrbot.i18n import Translator
from okrbot.services.approvals import DecisionResult, RequestRef, Verdict
from okrbot.slack.blocks.common import user, when


def refusal(result: DecisionResult, ref: RequestRef, words: Translator) -> str:
    objective = result.objective
    title = f"\u201c{objective.title}\u201d" if objective else words("refusal.this_objective")
    if result.verdict is Verdict.NOT_ALLOWED:
        return words(
            "refusal.not_allowed",
            approver=user(result.approver),
            title=title,
            stage=words(f"stage.{ref.stage.value}"),
        )
    if result.verdict is Verdict.ALREADY_DECIDED and result.outcome is not None:
        return words(
            "refusal.already_decided",
            title=title,
            outcome=words(f"outcome.{result.outcome.value}"),
            by=user(result.decided_by),
            when=when(result.decided_at),
        )
    if result.verdict is Verdict.OUT_OF_DATE and objective is not None:
        return words(
            "refusal.out_of_date",
            title=title,
            version=objective.version,
            status=words(f"status.{objective.status.value}"),
        )
    if result.verdict is Verdict.INVALID_REASON and result.error:
        return words(result.error)
    return words("refusal.not_found")
