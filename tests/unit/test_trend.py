from __future__ import annotations

from okrbot.i18n import translator
from okrbot.slack.chart import progress_chart


def test_the_chart_is_a_png_in_either_language() -> None:
    for language in ("en", "nb"):
        png = progress_chart([0.1, 0.2, 0.35], 13, "2026-Q4", translator(language))
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(png) > 5_000
