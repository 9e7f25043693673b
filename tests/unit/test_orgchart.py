import pytest

from okrbot.domain.orgchart import (
    LineError,
    OrgChartError,
    OrgRow,
    ResolvedRow,
    check_hierarchy,
    parse_org_csv,
)


def parse_errors(text: str) -> list[str]:
    with pytest.raises(OrgChartError) as info:
        parse_org_csv(text)
    return [str(error) for error in info.value.errors]


def row(line: int, user_id: str, manager_id: str | None) -> ResolvedRow:
    return ResolvedRow(line=line, user_id=user_id, manager_id=manager_id, team=None, role=None)


def test_good_file_with_everything_mixed() -> None:
    text = (
        "\ufeffUSER, Manager ,Team,ROLE\r\n"
        "U01CEO,,Leadership,CEO\r\n"
        "\r\n"
        'Ada@Example.COM,U01CEO,"Sales, EMEA",Head of Sales\r\n'
        ' W0ABC12 , ada@example.com ,"Sales, EMEA",\r\n'
        "ops@example.com,U01CEO,,\r\n"
    )
    assert parse_org_csv(text) == [
        OrgRow(line=2, user="U01CEO", manager=None, team="Leadership", role="CEO"),
        OrgRow(
            line=4,
            user="ada@example.com",
            manager="U01CEO",
            team="Sales, EMEA",
            role="Head of Sales",
        ),
        OrgRow(line=5, user="W0ABC12", manager="ada@example.com", team="Sales, EMEA", role=None),
        OrgRow(line=6, user="ops@example.com", manager="U01CEO", team=None, role=None),
    ]


def test_without_role_column_and_with_comma_only_and_short_rows() -> None:
    text = "user,manager,team\nU1AA,,\n,,\nU2BB,U1AA\n"
    assert parse_org_csv(text) == [
        OrgRow(line=2, user="U1AA", manager=None, team=None, role=None),
        OrgRow(line=4, user="U2BB", manager="U1AA", team=None, role=None),
    ]


def test_line_numbers_count_physical_lines_of_multiline_fields() -> None:
    text = 'user,manager,team\nU1AA,,"Two\nLines"\nU2BB,U1AA,x\nbad id,,\n'
    assert parse_errors(text) == [
        "line 5: user 'bad id' is neither a Slack user ID (like U012AB3CD) nor an e-mail address"
    ]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("user,team", "manager"),
        ("name,boss,team", "user, manager"),
        ("role", "user, manager, team"),
    ],
)
def test_missing_required_columns_stop_parsing(header: str, missing: str) -> None:
    # The data row is garbage on purpose: nothing past the header is checked.
    assert parse_errors(f"{header}\n???,???,???\n") == [
        f"line 1: missing required column(s): {missing} "
        "(the header must be user,manager,team, optionally followed by role)"
    ]


def test_unknown_columns_are_named_and_rows_still_checked() -> None:
    text = "user,manager,team,Email,location\nU1AA,,,x,y\nnope,,,,\n"
    assert parse_errors(text) == [
        "line 1: unknown column(s): 'email', 'location' (allowed: user, manager, team, role)",
        "line 3: user 'nope' is neither a Slack user ID (like U012AB3CD) nor an e-mail address",
    ]


def test_repeated_column() -> None:
    assert parse_errors("user,manager,team,team\nU1AA,,a,b\n") == [
        "line 1: column(s) listed more than once: team"
    ]


def test_duplicate_user_names_both_lines() -> None:
    text = "user,manager,team\nU1AA,,\nU2BB,U1AA,\nU3CC,U1AA,\nU2BB,U3CC,\n"
    assert parse_errors(text) == ["line 5: user U2BB is listed more than once (lines 3 and 5)"]


def test_duplicate_email_is_case_insensitive_and_three_times() -> None:
    text = "user,manager,team\na@x.io,,\nA@X.io,,\nU1AA,,\na@x.IO,,\n"
    assert parse_errors(text) == ["line 3: user a@x.io is listed more than once (lines 2, 3 and 5)"]


def test_self_manager() -> None:
    text = "user,manager,team\nU1AA,U1AA,\nbob@x.io,BOB@x.io,\n"
    assert parse_errors(text) == [
        "line 2: U1AA is listed as their own manager",
        "line 3: bob@x.io is listed as their own manager",
    ]


@pytest.mark.parametrize(
    "identifier",
    [
        "u1AA",  # Slack IDs are upper case
        "U1",  # too short
        "B01BOT",  # bots cannot own OKRs
        "U01-AB",
        "alice",
        "alice@",
        "@example.com",
        "alice@localhost",
        "alice@@example.com",
        "a@b@example.com",
        "al ice@example.com",
        "alice@example.",
    ],
)
def test_malformed_identifiers(identifier: str) -> None:
    text = f"user,manager,team\n{identifier},,\nU1AA,{identifier},\n"
    assert parse_errors(text) == [
        f"line 2: user {identifier!r} is neither a Slack user ID (like U012AB3CD) "
        "nor an e-mail address",
        f"line 3: manager {identifier!r} is neither a Slack user ID (like U012AB3CD) "
        "nor an e-mail address",
    ]


def test_all_problems_are_reported_in_line_order() -> None:
    long_team = "t" * 81
    long_role = "r" * 90
    text = (
        "user,manager,team,role\n"
        f"U1AA,,{long_team},\n"
        ",U1AA,,\n"
        "U2BB,U1AA,Sales, EMEA,x\n"
        f"U3CC,oops,,{long_role}\n"
    )
    assert parse_errors(text) == [
        "line 2: team is 81 characters long, at most 80 allowed",
        "line 3: user is empty",
        "line 4: expected at most 4 values but found 5; "
        "put values that contain commas in double quotes",
        "line 5: manager 'oops' is neither a Slack user ID (like U012AB3CD) nor an e-mail address",
        "line 5: role is 90 characters long, at most 80 allowed",
    ]


def test_team_of_exactly_80_characters_is_fine() -> None:
    rows = parse_org_csv(f"user,manager,team\nU1AA,,{'t' * 80}\n")
    assert rows[0].team == "t" * 80


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n", " , \n"])
def test_empty_file(text: str) -> None:
    assert parse_errors(text) == ["the file is empty: expected a header row user,manager,team"]


def test_header_only() -> None:
    assert parse_errors("user,manager,team\n\n") == [
        "no data rows: the file only contains the header"
    ]


def test_unreadable_csv_keeps_earlier_problems() -> None:
    huge = "x" * 200_000
    text = f"user,manager,team\nnope,,\nU2BB,,{huge}\nU3CC,,\n"
    assert parse_errors(text) == [
        "line 2: user 'nope' is neither a Slack user ID (like U012AB3CD) nor an e-mail address",
        "line 3: unreadable CSV: field larger than field limit (131072)",
    ]


def test_error_formatting() -> None:
    error = OrgChartError([LineError(None, "whole file"), LineError(4, "bad row")])
    assert str(LineError(4, "bad row")) == "line 4: bad row"
    assert str(LineError(None, "whole file")) == "whole file"
    assert str(error) == "whole file\nline 4: bad row"
    assert error.errors == [LineError(None, "whole file"), LineError(4, "bad row")]


def test_hierarchy_without_problems() -> None:
    rows = [row(2, "U1", None), row(3, "U2", "U1"), row(4, "U3", "U1")]
    assert check_hierarchy(rows, {"U9": "U1", "U1": "U9"}) == []


def test_three_cycle_is_reported_once_from_the_earliest_row() -> None:
    rows = [
        row(2, "U0", None),
        row(3, "U1", "U2"),
        row(5, "U2", "U3"),
        row(7, "U4", "U1"),
        row(9, "U3", "U1"),
    ]
    assert [str(error) for error in check_hierarchy(rows)] == [
        "line 3: manager cycle: U1 -> U2 -> U3 -> U1 (lines 3, 5, 9)"
    ]


def test_cycle_start_does_not_depend_on_row_order() -> None:
    rows = [row(9, "U3", "U1"), row(5, "U2", "U3"), row(3, "U1", "U2")]
    assert check_hierarchy(rows) == [
        LineError(3, "manager cycle: U1 -> U2 -> U3 -> U1 (lines 3, 5, 9)")
    ]


def test_two_cycle_through_the_stored_org_chart() -> None:
    rows = [row(2, "U1", None), row(4, "U2", "U3")]
    existing = {"U3": "U2", "U2": "U1"}
    assert check_hierarchy(rows, existing) == [
        LineError(
            4,
            "manager cycle: U2 -> U3 -> U2 "
            "(line 4; the manager of U3 comes from the current org chart)",
        )
    ]


def test_file_rows_override_the_stored_org_chart() -> None:
    # The database has U1 and U2 managing each other; the file fixes U1.
    rows = [row(2, "U1", None)]
    assert check_hierarchy(rows, {"U1": "U2", "U2": "U1"}) == []


def test_cycle_only_in_the_stored_org_chart_is_not_blamed_on_the_file() -> None:
    rows = [row(2, "U1", "U7")]
    assert check_hierarchy(rows, {"U7": "U8", "U8": "U7"}) == []


def test_deep_chain_has_no_recursion_problem() -> None:
    rows = [row(2, "U0", None)] + [row(i + 2, f"U{i}", f"U{i - 1}") for i in range(1, 500)]
    assert check_hierarchy(rows) == []


def test_deep_cycle_is_found_iteratively() -> None:
    rows = [row(i + 2, f"U{i}", f"U{(i - 1) % 5000}") for i in range(5000)]
    errors = check_hierarchy(rows)
    assert len(errors) == 1
    assert errors[0].line == 2
    assert errors[0].message.startswith("manager cycle: U0 -> U4999 -> U4998 -> ")


def test_duplicates_and_self_management_after_resolution() -> None:
    # Line 2 named the CEO by ID, line 6 by e-mail; line 4's manager e-mail
    # turned out to be the user themself.
    rows = [row(2, "U1", None), row(4, "U2", "U2"), row(6, "U1", "U2"), row(8, "U3", "U1")]
    assert [str(error) for error in check_hierarchy(rows)] == [
        "line 4: U2 is listed as their own manager",
        "line 6: user U1 appears more than once (lines 2 and 6); "
        "a Slack ID and an e-mail address may refer to the same person",
    ]


def test_two_independent_cycles_are_ordered_by_line() -> None:
    rows = [row(8, "U5", "U6"), row(9, "U6", "U5"), row(2, "U1", "U2"), row(3, "U2", "U1")]
    assert [str(error) for error in check_hierarchy(rows)] == [
        "line 2: manager cycle: U1 -> U2 -> U1 (lines 2, 3)",
        "line 8: manager cycle: U5 -> U6 -> U5 (lines 8, 9)",
    ]
