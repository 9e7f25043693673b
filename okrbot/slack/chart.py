"""The digest's picture: each team's progress through the quarter, against an even pace."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from okrbot.i18n import Translator
from okrbot.services.threads import Part

# One colour per line: up to 8 teams (pace.CHART_TEAMS), then "other" in the last one, a
# grey apart from the teams'. A line's colour follows its place, and teams come by name,
# so a team keeps its colour from week to week.
PALETTE = (
    "#1f4e79",  # dark blue
    "#e07b00",  # orange
    "#2e8b57",  # green
    "#c0392b",  # red
    "#7d3c98",  # purple
    "#17a2b8",  # cyan
    "#8c564b",  # brown
    "#d63384",  # pink
    "#4d4d4d",  # dark grey: other teams
)
EVEN_PACE_COLOUR = "#9aa5b1"
# A longer team name is cut, so that the legend leaves the plot its room.
LABEL_CHARS = 24


@dataclass(frozen=True)
class ChartLine:
    label: str
    # Progress (0..1) at the end of week 1, 2, ... so far.
    progress: tuple[float, ...]
    colour: str


def chart_lines(chart: Part, words: Translator) -> list[ChartLine]:
    """The lines of a digest's chart data (`weekly.chart_data`), labelled in `words`'s
    language: objectives of no team as the digest names them, the merged teams as
    "other"."""
    lines = chart.get("lines")
    if lines is None:
        # A run claimed before the chart had a line per team: its one overall line.
        return [ChartLine(words("chart.progress"), _floats(chart["series"]), PALETTE[0])]
    result = []
    teams = PALETTE[:-1]
    for position, line in enumerate(lines):
        if line["other"]:
            label, colour = words("pace.chart.other"), PALETTE[-1]
        else:
            team = line["team"]
            label = words("digest.no_team") if team is None else _short(str(team))
            colour = teams[position % len(teams)]
        result.append(ChartLine(label, _floats(line["progress"]), colour))
    return result


def chart_texts(chart: Part, words: Translator) -> tuple[str, str]:
    """The chart's title and its alt text."""
    quarter = str(chart["quarter"])
    key = "pace.chart" if "lines" in chart else "chart"
    return words(f"{key}.title", quarter=quarter), words(f"{key}.alt", quarter=quarter)


def team_chart(
    chart: Part, words: Translator, *, inspect: Callable[[Any], None] | None = None
) -> bytes:
    """The digest's chart as a PNG, from its data (`digest_content`); `inspect` as
    `draw`'s."""
    weeks = int(chart["weeks"])
    even = chart.get("even_pace")
    return draw(
        chart_lines(chart, words),
        _floats(even) if even is not None else tuple(w / weeks for w in range(weeks + 1)),
        words,
        title=chart_texts(chart, words)[0],
        inspect=inspect,
    )


def draw(
    lines: Sequence[ChartLine],
    even_pace: Sequence[float],
    words: Translator,
    *,
    title: str,
    inspect: Callable[[Any], None] | None = None,
) -> bytes:
    """A small PNG: the dashed even pace (0..1 at the end of week 0, 1, ...) and each line
    from 0 at week 0. matplotlib is imported here, once a week, not at start-up. `inspect`
    is given the figure before it is saved, for tests."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    weeks = len(even_pace) - 1
    figure, axes = plt.subplots(figsize=(6.4, 3.2), dpi=100, layout="constrained")
    try:
        axes.plot(
            [0, weeks],
            [100 * even_pace[0], 100 * even_pace[-1]],
            linestyle="--",
            color=EVEN_PACE_COLOUR,
            label=words("chart.even_pace"),
        )
        for line in lines:
            axes.plot(
                list(range(len(line.progress) + 1)),
                [0.0, *(100 * share for share in line.progress)],
                marker="o",
                markersize=3,
                linewidth=1.5,
                color=line.colour,
                label=line.label,
            )
        axes.set_xlim(0, weeks)
        axes.set_ylim(0, 100)
        axes.set_xlabel(words("chart.week"))
        axes.set_ylabel("%")
        axes.set_title(title, fontsize=10)
        axes.grid(alpha=0.3)
        figure.legend(loc="outside right upper", frameon=False, fontsize=7)
        if inspect is not None:
            inspect(figure)
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(figure)


def _floats(values: Sequence[Any]) -> tuple[float, ...]:
    return tuple(float(value) for value in values)


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1].rstrip() + "\u2026"
