"""`okrbot demo` is the first thing a newcomer runs: it must show the whole cycle."""

from __future__ import annotations

from pathlib import Path

import pytest

from okrbot.sandbox.demo import run_demo


async def test_the_demo_shows_the_whole_cycle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_demo(str(tmp_path / "demo.db")) == 0
    out = capsys.readouterr().out
    for step in (
        "Mads sees (DM)",  # the manager's request
        "Rejected by @Mads",
        "Cora sees (DM)",  # the CEO's request
        "Approved by @Mads, @Cora",  # published
        "Weekly check-in",
        "OKR DIGEST",
        "okr-progress-",  # the chart
        "MY OBJECTIVES",  # the Home tab
    ):
        assert step in out, step
    assert "none refused: True" in out
    assert (tmp_path / "demo.db").exists()
