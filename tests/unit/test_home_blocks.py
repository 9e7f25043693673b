"""The Home builder: Slack's limits hold for the fullest Home the service can load."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from okrbot.domain.checkin import Confidence
from okrbot.domain.okr import Level, Status
from okrbot.domain.views import KeyResultView
from okrbot.domain.workflow import Stage
from okrbot.i18n import translator
from okrbot.services.approvals import RequestRef
from okrbot.services.home import (
    SECTION_MAX,
    HomeView,
    InFlight,
    KRLine,
    Page,
    Request,
    Tracked,
)
from okrbot.slack import ids
from okrbot.slack.blocks.home import home_view
from okrbot.slack.limits import VIEW_BLOCKS_MAX

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LONG = "x" * 300


def tracked(n: int, level: Level = Level.PERSONAL) -> Tracked:
    return Tracked(
        id=n,
        owner_id=f"U{n:08d}",
        level=level,
        title=f"{n} {LONG}"[:150],
        progress=0.5,
        confidence=Confidence.AT_RISK,
        last_check_in_at=AT,
        key_results=tuple(
            KRLine(i, LONG, "units of something", 0.0, 1_000_000.5, 250_000.25, 0.25)
            for i in range(1, 6)
        ),
    )


def request(n: int) -> Request:
    return Request(
        objective_id=n,
        version=3,
        stage=Stage.CEO,
        owner_id=f"U{n:08d}",
        title=LONG[:150],
        quarter="2026-Q4",
        level=Level.TEAM,
        key_results=tuple(KeyResultView(i, LONG, 0, 100, "%") for i in range(1, 6)),
        requested_at=AT,
    )


def in_flight(n: int) -> InFlight:
    status = Status.REJECTED if n % 2 else Status.AWAITING_CEO
    reason = "Why not aim higher? " * 100 if status is Status.REJECTED else None
    return InFlight(n, 2, LONG[:150], "2027-Q1", status, "U0CEO0001", reason)


def full(total: int = 5000) -> HomeView:
    return HomeView(
        user_id="U0AUT0001",
        locale=None,
        quarter="2026-Q4",
        team="Product " + "y" * 70,
        mine=Page(tuple(tracked(n) for n in range(1, SECTION_MAX + 1)), total),
        in_flight=Page(tuple(in_flight(n) for n in range(1, SECTION_MAX + 1)), total),
        requests=Page(tuple(request(n) for n in range(1, SECTION_MAX + 1)), total),
        team_okrs=Page(tuple(tracked(n, Level.TEAM) for n in range(1, SECTION_MAX + 1)), total),
        company=Page(tuple(tracked(n, Level.COMPANY) for n in range(1, SECTION_MAX + 1)), total),
    )


def empty() -> HomeView:
    return HomeView("U0NEW0001", None, "2026-Q4", None, *(Page((), 0),) * 5)


def walk_texts(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(where, text) for every text object: blocks', context elements', buttons'."""
    found: list[tuple[str, str]] = []
    for block in blocks:
        kind = block["type"]
        if isinstance(block.get("text"), dict):
            found.append((kind, block["text"]["text"]))
        for element in [*block.get("elements", []), block.get("accessory")]:
            if element is None:
                continue
            if element["type"] == "button":
                found.append((f"{kind}.button", element["text"]["text"]))
            else:
                found.append((f"{kind}.{element['type']}", element["text"]))
    return found


@pytest.mark.parametrize("language", ["en", "nb"])
def test_the_fullest_home_stays_within_slacks_limits(language: str) -> None:
    view = home_view(full(), translator(language))
    blocks = view["blocks"]
    assert view["type"] == "home"
    # Every section is full and every "more" line is there, and still well under 100.
    assert len(blocks) <= VIEW_BLOCKS_MAX - 20
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    for kind, text in walk_texts(blocks):
        limit = {"header": 150, "section": 3000}.get(kind, 2000)
        if kind.endswith(".button"):
            limit = 75
        assert 0 < len(text) <= limit, (kind, len(text))
    actions = [b for b in blocks if b["type"] == "actions"]
    # Ten requests with two buttons each, and the one Check in button.
    assert len(actions) == SECTION_MAX + 1
    assert sum(len(json.dumps(b)) for b in blocks) < 100_000


def test_the_buttons_are_the_dms_own() -> None:
    blocks = home_view(full(), translator("en"))["blocks"]
    decisions = [
        e
        for b in blocks
        if b["type"] == "actions" and b["block_id"].startswith(ids.DECISION_ACTIONS)
        for e in b["elements"]
    ]
    assert [e["action_id"] for e in decisions[:2]] == [ids.APPROVE, ids.REJECT]
    refs = {RequestRef.decode(e["value"]) for e in decisions}
    assert refs == {RequestRef(n, 3, Stage.CEO) for n in range(1, SECTION_MAX + 1)}
    resubmits = [b["accessory"] for b in blocks if "accessory" in b]
    assert [a["action_id"] for a in resubmits] == [ids.RESUBMIT] * (SECTION_MAX // 2)
    assert resubmits[0]["value"] == "1:2"  # odd ones are rejected
    [checkin] = [b for b in blocks if b.get("block_id") == "home_checkin"]
    assert checkin["elements"][0]["action_id"] == ids.CHECKIN


def test_counts_say_how_many_more_there_are() -> None:
    text = json.dumps(home_view(full(total=47), translator("en"))["blocks"], ensure_ascii=False)
    assert "\u2026and 37 more waiting" in text
    assert "\u2026and 37 more: `/okr list Product yyyy" in text
    assert "\u2026and 37 more: `/okr list company` shows them all." in text
    assert text.count("\u2026and 37 more: `/okr list` shows them all.") == 2


def test_an_empty_home_has_no_buttons_and_says_so_in_norwegian() -> None:
    view = home_view(empty(), translator("nb"))
    assert [b for b in view["blocks"] if b["type"] == "actions"] == []
    text = json.dumps(view["blocks"], ensure_ascii=False)
    assert "Dine OKR-er \u00b7 2026-Q4" in text
    assert "Ingenting venter på din godkjenning." in text
    assert "Organisasjonskartet har ikke plassert deg på noe team" in text
    assert "til:" not in text  # no "and N more" line
