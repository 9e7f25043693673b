"""`okrbot demo` is the first thing a newcomer runs: it must show the whole cycle."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from okrbot.sandbox.demo import run_demo

PNG = b"\x89PNG\r\n\x1a\n"


def _chart(out: str) -> Path:
    [saved] = re.findall(r"the chart is saved as (.+\.png): open it", out)
    return Path(saved)


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
        "Aisha replies in the prompt's thread",
        "Recorded your check-in",  # the answer to her reply
        "Undone:",  # ... after she clicked Undo
        "OKR DIGEST",
        "okr-progress-",  # the chart
        "MY OBJECTIVES",  # the Home tab
    ):
        assert step in out, step
    assert "none refused: True" in out
    assert (tmp_path / "demo.db").exists()
    assert f"kept in {tmp_path / 'demo.db'}" in out


async def test_the_demo_says_which_field_is_wrong_in_the_forms_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_demo(str(tmp_path / "demo.db"))
    out = capsys.readouterr().out
    errors = [line.strip() for line in out.splitlines() if line.lstrip().startswith("\u26a0 ")]
    assert errors == [
        "\u26a0 Key result 1, Target value: The target must differ from the start, "
        "or there is nothing to measure.",
        "\u26a0 Key result 2, What will you measure?: An objective needs 2 to 5 key results "
        "(1 filled in).",
    ]
    assert not re.search(r"\bkr\d_", out)


async def test_the_demo_shows_the_check_in_she_made_not_the_prefilled_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_demo(str(tmp_path / "demo.db"))
    out = capsys.readouterr().out
    answers = out.split("Aisha fills in:", 1)[1].split("\u2709", 1)[0]
    assert "How confident are you?: At risk" in answers
    assert "Anything to add?: Docs are late." in answers
    assert "(days) \u00b7 3 \u2192 0.5: 1.5" in answers
    # And what she chose is what okrbot kept: the Home tab says so.
    assert "\U0001f7e1 At risk" in out.split("MY OBJECTIVES", 1)[1]


async def test_each_objective_card_is_printed_once_then_referred_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_demo(str(tmp_path / "demo.db"))
    out = capsys.readouterr().out
    # v1 (3 → 1 days), then v2 after the rejection (3 → 0.5 days): each in full once,
    # although each is in four or five messages.
    assert out.count("Median time to first OKR \u2014 3 \u2192 1 days") == 1
    assert out.count("Median time to first OKR \u2014 3 \u2192 0.5 days") == 1
    assert out.count("[v1 of \u201cMake onboarding delightful\u201d, as in step 5]") == 2
    assert out.count("[v2 of \u201cMake onboarding delightful\u201d, as in step 7]") == 4


async def test_the_chart_is_saved_next_to_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_demo(str(tmp_path / "demo.db"))
    chart = _chart(capsys.readouterr().out)
    assert chart.parent == tmp_path
    assert chart.name.startswith("okr-progress-")
    assert chart.read_bytes()[:8] == PNG


async def test_without_database_the_demo_is_deleted_and_says_how_to_keep_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await run_demo()
    out = capsys.readouterr().out
    chart = _chart(out)
    try:
        assert "now deleted. To keep it: okrbot demo --database demo.db" in out
        # The chart outlives the database it was drawn from, to be opened afterwards.
        assert chart.read_bytes()[:8] == PNG
        assert [p.name for p in chart.parent.iterdir()] == [chart.name]
    finally:
        shutil.rmtree(chart.parent)
