"""The digest's picture: overall progress through the quarter, against an even pace."""

from __future__ import annotations

import io
from collections.abc import Sequence

from okrbot.i18n import Translator


def progress_chart(series: Sequence[float], weeks: int, quarter: str, words: Translator) -> bytes:
    """A small PNG. matplotlib is imported here, once a week, not at start-up."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 3.2), dpi=100)
    try:
        done = list(range(1, len(series) + 1))
        axes.plot(
            [0, weeks], [0, 100], linestyle="--", color="#9aa5b1", label=words("chart.even_pace")
        )
        axes.plot(
            [0, *done],
            [0.0, *(100 * s for s in series)],
            marker="o",
            color="#1f4e79",
            label=words("chart.progress"),
        )
        axes.set_xlim(0, weeks)
        axes.set_ylim(0, 100)
        axes.set_xlabel(words("chart.week"))
        axes.set_ylabel("%")
        axes.set_title(words("chart.title", quarter=quarter))
        axes.grid(alpha=0.3)
        axes.legend(loc="upper left", frameon=False)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(figure)
