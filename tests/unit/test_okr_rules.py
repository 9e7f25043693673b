"""What makes an OKR valid, checked on the domain alone: no Slack, no database."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from okrbot.domain.okr import (
    ABS_VALUE_MAX,
    DESCRIPTION_MAX,
    KR_DESCRIPTION_MAX,
    TITLE_MAX,
    UNIT_MAX,
    FieldError,
    Level,
    ObjectiveDraft,
    RawKeyResult,
    RawObjective,
    kr_field,
    parse_number,
    validate_objective,
)
from okrbot.i18n import ENGLISH

QUARTERS = ("2026-Q4", "2027-Q1")


def english(error: FieldError) -> str:
    """The error as an English-speaking person reads it."""
    return ENGLISH(error.key, **error.params)


def kr(n: int, start: str = "0", target: str = "10", unit: str = "") -> RawKeyResult:
    return RawKeyResult(description=f"Measure number {n}", start=start, target=target, unit=unit)


def form(**overrides: object) -> RawObjective:
    base = RawObjective(
        title="Make onboarding delightful",
        description="New teams get value on day one.",
        level="team",
        quarter="2026-Q4",
        aligned_to=None,
        key_results=[kr(1), kr(2)],
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def check(
    raw: RawObjective, alignable: frozenset[int] | None = None
) -> tuple[ObjectiveDraft | None, list[FieldError]]:
    return validate_objective(raw, allowed_quarters=QUARTERS, alignable=alignable)


def valid(raw: RawObjective, alignable: frozenset[int] | None = None) -> ObjectiveDraft:
    draft, errors = check(raw, alignable)
    assert errors == []
    assert draft is not None
    return draft


def only_error(raw: RawObjective, alignable: frozenset[int] | None = None) -> FieldError:
    draft, errors = check(raw, alignable)
    assert draft is None
    assert len(errors) == 1, errors
    return errors[0]


# -- valid forms


def test_minimal_form_gives_a_trimmed_draft() -> None:
    raw = form(
        title="  Make onboarding delightful \n",
        description=None,
        level=" personal ",
        quarter=" 2027-Q1 ",
        key_results=[
            RawKeyResult(" Activation ", " 40 ", "60", " % "),
            RawKeyResult("Days to first OKR", "3", "1", None),
            RawKeyResult(),  # an untouched optional slot does not count
        ],
    )
    draft = valid(raw)
    assert draft.title == "Make onboarding delightful"
    assert draft.description == ""
    assert draft.level is Level.PERSONAL
    assert draft.quarter == "2027-Q1"
    assert draft.aligned_to is None
    assert [(k.description, k.start, k.target, k.unit) for k in draft.key_results] == [
        ("Activation", 40.0, 60.0, "%"),
        ("Days to first OKR", 3.0, 1.0, ""),
    ]


def test_five_key_results_and_every_limit_exactly_reached() -> None:
    raws = [kr(n) for n in range(1, 5)]
    raws.append(
        RawKeyResult(
            "k" * KR_DESCRIPTION_MAX, str(-ABS_VALUE_MAX), str(ABS_VALUE_MAX), "u" * UNIT_MAX
        )
    )
    draft = valid(form(title="t" * TITLE_MAX, description="d" * DESCRIPTION_MAX, key_results=raws))
    assert len(draft.key_results) == 5
    assert draft.key_results[4].target == ABS_VALUE_MAX


def test_filled_slots_need_not_be_contiguous() -> None:
    # A person may leave slot 2 empty and type into slot 4; positions close up.
    draft = valid(form(key_results=[kr(1), RawKeyResult(), RawKeyResult(), kr(4)]))
    assert [k.description for k in draft.key_results] == ["Measure number 1", "Measure number 4"]


def test_a_decreasing_key_result_is_valid() -> None:
    draft = valid(form(key_results=[kr(1, start="12", target="3"), kr(2)]))
    first = draft.key_results[0]
    assert (first.start, first.target) == (12, 3)


def test_alignment_to_an_alignable_objective_is_kept() -> None:
    assert valid(form(aligned_to=" 7 "), frozenset({7, 8})).aligned_to == 7
    assert valid(form(aligned_to="   "), frozenset({7})).aligned_to is None
    # Without a set to check against, any id is taken (the caller checks elsewhere).
    assert valid(form(aligned_to="99")).aligned_to == 99


# -- one rule at a time, with the field the error is shown under


@pytest.mark.parametrize(
    ("key_results", "field"),
    [
        pytest.param([], "kr1_desc", id="no-slots"),
        pytest.param([RawKeyResult(), RawKeyResult(), RawKeyResult()], "kr1_desc", id="0-of-3"),
        pytest.param([kr(1)], "kr2_desc", id="1-slot"),
        pytest.param([kr(1), RawKeyResult(), RawKeyResult()], "kr2_desc", id="1-of-3"),
        # The person should type next where the gap is, not after the filled one.
        pytest.param([RawKeyResult(), RawKeyResult(), kr(3)], "kr1_desc", id="only-kr3"),
    ],
)
def test_fewer_than_two_key_results(key_results: list[RawKeyResult], field: str) -> None:
    error = only_error(form(key_results=key_results))
    assert error.field == field
    assert "2 to 5 key results" in english(error)


def test_more_than_five_key_results_points_at_the_sixth() -> None:
    error = only_error(form(key_results=[kr(n) for n in range(1, 7)]))
    assert error.field == "kr6_desc"
    assert "At most 5" in english(error)


def test_six_slots_with_one_blank_are_five_key_results() -> None:
    raws = [kr(1), kr(2), RawKeyResult(), kr(4), kr(5), kr(6)]
    assert len(valid(form(key_results=raws)).key_results) == 5


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        pytest.param({"title": None}, "title", "short title", id="title-missing"),
        pytest.param({"title": ""}, "title", "short title", id="title-empty"),
        pytest.param({"title": " \t\n "}, "title", "short title", id="title-whitespace"),
        pytest.param(
            {"title": "t" * (TITLE_MAX + 1)}, "title", f"({TITLE_MAX + 1} now)", id="title-long"
        ),
        pytest.param(
            {"description": "d" * (DESCRIPTION_MAX + 1)},
            "description",
            f"under {DESCRIPTION_MAX}",
            id="description-long",
        ),
        pytest.param({"level": "galactic"}, "level", "company, team or personal", id="level"),
        pytest.param({"level": None}, "level", "company, team or personal", id="level-missing"),
        pytest.param({"level": "Team"}, "level", "company, team or personal", id="level-case"),
        pytest.param({"quarter": "2026-Q3"}, "quarter", "2026-Q4, 2027-Q1", id="quarter-past"),
        pytest.param({"quarter": None}, "quarter", "2026-Q4, 2027-Q1", id="quarter-missing"),
        pytest.param({"aligned_to": "abc"}, "aligned_to", "from the list", id="aligned-text"),
        pytest.param({"aligned_to": "7.0"}, "aligned_to", "from the list", id="aligned-float"),
        pytest.param({"aligned_to": "8"}, "aligned_to", "not a published", id="aligned-other"),
    ],
)
def test_objective_field_rules(overrides: dict[str, object], field: str, fragment: str) -> None:
    error = only_error(form(**overrides), frozenset({7}))
    assert error.field == field
    assert fragment in english(error)


def test_nothing_is_alignable_when_the_set_is_empty() -> None:
    assert only_error(form(aligned_to="7"), frozenset()).field == "aligned_to"


@pytest.mark.parametrize(
    ("second", "field", "fragment"),
    [
        pytest.param(
            RawKeyResult("k" * (KR_DESCRIPTION_MAX + 1), "0", "1"),
            "kr2_desc",
            f"({KR_DESCRIPTION_MAX + 1} now)",
            id="desc-long",
        ),
        pytest.param(
            RawKeyResult("Churn", "0", "1", "u" * (UNIT_MAX + 1)),
            "kr2_unit",
            f"under {UNIT_MAX}",
            id="unit-long",
        ),
        pytest.param(RawKeyResult(None, "1", "2"), "kr2_desc", "Describe", id="no-desc"),
        pytest.param(RawKeyResult("  ", "1", "2", "%"), "kr2_desc", "Describe", id="blank-desc"),
        pytest.param(RawKeyResult("Churn", "abc", "1"), "kr2_start", "must be a number", id="abc"),
        pytest.param(
            RawKeyResult("Churn", "1e400", "1"), "kr2_start", "must be a number", id="inf"
        ),
        pytest.param(RawKeyResult("Churn", "nan", "1"), "kr2_start", "must be a number", id="nan"),
        pytest.param(
            RawKeyResult("Churn", "12,5.3", "1"), "kr2_start", "must be a number", id="comma-dot"
        ),
        pytest.param(RawKeyResult("Churn", "1e13", "1"), "kr2_start", "out of range", id="big"),
        pytest.param(
            RawKeyResult("Churn", "0", "-1e13"), "kr2_target", "out of range", id="big-negative"
        ),
        pytest.param(RawKeyResult("Churn", None, "1"), "kr2_start", "Enter a start", id="no-start"),
        pytest.param(
            RawKeyResult("Churn", "1", "  "), "kr2_target", "Enter a target", id="no-target"
        ),
        pytest.param(RawKeyResult("Churn", "5", "5"), "kr2_target", "must differ", id="equal"),
        pytest.param(
            RawKeyResult("Churn", "12,5", "12.50"), "kr2_target", "must differ", id="equal-comma"
        ),
    ],
)
def test_key_result_rules(second: RawKeyResult, field: str, fragment: str) -> None:
    error = only_error(form(key_results=[kr(1), second]))
    assert error.field == field
    assert fragment in english(error)


@pytest.mark.parametrize(
    "twin", ["Measure number 1", "measure NUMBER 1", "  Measure \t number   1 ", "MEASURE NUMBER 1"]
)
def test_duplicate_key_results_are_caught_on_the_later_one(twin: str) -> None:
    error = only_error(form(key_results=[kr(1), kr(2), RawKeyResult(twin, "1", "5")]))
    assert error.field == "kr3_desc"
    assert "Same as key result 1" in english(error)


def test_descriptions_differing_inside_a_word_are_not_duplicates() -> None:
    raws = [RawKeyResult("Weekly teams", "0", "1"), RawKeyResult("Week ly teams", "0", "1")]
    assert len(valid(form(key_results=raws)).key_results) == 2


def test_a_unit_alone_makes_a_slot_count_and_be_incomplete() -> None:
    _, errors = check(form(key_results=[kr(1), kr(2), RawKeyResult(unit="%")]))
    assert sorted(e.field for e in errors) == ["kr3_desc", "kr3_start", "kr3_target"]


def test_decimal_comma_is_accepted() -> None:
    draft = valid(form(key_results=[kr(1, start="12,5", target="\u22123,25"), kr(2)]))
    assert (draft.key_results[0].start, draft.key_results[0].target) == (12.5, -3.25)


# -- several problems at once


def test_every_problem_is_reported_at_once_and_no_draft_is_given() -> None:
    draft, errors = check(form(title=" ", quarter="1999-Q1", key_results=[kr(1)]))
    assert draft is None
    assert sorted(e.field for e in errors) == ["kr2_desc", "quarter", "title"]


def test_problems_inside_and_across_key_results_are_all_reported() -> None:
    raws = [
        RawKeyResult("Same", "x", "1"),
        RawKeyResult("same", "1", "1"),
        RawKeyResult(None, "1", "2", "u" * (UNIT_MAX + 1)),
    ]
    draft, errors = check(form(level="", aligned_to="zz", key_results=raws), frozenset())
    assert draft is None
    assert sorted(e.field for e in errors) == sorted(
        [
            "level",
            "aligned_to",
            kr_field(0, "start"),
            kr_field(1, "desc"),
            kr_field(1, "target"),
            kr_field(2, "desc"),
            kr_field(2, "unit"),
        ]
    )


# -- parse_number on its own


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12.0),
        (" -4.5 ", -4.5),
        ("12,5", 12.5),
        ("\u22127", -7.0),  # the minus sign some keyboards and pasted text carry
        ("1 000", 1000.0),
        ("1\u00a0000,5", 1000.5),  # a Norwegian thousands space
        (".5", 0.5),
        ("1e3", 1000.0),
        ("1e12", 1e12),  # in range is the validator's business, not the parser's
    ],
)
def test_parse_number_accepts(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text", [None, "", "   ", "abc", "1e400", "-1e400", "inf", "nan", "12,5.3", "1,2,3", "0x10"]
)
def test_parse_number_refuses(text: str | None) -> None:
    assert parse_number(text) is None


def test_parse_number_overflow_is_refused_not_infinite() -> None:
    assert parse_number("1e308") == 1e308
    # 400 digits overflow a float to inf, which would poison every later calculation.
    assert parse_number("9" * 400) is None
    assert not math.isinf(parse_number("-1e308") or 0.0)
