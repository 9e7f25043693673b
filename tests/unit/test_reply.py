"""Reading a check-in from the text of a reply, and writing the example a prompt shows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okrbot.domain.checkin import Confidence, check_value, value_problem
from okrbot.domain.reply import (
    CONFIDENCE_WORDS,
    NotACheckIn,
    ReadValue,
    ReplyKR,
    Unclear,
    Understood,
    display_number,
    plain_number,
    position_label,
    read_reply,
    reply_example,
)

ON, RISK, OFF = Confidence.ON_TRACK, Confidence.AT_RISK, Confidence.OFF_TRACK

# Objective 1: a percentage and a small number; objective 2: users.
PROMPT = (
    (ReplyKR(0, 100, 40, "%", kr_id=11), ReplyKR(0, 3, 1.0, kr_id=12)),
    (ReplyKR(0, 50, None, "users", kr_id=21),),
)
# One key result with room for large numbers.
BIG = ((ReplyKR(0, 10_000_000, 5),),)
TWO_BIG = ((ReplyKR(0, 10_000_000, 5), ReplyKR(0, 10_000_000, 5)),)
THREE_BIG = ((ReplyKR(0, 10_000_000, 5), ReplyKR(0, 10_000_000, 5), ReplyKR(0, 10_000_000, 5)),)


def understood(text: str, objectives: object = PROMPT) -> Understood:
    result = read_reply(text, objectives)  # type: ignore[arg-type]
    assert isinstance(result, Understood), result
    return result


def unclear(text: str, objectives: object = PROMPT) -> Unclear:
    result = read_reply(text, objectives)  # type: ignore[arg-type]
    assert isinstance(result, Unclear), result
    return result


def values(result: Understood) -> list[float]:
    return [kr.new for kr in result.key_results]


def confidences(result: Understood) -> list[Confidence | None]:
    return [objective.confidence for objective in result.objectives]


# In order ------------------------------------------------------------------------------


def test_the_issue_example_reads_values_confidence_and_comment() -> None:
    result = understood("52, 1.5, 20 on track — shipped the beta")
    assert values(result) == [52, 1.5, 20]
    assert confidences(result) == [ON, ON]
    assert result.comment == "shipped the beta"
    assert all(kr.given for kr in result.key_results)


def test_the_result_carries_the_key_results_old_values_and_ids() -> None:
    result = understood("52 1.5 20")
    first, second, third = result.key_results
    assert (first.objective, first.key_result, first.position) == (1, 1, "1.1")
    assert (third.objective, third.key_result, third.position) == (2, 1, "2.1")
    assert (first.old, first.new, first.kr.kr_id) == (40, 52, 11)
    assert (second.old, second.new) == (1.0, 1.5)
    # Never checked in: no old value.
    assert third.old is None
    assert [o.number for o in result.objectives] == [1, 2]


def test_norwegian_reply_with_decimal_comma() -> None:
    result = understood("52 1,5 20 i rute")
    assert values(result) == [52, 1.5, 20]
    assert confidences(result) == [ON, ON]
    assert result.comment is None


@pytest.mark.parametrize(
    "text",
    [
        "52, 1.5, 20",
        "52 1.5 20",
        "52;1.5;20",
        "52 ; 1,5 ; 20",
        "52\n1.5\n20",
        "52,\n1.5,\n20.",
        "52% 1.5 20 users",
        "52 % 1.5 20 user",
        "52 percent, 1.5, 20 Users",
        "*52* _1.5_ `20`",
        "• 52\n• 1.5\n• 20",
        "- 52\n- 1.5\n- 20",
        "$52 1.5 20",
        "52pct 1.5 20users",
        "52\u00a01.5 20",
    ],
)
def test_separators_units_and_formatting_read_the_same(text: str) -> None:
    result = understood(text)
    assert values(result) == [52, 1.5, 20]
    assert result.comment is None
    assert confidences(result) == [None, None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,5", 1.5),
        ("1.5", 1.5),
        (".5", 0.5),
        ("0,125", 0.125),
        ("12,3456", 12.3456),
        ("1234,5", 1234.5),
        ("1.200", 1.2),
        ("1,200.5", 1200.5),
        ("12,345,678", 12_345_678),
        ("1,234,567.25", 1_234_567.25),
        ("1.200,5", 1200.5),
        ("1.200.000", 1_200_000),
        ("1\u00a0200", 1200),
        ("12\u202f345,5", 12345.5),
        ("1\u00a0234\u00a0567", 1_234_567),
        ("1 200", 1200),
        ("1 200,5", 1200.5),
        ("12 345 678", 12_345_678),
        ("1.5k", 1500),
        ("2K", 2000),
        ("1,5k", 1500),
        ("-3", -3),
        ("\u22123", -3),
        ("+3", 3),
        ("-1 200", -1200),
        ("€1 200", 1200),
        ("1 200 kr", 1200),
    ],
)
def test_numbers_as_people_write_them(text: str, expected: float) -> None:
    assert values(understood(text, BIG)) == [expected]


def test_a_comma_then_three_digits_is_unclear() -> None:
    result = unclear("52 1,200 20")
    assert result.reason == "reply.unclear.ambiguous"
    assert result.params == {"number": "1,200"}
    assert result.read[1] == ReadValue((1, 2), None, "1,200")


def test_a_plain_space_joins_thousands_only_when_that_is_the_one_reading_that_fits() -> None:
    # Two key results: 1 200 and 5; three: 1, 200 and 5.
    assert values(understood("1 200 5", TWO_BIG)) == [1200, 5]
    assert values(understood("1 200 5", THREE_BIG)) == [1, 200, 5]
    assert values(understood("52 100 20", THREE_BIG)) == [52, 100, 20]
    assert values(understood("1 200 300", BIG)) == [1_200_300]
    # Joining one of two possible places is a guess.
    result = unclear("1 200 300", TWO_BIG)
    assert result.reason == "reply.unclear.grouping"
    assert result.params == {"number": "1 200"}


def test_groups_join_only_when_they_are_groups() -> None:
    # 20 is not a group of three digits, 1.5 is no integer, a unit ends a number.
    assert unclear("1 20", BIG).reason == "reply.unclear.too_many"
    assert unclear("1.5 200", BIG).reason == "reply.unclear.too_many"
    assert unclear("1% 200", BIG).reason == "reply.unclear.too_many"
    assert unclear("1\n200", BIG).reason == "reply.unclear.too_many"


def test_a_dash_keeps_a_value_and_a_sign_makes_a_negative_number() -> None:
    kept = understood("- 1.5 20")
    assert values(kept) == [40, 1.5, 20]
    assert [kr.given for kr in kept.key_results] == [False, True, True]
    # A key result never checked in keeps its start value.
    assert values(understood("52 – —")) == [52, 1.0, 0]
    negative = ((ReplyKR(-10, 0, -8), ReplyKR(0, 3, 1)),)
    assert values(understood("-3 -", negative)) == [-3, 1]
    assert values(understood("- -3", ((ReplyKR(0, 3, 1), ReplyKR(-10, 0, None)),))) == [1, -3]


def test_a_dash_after_every_value_starts_the_comment() -> None:
    result = understood("52, 1.5, 20 - a good week")
    assert values(result) == [52, 1.5, 20]
    assert result.comment == "a good week"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("52 1.5 20 on track", [ON, ON]),
        ("52 1.5 20 ON TRACK", [ON, ON]),
        ("52 1.5 20 on-track", [ON, ON]),
        ("52 1.5 20 on_track", [ON, ON]),
        ("52 1.5 20 at risk", [RISK, RISK]),
        ("52 1.5 20 off track.", [OFF, OFF]),
        ("52 1,5 20 I rute", [ON, ON]),
        ("52 1,5 20 i fare", [RISK, RISK]),
        ("52 1,5 20 i faresonen", [RISK, RISK]),
        ("52 1,5 20 Ute av kurs", [OFF, OFF]),
        ("52 1.5 20 :red_circle:", [OFF, OFF]),
        ("52 1.5 20 :large_yellow_circle:", [RISK, RISK]),
        ("52 1.5 at risk 20 on track", [RISK, ON]),
        ("52 1.5 off track 20", [OFF, None]),
        ("52 1.5 i rute, 20 ute av kurs", [ON, OFF]),
        ("52 1.5 at risk 20 at risk", [RISK, RISK]),
    ],
)
def test_confidence_words(text: str, expected: list[Confidence | None]) -> None:
    result = understood(text)
    assert values(result) == [52, 1.5, 20]
    assert confidences(result) == expected
    assert result.comment is None


def test_with_several_words_the_last_one_belongs_to_the_last_objective_only() -> None:
    three = (*PROMPT, (ReplyKR(0, 10, 2),))
    result = understood("52 1.5 on track 20 7 at risk", three)
    assert confidences(result) == [ON, None, RISK]


@pytest.mark.parametrize(
    "text",
    [
        "52 on track 1.5 20",
        "52 1.5 20 on track at risk",
        "52 1.5 on track at risk 20",
        "on track 52 1.5 20",
    ],
)
def test_a_misplaced_confidence_word_is_unclear(text: str) -> None:
    assert unclear(text).reason == "reply.unclear.confidence"


@pytest.mark.parametrize(
    ("text", "comment"),
    [
        ("52 1.5 20 on track \u2014 shipped the beta", "shipped the beta"),
        ("52 1.5 20: shipped the beta", "shipped the beta"),
        ("52 1.5 20. Shipped the beta!", "Shipped the beta!"),
        ("52 1.5 20 shipped 3 features", "shipped 3 features"),
        ("52 1.5 20 on track 3 new customers", "3 new customers"),
        ("52 1.5 20 (was 18)", "(was 18)"),
        ("52 1.5 20 *great* week", "*great* week"),
        ("52 1.5 20 2x faster than last week", "2x faster than last week"),
        ("52 1.5 20\n\nBlocked on legal.", "Blocked on legal."),
        ("52 1.5 20 _on track_", None),
        ("52 1.5 20 on track.", None),
    ],
)
def test_the_rest_is_the_comment(text: str, comment: str | None) -> None:
    result = understood(text)
    assert values(result) == [52, 1.5, 20]
    assert result.comment == comment


def test_too_few_values() -> None:
    result = unclear("52 1.5")
    assert result.reason == "reply.unclear.too_few"
    assert result.params == {"expected": 3, "found": 2}
    assert result.read == (ReadValue((1, 1), 52, "52"), ReadValue((1, 2), 1.5, "1.5"))


def test_too_many_values() -> None:
    result = unclear("52 1.5 20 30, a good week")
    assert result.reason == "reply.unclear.too_many"
    assert result.params == {"expected": 3, "found": 4}
    assert result.read[-1] == ReadValue(None, 30, "30")
    assert result.comment == "a good week"


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("52 lots 20", "lots"),
        ("52 apples 1.5 20", "apples"),
        ("52 3x 20", "3x"),
        ("52,1.5,20", "52,1.5,20"),
        ("52 1.5.3 20", "1.5.3"),
    ],
)
def test_a_word_where_a_number_belongs(text: str, word: str) -> None:
    result = unclear(text)
    assert result.reason == "reply.unclear.word"
    assert result.params == {"word": word}


def test_a_value_outside_the_forms_bounds_is_unclear() -> None:
    result = unclear("52 1.5 999999 on track")
    assert result.reason == "reply.unclear.absurd"
    assert result.params == {"address": "2.1", "number": "999999"}
    # The same value is refused by the form.
    assert check_value("999999", 0, 50) == (None, "checkin.error.absurd")
    # Too many digits for a float: not finite, refused as well.
    assert unclear("9" * 400, BIG).reason == "reply.unclear.absurd"


def test_a_long_comment_is_refused_as_the_form_refuses_it() -> None:
    assert unclear("52 1.5 20 " + "x" * 1001).reason == "reply.unclear.comment_long"
    assert understood("52 1.5 20 " + "x" * 1000).comment == "x" * 1000


def test_unit_words_come_from_the_key_results() -> None:
    customers = ((ReplyKR(0, 100, 4, "kunder"), ReplyKR(0, 100, 4, "Paying customers")),)
    assert values(understood("12 kunder 30 paying customers", customers)) == [12, 30]
    assert values(understood("1 kunde 1 PAYING CUSTOMER", customers)) == [1, 1]
    # Not a unit of any key result: a word where a number belongs.
    assert unclear("12 users 30", customers).reason == "reply.unclear.word"


# Addressed -----------------------------------------------------------------------------


def test_an_address_sets_one_key_result_and_keeps_the_others() -> None:
    result = understood("2.1: 40")
    assert values(result) == [40, 1.0, 40]
    assert [kr.given for kr in result.key_results] == [False, False, True]
    assert confidences(result) == [None, None]


@pytest.mark.parametrize(
    "text",
    [
        "1.2: 2 2.1: 30",
        "1.2=2, 2.1 = 30",
        "1.2:2\n2.1:30",
        "2.1: 30 1.2: 2",
        "1.2: 2; 2.1: 30 users",
    ],
)
def test_several_addresses(text: str) -> None:
    assert values(understood(text)) == [40, 2, 30]


def test_an_address_takes_every_thousands_group_after_it() -> None:
    assert values(understood("1.1: 1 200", BIG)) == [1200]
    assert values(understood("1.1: -", BIG)) == [5]


def test_confidence_with_addresses() -> None:
    assert confidences(understood("2.1: 30 at risk")) == [None, RISK]
    assert confidences(understood("1.1: 60 2.1: 30 at risk")) == [RISK, RISK]
    assert confidences(understood("1.1: 60 on track 2.1: 30 off track")) == [ON, OFF]
    assert confidences(understood("1.1: 60 on track, 2.1: 30")) == [ON, None]
    assert unclear("1.1: 60 on track 1.2: 2 at risk").reason == "reply.unclear.confidence"


def test_the_comment_after_addresses() -> None:
    result = understood("2.1: 30 on track 5 new customers signed")
    assert result.comment == "5 new customers signed"
    assert understood("2.1: 30 - what a week").comment == "what a week"
    assert understood("2.1: 30 what a week").comment == "what a week"


@pytest.mark.parametrize(
    ("text", "address", "objectives"),
    [("3.1: 5", "3.1", 2), ("1.3: 5", "1.3", 2), ("1.0: 5", "1.0", 2), ("0.1: 5", "0.1", 2)],
)
def test_an_address_that_does_not_exist(text: str, address: str, objectives: int) -> None:
    result = unclear(text)
    assert result.reason == "reply.unclear.address"
    assert result.params == {"address": address, "objectives": objectives}


def test_an_address_given_twice() -> None:
    result = unclear("1.1: 52 1.1: 53")
    assert result.reason == "reply.unclear.address_twice"
    assert result.params == {"address": "1.1"}
    assert result.read == (ReadValue((1, 1), 52, "52"), ReadValue((1, 1), 53, "53"))


@pytest.mark.parametrize("text", ["52 2.1: 4", "2.1: 4 52", "1.1: 52 20"])
def test_addresses_and_values_in_order_do_not_mix(text: str) -> None:
    assert unclear(text).reason == "reply.unclear.mixed"


def test_a_number_with_a_colon_and_no_value_is_no_address() -> None:
    result = understood("52 1.5 20.5: shipped", (*PROMPT[:1], (ReplyKR(0, 50, 1),)))
    assert values(result) == [52, 1.5, 20.5]
    assert result.comment == "shipped"


# Not a check-in --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "thanks!",
        "Can I change my objective?",
        "Q3 is going well, 2 more weeks",
        "on track",
        "- - -",
        "3x faster than last week",
        "<@U123> 52",
    ],
)
def test_a_reply_without_numbers_is_not_a_check_in(text: str) -> None:
    assert read_reply(text, PROMPT) == NotACheckIn()


def test_without_objectives_nothing_is_a_check_in_and_empty_objectives_are_refused() -> None:
    assert read_reply("52", ()) == NotACheckIn()
    with pytest.raises(ValueError, match="at least one key result"):
        read_reply("52", ((),))


# Properties ------------------------------------------------------------------------------

BOUNDS = 1e7
finite = st.floats(min_value=-BOUNDS, max_value=BOUNDS, allow_nan=False, allow_infinity=False)
shapes = st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=4)
languages = st.sampled_from(["en", "nb"])


@st.composite
def prompts(draw: st.DrawFn) -> tuple[tuple[ReplyKR, ...], ...]:
    sizes = draw(shapes)
    return tuple(
        tuple(
            ReplyKR(0, BOUNDS, draw(st.one_of(st.none(), finite)), kr_id=o * 10 + k)
            for k in range(size)
        )
        for o, size in enumerate(sizes)
    )


@given(prompts(), languages, st.sampled_from(list(Confidence)))
def test_the_example_reads_back_as_every_value_kept(
    objectives: tuple[tuple[ReplyKR, ...], ...], language: str, confidence: Confidence
) -> None:
    example = reply_example(objectives, language, confidence)
    assert CONFIDENCE_WORDS[language][confidence] in example
    result = understood(example, objectives)
    assert [kr.new for kr in result.key_results] == [kr.value for krs in objectives for kr in krs]
    assert confidences(result) == [confidence] * len(objectives)
    assert result.comment is None


@given(
    st.lists(finite, min_size=1, max_size=12),
    st.sampled_from([", ", "; ", "\n", " ", " ;\n"]),
    languages,
    st.sampled_from(["", " on track", " i fare", " \u2014 done", ". Next: 3 more"]),
)
def test_values_in_order_read_back_exactly(
    numbers: list[float], separator: str, language: str, tail: str
) -> None:
    objectives = (tuple(ReplyKR(0, BOUNDS, 1) for _ in numbers),)
    if language == "nb" and separator == ", ":
        separator = "; "
    text = separator.join(plain_number(n, language) for n in numbers) + tail
    assert values(understood(text, objectives)) == numbers


@given(
    prompts(),
    st.data(),
    languages,
)
def test_addressed_values_read_back_and_the_others_stay(
    objectives: tuple[tuple[ReplyKR, ...], ...], data: st.DataObject, language: str
) -> None:
    positions = [(o, k) for o, krs in enumerate(objectives, 1) for k in range(1, len(krs) + 1)]
    chosen = data.draw(st.lists(st.sampled_from(positions), min_size=1, unique=True))
    new = {p: data.draw(finite) for p in chosen}
    text = " ".join(f"{position_label(*p)}: {plain_number(v, language)}" for p, v in new.items())
    result = understood(text, objectives)
    for kr in result.key_results:
        position = (kr.objective, kr.key_result)
        assert kr.given == (position in new)
        assert kr.new == new.get(position, kr.kr.value)


@given(st.integers(min_value=0, max_value=10**11).map(lambda n: n / 100))
def test_norwegian_display_numbers_read_back(value: float) -> None:
    shown = display_number(value, "nb")
    big = ((ReplyKR(0, 1e10, None),),)
    result = read_reply(shown, big)
    if round(value, 6) != value:
        return
    assert isinstance(result, Understood), (shown, result)
    assert values(result) == [value]


def test_display_numbers() -> None:
    assert display_number(1234567.5, "en") == "1,234,567.5"
    assert display_number(1234567.5, "nb") == "1\u00a0234\u00a0567,5"
    assert display_number(-3, "nb") == "-3"
    assert plain_number(1.125, "nb") == "1,1250"
    assert plain_number(1e-7, "en") == "0.0000001"
    assert reply_example(PROMPT, "en") == "40, 1, 0 on track"
    assert reply_example(PROMPT, "nb", Confidence.AT_RISK) == "40; 1; 0 i fare"


alphabet = st.sampled_from(
    [
        *"0123456789 ,.;:-–—%kK$\n\u00a0abcdefghijklmnoprstuvwxyzåøæ*_`()•=+\u2212",
        *("on track", "at risk", "i rute", "ute av kurs", "1.1:", "2.1: ", " - "),
    ]
)


@settings(max_examples=400)
@given(st.lists(alphabet, max_size=30).map("".join))
def test_any_text_gets_an_answer_and_understood_values_pass_the_forms_check(text: str) -> None:
    result = read_reply(text, PROMPT)
    assert isinstance(result, Understood | Unclear | NotACheckIn)
    if isinstance(result, Understood):
        assert len(result.key_results) == 3
        for kr in result.key_results:
            assert value_problem(kr.new, kr.kr.start, kr.kr.target) is None
            if not kr.given:
                assert kr.new == kr.kr.value
        assert result.comment is None or result.comment == result.comment.strip()


@given(st.text(max_size=200))
def test_arbitrary_text_never_fails(text: str) -> None:
    assert isinstance(read_reply(text, PROMPT), Understood | Unclear | NotACheckIn)


def test_an_address_right_after_another_has_no_value() -> None:
    result = unclear("1.1: 2.1: 5")
    assert result.reason == "reply.unclear.address_value"
    assert result.params == {"address": "1.1"}
    assert result.read == (ReadValue((2, 1), 5, "5"),)


# Milestones ----------------------------------------------------------------------------

# Objective 1: a number and a milestone.
MILESTONES = ((ReplyKR(0, 100, 40, "%", kr_id=1), ReplyKR(0, 1, None, kr_id=2, kind="milestone")),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50, done", [50.0, 1.0]),
        ("50, DONE on track", [50.0, 1.0]),
        ("50; ferdig i rute", [50.0, 1.0]),
        ("50, not done", [50.0, 0.0]),
        ("50 ikke ferdig", [50.0, 0.0]),
        ("50, 1", [50.0, 1.0]),
        ("50, 0", [50.0, 0.0]),
        ("1.2: done", [40.0, 1.0]),
        ("50 :white_check_mark:", [50.0, 1.0]),
    ],
)
def test_a_milestone_takes_done_words_or_one_and_zero(text: str, expected: list[float]) -> None:
    assert values(understood(text, MILESTONES)) == expected


def test_a_done_word_once_every_value_is_there_starts_the_comment() -> None:
    result = understood("50, 1 done with the migration", MILESTONES)
    assert values(result) == [50.0, 1.0]
    assert result.comment == "done with the migration"


def test_a_number_for_a_milestone_or_a_done_word_for_a_number_is_unclear() -> None:
    assert unclear("50, 7", MILESTONES).reason == "reply.unclear.milestone"
    assert unclear("50, 0.5", MILESTONES).reason == "reply.unclear.milestone"
    assert unclear("done, 1", MILESTONES).reason == "reply.unclear.word"


def test_without_a_milestone_done_is_no_value() -> None:
    result = read_reply("done", PROMPT)
    assert isinstance(result, NotACheckIn)
    assert check_value("0.5", 0, 1, "milestone") == (None, "checkin.error.milestone")
    assert value_problem(1.0, 0, 1, "milestone") is None


AUTOMATIC = (
    (ReplyKR(0, 100, 42.5, automatic=True), ReplyKR(10, 0, 4, automatic=True)),
    (ReplyKR(0, 1, 1, kind="milestone", automatic=True),),
)


@pytest.mark.parametrize(
    ("text", "confidence", "comment"),
    [
        ("on track \u2014 shipped the beta", Confidence.ON_TRACK, "shipped the beta"),
        ("At risk", Confidence.AT_RISK, None),
        ("-, -, - off track: the vendor is late", Confidence.OFF_TRACK, "the vendor is late"),
        ("i rute \u2014 betaen er ute", Confidence.ON_TRACK, "betaen er ute"),
        (":large_yellow_circle: slower than hoped", Confidence.AT_RISK, "slower than hoped"),
    ],
)
def test_a_confidence_alone_keeps_every_value_updated_automatically(
    text: str, confidence: Confidence, comment: str | None
) -> None:
    read = read_reply(text, AUTOMATIC)
    assert isinstance(read, Understood), read
    assert [kr.new for kr in read.key_results] == [42.5, 4, 1]
    assert not any(kr.given for kr in read.key_results)
    assert [o.confidence for o in read.objectives] == [confidence, confidence]
    assert read.comment == comment


def test_a_confidence_alone_is_no_check_in_while_a_value_was_not_updated_automatically() -> None:
    one_by_hand = (
        (ReplyKR(0, 100, 42.5, automatic=True), ReplyKR(10, 0, 4)),
        AUTOMATIC[1],
    )
    assert isinstance(read_reply("on track \u2014 shipped the beta", one_by_hand), NotACheckIn)


@pytest.mark.parametrize(
    "text", ["thanks!", "-", "- - -", "", "shipped it, on track", "-, -, -, - on track"]
)
def test_what_keeps_nothing_when_every_value_was_updated_automatically(text: str) -> None:
    assert isinstance(read_reply(text, AUTOMATIC), NotACheckIn)


def test_two_different_confidences_alone_are_unclear() -> None:
    read = read_reply("on track at risk", AUTOMATIC)
    assert isinstance(read, Unclear)
    assert read.reason == "reply.unclear.confidence"


def test_values_given_with_everything_updated_automatically_are_read_as_usual() -> None:
    read = read_reply("50, -, done on track", AUTOMATIC)
    assert isinstance(read, Understood), read
    assert [(kr.new, kr.given) for kr in read.key_results] == [(50, True), (4, False), (1, True)]
