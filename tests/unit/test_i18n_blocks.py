"""Every message and form, filled to the brim, is one Slack accepts, in every language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from okrbot.domain.checkin import Confidence
from okrbot.domain.digest import DigestKR, DigestObjective, build_digest
from okrbot.domain.okr import (
    DESCRIPTION_MAX,
    KR_DESCRIPTION_MAX,
    MAX_KEY_RESULTS,
    TITLE_MAX,
    UNIT_MAX,
    Level,
    Status,
)
from okrbot.domain.quarters import Quarter
from okrbot.domain.views import (
    AlignOption,
    KeyResultView,
    ObjectiveView,
)
from okrbot.domain.workflow import REASON_MAX, Outcome, Stage
from okrbot.i18n import LANGUAGES, Translator, translator
from okrbot.sandbox.blockkit import message_problems, view_problems
from okrbot.services.checkins import CheckInPage, KRState, ObjectiveState
from okrbot.services.notices import (
    ApprovalOutcome,
    ApprovalRequest,
    AuthorEvent,
    AuthorUpdate,
    ProblemReport,
    Publication,
)
from okrbot.services.objectives import FormContext
from okrbot.slack.blocks import checkin, digest, forms, messages
from okrbot.slack.blocks.common import notice_modal, when

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
# Escaping turns each of these into five characters: the worst text a person can type.
WORST = "&<>"
LANGUAGE_CODES = sorted(LANGUAGES)
Message = tuple[str, list[dict[str, Any]]]


def words_in(language: str) -> Translator:
    return translator(language)


def fill(limit: int, start: str = "") -> str:
    return (start + WORST * limit)[:limit]


def biggest_objective(**changes: Any) -> ObjectiveView:
    view = ObjectiveView(
        id=123_456,
        version=99,
        owner_id="U0AUT0001",
        level=Level.PERSONAL,
        team=fill(80, "Team "),
        quarter="2026-Q4",
        title=fill(TITLE_MAX, "Title "),
        description=fill(DESCRIPTION_MAX),
        status=Status.AWAITING_CEO,
        key_results=tuple(
            KeyResultView(i, fill(KR_DESCRIPTION_MAX), -1e12, 1e12 + 0.5, fill(UNIT_MAX))
            for i in range(1, MAX_KEY_RESULTS + 1)
        ),
        aligned_to_id=7,
        aligned_to_title=fill(TITLE_MAX),
        aligned_to_owner="U0CEO0001",
    )
    return replace(view, **changes)


def outcome(**changes: Any) -> ApprovalOutcome:
    notice = ApprovalOutcome(
        channel="D0MGR0001",
        ts="1.2",
        stage=Stage.MANAGER,
        objective=biggest_objective(),
        version=99,
        outcome=Outcome.REJECTED,
        decided_by="U0MGR0001",
        decided_at=AT,
        reason=fill(REASON_MAX),
    )
    return replace(notice, **changes)


def author(event: AuthorEvent, **changes: Any) -> AuthorUpdate:
    notice = AuthorUpdate(
        author_id="U0AUT0001",
        event=event,
        objective=biggest_objective(),
        stage=Stage.CEO,
        by="U0CEO0001",
        reason=fill(REASON_MAX),
        next_approver="U0CEO0001",
    )
    return replace(notice, **changes)


MESSAGES: dict[str, Callable[[Translator], Message]] = {
    "approval_request": lambda w: messages.approval_request(
        ApprovalRequest("U0MGR0001", Stage.MANAGER, biggest_objective(), AT), "9" * 150, w
    ),
    "outcome_rejected": lambda w: messages.approval_outcome(outcome(), w),
    "outcome_approved_now": lambda w: messages.approval_outcome(
        outcome(outcome=Outcome.APPROVED, decided_by=None, decided_at=None, reason=None), w
    ),
    "outcome_superseded": lambda w: messages.approval_outcome(
        outcome(outcome=Outcome.SUPERSEDED, newer_version=100), w
    ),
    "outcome_cancelled": lambda w: messages.approval_outcome(
        outcome(outcome=Outcome.CANCELLED, stage=Stage.CEO), w
    ),
    "author_submitted": lambda w: messages.author_update(author(AuthorEvent.SUBMITTED), w),
    "author_stage_approved": lambda w: messages.author_update(
        author(AuthorEvent.STAGE_APPROVED), w
    ),
    "author_published": lambda w: messages.author_update(author(AuthorEvent.PUBLISHED), w),
    "author_rejected": lambda w: messages.author_update(author(AuthorEvent.REJECTED), w),
    "author_rejected_no_stage": lambda w: messages.author_update(
        author(AuthorEvent.REJECTED, stage=None, by=None), w
    ),
    "publication": lambda w: messages.publication(
        Publication("C0OKRS001", biggest_objective(), ("U0MGR0001", "U0CEO0001")), w
    ),
    "publication_ceo": lambda w: messages.publication(
        Publication("C0OKRS001", biggest_objective(level=Level.COMPANY, team=None), ()), w
    ),
    "problem_unreachable": lambda w: messages.problem(
        ProblemReport(
            "U0AUT0001",
            problem="approver_unreachable",
            details={
                "title": fill(TITLE_MAX),
                "approver": "U0MGR0001",
                "stage": "ceo",
                "code": "channel_not_found",
            },
        ),
        w,
    ),
    "problem_not_published": lambda w: messages.problem(
        ProblemReport(
            "U0CEO0001",
            problem="not_published",
            details={"title": fill(TITLE_MAX), "channel": "C0OKRS001", "code": "not_in_channel"},
        ),
        w,
    ),
    "problem_digest": lambda w: messages.problem(
        ProblemReport(
            "U0CEO0001",
            problem="digest_not_posted",
            details={"week": "2026-W48", "channel": "C0OKRS001"},
        ),
        w,
    ),
    "help": lambda w: messages.help_message(w),
    "help_unknown": lambda w: messages.help_message(w, fill(200)),
    "checkin_prompt": lambda w: checkin.checkin_prompt(
        [state(n) for n in range(30)], w, week="2026-W48"
    ),
    "checkin_prompt_automatic": lambda w: checkin.checkin_prompt(
        [automatic(state(n)) for n in range(30)], w, week="2026-W48"
    ),
    "checkin_reminder": lambda w: checkin.checkin_prompt(
        [state(n) for n in range(3)], w, week="2026-W48", reminder=True
    ),
    "prompt_answered": lambda w: checkin.prompt_answered(False, when(AT), w),
    "reminder_answered": lambda w: checkin.prompt_answered(True, when(AT), w),
}


def state(n: int, *, confidence: Confidence | None = Confidence.OFF_TRACK) -> ObjectiveState:
    return ObjectiveState(
        id=n,
        title=fill(TITLE_MAX),
        quarter="2026-Q4",
        confidence=confidence,
        last_check_in_at=AT,
        key_results=tuple(
            KRState(
                n * 10 + i,
                i,
                fill(KR_DESCRIPTION_MAX),
                fill(UNIT_MAX),
                -1e12,
                1e12 + 0.5,
                None if i == 1 else 0.123456,
                AT,
            )
            for i in range(1, MAX_KEY_RESULTS + 1)
        ),
    )


def automatic(objective: ObjectiveState) -> ObjectiveState:
    """Every key result's value read from a data source."""
    return replace(
        objective,
        key_results=tuple(
            replace(kr, current=1e12, automatic=("http", AT)) for kr in objective.key_results
        ),
    )


def test_a_prompt_lists_as_many_automatic_values_as_fit_and_counts_the_rest() -> None:
    _, blocks = checkin.checkin_prompt(
        [automatic(state(n)) for n in range(30)], words_in("en"), week="2026-W48"
    )
    [shown] = [b["text"]["text"] for b in blocks if "automatically" in str(b.get("text"))]
    assert shown.count("updated automatically from HTTP") < 30 * MAX_KEY_RESULTS
    assert shown.splitlines()[-1].startswith("\u2026 and ")
    assert shown.splitlines()[-1].endswith(" more in the form.")


def test_a_key_result_owner_is_not_asked_for_a_confidence_of_automatic_values() -> None:
    def lead(objective: ObjectiveState) -> str:
        _, blocks = checkin.checkin_prompt([objective], words_in("en"), week="2026-W48")
        [shown] = [b["text"]["text"] for b in blocks if "automatically" in str(b.get("text"))]
        return str(shown.splitlines()[0])

    every = automatic(state(1))
    assert "every value is in already; reply with your confidence" in lead(every)
    one_by_hand = replace(every, key_results=(*every.key_results[:-1], state(1).key_results[-1]))
    assert "add your confidence" in lead(one_by_hand)
    assert "confidence" not in lead(replace(every, owned=False))
    assert "confidence" not in lead(replace(one_by_hand, owned=False))


@pytest.mark.parametrize("language", LANGUAGE_CODES)
@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_messages_fit_slack(name: str, language: str) -> None:
    text, blocks = MESSAGES[name](words_in(language))
    assert message_problems(text, blocks) == []
    assert text.strip()


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_messages_are_translated(name: str) -> None:
    english, norwegian = (MESSAGES[name](words_in(language)) for language in ("en", "nb"))
    assert english[0] != norwegian[0]
    assert english[1] != norwegian[1]


def test_a_problem_queued_with_its_words_is_sent_as_it_was() -> None:
    report = ProblemReport("U0CEO0001", "Already written.")
    assert messages.problem(report, words_in("nb"))[0] == "Already written."


# -- the digest


def digest_objective(n: int) -> DigestObjective:
    return DigestObjective(
        id=n,
        title=fill(TITLE_MAX),
        owner_id=f"U{n:08d}",
        owner_name=fill(80) if n % 3 else None,
        team=None if n % 9 == 0 else fill(80, f"Team {n % 12} "),
        level=Level.TEAM,
        confidence=list(Confidence)[n % 3] if n % 4 else None,
        krs=tuple(DigestKR(0, 100, n % 120, (n * 7) % 100) for _ in range(5)),
        last_check_in=AT - timedelta(days=10 if n % 5 == 0 else 1),
        published_at=AT - timedelta(days=30),
    )


@pytest.mark.parametrize("language", LANGUAGE_CODES)
@pytest.mark.parametrize("size", [0, 1, 2000])
def test_the_digest_fits_slack(language: str, size: int) -> None:
    built = build_digest(
        Quarter(2026, 4),
        date(2026, 11, 30),
        AT,
        [digest_objective(n) for n in range(1, size + 1)],
    )
    parts = digest.digest_messages(built, words_in(language))
    for text, blocks in parts:
        assert message_problems(text, blocks) == []
    if size == 2000:
        assert len(parts) > 2


def test_the_digest_speaks_norwegian() -> None:
    built = build_digest(
        Quarter(2026, 4), date(2026, 11, 30), AT, [digest_objective(n) for n in (1, 9)]
    )
    parent, reply = digest.digest_messages(built, words_in("nb"))
    assert parent[0].startswith("OKR-oversikt 2026-Q4 uke")
    assert "*Uten team*" in str(reply[1])
    assert "No team" not in str(reply[1])


# -- forms


def modal_problems(view: dict[str, Any]) -> list[str]:
    """What Slack would refuse in a modal, without opening it."""
    problems = []
    for field in ("title", "submit", "close"):
        if field in view and len(view[field]["text"]) > 24:
            problems.append(f"{field} is longer than 24 characters: {view[field]['text']!r}")
    if len(view["blocks"]) > 100:
        problems.append(f"{len(view['blocks'])} blocks")
    return problems + view_problems(view, kind="modal")


def alignable(n: int) -> AlignOption:
    return AlignOption(n, f"2026-Q{n % 2 + 3}", list(Level)[n % 3], fill(TITLE_MAX), "U0CEO0001")


def form_context(*, editing: ObjectiveView | None) -> FormContext:
    return FormContext(
        quarters=("2026-Q4", "2027-Q1"),
        default_quarter="2026-Q4",
        alignable=tuple(alignable(n) for n in range(100)),
        needs_manager=True,
        editing=editing,
    )


def check_in_page(objectives: int, rest: int) -> CheckInPage:
    return CheckInPage(
        tuple(
            state(n, confidence=None if n % 2 else Confidence.AT_RISK) for n in range(objectives)
        ),
        tuple(range(100, 100 + rest)),
        objectives + rest,
    )


MODALS: dict[str, Callable[[Translator], dict[str, Any]]] = {
    "objective_new": lambda w: forms.objective_modal(
        form_context(editing=None), forms.FormState(), w
    ),
    "objective_new_all_slots": lambda w: forms.objective_modal(
        form_context(editing=None), forms.FormState(MAX_KEY_RESULTS), w
    ),
    "objective_edit": lambda w: forms.objective_modal(
        form_context(editing=biggest_objective()), forms.FormState(2, (1, 99)), w
    ),
    "objective_nothing_to_align": lambda w: forms.objective_modal(
        replace(form_context(editing=None), alignable=(), needs_manager=False),
        forms.FormState(),
        w,
    ),
    "reject": lambda w: forms.reject_modal("1:99:ceo", fill(TITLE_MAX), w),
    "notice": lambda w: notice_modal("Notice", fill(2000), w("common.close")),
    "checkin_one_page": lambda w: checkin.checkin_modal(check_in_page(5, 0), w),
    "checkin_more_pages": lambda w: checkin.checkin_modal(check_in_page(5, 20), w),
    "checkin_nothing": lambda w: checkin.nothing_to_check_in(w),
}


@pytest.mark.parametrize("language", LANGUAGE_CODES)
@pytest.mark.parametrize("name", sorted(MODALS))
def test_modals_fit_slack(name: str, language: str) -> None:
    assert modal_problems(MODALS[name](words_in(language))) == []


@pytest.mark.parametrize("name", sorted(set(MODALS) - {"notice"}))
def test_modals_are_translated(name: str) -> None:
    english, norwegian = (MODALS[name](words_in(language)) for language in ("en", "nb"))
    assert english["title"] != norwegian["title"]
    assert english["blocks"] != norwegian["blocks"]


def test_the_objective_form_in_norwegian() -> None:
    view = MODALS["objective_edit"](words_in("nb"))
    assert view["title"]["text"] == "Rediger OKR"
    assert view["submit"]["text"] == "Send inn på nytt"
    assert view["close"]["text"] == "Avbryt"
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels[:4] == ["Mål", "Hvorfor det er viktig", "Nivå", "Kvartal"]
    level = next(b for b in view["blocks"] if b.get("block_id") == "level")
    assert [o["text"]["text"] for o in level["element"]["options"]] == [
        "Selskap",
        "Team",
        "Personlig",
    ]
