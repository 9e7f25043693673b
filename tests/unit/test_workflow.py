"""The approval chain, and the other rules of who may do what."""

from __future__ import annotations

import pytest

from okrbot.domain.okr import MAX_KEY_RESULTS, Status, may_see, one_more_key_result
from okrbot.domain.permissions import may_administer
from okrbot.domain.workflow import (
    EDITABLE,
    REVISABLE,
    WITHDRAWABLE,
    NoManagerError,
    Stage,
    Step,
    approval_chain,
    next_step,
    request_chain,
    status_after_approval,
)


def test_the_chain_runs_through_the_manager_then_the_ceo() -> None:
    assert approval_chain("U1", "M1", "CEO") == (Step(Stage.MANAGER, "M1"), Step(Stage.CEO, "CEO"))
    assert approval_chain("U1", "CEO", "CEO") == (Step(Stage.CEO, "CEO"),)
    assert approval_chain("CEO", None, "CEO") == ()
    with pytest.raises(NoManagerError):
        approval_chain("U1", None, "CEO")


def test_a_managers_approval_leads_to_the_ceos() -> None:
    chain = request_chain(Stage.MANAGER, "M1", "CEO")
    assert next_step(chain, Stage.MANAGER) == Step(Stage.CEO, "CEO")
    assert status_after_approval(chain, Stage.MANAGER) is Status.AWAITING_CEO


def test_the_ceo_approving_as_manager_publishes_at_once() -> None:
    chain = request_chain(Stage.MANAGER, "CEO", "CEO")
    assert next_step(chain, Stage.MANAGER) is None
    assert status_after_approval(chain, Stage.MANAGER) is Status.APPROVED


@pytest.mark.parametrize("approver", ["CEO", "FORMER_CEO"])
def test_the_ceos_approval_is_the_last(approver: str) -> None:
    chain = request_chain(Stage.CEO, approver, "CEO")
    assert next_step(chain, Stage.CEO) is None
    assert status_after_approval(chain, Stage.CEO) is Status.APPROVED


def test_the_ceo_and_the_admins_may_administer_and_nobody_else() -> None:
    assert may_administer("CEO", "CEO", ())
    assert may_administer("A1", "CEO", ("A1", "A2"))
    assert may_administer("A1", None, frozenset({"A1"}))
    assert not may_administer("U1", "CEO", ("A1",))
    assert not may_administer("U1", None, ())


def test_the_form_grows_one_key_result_at_a_time_up_to_the_most() -> None:
    assert one_more_key_result(2) == 3
    assert one_more_key_result(MAX_KEY_RESULTS - 1) == MAX_KEY_RESULTS
    assert one_more_key_result(MAX_KEY_RESULTS) == MAX_KEY_RESULTS


@pytest.mark.parametrize("status", list(Status))
def test_only_published_and_closed_objectives_are_seen_by_others(status: Status) -> None:
    assert may_see(status, "U1", "U1")
    assert may_see(status, "U1", "U2") is (status in (Status.APPROVED, Status.CLOSED))


def test_what_an_owner_may_still_change_or_take_back() -> None:
    assert Status.APPROVED not in EDITABLE
    assert set(REVISABLE) == {*EDITABLE, Status.APPROVED}
    assert Status.WITHDRAWN not in WITHDRAWABLE
    assert Status.CLOSED not in WITHDRAWABLE
    assert Status.CLOSED not in REVISABLE
