"""The pure rules of data sources: the command's arguments, JSON pointers, numbers, which
SQL is a single read, which addresses are refused, when the daily read is due."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from okrbot.domain.sources import (
    Kind,
    SourceProblem,
    address_refused,
    as_number,
    automatic_kind,
    daily_due,
    metadata_host,
    parse_http,
    parse_sql,
    pointer_tokens,
    query_problem,
    resolve_pointer,
)

DOC = {"data": [{"value": 41.5}, {"value": "7"}], "a/b": {"m~n": 3}, "": 1, "flag": True}


@pytest.mark.parametrize(
    ("pointer", "found"),
    [
        ("/data/0/value", 41.5),
        ("/data/1/value", "7"),
        ("/a~1b/m~0n", 3),
        ("/", 1),
        ("", DOC),
    ],
)
def test_json_pointers_follow_rfc_6901(pointer: str, found: object) -> None:
    assert resolve_pointer(DOC, pointer) == found


@pytest.mark.parametrize("pointer", ["/data/2/value", "/data/01/value", "/nope", "/data/-"])
def test_a_pointer_to_nothing_says_so(pointer: str) -> None:
    with pytest.raises(SourceProblem) as refused:
        resolve_pointer(DOC, pointer)
    assert refused.value.key == "no_value"


@pytest.mark.parametrize("pointer", ["data", "/a~2", "/~"])
def test_malformed_pointers_are_refused(pointer: str) -> None:
    with pytest.raises(SourceProblem) as refused:
        pointer_tokens(pointer)
    assert refused.value.key == "bad_pointer"


def test_numbers_and_numeric_strings_only() -> None:
    assert as_number(3) == 3.0
    assert as_number(" 42.5 ") == 42.5
    for wrong in (True, None, "forty", "nan", float("inf"), [1], {"v": 1}):
        with pytest.raises(SourceProblem) as refused:
            as_number(wrong)
        assert refused.value.key == "not_a_number"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT count(*) FROM customers",
        "select 1;",
        "  WITH t AS (SELECT 2 AS n) SELECT n FROM t",
        "SELECT 'update; delete' AS words",
        "(SELECT 1)",
        "SELECT updated_at_count FROM stats -- a comment; with a semicolon",
    ],
)
def test_single_reads_pass(query: str) -> None:
    assert query_problem(query) is None


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("DELETE FROM customers", "select_only"),
        ("UPDATE t SET n = 1", "select_only"),
        ("SELECT 1; DROP TABLE t", "one_statement"),
        ("WITH gone AS (DELETE FROM t RETURNING n) SELECT count(*) FROM gone", "select_only"),
        ("SELECT * INTO copy FROM t", "select_only"),
        ("PRAGMA user_version", "select_only"),
        ("ATTACH DATABASE 'x.db' AS x", "select_only"),
        ("", "bad_query"),
    ],
)
def test_writes_and_several_statements_are_refused(query: str, problem: str) -> None:
    assert query_problem(query) == problem


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "fe80::1",
        "fd00:ec2::254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_addresses_are_refused(address: str) -> None:
    assert address_refused(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_are_not(address: str) -> None:
    assert not address_refused(address)


def test_cloud_metadata_by_name_or_address() -> None:
    assert metadata_host("metadata.google.internal")
    assert metadata_host("METADATA.google.internal.")
    assert metadata_host("169.254.169.254")
    assert metadata_host("innocent.example", ["169.254.169.254"])
    assert metadata_host("[fd00:ec2::254]")
    assert not metadata_host("example.com", ["93.184.216.34"])


def test_the_daily_read_is_due_from_six_in_the_workspaces_zone() -> None:
    oslo = ZoneInfo("Europe/Oslo")
    before = datetime(2026, 11, 27, 4, 59, tzinfo=UTC)  # 05:59 in Oslo
    at_six = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
    assert daily_due(before, oslo, None) is None
    assert daily_due(at_six, oslo, None) == "2026-11-27"
    assert daily_due(at_six, oslo, "2026-11-26") == "2026-11-27"
    assert daily_due(at_six, oslo, "2026-11-27") is None


def test_the_commands_arguments() -> None:
    spec = parse_http(["https://ci.example.com/x.json", "/coverage", "header=Authorization:CI"])
    assert spec.kind is Kind.HTTP
    assert spec.config == {
        "url": "https://ci.example.com/x.json",
        "pointer": "/coverage",
        "header": {"name": "Authorization", "env": "CI"},
    }
    for wrong, key in [
        (["ftp://x", "/a"], "bad_url"),
        (["https://x"], "http_usage"),
        (["https://x", "/a", "header=Auth"], "bad_env"),
        (["https://x", "/a", "header=Bad Name:ENV"], "http_usage"),
        (["https://x", "/a", "header=X:not-a-name"], "bad_env"),
    ]:
        with pytest.raises(SourceProblem) as refused:
            parse_http(wrong)
        assert refused.value.key == key, wrong
    sql = parse_sql(["DB_URL", "SELECT", "1"], "SELECT 1")
    assert sql.config == {"env": "DB_URL", "query": "SELECT 1"}
    with pytest.raises(SourceProblem) as refused:
        parse_sql(["DB_URL", "DELETE"], "DELETE FROM t")
    assert refused.value.key == "select_only"
    with pytest.raises(SourceProblem) as refused:
        parse_sql(["postgres://secret@host/db", "SELECT"], "SELECT 1")
    assert refused.value.key == "bad_env"


def test_which_check_ins_count_as_updated_automatically() -> None:
    assert automatic_kind("source:http") == "http"
    assert automatic_kind("source:sql") == "sql"
    assert automatic_kind("api:ci") == "api"
    assert automatic_kind("slack") is None
    assert automatic_kind("source:ftp") is None
