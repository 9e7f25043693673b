"""Browsing answers stay within Slack's limits for any company size, in both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from okrbot.domain.checkin import Confidence
from okrbot.domain.okr import Level, Status
from okrbot.domain.workflow import Stage
from okrbot.i18n import translator
from okrbot.sandbox.blockkit import message_problems
from okrbot.services.browse import (
    Approved,
    ByWords,
    Candidates,
    Detail,
    Listing,
    NoMatch,
    NotFound,
    Owner,
    Ref,
    Scope,
    Summary,
    Unknown,
    alignment_tree,
    match_titles,
    teams_named,
)
from okrbot.services.checkins import KRState
from okrbot.slack.blocks.browse import (
    candidates_message,
    detail_message,
    listing_message,
    no_match_message,
    not_found_message,
    tree_message,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LANGUAGES = ("en", "nb")


def item(
    n: int,
    level: Level = Level.PERSONAL,
    *,
    aligned_to: int | None = None,
    team: str | None = None,
    title: str | None = None,
    name: str | None = None,
    status: Status = Status.APPROVED,
) -> Summary:
    return Summary(
        id=n,
        title=title or f"Objective number {n}",
        owner=Owner(f"U{n:08d}", name if name is not None else f"Person {n}"),
        level=level,
        team=team if team is not None else f"Team {n % 7}",
        quarter="2026-Q4",
        status=status,
        progress=(n % 10) / 10,
        confidence=Confidence.AT_RISK if n % 3 else None,
        last_check_in_at=NOW,
        aligned_to_id=aligned_to,
        waiting_on="U0MGR0001" if status is Status.AWAITING_MANAGER else None,
        rejection="x" * 2000 if status is Status.REJECTED else None,
    )


def company_of(size: int, *, unaligned: int) -> list[Summary]:
    """5 company objectives, 40 team ones under them, personal ones under the teams, and
    `unaligned` personal ones that support nothing."""
    objectives = [item(n, Level.COMPANY, team="Leadership") for n in range(1, 6)]
    objectives += [item(n, Level.TEAM, aligned_to=1 + n % 5) for n in range(6, 46)]
    aligned = size - len(objectives) - unaligned
    objectives += [item(n, aligned_to=6 + n % 40) for n in range(46, 46 + aligned)]
    objectives += [item(n) for n in range(46 + aligned, 46 + aligned + unaligned)]
    assert len(objectives) == size
    return objectives


def texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from texts(value)
    elif isinstance(node, list):
        for child in node:
            yield from texts(child)


def assert_valid(message: tuple[str, list[dict[str, Any]]]) -> str:
    text, blocks = message
    assert message_problems(text, blocks) == []
    assert len(blocks) <= 50
    body = "\n".join(texts(blocks))
    # Escaped user text is never cut inside an entity.
    assert not re.search(r"&(a|am|l|g)?\u2026", body)
    return body


def shown_ids(body: str) -> set[int]:
    return {int(n) for n in re.findall(r"#(\d+)", body)}


def more_count(body: str) -> int:
    found = re.search(r"(?:and|og) (\d+) (?:more|til)", body)
    assert found, "no 'and N more' note"
    return int(found.group(1))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_2000_objective_tree_folds_personal_objectives(language: str) -> None:
    tree = alignment_tree("2026-Q4", company_of(2000, unaligned=300))
    assert tree.total == 2000
    assert tree.unaligned_count == 300
    body = assert_valid(tree_message(tree, translator(language)))
    # Every company and team objective is still named; personal ones are counted.
    assert set(range(1, 46)) <= shown_ids(body)
    assert not shown_ids(body) & set(range(46, 2000))
    folded = re.findall(r"_(\d+) (?:more aligned|til knyttet hit)", body)
    assert sum(int(n) for n in folded) == 2000 - 45 - 300
    unaligned = re.findall(r"(\d+) (?:not aligned|ikke knyttet til noe) \u00b7", body)
    assert sum(int(n) for n in unaligned) == 300
    assert "/okr list <team>" in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_tree_too_wide_even_folded_says_how_many_more(language: str) -> None:
    # 2,000 team objectives under one company objective: nothing to fold.
    objectives = [item(1, Level.COMPANY, title="<&>" * 50)]
    objectives += [
        item(n, Level.TEAM, aligned_to=1, title="&" * 150, name="<" * 80) for n in range(2, 2001)
    ]
    body = assert_valid(tree_message(alignment_tree("2026-Q4", objectives), translator(language)))
    assert more_count(body) == 2000 - len(shown_ids(body))
    assert "/okr list <team>" in body


def test_a_small_tree_is_listed_in_full() -> None:
    objectives = [
        item(1, Level.COMPANY),
        item(2, Level.TEAM, aligned_to=1),
        item(3, aligned_to=2),
        item(4),
        item(5, aligned_to=4),
    ]
    text, blocks = tree_message(alignment_tree("2026-Q4", objectives), translator("en"))
    body = "\n".join(texts(blocks))
    assert text == "OKR tree 2026-Q4: 5 objectives, 1 not aligned"
    lines = [line for line in body.splitlines() if "#" in line]
    assert [line.split(" *")[0] for line in lines] == [
        "\u2022",
        "\u2003\u25e6",
        "\u2003\u2003\u25aa",
        ":warning:",
        "\u2003\u25e6",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("scope", [Scope.TEAM, Scope.COMPANY, Scope.PERSON, Scope.MINE])
def test_a_list_of_2000_stays_valid(language: str, scope: Scope) -> None:
    statuses = [Status.APPROVED, Status.REJECTED, Status.AWAITING_MANAGER]
    items = tuple(
        item(
            n,
            title="<&>" * 50,
            name="&" * 80,
            team="T&" * 40,
            status=statuses[n % 3] if scope is Scope.MINE else Status.APPROVED,
        )
        for n in range(1, 2001)
    )
    listing = Listing(scope, "2026-Q4", items, person=Owner("U1", None), team="T&" * 40)
    body = assert_valid(listing_message(listing, translator(language)))
    assert more_count(body) == 2000 - len(shown_ids(body))
    assert len(shown_ids(body)) >= 10


def test_an_empty_list_says_so() -> None:
    listing = Listing(Scope.PERSON, "2026-Q4", (), person=Owner("U0COL0001", None))
    text, _ = listing_message(listing, translator("en"))
    assert text == "<@U0COL0001> has no published objectives in 2026-Q4."


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_largest_objective_in_full(language: str) -> None:
    krs = tuple(KRState(i, i, "&" * 300, "<" * 30, -1e300, 1e300, 1e299, NOW) for i in range(1, 6))
    supporters = tuple(
        Ref(n, "<&>" * 50, Owner(f"U{n}", "&" * 80), Level.PERSONAL, 0.5) for n in range(500)
    )
    detail = Detail(
        summary=item(1, Level.TEAM, title="T" * 150, status=Status.REJECTED),
        description="<&>" * 666,
        key_results=krs,
        supports=Ref(9, "&" * 150, Owner("U9", "<" * 80), Level.COMPANY),
        supported_by=supporters,
        approvals=(Approved(Stage.MANAGER, Owner("U2", "&" * 80), NOW),),
        published_at=NOW,
    )
    body = assert_valid(detail_message(detail, translator(language)))
    assert "490" in body  # and 490 more supporters


@pytest.mark.parametrize("language", LANGUAGES)
def test_candidates_unknowns_and_misses_stay_valid(language: str) -> None:
    words = translator(language)
    refs = tuple(Ref(n, "<&>" * 50, Owner(f"U{n}", None), Level.TEAM) for n in range(10))
    body = assert_valid(candidates_message(Candidates("<&>" * 100, refs, 2000), words))
    assert "1990" in body
    teams = tuple(f"Team & {n:04d} " + "x" * 60 for n in range(2000))
    for kind in Unknown:
        body = assert_valid(not_found_message(NotFound(kind, "<&>" * 100, teams), words))
        assert "Team &amp; 0000" in body
        assert re.search(r"(and|og) \d+ (more|til)", body)
    assert_valid(no_match_message(NoMatch(ByWords("<&>" * 1000)), words))


def test_unaligned_loops_and_long_chains() -> None:
    objectives = [
        item(1, Level.COMPANY, aligned_to=2),  # a company objective is a root, whatever
        item(2, Level.TEAM, aligned_to=1),
        item(3, Level.TEAM, aligned_to=4),  # 3 and 4 support each other: neither is aligned
        item(4, Level.TEAM, aligned_to=3),
        item(5, aligned_to=5),
        item(6, aligned_to=99),  # not published this quarter
    ]
    tree = alignment_tree("2026-Q4", objectives)
    assert [(r.objective.id, r.depth) for r in tree.aligned] == [(1, 0), (2, 1)]
    assert [(r.objective.id, r.depth, r.unaligned) for r in tree.unaligned] == [
        (5, 0, True),
        (6, 0, True),
        (3, 0, True),
        (4, 1, False),
    ]
    chain = [item(1, Level.COMPANY)] + [item(n, aligned_to=n - 1) for n in range(2, 5001)]
    deep = alignment_tree("2026-Q4", chain)
    assert deep.aligned[-1].depth == 4999
    assert_valid(tree_message(deep, translator("en")))


def test_matching_titles_and_teams() -> None:
    rows = [
        (1, "Win the Nordics", "U1", "company"),
        (2, "Nordics sales", "U2", "personal"),
        (3, "Grow Nordic sales", "U3", "team"),
    ]
    assert [r[0] for r in match_titles(rows, "NORDIC")] == [1, 3, 2]
    assert [r[0] for r in match_titles(rows, "sales nordic")] == [3, 2]
    assert [r[0] for r in match_titles(rows, " win  THE nordics ")] == [1]
    assert match_titles(rows, "   ") == []
    teams = ["Product", "Engineering", "Økonomi", "Sales Ops", "Sales"]
    assert teams_named(teams, "PRODUCT") == ["Product"]
    assert teams_named(teams, "økonomi") == ["Økonomi"]
    assert teams_named(teams, "eng") == ["Engineering"]
    assert teams_named(teams, "sales") == ["Sales"]
    assert teams_named(teams, "ale") == []  # two teams: no guessing
