"""Every action, block and callback id the app uses, in one place."""

from __future__ import annotations

from okrbot.domain.okr import kr_field

COMMAND = "/okr"

# Buttons
APPROVE = "okr_approve"
REJECT = "okr_reject"
RESUBMIT = "okr_resubmit"
ADD_KR = "okr_add_kr"
CHECKIN = "okr_checkin"
NO_CHANGE = "okr_checkin_no_change"
SCORE = "okr_score"
NEXT_QUARTER = "okr_next_quarter"
REPLY_UNDO = "okr_reply_undo"

# Modals
NEW_OBJECTIVE_VIEW = "okr_new"
REJECT_VIEW = "okr_reject_reason"
CHECKIN_VIEW = "okr_checkin_form"
SCORE_VIEW = "okr_score_form"

# Blocks of the objective form; the action id inside each input block is always VALUE.
VALUE = "value"
TITLE = "title"
DESCRIPTION = "description"
LEVEL = "level"
QUARTER = "quarter"
ALIGNED_TO = "aligned_to"
MANAGER = "manager"
REASON = "reason"
DECISION_ACTIONS = "decision"


def kr_block(index: int, part: str) -> str:
    """Block id of a key result's field; the same names the domain uses for field errors."""
    return kr_field(index, part)


KR_PARTS = ("desc", "kind", "start", "target", "unit")
