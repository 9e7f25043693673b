import pytest

from okrbot.domain.orgchart import (
    MAX_ERRORS_SHOWN,
    MAX_ROWS,
    PROGRESS_EVERY,
    DirectoryMember,
    LineError,
    OrgChartError,
    OrgRow,
    ResolvedRow,
    check_hierarchy,
    decode_org_file,
    parse_org_csv,
    resolve,
)


def parse_errors(text: str) -> list[str]:
    with pytest.raises(OrgChartError) as info:
        parse_org_csv(text)
    return [str(error) for error in info.value.errors]


def row(line: int, user_id: str, manager_id: str | None) -> ResolvedRow:
    return ResolvedRow(line=line, user_id=user_id, manager_id=manager_id, team="t", role=None)


def test_good_file_with_everything_mixed() -> None:
    text = (
        "\ufeffUSER, Manager ,Team,ROLE\r\n"
        "U01CEO,,Leadership,CEO\r\n"
        "\r\n"
        'Ada@Example.COM,U01CEO,"Sales, EMEA",Head of Sales\r\n'
        ' W0ABC12 , ada@example.com ,"Sales, EMEA",\r\n'
        "ops@example.com,U01CEO,Ops,\r\n"
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
        OrgRow(line=6, user="ops@example.com", manager="U01CEO", team="Ops", role=None),
    ]


def test_without_role_column_and_with_comma_only_rows() -> None:
    text = "user,manager,team\nU1AA,,Board\n,,\nU2BB,U1AA,Sales\n"
    assert parse_org_csv(text) == [
        OrgRow(line=2, user="U1AA", manager=None, team="Board", role=None),
        OrgRow(line=4, user="U2BB", manager="U1AA", team="Sales", role=None),
    ]


def test_short_row_is_padded_and_so_lacks_its_team() -> None:
    assert parse_errors("user,manager,team\nU1AA,,Board\nU2BB,U1AA\n") == ["line 3: team is empty"]


def test_line_numbers_count_physical_lines_of_multiline_fields() -> None:
    text = 'user,manager,team\nU1AA,,"Two\nLines"\nU2BB,U1AA,x\nbad id,U1AA,x\n'
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
    text = "user,manager,team,Email,location\nU1AA,,t,x,y\nnope,U1AA,t,,\n"
    assert parse_errors(text) == [
        "line 1: unknown column(s): 'email', 'location' (allowed: user, manager, team, role)",
        "line 3: user 'nope' is neither a Slack user ID (like U012AB3CD) nor an e-mail address",
    ]


def test_repeated_column() -> None:
    assert parse_errors("user,manager,team,team\nU1AA,,a,b\n") == [
        "line 1: column(s) listed more than once: team"
    ]


def test_duplicate_user_names_both_lines() -> None:
    text = "user,manager,team\nU1AA,,t\nU2BB,U1AA,t\nU3CC,U1AA,t\nU2BB,U3CC,t\n"
    assert parse_errors(text) == ["line 5: user U2BB is listed more than once (lines 3 and 5)"]


def test_duplicate_email_is_case_insensitive_and_three_times() -> None:
    text = "user,manager,team\na@x.io,,t\nA@X.io,,t\nU1AA,a@x.io,t\na@x.IO,,t\n"
    assert parse_errors(text) == ["line 3: user a@x.io is listed more than once (lines 2, 3 and 5)"]


def test_self_manager() -> None:
    text = "user,manager,team\nU1AA,U1AA,t\nbob@x.io,BOB@x.io,t\n"
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
    text = f"user,manager,team\n{identifier},,t\nU1AA,{identifier},t\n"
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
        "line 3: team is empty",
        "line 4: expected at most 4 values but found 5; "
        "put values that contain commas in double quotes",
        "line 5: manager 'oops' is neither a Slack user ID (like U012AB3CD) nor an e-mail address",
        "line 5: team is empty",
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
    text = f"user,manager,team\nnope,,t\nU2BB,U3CC,{huge}\nU3CC,,t\n"
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


def decode_error(data: bytes) -> str:
    with pytest.raises(OrgChartError) as info:
        decode_org_file(data)
    [error] = info.value.errors
    assert error.line is None
    return error.message


def test_utf8_with_and_without_byte_order_mark() -> None:
    text = "user,manager,team\nU1AA,,Økonomi\n"
    assert decode_org_file(text.encode()) == (text, "UTF-8")
    assert decode_org_file(b"\xef\xbb\xbf" + text.encode()) == (
        text,
        "UTF-8 (with a byte order mark)",
    )


def test_excel_csv_in_windows_1252() -> None:
    # Excel's plain "CSV" in Norway: Ø is one byte, 0xD8, and the curly quote 0x92.
    data = "user,manager,team\nU1AA,,Økonomi\nU2BB,U1AA,Kundes’ team\n".encode("cp1252")
    assert decode_org_file(data) == (
        "user,manager,team\nU1AA,,Økonomi\nU2BB,U1AA,Kundes’ team\n",
        "Windows-1252, as it is not UTF-8",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            "user,manager,team\n".encode("utf-16"),
            'the file is UTF-16 text: save it as "CSV UTF-8" and try again',
        ),
        (
            b"PK\x03\x04\x14\x00\x06\x00",
            "the file is a zip archive (an Excel workbook?): save it as CSV",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "the file is not text (it contains NUL bytes): save it as CSV",
        ),
        (
            b"user,manager,team\nU1AA,,\x1b[31mred\n",
            "the file is not text (control character 0x1B on line 2): save it as CSV",
        ),
        (
            # 0x81 means nothing in Windows-1252 either.
            b"user,manager,team\nU1AA,,\x81\xc3\n",
            "the file is neither UTF-8 nor Windows-1252 text (byte 0x81 on line 2): "
            'save it as "CSV UTF-8"',
        ),
        (
            # A byte order mark promises UTF-8; what follows is not.
            b"\xef\xbb\xbfuser,manager,team\n\xd8konomi\n",
            'the file is not UTF-8 text (byte 0xD8 on line 2): save it as "CSV UTF-8"',
        ),
    ],
)
def test_binary_and_undecodable_files_are_refused_in_one_line(data: bytes, message: str) -> None:
    assert decode_error(data) == message


def test_empty_team_is_refused() -> None:
    assert parse_errors("user,manager,team\nU1AA,,Board\nU2BB,U1AA, \n") == [
        "line 3: team is empty"
    ]


def test_only_the_ceo_has_no_manager() -> None:
    text = "user,manager,team\nU1AA,,Board\nU2BB,U1AA,Sales\nU3CC,,Sales\nd@x.io,,Ops\n"
    assert parse_errors(text) == [
        "line 4: manager is empty, but only the CEO has no manager and line 2 (U1AA) "
        "has none already",
        "line 5: manager is empty, but only the CEO has no manager and line 2 (U1AA) "
        "has none already",
    ]


def test_too_many_rows_are_refused_before_the_rest_is_read() -> None:
    rows = [f"U{n:06d},U000000,t" for n in range(1, MAX_ROWS + 1)]
    # Past the limit, a field too long for the CSV reader: reaching it would be an error.
    text = "user,manager,team\nU000000,,t\n" + "\n".join(rows) + f"\nU9,,{'x' * 200_000}\n"
    assert parse_errors(text) == [
        f"the file has more than {MAX_ROWS:,} rows, more than okrbot imports at once: "
        "is it the right file?"
    ]


def test_progress_every_few_thousand_rows() -> None:
    count = 2 * PROGRESS_EVERY + 10
    text = "user,manager,team\nU000000,,t\n" + "".join(
        f"U{n:06d},U000000,t\n" for n in range(1, count)
    )
    told: list[int] = []
    assert len(parse_org_csv(text, told.append)) == count
    assert told == [PROGRESS_EVERY, 2 * PROGRESS_EVERY]


def test_at_most_fifty_errors_then_a_count() -> None:
    errors = [LineError(n, "bad") for n in range(2, 2 + MAX_ERRORS_SHOWN + 1234)]
    lines = str(OrgChartError(errors)).splitlines()
    assert len(lines) == MAX_ERRORS_SHOWN + 1
    assert lines[0] == "line 2: bad"
    assert lines[MAX_ERRORS_SHOWN - 1] == f"line {MAX_ERRORS_SHOWN + 1}: bad"
    assert lines[-1] == "… and 1,234 more"
    # Exactly fifty: no count.
    assert str(OrgChartError(errors[:MAX_ERRORS_SHOWN])).splitlines()[-1] == "line 51: bad"


DIRECTORY = [
    DirectoryMember("U1AA", "ceo@x.io"),
    DirectoryMember("U2BB", "Bea@X.io"),
    DirectoryMember("W3CC", None),
    DirectoryMember("U4GONE", "old@x.io", deleted=True),
    DirectoryMember("U5BOT", "bot@x.io", is_bot=True),
    # Left and came back: the old account keeps the address, the new one has it too.
    DirectoryMember("U6OLD", "back@x.io", deleted=True),
    DirectoryMember("U6NEW", "back@x.io"),
]


def resolve_errors(text: str) -> list[str]:
    with pytest.raises(OrgChartError) as info:
        resolve(parse_org_csv(text), DIRECTORY)
    return [str(error) for error in info.value.errors]


def test_resolve_by_id_and_by_address() -> None:
    text = "user,manager,team\nU1AA,,Board\nbea@x.io,U1AA,Sales\nW3CC,BEA@x.io,Sales\n"
    rows, emails = resolve(parse_org_csv(text), DIRECTORY)
    assert rows == [
        ResolvedRow(2, "U1AA", None, "Board", None),
        ResolvedRow(3, "U2BB", "U1AA", "Sales", None),
        ResolvedRow(4, "W3CC", "U2BB", "Sales", None),
    ]
    assert emails == {"U2BB": "bea@x.io"}
    rows, _ = resolve(parse_org_csv("user,manager,team\nback@x.io,,t\n"), DIRECTORY)
    assert rows[0].user_id == "U6NEW"


def test_everyone_is_checked_against_the_workspace() -> None:
    text = (
        "user,manager,team\n"
        "U1AA,,Board\n"
        "U9NOPE,U1AA,Sales\n"  # not in the workspace
        "U2BB,U8NONE,Sales\n"  # a manager neither in the file nor in the workspace
        "ghost@x.io,U1AA,Sales\n"
        "U4GONE,U1AA,Sales\n"
        "W3CC,old@x.io,Sales\n"
        "bot@x.io,U5BOT,Sales\n"
    )
    assert resolve_errors(text) == [
        "line 3: unknown user: no Slack user in this workspace is U9NOPE",
        "line 4: unknown manager: no Slack user in this workspace is U8NONE",
        "line 5: unknown user: no Slack user has ghost@x.io",
        "line 6: user U4GONE is deactivated in Slack",
        "line 7: manager old@x.io (U4GONE) is deactivated in Slack",
        "line 8: user bot@x.io (U5BOT) is a bot in Slack",
        "line 8: manager U5BOT is a bot in Slack",
    ]


def test_no_addresses_from_slack_means_a_missing_scope() -> None:
    without = [DirectoryMember(m.user_id, None, m.deleted, m.is_bot) for m in DIRECTORY]
    text = "user,manager,team\nU1AA,,Board\nbea@x.io,U1AA,Sales\n"
    with pytest.raises(OrgChartError) as info:
        resolve(parse_org_csv(text), without)
    assert [str(error) for error in info.value.errors] == [
        "Slack gave okrbot no e-mail addresses: the app needs the users:read.email scope "
        "(add it and reinstall the app), or name people by their Slack user ID"
    ]
    # A file of IDs does not need them.
    rows, _ = resolve(parse_org_csv("user,manager,team\nU1AA,,Board\n"), without)
    assert [r.user_id for r in rows] == ["U1AA"]
