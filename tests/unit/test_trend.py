from __future__ import annotations

from typing import Any

import pytest

from okrbot.domain.pace import pace_chart
from okrbot.domain.quarters import Quarter
from okrbot.i18n import translator
from okrbot.services.weekly import chart_data
from okrbot.slack.chart import PALETTE, chart_lines, chart_texts, team_chart

PNG = b"\x89PNG\r\n\x1a\n"
QUARTER = Quarter.parse("2026-Q4")


def legend_of(figure: Any) -> list[str]:
    [legend] = figure.legends
    return [text.get_text() for text in legend.get_texts()]


def ten_teams() -> list[tuple[str | None, list[float]]]:
    """Team 00 with one objective, Teams 01 to 09 with two each, all three weeks in;
    a team's objectives at 10 % a week times its number."""
    objectives: list[tuple[str | None, list[float]]] = []
    for team in range(10):
        step = (team + 1) / 100
        for _ in range(1 if team == 0 else 2):
            objectives.append((f"Team {team:02d}", [step, 2 * step, 3 * step]))
    return objectives


def test_ten_teams_are_eight_lines_and_other() -> None:
    data = chart_data(pace_chart(ten_teams(), QUARTER), QUARTER)
    lines = chart_lines(data, translator("en"))
    # The 8 teams with the most objectives (then by name) by name; Team 00 (the fewest)
    # and Team 09 (last by name of those with two) merged into "other", last.
    assert [line.label for line in lines] == [
        *(f"Team {n:02d}" for n in range(1, 9)),
        "Other teams",
    ]
    assert [line.colour for line in lines] == list(PALETTE)
    assert len(set(PALETTE)) == 9
    assert lines[0].progress == pytest.approx((0.02, 0.04, 0.06))
    # Other: the mean over Team 00's one objective and Team 09's two.
    assert lines[-1].progress == pytest.approx(tuple(w * (0.01 + 0.1 + 0.1) / 3 for w in (1, 2, 3)))
    assert data["even_pace"] == pytest.approx([w / 13 for w in range(14)])

    seen: list[list[str]] = []
    png = team_chart(data, translator("en"), inspect=lambda figure: seen.append(legend_of(figure)))
    assert png[:8] == PNG
    assert seen == [["Even pace", *(line.label for line in lines)]]


def test_the_chart_is_in_the_readers_language() -> None:
    objectives = [*ten_teams(), (None, [0.5, 0.5, 0.5]), ("  ", [0.0, 0.0, 0.0])]
    data = chart_data(pace_chart(objectives, QUARTER, teams=11), QUARTER)
    words = translator("nb")
    seen: list[list[str]] = []
    png = team_chart(data, words, inspect=lambda figure: seen.append(legend_of(figure)))
    assert png[:8] == PNG
    # Objectives of no team (and of a blank one) after the teams, named as the digest does.
    assert seen == [["Jevnt tempo", *(f"Team {n:02d}" for n in range(10)), "Uten team"]]
    assert chart_lines(data, words)[-1].progress == pytest.approx((0.25, 0.25, 0.25))
    assert chart_texts(data, words) == (
        "Fremdrift per team, 2026-Q4",
        "Et linjediagram over hvert teams fremdrift per uke i 2026-Q4, mot et jevnt tempo.",
    )


def test_a_long_team_name_is_cut_in_the_legend() -> None:
    name = "Platform engineering and infrastructure"
    data = chart_data(pace_chart([(name, [0.1])], QUARTER), QUARTER)
    [line] = chart_lines(data, translator("en"))
    assert line.label == "Platform engineering an\u2026"


def test_a_run_claimed_with_one_overall_line_still_draws_it() -> None:
    """The payload of a digest run claimed before a deploy: one overall series."""
    data = {"quarter": "2026-Q4", "weeks": 13, "series": [0.1, 0.2, 0.35]}
    seen: list[list[str]] = []
    for language, label in (("en", "Overall progress"), ("nb", "Samlet fremdrift")):
        words = translator(language)
        png = team_chart(data, words, inspect=lambda figure: seen.append(legend_of(figure)))
        assert png[:8] == PNG
        assert seen[-1][1:] == [label]
        assert chart_texts(data, words)[0] == words("chart.title", quarter="2026-Q4")
