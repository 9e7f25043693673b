"""The digest as Slack messages: readable when small, within Slack's limits when huge."""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from okrbot.domain.checkin import Confidence
from okrbot.domain.digest import Digest, DigestKR, DigestObjective, build_digest
from okrbot.domain.okr import Level
from okrbot.domain.quarters import Quarter
from okrbot.i18n import ENGLISH
from okrbot.sandbox.blockkit import message_problems
from okrbot.slack.blocks.common import BLOCKS_TEXT_BUDGET, Block, clip, escape
from okrbot.slack.blocks.digest import (
    ATTENTION_MAX,
    STALE_NAMES_MAX,
    TITLE_CLIP,
    digest_messages,
)

QUARTER = Quarter(2026, 4)
TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
OBJECTIVE_ID = re.compile(r"OBJ(\d{5})#")


def texts(node: Any) -> list[str]:
    """Every text string in a block tree, the way Slack counts a message's size."""
    if isinstance(node, dict):
        found: list[str] = []
        for key, value in node.items():
            found += [value] if key == "text" and isinstance(value, str) else texts(value)
        return found
    if isinstance(node, list):
        return [text for item in node for text in texts(item)]
    return []


def all_text(blocks: list[Block]) -> str:
    return "\n".join(texts(blocks))


def section_texts(blocks: list[Block]) -> list[str]:
    return [block["text"]["text"] for block in blocks if block["type"] == "section"]


def digest_of(*objectives: DigestObjective) -> Digest:
    return build_digest(QUARTER, TODAY, NOW, objectives)


def item(
    id: int,
    title: str,
    *,
    owner_name: str | None,
    team: str | None = "Product",
    confidence: Confidence | None = Confidence.ON_TRACK,
    current: float | None = 50,
    week_ago: float | None = 45,
    last_check_in: datetime | None = None,
) -> DigestObjective:
    return DigestObjective(
        id=id,
        title=title,
        owner_id=f"U{id:04d}",
        owner_name=owner_name,
        team=team,
        level=Level.TEAM,
        confidence=confidence,
        krs=(DigestKR(0, 100, current, week_ago),),
        last_check_in=last_check_in or NOW - timedelta(days=1),
        published_at=NOW - timedelta(days=30),
    )


def company(
    people: int,
    *,
    per_person: int = 2,
    teams: int = 12,
    no_team_every: int = 9,
    confidences: tuple[Confidence | None, ...] = (*Confidence, None),
    stale_every: int = 5,
    seed: int = 1,
) -> list[DigestObjective]:
    """A large company with the worst text Slack can get: long titles full of <&>."""
    rng = random.Random(seed)
    objectives = []
    for person in range(people):
        name = f"Person {person} " + "Lovelace-Hopper-Turing-Noether" * 2
        for number in range(per_person):
            id = person * per_person + number + 1
            filler = " Grow <revenue> & keep <customers> happy & loyal" * 4
            title = (f"OBJ{id:05d}#" + filler)[:150]
            start, target = rng.choice([(0.0, 100.0), (100.0, 20.0)])
            objectives.append(
                DigestObjective(
                    id=id,
                    title=title,
                    owner_id=f"U{person:08d}",
                    owner_name=name[: rng.randint(3, 40)],
                    team=None if person % no_team_every == 0 else f"Team {person % teams:02d}",
                    level=Level.TEAM,
                    confidence=rng.choice(confidences),
                    krs=tuple(
                        DigestKR(start, target, rng.uniform(-10, 120), rng.uniform(0, 100))
                        for _ in range(rng.randint(2, 5))
                    ),
                    last_check_in=NOW - timedelta(days=10 if person % stale_every == 0 else 2),
                    published_at=NOW - timedelta(days=rng.choice([3, 30])),
                )
            )
    return objectives


def assert_deliverable(
    messages: list[tuple[str, list[Block]]], objectives: list[DigestObjective]
) -> None:
    for text, blocks in messages:
        assert message_problems(text, blocks) == []
        assert blocks
        assert text.strip()
        assert sum(map(len, texts(blocks))) <= BLOCKS_TEXT_BUDGET
        # Titles are full of <&>: raw, they would be read as Slack markup.
        assert "<&>" not in all_text(blocks)
        assert "<revenue>" not in text

    parent = messages[0][1]
    assert len(parent) <= 10
    assert sum(map(len, texts(parent))) <= 4000

    seen: Counter[int] = Counter()
    by_id = {objective.id: objective for objective in objectives}
    for _, blocks in messages[1:]:
        for text in section_texts(blocks):
            for line in text.split("\n"):
                ids = [int(found) for found in OBJECTIVE_ID.findall(line)]
                assert len(ids) <= 1
                if ids:
                    seen[ids[0]] += 1
                    assert escape(clip(by_id[ids[0]].title, TITLE_CLIP)) in line
    assert set(seen) == set(by_id)
    assert set(seen.values()) <= {1}

    # Packed, not one team per message: the replies are mostly full.
    reply_chars = sum(len(text) for _, blocks in messages[1:] for text in texts(blocks))
    assert len(messages) - 1 <= reply_chars // (BLOCKS_TEXT_BUDGET // 2) + 1


# -- a small digest


@pytest.fixture
def small() -> list[tuple[str, list[Block]]]:
    return digest_messages(
        digest_of(
            item(1, "Ship <the> app & win", owner_name="Ada Lovelace", confidence=None),
            item(
                2,
                "Cut churn",
                owner_name="Grace Hopper",
                confidence=Confidence.OFF_TRACK,
                current=10,
                week_ago=20,
            ),
            item(3, "Hire well", owner_name=None, team=None, confidence=Confidence.AT_RISK),
            item(
                4,
                "Stale one",
                owner_name="Alan Turing",
                team="Sales",
                last_check_in=NOW - timedelta(days=9),
            ),
        ),
        ENGLISH,
    )


def test_parent_summarises_the_company(small: list[tuple[str, list[Block]]]) -> None:
    text, blocks = small[0]
    assert text == "OKR digest 2026-Q4 week 9: 40% overall"
    assert blocks[0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "OKR digest · 2026-Q4 · week 9 of 13",
            "emoji": True,
        },
    }
    body = all_text(blocks)
    assert "66% of the quarter has gone · 4 objectives" in body
    assert "*40%* · week on week: ▲ 1 pt" in body
    assert ":red_circle: 1 off track" in body
    assert ":white_circle: 1 not checked in yet" in body


def test_parent_lists_what_needs_attention(small: list[tuple[str, list[Block]]]) -> None:
    attention = next(t for t in section_texts(small[0][1]) if t.startswith("*Needs attention*"))
    # Two thirds of the quarter gone: 10 % is behind pace, beside the owner's own word.
    assert attention.split("\n")[1:] == [
        ":red_circle: Cut churn · Grace Hopper · 10% · :snail: Behind pace",
        ":large_yellow_circle: Hire well · <@U0003> · 50%",
    ]


def test_parent_counts_stale_and_behind_pace_by_team(
    small: list[tuple[str, list[Block]]],
) -> None:
    counts = next(t for t in section_texts(small[0][1]) if t.startswith("*Stale and behind"))
    assert counts.split("\n")[1:] == ["Product: 0 stale objectives · 1 behind pace"]


def test_parent_names_stale_owners(small: list[tuple[str, list[Block]]]) -> None:
    assert "*Not checked in for 7+ days:* Alan Turing" in section_texts(small[0][1])


def test_named_owners_are_never_mentioned(small: list[tuple[str, list[Block]]]) -> None:
    everything = "\n".join(all_text(blocks) + text for text, blocks in small)
    # Only the owner without a known name is mentioned: a mention notifies.
    assert re.findall(r"<@\w+>", everything) == ["<@U0003>"] * everything.count("<@")


def test_replies_list_every_objective_by_team(small: list[tuple[str, list[Block]]]) -> None:
    assert len(small) == 2
    text, blocks = small[1]
    assert text == "OKR digest 2026-Q4, part 2 of 2: Product, Sales, No team"
    assert section_texts(blocks) == [
        "*Product*\n"
        ":red_circle: Cut churn · Grace Hopper · █░░░░░░░░░ 10% ▼ 10 pts\n"
        ":white_circle: Ship &lt;the&gt; app &amp; win · Ada Lovelace · █████░░░░░ 50% ▲ 5 pts",
        "*Sales*\n:large_green_circle: Stale one · Alan Turing · █████░░░░░ 50% ▲ 5 pts",
        "*No team*\n:large_yellow_circle: Hire well · <@U0003> · █████░░░░░ 50% ▲ 5 pts",
    ]
    assert all(message_problems(t, b) == [] for t, b in small)


@pytest.mark.parametrize(
    ("current", "week_ago", "shown"),
    [(50, 45, "▲ 5 pts"), (50, 51, "▼ 1 pt"), (50, 49.9, "±0 pts"), (50, 0, "▲ 50 pts")],
)
def test_change_in_points(current: float, week_ago: float, shown: str) -> None:
    messages = digest_messages(
        digest_of(item(1, "T", owner_name="A", current=current, week_ago=week_ago)), ENGLISH
    )
    assert section_texts(messages[1][1])[0].endswith(f" 50% {shown}")


def test_new_objective_has_no_change() -> None:
    fresh = replace(item(1, "T", owner_name="A"), published_at=NOW - timedelta(days=2))
    parent, reply = digest_messages(digest_of(fresh), ENGLISH)
    assert section_texts(reply[1])[0].endswith(" 50% –")
    assert "week on week: –" in all_text(parent[1])


def test_empty_company_is_one_valid_message() -> None:
    messages = digest_messages(digest_of(), ENGLISH)
    assert len(messages) == 1
    text, blocks = messages[0]
    assert message_problems(text, blocks) == []
    assert "No published objectives for 2026-Q4 yet." in section_texts(blocks)


def test_nothing_to_worry_about() -> None:
    blocks = digest_messages(digest_of(item(1, "T", owner_name="A")), ENGLISH)[0][1]
    assert "Nothing is off track or at risk" in all_text(blocks)
    assert "Not checked in" not in all_text(blocks)


# -- large companies


def test_a_300_person_company_fits_slack() -> None:
    objectives = company(300)
    messages = digest_messages(digest_of(*objectives), ENGLISH)
    assert_deliverable(messages, objectives)
    assert 10 <= len(messages) <= 30
    parent = all_text(messages[0][1])
    assert f"and {60 - STALE_NAMES_MAX} more" in parent
    assert "<@" not in "".join(all_text(blocks) + text for text, blocks in messages)
    # Fallbacks number the parts so a screen reader can tell where it is.
    assert messages[-1][0].startswith(
        f"OKR digest 2026-Q4, part {len(messages)} of {len(messages)}"
    )


def test_a_2000_person_company_fits_slack() -> None:
    objectives = company(2000, teams=40)
    messages = digest_messages(digest_of(*objectives), ENGLISH)
    assert_deliverable(messages, objectives)


@pytest.mark.parametrize(
    ("objectives", "expected"),
    [
        (company(300, teams=1, no_team_every=10**6), "*Team 00 (continued)*"),
        (
            company(300, confidences=(Confidence.AT_RISK,)),
            f"and {600 - ATTENTION_MAX} more in the thread",
        ),
        (company(200, per_person=1, stale_every=1), f"and {200 - STALE_NAMES_MAX} more"),
        (company(50, confidences=(None,)), ":white_circle: 100 not checked in yet"),
    ],
    ids=["one-team-600-objectives", "all-at-risk", "200-stale-people", "nobody-checked-in"],
)
def test_edge_cases_stay_within_limits(objectives: list[DigestObjective], expected: str) -> None:
    messages = digest_messages(digest_of(*objectives), ENGLISH)
    assert_deliverable(messages, objectives)
    assert any(expected in all_text(blocks) for _, blocks in messages)


def test_a_team_cut_by_a_message_carries_on_under_its_name() -> None:
    objectives = company(300, teams=1, no_team_every=10**6)
    messages = digest_messages(digest_of(*objectives), ENGLISH)
    first_sections = [section_texts(blocks)[0] for _, blocks in messages[1:]]
    assert first_sections[0].startswith("*Team 00*\n")
    assert all(s.startswith("*Team 00 (continued)*\n") for s in first_sections[1:])
    attention = next(t for t in section_texts(messages[0][1]) if t.startswith("*Needs attention*"))
    assert len(attention.split("\n")) <= ATTENTION_MAX + 2


def test_text_that_escapes_to_five_times_its_length_is_never_cut() -> None:
    # Every "&" becomes "&amp;": the counts caps alone would overflow a section.
    objectives = [
        item(
            id,
            "&" * 150,
            owner_name="&" * 80,
            team="&" * 80,
            confidence=Confidence.OFF_TRACK,
            last_check_in=NOW - timedelta(days=30),
        )
        for id in range(1, 101)
    ]
    messages = digest_messages(digest_of(*objectives), ENGLISH)
    for text, blocks in messages:
        assert message_problems(text, blocks) == []
        for body in section_texts(blocks):
            # Nothing was clipped by section(): no entity is cut in half.
            assert not body.endswith("…")
            assert re.sub(r"&amp;", "", body).count("&") == 0
    parent = section_texts(messages[0][1])
    assert parent[-2].endswith("more in the thread")
    assert parent[-1].endswith("more")
    replies = [s for _, blocks in messages[1:] for s in section_texts(blocks)]
    lines = [line for s in replies for line in s.split("\n")]
    assert sum(line.startswith(":red_circle: ") for line in lines) == 100
